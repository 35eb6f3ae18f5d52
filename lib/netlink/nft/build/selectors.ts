/**
 * Selectors: what a match, a set lookup or a map key loads into a register — a packet
 * field (payload) or metadata (meta, ct) — with its length, datatype and dependencies.
 */
import { NFPROTO_IPV4, NFPROTO_IPV6 } from '../../constants/nfnetlink';
import { NFT_REG_1, NFT_REG32_00 } from '../../constants/nftables';
import type { Expr } from '../expr';
import type { MetaKey } from '../expr/meta';
import type { PayloadBase } from '../expr/payload';
import type { DatatypeName } from './datatypes';
import type { Dependency } from './part';
import { L4ProtoName, l4protoNumber } from './values';

export interface Selector {
  /** Bytes loaded (before padding to a register). */
  len: number;
  datatype: DatatypeName;
  needs: Dependency[];
  /** The expressions that load the value into `dreg`. */
  load(dreg: number): Expr[];
}

export type PortProto = Extract<L4ProtoName, 'tcp' | 'udp' | 'sctp' | 'udplite' | 'dccp'>;

function meta(key: MetaKey, len: number, datatype: DatatypeName): Selector {
  return { len, datatype, needs: [], load: (dreg) => [{ type: 'meta', key, dreg }] };
}

function payload(base: PayloadBase, offset: number, len: number, datatype: DatatypeName, needs: Dependency[]): Selector {
  return { len, datatype, needs, load: (dreg) => [{ type: 'payload', dreg, base, offset, len }] };
}

const V4: Dependency = { key: 'nfproto', value: NFPROTO_IPV4 };
const V6: Dependency = { key: 'nfproto', value: NFPROTO_IPV6 };

function l4(proto: PortProto): Dependency {
  return { key: 'l4proto', value: l4protoNumber(proto) };
}

export const sel = {
  iifname: meta('iifname', 16, 'ifname'),
  oifname: meta('oifname', 16, 'ifname'),
  l4proto: meta('l4proto', 1, 'inet_proto'),
  mark: meta('mark', 4, 'mark'),
  ip4: {
    saddr: payload('network_header', 12, 4, 'ipv4_addr', [V4]),
    daddr: payload('network_header', 16, 4, 'ipv4_addr', [V4]),
  },
  ip6: {
    saddr: payload('network_header', 8, 16, 'ipv6_addr', [V6]),
    daddr: payload('network_header', 24, 16, 'ipv6_addr', [V6]),
  },
  /** TCP/UDP/SCTP source port: transport header offset 0, 2 bytes. */
  sport: (proto: PortProto): Selector => payload('transport_header', 0, 2, 'inet_service', [l4(proto)]),
  /** Destination port: transport header offset 2, 2 bytes. */
  dport: (proto: PortProto): Selector => payload('transport_header', 2, 2, 'inet_service', [l4(proto)]),
};

/**
 * Registers for a concatenation, as nft allocates them: the first field in NFT_REG_1 (the
 * 16-byte register that starts at NFT_REG32_00), each next one in the 4-byte register
 * where the previous field's padded bytes end.
 */
export function concatRegisters(keys: readonly Selector[]): number[] {
  let offset = 0;
  return keys.map((k, i) => {
    const reg = i === 0 ? NFT_REG_1 : NFT_REG32_00 + offset / 4;
    offset += (k.len + 3) & ~3;
    return reg;
  });
}

/** Loads a (possibly concatenated) key starting at NFT_REG_1, with the keys' dependencies. */
export function loadKey(keys: readonly Selector[]): { exprs: Expr[]; needs: Dependency[]; len: number } {
  const regs = concatRegisters(keys);
  return {
    exprs: keys.flatMap((k, i) => k.load(regs[i]!)),
    needs: keys.flatMap((k) => k.needs),
    len: keys.reduce((acc, k) => acc + ((k.len + 3) & ~3), 0),
  };
}
