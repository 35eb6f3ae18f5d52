/**
 * Matches: rule parts that end the rule unless the packet fits. Each returns the
 * expressions nft 1.0.6 generates for the same text (the unit tests compare bytes):
 *
 *   match.iifname('br-x')            iifname "br-x"
 *   match.ip4.saddr('10.0.0.0/8')    ip saddr 10.0.0.0/8        (+ meta nfproto ipv4 in inet)
 *   match.dport(80, 'tcp')           tcp dport 80               (+ meta l4proto tcp)
 *   match.ctState(['established', 'related'])
 *   match.fibDaddrLocal()            fib daddr type local
 *   match.inSet('acl', [sel.ip4.saddr, sel.dport('tcp')])   ip saddr . tcp dport @acl
 */
import { ValidationError } from '../../../errors';
import { NFPROTO_IPV4, NFPROTO_IPV6 } from '../../constants/nfnetlink';
import * as nfnl from '../../constants/nfnetlink';
import { NFT_LOOKUP_F_INV, NFT_REG_1, NFTA_FIB_F_DADDR, NFTA_FIB_F_SADDR } from '../../constants/nftables';
import { RTN_LOCAL } from '../../constants/rtnetlink';
import type { Expr } from '../expr';
import type { CmpOp } from '../expr/cmp';
import type { RulePart } from './part';
import { loadKey, PortProto, sel, Selector } from './selectors';
import { hostU32, IFNAMSIZ, ifname, L4ProtoName, l4protoNumber, parsePrefix, port, prefixMask } from './values';

export interface MatchOptions {
  /** `!=`: match when the value differs (when the key is not in the set). */
  not?: boolean;
}

function cmp(op: CmpOp, data: Buffer): Expr {
  return { type: 'cmp', sreg: NFT_REG_1, op, data };
}

/** selector == value (or !=). */
export function compare(s: Selector, data: Buffer, opts: MatchOptions = {}): RulePart {
  return { needs: s.needs, exprs: [...s.load(NFT_REG_1), cmp(opts.not ? 'neq' : 'eq', data)] };
}

/**
 * An interface name; a trailing '*' matches by prefix (`iifname "br-*"`), comparing only
 * the bytes before it, as nft does.
 */
function ifnameMatch(s: Selector, name: string, opts: MatchOptions): RulePart {
  if (typeof name === 'string' && name.endsWith('*') && name.length > 1) {
    const prefix = Buffer.from(name.slice(0, -1), 'utf8');
    if (prefix.length >= IFNAMSIZ) throw new ValidationError(`ifname: '${name}' is too long`, { field: 'ifname' });
    return compare(s, prefix, opts);
  }
  return compare(s, ifname(name), opts);
}

/**
 * An address or prefix. Byte-aligned prefixes load only their bytes (`ip saddr 10.0.0.0/8`
 * is a 1-byte payload + cmp); others load the whole address, mask it with bitwise and
 * compare; /0 matches every packet of the family, so only the family check remains.
 */
function prefixMatch(s: Selector, family: 4 | 6, text: string, opts: MatchOptions): RulePart {
  const p = parsePrefix(text, family, 'address');
  if (p.bits === 0) return { needs: s.needs, exprs: [] };
  const op: CmpOp = opts.not ? 'neq' : 'eq';
  const [load] = s.load(NFT_REG_1) as [Expr & { type: 'payload' }];
  if (p.bits % 8 === 0) {
    const len = p.bits / 8;
    return { needs: s.needs, exprs: [{ ...load, len }, cmp(op, p.addr.subarray(0, len))] };
  }
  const mask = prefixMask(s.len, p.bits);
  return {
    needs: s.needs,
    exprs: [
      load,
      { type: 'bitwise', sreg: NFT_REG_1, dreg: NFT_REG_1, len: s.len, mask, xor: Buffer.alloc(s.len) },
      cmp(op, p.addr),
    ],
  };
}

/** A port or an inclusive range [lo, hi] (two cmps: gte, lte — nft's form for `80-90`). */
function portMatch(s: Selector, value: number | readonly [number, number], opts: MatchOptions): RulePart {
  if (typeof value === 'number') return compare(s, port(value), opts);
  const [lo, hi] = value;
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo <= hi)) {
    throw new ValidationError(`port range: [${String(lo)}, ${String(hi)}] is not lo <= hi`, { field: 'port' });
  }
  if (opts.not) throw new ValidationError('port range: != ranges are not supported', { field: 'port' });
  return { needs: s.needs, exprs: [...s.load(NFT_REG_1), cmp('gte', port(lo)), cmp('lte', port(hi))] };
}

export const CT_STATES = {
  invalid: nfnl.NF_CT_STATE_INVALID_BIT,
  established: nfnl.NF_CT_STATE_ESTABLISHED_BIT,
  related: nfnl.NF_CT_STATE_RELATED_BIT,
  new: nfnl.NF_CT_STATE_NEW_BIT,
  untracked: nfnl.NF_CT_STATE_UNTRACKED_BIT,
} as const;
export type CtState = keyof typeof CT_STATES;

export const CT_STATUSES = {
  expected: nfnl.IPS_EXPECTED,
  seen_reply: nfnl.IPS_SEEN_REPLY,
  assured: nfnl.IPS_ASSURED,
  confirmed: nfnl.IPS_CONFIRMED,
  snat: nfnl.IPS_SRC_NAT,
  dnat: nfnl.IPS_DST_NAT,
  dying: nfnl.IPS_DYING,
} as const;
export type CtStatus = keyof typeof CT_STATUSES;

function bits<N extends string>(table: Record<N, number>, names: readonly N[], field: string): number {
  if (!Array.isArray(names) || names.length === 0) throw new ValidationError(`${field}: give at least one`, { field });
  let mask = 0;
  for (const n of names) {
    if (!Object.prototype.hasOwnProperty.call(table, n)) throw new ValidationError(`${field}: unknown '${String(n)}'`, { field });
    mask |= table[n as N];
  }
  return mask;
}

/**
 * `ct state|status a,b`: "any of these bits": ct KEY → reg 1; reg 1 &= mask (host-order
 * u32); cmp neq 0.
 */
function ctBits(key: 'state' | 'status', mask: number, opts: MatchOptions): RulePart {
  return {
    exprs: [
      { type: 'ct', key, dreg: NFT_REG_1 },
      { type: 'bitwise', sreg: NFT_REG_1, dreg: NFT_REG_1, len: 4, mask: hostU32(mask), xor: Buffer.alloc(4) },
      cmp(opts.not ? 'eq' : 'neq', Buffer.alloc(4)),
    ],
  };
}

/** RTN_* names for `fib … type`. */
export const FIB_ADDRTYPES = { unspec: 0, unicast: 1, local: RTN_LOCAL, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7, prohibit: 8 } as const;
export type FibAddrType = keyof typeof FIB_ADDRTYPES;

export const match = {
  /** `iifname NAME` (`NAME*` for a prefix). */
  iifname: (name: string, opts: MatchOptions = {}): RulePart => ifnameMatch(sel.iifname, name, opts),
  /** `oifname NAME`. */
  oifname: (name: string, opts: MatchOptions = {}): RulePart => ifnameMatch(sel.oifname, name, opts),
  /** `meta l4proto P`; satisfies the dependency of later port matches. */
  l4proto(proto: L4ProtoName | number, opts: MatchOptions = {}): RulePart {
    const value = l4protoNumber(proto);
    const part = compare(sel.l4proto, Buffer.of(value), opts);
    if (!opts.not) part.provides = [{ key: 'l4proto', value }];
    return part;
  },
  /** `meta nfproto ipv4|ipv6` (in inet tables); satisfies later address matches. */
  nfproto(proto: 'ipv4' | 'ipv6', opts: MatchOptions = {}): RulePart {
    if (proto !== 'ipv4' && proto !== 'ipv6') throw new ValidationError(`nfproto: '${String(proto)}' is not ipv4 or ipv6`, { field: 'nfproto' });
    const value = proto === 'ipv4' ? NFPROTO_IPV4 : NFPROTO_IPV6;
    const part: RulePart = { exprs: [{ type: 'meta', key: 'nfproto', dreg: NFT_REG_1 }, cmp(opts.not ? 'neq' : 'eq', Buffer.of(value))] };
    if (!opts.not) part.provides = [{ key: 'nfproto', value }];
    return part;
  },
  /** `meta mark V`. */
  mark: (value: number, opts: MatchOptions = {}): RulePart => compare(sel.mark, hostU32(value, 'mark'), opts),
  ip4: {
    /** `ip saddr A` / `ip saddr P/LEN`. */
    saddr: (prefix: string, opts: MatchOptions = {}): RulePart => prefixMatch(sel.ip4.saddr, 4, prefix, opts),
    daddr: (prefix: string, opts: MatchOptions = {}): RulePart => prefixMatch(sel.ip4.daddr, 4, prefix, opts),
  },
  ip6: {
    saddr: (prefix: string, opts: MatchOptions = {}): RulePart => prefixMatch(sel.ip6.saddr, 6, prefix, opts),
    daddr: (prefix: string, opts: MatchOptions = {}): RulePart => prefixMatch(sel.ip6.daddr, 6, prefix, opts),
  },
  /** `tcp|udp|sctp sport P` or `… sport LO-HI`. */
  sport: (value: number | readonly [number, number], proto: PortProto, opts: MatchOptions = {}): RulePart =>
    portMatch(sel.sport(proto), value, opts),
  /** `tcp|udp|sctp dport P` or `… dport LO-HI`. */
  dport: (value: number | readonly [number, number], proto: PortProto, opts: MatchOptions = {}): RulePart =>
    portMatch(sel.dport(proto), value, opts),
  /** `ct state a,b`. */
  ctState: (states: readonly CtState[], opts: MatchOptions = {}): RulePart => ctBits('state', bits(CT_STATES, states, 'ctState'), opts),
  /** `ct status a,b`. */
  ctStatus: (statuses: readonly CtStatus[], opts: MatchOptions = {}): RulePart =>
    ctBits('status', bits(CT_STATUSES, statuses, 'ctStatus'), opts),
  /** `ct direction original|reply`. */
  ctDirection(dir: 'original' | 'reply', opts: MatchOptions = {}): RulePart {
    const value = dir === 'reply' ? nfnl.IP_CT_DIR_REPLY : nfnl.IP_CT_DIR_ORIGINAL;
    return { exprs: [{ type: 'ct', key: 'direction', dreg: NFT_REG_1 }, cmp(opts.not ? 'neq' : 'eq', Buffer.of(value))] };
  },
  /** `fib saddr|daddr type T`: the RTN_* type the routing table gives the address. */
  fibAddrType(which: 'saddr' | 'daddr', type: FibAddrType, opts: MatchOptions = {}): RulePart {
    const value = FIB_ADDRTYPES[type];
    if (value === undefined) throw new ValidationError(`fib: unknown address type '${String(type)}'`, { field: 'fib' });
    return {
      exprs: [
        { type: 'fib', flags: which === 'saddr' ? NFTA_FIB_F_SADDR : NFTA_FIB_F_DADDR, result: 'addrtype', dreg: NFT_REG_1 },
        cmp(opts.not ? 'neq' : 'eq', hostU32(value)),
      ],
    };
  },
  /** `fib daddr type local`: the packet is addressed to this host (the DNAT guard). */
  fibDaddrLocal: (opts: MatchOptions = {}): RulePart => match.fibAddrType('daddr', 'local', opts),
  /**
   * `KEY @set` / `KEY != @set`, KEY one selector or a concatenation
   * (`ip saddr . tcp dport @acl`). `setId` refers to a set made in the same batch.
   */
  inSet(set: string, keys: Selector | readonly Selector[], opts: MatchOptions & { setId?: number } = {}): RulePart {
    const k = loadKey(Array.isArray(keys) ? keys : [keys as Selector]);
    const lookup: Expr = { type: 'lookup', sreg: NFT_REG_1, set };
    if (opts.setId !== undefined) lookup.setId = opts.setId;
    if (opts.not) lookup.flags = NFT_LOOKUP_F_INV;
    return { needs: k.needs, exprs: [...k.exprs, lookup] };
  },
};
