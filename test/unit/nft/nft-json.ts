/**
 * Our decoded objects rendered the way `nft -j list ruleset` (nft 1.0.6) prints them, for
 * the shapes nsnet uses — so that tests can check the decoder against nft's own reading
 * of the same kernel replies. A small, test-only "delinearizer": it recognises nft's
 * expression patterns (dependency + payload + cmp, ct + bitwise + cmp…) and fails loudly
 * on anything else.
 */
import ipaddr from 'ipaddr.js';
import { nft, NFT_SET_ANONYMOUS, NFT_SET_CONSTANT, NFT_SET_ELEM_INTERVAL_END, NFT_SET_INTERVAL, NFT_SET_TIMEOUT } from '../../../lib/netlink';

type Json = any;

const TYPE_NAMES = new Map<number, string>(Object.entries(nft.DATATYPES).map(([k, v]) => [v.id, k]));

/** Datatype names of a (possibly concatenated) type id, first field first. */
export function typeNames(id: number): string[] {
  const out: string[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 64)) out.unshift(TYPE_NAMES.get(v % 64) ?? `type${v % 64}`);
  return out;
}

function valueJson(type: string, b: Buffer): Json {
  switch (type) {
    case 'ipv4_addr':
    case 'ipv6_addr':
      return ipaddr.fromByteArray([...b]).toString();
    case 'inet_service':
      return b.readUInt16BE(0);
    case 'ifname': {
      const nul = b.indexOf(0);
      return b.toString('utf8', 0, nul === -1 ? b.length : nul);
    }
    case 'mark':
      return b.readUInt32LE(0);
    default:
      return b.toString('hex');
  }
}

/** Splits a concatenated value into its fields (each padded to 4 bytes). */
function fields(types: string[], b: Buffer): Buffer[] {
  if (types.length === 1) return [b];
  let off = 0;
  return types.map((t) => {
    const len = nft.datatype(t as nft.DatatypeName).len;
    const f = b.subarray(off, off + len);
    off += (len + 3) & ~3;
    return f;
  });
}

function bigOf(b: Buffer): bigint {
  return BigInt(`0x${b.toString('hex') || '0'}`);
}

/** A closed range of one field as nft prints it: value, prefix or range. */
function rangeJson(type: string, lo: Buffer, hi: Buffer): Json {
  if (lo.equals(hi)) return valueJson(type, lo);
  const bits = lo.length * 8;
  const size = bigOf(hi) - bigOf(lo) + 1n;
  const hostBits = size.toString(2).length - 1;
  const isPow2 = size === 1n << BigInt(hostBits);
  if ((type === 'ipv4_addr' || type === 'ipv6_addr') && isPow2 && bigOf(lo) % size === 0n) {
    return { prefix: { addr: valueJson(type, lo), len: bits - hostBits } };
  }
  return { range: [valueJson(type, lo), valueJson(type, hi)] };
}

function minusOne(b: Buffer): Buffer {
  const v = bigOf(b) - 1n;
  return Buffer.from(v.toString(16).padStart(b.length * 2, '0'), 'hex');
}

function verdictJson(v: nft.Verdict): Json {
  if (v.kind === 'jump' || v.kind === 'goto') return { [v.kind]: { target: v.chain } };
  if (v.kind === 'code') return { verdict: v.code };
  return { [v.kind]: null };
}

function dataJson(types: string[] | 'verdict', d: nft.NftData | undefined): Json {
  if (d === undefined) return undefined;
  if ('verdict' in d) return verdictJson(d.verdict);
  const t = types as string[];
  const fs = fields(t, d.value);
  return t.length === 1 ? valueJson(t[0]!, fs[0]!) : { concat: fs.map((f, i) => valueJson(t[i]!, f)) };
}

/** A set's elements as nft prints them in "elem". */
export function elemsToNftJson(set: nft.NftSet, elems: readonly nft.NftSetElem[]): Json[] | undefined {
  const keyTypes = typeNames(set.keyType!);
  const dataTypes = set.dataType === undefined ? undefined : set.dataType === 0xffffff00 ? ('verdict' as const) : typeNames(set.dataType);
  const keyOf = (lo: Buffer, hi: Buffer): Json => {
    const los = fields(keyTypes, lo);
    const his = fields(keyTypes, hi);
    const parts = keyTypes.map((t, i) => rangeJson(t, los[i]!, his[i]!));
    return keyTypes.length === 1 ? parts[0] : { concat: parts };
  };
  const withData = (k: Json, e: nft.NftSetElem): Json => (dataTypes === undefined ? k : [k, dataJson(dataTypes, e.data)]);
  let out: Json[];
  if ((set.flags ?? 0) & NFT_SET_INTERVAL && elems.every((e) => e.keyEnd === undefined)) {
    // Plain interval set: sort starts and ends, pair each start with the next end.
    const sorted = [...elems].sort((a, b) => Buffer.compare(a.key!, b.key!) || ((a.flags ?? 0) & 1) - ((b.flags ?? 0) & 1));
    out = [];
    for (let i = 0; i < sorted.length; i++) {
      const e = sorted[i]!;
      if ((e.flags ?? 0) & NFT_SET_ELEM_INTERVAL_END) continue;
      const next = sorted[i + 1];
      const hi = next && (next.flags ?? 0) & NFT_SET_ELEM_INTERVAL_END ? minusOne(next.key!) : Buffer.alloc(e.key!.length, 0xff);
      out.push(withData(keyOf(e.key!, hi), e));
    }
  } else {
    const sorted = [...elems].sort((a, b) => Buffer.compare(a.key!, b.key!));
    out = sorted.map((e) => withData(keyOf(e.key!, e.keyEnd ?? e.key!), e));
  }
  return out.length ? out : undefined;
}

const HOOKS: Record<string, string[]> = {
  netdev: ['ingress', 'egress'],
  default: ['prerouting', 'input', 'forward', 'output', 'postrouting', 'ingress'],
};

export function tableJson(t: nft.NftTable): Json {
  return { table: { family: t.family, name: t.name, handle: Number(t.handle) } };
}

export function chainJson(c: nft.NftChain): Json {
  const o: Json = { family: c.family, table: c.table, name: c.name, handle: Number(c.handle) };
  if (c.hook) {
    o.type = c.type;
    o.hook = (HOOKS[String(c.family)] ?? HOOKS.default!)[c.hook.num];
    o.prio = c.hook.priority;
    o.policy = c.policy === 0 ? 'drop' : 'accept';
  }
  return { chain: o };
}

export function setJson(s: nft.NftSet, elems: readonly nft.NftSetElem[]): Json {
  const keyTypes = typeNames(s.keyType!);
  const o: Json = { family: s.family, name: s.name, table: s.table, type: keyTypes.length === 1 ? keyTypes[0] : keyTypes, handle: Number(s.handle) };
  const isMap = s.dataType !== undefined;
  if (isMap) o.map = s.dataType === 0xffffff00 ? 'verdict' : typeNames(s.dataType!).join(' . ');
  const flags: string[] = [];
  if ((s.flags ?? 0) & NFT_SET_CONSTANT) flags.push('constant');
  if ((s.flags ?? 0) & NFT_SET_INTERVAL) flags.push('interval');
  if ((s.flags ?? 0) & NFT_SET_TIMEOUT) flags.push('timeout');
  if (flags.length) o.flags = flags;
  const elem = elemsToNftJson(s, elems);
  if (elem) o.elem = elem;
  return { [isMap ? 'map' : 'set']: o };
}

const L4 = new Map<number, string>([[6, 'tcp'], [17, 'udp'], [132, 'sctp'], [1, 'icmp'], [58, 'ipv6-icmp']]);
const CT_STATE_NAMES: [number, string][] = [[8, 'new'], [2, 'established'], [4, 'related'], [1, 'invalid'], [64, 'untracked']];
const CT_STATUS_NAMES: [number, string][] = [[1, 'expected'], [2, 'seen-reply'], [4, 'assured'], [8, 'confirmed'], [16, 'snat'], [32, 'dnat'], [512, 'dying']];
const OPS: Record<string, string> = { eq: '==', neq: '!=', lt: '<', lte: '<=', gt: '>', gte: '>=' };
const ICMPX = ['no-route', 'port-unreachable', 'host-unreachable', 'admin-prohibited'];
const ICMP: Record<number, string> = { 0: 'net-unreachable', 1: 'host-unreachable', 2: 'prot-unreachable', 3: 'port-unreachable', 9: 'net-prohibited', 10: 'host-prohibited', 13: 'admin-prohibited' };

interface Loaded {
  left: Json;
  type: string;
}

/**
 * A rule's statements as nft prints them. `sets` resolves lookups (anonymous sets print
 * inline, named ones as "@name"; maps give the data type for nat).
 */
export function ruleJson(r: nft.NftRule, sets: Map<string, { set: nft.NftSet; elems: nft.NftSetElem[] }>): Json {
  const exprs = r.exprs ?? [];
  const out: Json[] = [];
  let nfproto = r.family === 'ip' ? 'ip' : r.family === 'ip6' ? 'ip6' : undefined;
  let l4: string | undefined;
  const regs = new Map<number, Loaded>();
  const imm = new Map<number, Buffer>();
  const fail = (why: string): never => {
    throw new Error(`ruleJson: ${why} in ${JSON.stringify(exprs.map((e) => e.type))}`);
  };
  for (let i = 0; i < exprs.length; i++) {
    const e = exprs[i]!;
    const next = exprs[i + 1];
    switch (e.type) {
      case 'meta': {
        const cmp = next?.type === 'cmp' ? next : undefined;
        if ((e.key === 'nfproto' || e.key === 'l4proto') && cmp && cmp.op === 'eq') {
          const v = cmp.data[0]!;
          const name = e.key === 'nfproto' ? (v === 2 ? 'ip' : 'ip6') : L4.get(v) ?? String(v);
          // A dependency nft added for a later protocol field is not printed.
          const later = exprs.slice(i + 2);
          const isDep =
            e.key === 'nfproto'
              ? later.some((x) => x.type === 'payload' && x.base === 'network_header')
              : later.some((x) => (x.type === 'payload' && x.base === 'transport_header') || (x.type === 'reject' && x.rejectType === 'tcp_rst'));
          if (e.key === 'nfproto') nfproto = name;
          else l4 = name;
          if (isDep) {
            i++;
            continue;
          }
        }
        const type = e.key === 'iifname' || e.key === 'oifname' ? 'ifname' : e.key === 'l4proto' ? 'l4proto' : e.key === 'nfproto' ? 'nfproto' : 'mark';
        regs.set(e.dreg!, { left: { meta: { key: e.key } }, type });
        break;
      }
      case 'payload': {
        let left: Json;
        let type: string;
        if (e.base === 'network_header') {
          const proto = nfproto ?? fail('network payload without nfproto');
          const field = proto === 'ip' ? { 12: 'saddr', 16: 'daddr' }[e.offset] : { 8: 'saddr', 24: 'daddr' }[e.offset];
          left = { payload: { protocol: proto, field } };
          type = proto === 'ip' ? 'ipv4_addr' : 'ipv6_addr';
        } else if (e.base === 'transport_header') {
          left = { payload: { protocol: l4 ?? fail('transport payload without l4proto'), field: e.offset === 0 ? 'sport' : 'dport' } };
          type = 'inet_service';
        } else return fail('payload base');
        regs.set(e.dreg!, { left, type: `${type}/${e.len}` });
        break;
      }
      case 'ct':
        regs.set(e.dreg!, { left: { ct: { key: e.key } }, type: `ct_${String(e.key)}` });
        break;
      case 'fib':
        regs.set(e.dreg!, { left: { fib: { result: 'type', flags: [e.flags & 2 ? 'daddr' : 'saddr'] } }, type: 'fib_addrtype' });
        break;
      case 'bitwise': {
        const l = regs.get(e.sreg) ?? fail('bitwise on empty register');
        const c = next?.type === 'cmp' ? next : fail('bitwise without cmp');
        i++;
        if (l.type.startsWith('ct_')) {
          const mask = e.mask!.readUInt32LE(0);
          const table = l.type === 'ct_state' ? CT_STATE_NAMES : CT_STATUS_NAMES;
          const names = table.filter(([b]) => mask & b).map(([, n]) => n);
          out.push({ match: { op: c.op === 'neq' ? 'in' : '!=', left: l.left, right: names.length === 1 ? names[0] : names } });
        } else {
          const bits = [...e.mask!].reduce((acc, b) => acc + b.toString(2).replace(/0/g, '').length, 0);
          out.push({ match: { op: OPS[String(c.op)], left: l.left, right: { prefix: { addr: valueJson(l.type.split('/')[0]!, c.data), len: bits } } } });
        }
        break;
      }
      case 'cmp': {
        const l = regs.get(e.sreg) ?? fail('cmp on empty register');
        let right: Json;
        if (l.type === 'ifname') right = valueJson('ifname', e.data);
        else if (l.type === 'l4proto') right = L4.get(e.data[0]!) ?? e.data[0];
        else if (l.type === 'nfproto') right = e.data[0] === 2 ? 'ipv4' : 'ipv6';
        else if (l.type === 'mark') right = e.data.readUInt32LE(0);
        else if (l.type === 'ct_direction') right = e.data[0] === 1 ? 'reply' : 'original';
        else if (l.type === 'fib_addrtype') right = e.data.readUInt32LE(0) === 2 ? 'local' : e.data.readUInt32LE(0);
        else {
          const [type, lenText] = l.type.split('/') as [string, string];
          const full = nft.datatype(type as nft.DatatypeName).len;
          if (e.op === 'gte' && next?.type === 'cmp' && next.op === 'lte') {
            right = { range: [valueJson(type, e.data), valueJson(type, next.data)] };
            out.push({ match: { op: '==', left: l.left, right } });
            i++;
            break;
          }
          right = Number(lenText) < full ? { prefix: { addr: valueJson(type, Buffer.concat([e.data, Buffer.alloc(full - e.data.length)])), len: e.data.length * 8 } } : valueJson(type, e.data);
        }
        out.push({ match: { op: OPS[String(e.op)], left: l.left, right } });
        break;
      }
      case 'lookup': {
        const keys = [...regs.entries()].sort(([a], [b]) => a - b).map(([, v]) => v.left);
        const key = keys.length === 1 ? keys[0] : { concat: keys };
        const s = sets.get(e.set);
        const isAnon = s && (s.set.flags ?? 0) & NFT_SET_ANONYMOUS;
        const ref = isAnon ? { set: elemsToNftJson(s.set, s.elems) } : `@${e.set}`;
        if (e.dreg === 0) out.push({ vmap: { key, data: ref } });
        else if (e.dreg !== undefined) {
          const n = next?.type === 'nat' ? next : fail('map lookup without nat');
          out.push({ [String(n.natType)]: { family: n.family, addr: { map: { key, data: ref } } } });
          i++;
        } else out.push({ match: { op: (e.flags ?? 0) & 1 ? '!=' : '==', left: key, right: ref } });
        regs.clear();
        break;
      }
      case 'immediate':
        if ('verdict' in e.data) out.push(verdictJson(e.data.verdict));
        else imm.set(e.dreg, e.data.value);
        break;
      case 'counter':
        out.push({ counter: { packets: Number(e.packets ?? 0n), bytes: Number(e.bytes ?? 0n) } });
        break;
      case 'masq':
        out.push({ masquerade: e.flags ? { flags: e.flags & 16 ? 'fully-random' : e.flags & 4 ? 'random' : 'persistent' } : null });
        break;
      case 'nat': {
        const o: Json = { family: e.family, addr: valueJson(e.family === 'ip' ? 'ipv4_addr' : 'ipv6_addr', imm.get(e.regAddrMin!)!) };
        if (e.regProtoMin !== undefined) {
          const lo = imm.get(e.regProtoMin)!.readUInt16BE(0);
          // The kernel dumps REG_PROTO_MAX = REG_PROTO_MIN for a single port.
          const hi = e.regProtoMax !== undefined ? imm.get(e.regProtoMax)!.readUInt16BE(0) : lo;
          o.port = hi !== lo ? { range: [lo, hi] } : lo;
        }
        out.push({ [String(e.natType)]: o });
        break;
      }
      case 'reject':
        if (e.rejectType === 'tcp_rst') out.push({ reject: { type: 'tcp reset' } });
        else if (e.rejectType === 'icmpx_unreach') out.push({ reject: { type: 'icmpx', expr: ICMPX[e.icmpCode ?? 0] } });
        else out.push({ reject: { type: 'icmp', expr: ICMP[e.icmpCode ?? 0] } });
        break;
      default:
        fail(`expression ${e.type}`);
    }
  }
  const o: Json = { family: r.family, table: r.table, chain: r.chain, handle: Number(r.handle) };
  const comment = nft.udataComment(r.userdata);
  if (comment !== undefined) o.comment = comment;
  o.expr = out;
  return { rule: o };
}

/** The whole ruleset in nft's order: per table, its sets, chains, then rules by chain. */
export function rulesetJson(
  tables: nft.NftTable[],
  chains: nft.NftChain[],
  sets: { set: nft.NftSet; elems: nft.NftSetElem[] }[],
  rules: nft.NftRule[],
): Json[] {
  const out: Json[] = [];
  for (const t of tables) {
    const mine = <T extends { family: unknown; table?: string }>(x: T) => x.family === t.family && x.table === t.name;
    const tsets = sets.filter((s) => mine(s.set));
    const byName = new Map(tsets.map((s) => [s.set.name!, s]));
    out.push(tableJson(t));
    for (const s of tsets) if (!((s.set.flags ?? 0) & NFT_SET_ANONYMOUS)) out.push(setJson(s.set, s.elems));
    const tchains = chains.filter(mine);
    for (const c of tchains) out.push(chainJson(c));
    for (const c of tchains) for (const r of rules.filter((x) => mine(x) && x.chain === c.name)) out.push(ruleJson(r, byName));
  }
  return out;
}
