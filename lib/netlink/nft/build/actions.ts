/**
 * Statements: verdicts, counters, NAT and reject, as rule parts.
 *
 *   verdict.accept()  verdict.jump('fwd')        accept / jump fwd
 *   counter()                                    counter
 *   nat.dnat({ family: 'ip', addr: '172.17.0.2', port: 80 })   dnat ip to 172.17.0.2:80
 *   nat.dnatMap({ family: 'ip', map: 'pub', keys: [sel.ip4.daddr, sel.dport('tcp')], port: true })
 *                                                dnat ip to ip daddr . tcp dport map @pub
 *   masquerade({ fullyRandom: true })            masquerade fully-random
 *   reject.tcpReset()  reject.icmpx('port-unreachable')
 */
import { ValidationError } from '../../../errors';
import { NFPROTO_IPV4, NFPROTO_IPV6 } from '../../constants/nfnetlink';
import * as nfnl from '../../constants/nfnetlink';
import { NFT_REG_1, NFT_REG_2, NFT_REG_3, NFT_REG_VERDICT, NFT_REG32_00 } from '../../constants/nftables';
import { ipToBytes } from '../../addresses';
import type { Verdict } from '../data';
import type { Expr, NatExpr } from '../expr';
import type { Dependency, RulePart } from './part';
import { loadKey, Selector } from './selectors';
import { port } from './values';

function verdictPart(v: Verdict): RulePart {
  return { exprs: [{ type: 'immediate', dreg: NFT_REG_VERDICT, data: { verdict: v } }] };
}

function chainName(chain: string): string {
  if (typeof chain !== 'string' || chain.length === 0) throw new ValidationError('verdict: jump/goto needs a chain name', { field: 'chain' });
  return chain;
}

export const verdict = {
  accept: (): RulePart => verdictPart({ kind: 'accept' }),
  drop: (): RulePart => verdictPart({ kind: 'drop' }),
  /** Back to the chain that jumped here (or the base chain's policy). */
  return: (): RulePart => verdictPart({ kind: 'return' }),
  continue: (): RulePart => verdictPart({ kind: 'continue' }),
  jump: (chain: string): RulePart => verdictPart({ kind: 'jump', chain: chainName(chain) }),
  goto: (chain: string): RulePart => verdictPart({ kind: 'goto', chain: chainName(chain) }),
};

/** `counter`. */
export function counter(): RulePart {
  return { exprs: [{ type: 'counter' }] };
}

export type NatFamily = 'ip' | 'ip6';

export interface NatTarget {
  family: NatFamily;
  addr: string;
  /** A port, or an inclusive range [lo, hi]. */
  port?: number | readonly [number, number];
}

function natFamily(f: NatFamily): { nfproto: number; len: number } {
  if (f === 'ip') return { nfproto: NFPROTO_IPV4, len: 4 };
  if (f === 'ip6') return { nfproto: NFPROTO_IPV6, len: 16 };
  throw new ValidationError(`nat: family must be 'ip' or 'ip6', got '${String(f)}'`, { field: 'family' });
}

function imm(dreg: number, value: Buffer): Expr {
  return { type: 'immediate', dreg, data: { value } };
}

/**
 * snat/dnat to a constant: immediate address → reg 1, port(s) → reg 2 (and 3), then nat
 * with NF_NAT_RANGE_PROTO_SPECIFIED when a port is given (nft's registers and flags).
 */
function natTo(natType: 'snat' | 'dnat', t: NatTarget): RulePart {
  const { len } = natFamily(t.family);
  const addr = ipToBytes(t.addr, 'addr');
  if (addr.length !== len) throw new ValidationError(`nat: '${t.addr}' is not an ${t.family} address`, { field: 'addr' });
  const exprs: Expr[] = [imm(NFT_REG_1, addr)];
  const nat: NatExpr = { type: 'nat', natType, family: t.family, regAddrMin: NFT_REG_1 };
  if (t.port !== undefined) {
    const [lo, hi] = typeof t.port === 'number' ? [t.port, undefined] : t.port;
    exprs.push(imm(NFT_REG_2, port(lo, 'port')));
    nat.regProtoMin = NFT_REG_2;
    if (hi !== undefined) {
      if (hi < lo) throw new ValidationError(`nat: port range ${lo}-${hi} is reversed`, { field: 'port' });
      exprs.push(imm(NFT_REG_3, port(hi, 'port')));
      nat.regProtoMax = NFT_REG_3;
    }
    nat.flags = nfnl.NF_NAT_RANGE_PROTO_SPECIFIED;
  }
  exprs.push(nat);
  return { exprs };
}

export interface NatMapOptions {
  family: NatFamily;
  /** The map: key → address (. port). */
  map: string;
  /** Batch-local id of a map created in the same batch. */
  mapId?: number;
  /** What the map is keyed on, e.g. [sel.ip4.daddr, sel.dport('tcp')]. */
  keys: Selector | readonly Selector[];
  /** The map's data is `address . port` (else just an address). */
  port?: boolean;
}

/**
 * `dnat ip to KEY map @m`: KEY → reg 1…; lookup with dreg 1 loads the data (address in
 * reg 1, port in the register after it); nat reads both. No NAT flags: the kernel adds
 * PROTO_SPECIFIED itself from NFTA_NAT_REG_PROTO_MIN, and nft 1.0.6 sends none here.
 */
function natMap(natType: 'snat' | 'dnat', o: NatMapOptions): RulePart {
  const { len } = natFamily(o.family);
  const k = loadKey(Array.isArray(o.keys) ? o.keys : [o.keys as Selector]);
  const lookup: Expr = { type: 'lookup', sreg: NFT_REG_1, dreg: NFT_REG_1, set: o.map };
  if (o.mapId !== undefined) lookup.setId = o.mapId;
  const nat: NatExpr = { type: 'nat', natType, family: o.family, regAddrMin: NFT_REG_1 };
  if (o.port) nat.regProtoMin = NFT_REG32_00 + len / 4;
  return { needs: k.needs, exprs: [...k.exprs, lookup, nat] };
}

export const nat = {
  dnat: (t: NatTarget): RulePart => natTo('dnat', t),
  snat: (t: NatTarget): RulePart => natTo('snat', t),
  dnatMap: (o: NatMapOptions): RulePart => natMap('dnat', o),
  snatMap: (o: NatMapOptions): RulePart => natMap('snat', o),
};

export interface MasqOptions {
  random?: boolean;
  fullyRandom?: boolean;
  persistent?: boolean;
}

/** `masquerade [random] [fully-random] [persistent]`. */
export function masquerade(o: MasqOptions = {}): RulePart {
  const flags =
    (o.random ? nfnl.NF_NAT_RANGE_PROTO_RANDOM : 0) |
    (o.fullyRandom ? nfnl.NF_NAT_RANGE_PROTO_RANDOM_FULLY : 0) |
    (o.persistent ? nfnl.NF_NAT_RANGE_PERSISTENT : 0);
  return { exprs: [flags ? { type: 'masq', flags } : { type: 'masq' }] };
}

/** `KEY vmap @m`: the element's verdict becomes the rule's (lookup into NFT_REG_VERDICT). */
export function verdictMap(map: string, keys: Selector | readonly Selector[], opts: { mapId?: number } = {}): RulePart {
  const k = loadKey(Array.isArray(keys) ? keys : [keys as Selector]);
  const lookup: Expr = { type: 'lookup', sreg: NFT_REG_1, dreg: NFT_REG_VERDICT, set: map };
  if (opts.mapId !== undefined) lookup.setId = opts.mapId;
  return { needs: k.needs, exprs: [...k.exprs, lookup] };
}

export const ICMPX_CODES = { 'no-route': 0, 'port-unreachable': 1, 'host-unreachable': 2, 'admin-prohibited': 3 } as const;
export const ICMP_CODES = {
  'net-unreachable': 0,
  'host-unreachable': 1,
  'prot-unreachable': 2,
  'port-unreachable': 3,
  'net-prohibited': 9,
  'host-prohibited': 10,
  'admin-prohibited': 13,
} as const;
export const ICMPV6_CODES = { 'no-route': 0, 'admin-prohibited': 1, 'addr-unreachable': 3, 'port-unreachable': 4 } as const;

function code<T extends Record<string, number>>(table: T, name: keyof T, field: string): number {
  const v = table[name];
  if (v === undefined) throw new ValidationError(`${field}: unknown code '${String(name)}'`, { field });
  return v;
}

const TCP: Dependency = { key: 'l4proto', value: 6 };

export const reject = {
  /** `reject with tcp reset` (adds `meta l4proto tcp` unless the rule matched it). */
  tcpReset: (): RulePart => ({ needs: [TCP], exprs: [{ type: 'reject', rejectType: 'tcp_rst', icmpCode: 0 }] }),
  /** `reject with icmpx CODE` — the inet family's default `reject` is port-unreachable. */
  icmpx: (c: keyof typeof ICMPX_CODES = 'port-unreachable'): RulePart => ({
    exprs: [{ type: 'reject', rejectType: 'icmpx_unreach', icmpCode: code(ICMPX_CODES, c, 'reject') }],
  }),
  /** `reject with icmp type CODE` (IPv4; in inet tables adds `meta nfproto ipv4`). */
  icmp: (c: keyof typeof ICMP_CODES): RulePart => ({
    needs: [{ key: 'nfproto', value: NFPROTO_IPV4 }],
    exprs: [{ type: 'reject', rejectType: 'icmp_unreach', icmpCode: code(ICMP_CODES, c, 'reject') }],
  }),
  /** `reject with icmpv6 type CODE`. */
  icmpv6: (c: keyof typeof ICMPV6_CODES): RulePart => ({
    needs: [{ key: 'nfproto', value: NFPROTO_IPV6 }],
    exprs: [{ type: 'reject', rejectType: 'icmp_unreach', icmpCode: code(ICMPV6_CODES, c, 'reject') }],
  }),
};
