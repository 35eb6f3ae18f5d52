/**
 * Tables, chains, sets and rules from what a caller means, with nft's defaults, so that
 * what we install lists in `nft list ruleset` exactly like the same text given to nft:
 *
 *   table('inet', 'nsnet')
 *   baseChain({ family: 'inet', table: 'nsnet', name: 'forward', type: 'filter', hook: 'forward', priority: 'filter', policy: 'drop' })
 *   chain({ family: 'inet', table: 'nsnet', name: 'fwd-br0' })
 *   set({ family: 'inet', table: 'nsnet', name: 'pub', key: ['ipv4_addr', 'inet_service'], data: ['ipv4_addr', 'inet_service'] })
 *   rule({ family: 'inet', table: 'nsnet', chain: 'forward', parts: [match.iifname('br0'), verdict.accept()] })
 */
import { ValidationError } from '../../../errors';
import * as nfnl from '../../constants/nfnetlink';
import * as K from '../../constants/nftables';
import type { NftChain } from '../chain';
import type { Verdict } from '../data';
import type { NftFamily } from '../family';
import type { NftRule } from '../rule';
import type { NftSet } from '../set';
import type { NftSetElem } from '../setelem';
import type { NftTable } from '../table';
import { commentUdata, encodeUdata, NFT_BYTEORDER_BIG_ENDIAN, NFT_BYTEORDER_HOST, NFTNL_UDATA_SET_DATABYTEORDER, NFTNL_UDATA_SET_KEYBYTEORDER, NFTNL_UDATA_TABLE_COMMENT, u32Udata, Udata } from '../udata';
import { DatatypeName, datatype, keySpec, VERDICT_DATA_TYPE } from './datatypes';
import { RulePart, ruleExprs } from './part';
import { encodeKey, parsePrefix, prefixEnd, Value } from './values';

/** `table FAMILY NAME` (flags 0, as nft sends them). */
export function table(family: NftFamily, name: string, opts: { comment?: string } = {}): NftTable {
  const t: NftTable = { family, name, flags: 0 };
  if (opts.comment !== undefined) t.userdata = commentUdata(opts.comment, NFTNL_UDATA_TABLE_COMMENT);
  return t;
}

export type HookName = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting' | 'ingress' | 'egress';

/** Hook numbers per family: netdev has its own numbering, inet adds ingress. */
export function hookNumber(family: NftFamily, hook: HookName): number {
  if (family === 'netdev') {
    if (hook === 'ingress') return nfnl.NF_NETDEV_INGRESS;
    if (hook === 'egress') return nfnl.NF_NETDEV_EGRESS;
  } else {
    const n = {
      prerouting: nfnl.NF_INET_PRE_ROUTING,
      input: nfnl.NF_INET_LOCAL_IN,
      forward: nfnl.NF_INET_FORWARD,
      output: nfnl.NF_INET_LOCAL_OUT,
      postrouting: nfnl.NF_INET_POST_ROUTING,
      ingress: family === 'inet' ? nfnl.NF_INET_INGRESS : undefined,
      egress: undefined,
    }[hook];
    if (n !== undefined) return n;
  }
  throw new ValidationError(`hook: '${String(hook)}' is not a hook of the ${family} family`, { field: 'hook' });
}

/** nft's named priorities for the ip, ip6 and inet families. */
export const PRIORITIES = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 } as const;
export type PriorityName = keyof typeof PRIORITIES;

export interface BaseChainSpec {
  family: NftFamily;
  table: string;
  name: string;
  type: 'filter' | 'nat' | 'route';
  hook: HookName;
  priority: number | PriorityName;
  /** Omitted: none is sent and the kernel uses accept (as nft does). */
  policy?: 'accept' | 'drop';
  device?: string;
}

/** `chain … { type T hook H [device D] priority P; [policy X;] }`. */
export function baseChain(s: BaseChainSpec): NftChain {
  const priority = typeof s.priority === 'number' ? s.priority : PRIORITIES[s.priority];
  if (priority === undefined || !Number.isInteger(priority)) {
    throw new ValidationError(`priority: '${String(s.priority)}' is not a priority`, { field: 'priority' });
  }
  const c: NftChain = { family: s.family, table: s.table, name: s.name, type: s.type, hook: { num: hookNumber(s.family, s.hook), priority } };
  if (s.device !== undefined) c.hook!.dev = s.device;
  if (s.policy !== undefined) {
    if (s.policy !== 'accept' && s.policy !== 'drop') throw new ValidationError(`policy: '${String(s.policy)}' is not accept or drop`, { field: 'policy' });
    c.policy = s.policy === 'accept' ? nfnl.NF_ACCEPT : nfnl.NF_DROP;
  }
  return c;
}

/** A regular chain, reached only by jump/goto. */
export function chain(s: { family: NftFamily; table: string; name: string }): NftChain {
  return { family: s.family, table: s.table, name: s.name };
}

export type SetFlag = 'constant' | 'interval' | 'timeout';

export interface SetSpec {
  family: NftFamily;
  table: string;
  name: string;
  key: DatatypeName | readonly DatatypeName[];
  /** A map's data type(s), or 'verdict' for a verdict map. */
  data?: DatatypeName | readonly DatatypeName[] | 'verdict';
  flags?: readonly SetFlag[];
  /** Batch-local id (NFTA_SET_ID), for elements and lookups in the same batch. */
  id?: number;
  /** NFTA_SET_DESC_SIZE. */
  size?: number;
  /**
   * Store nft's byte-order userdata (default true). The kernel ignores it, but nft needs
   * it to print host-order keys: without it an ifname-keyed map lists its keys as "".
   */
  nftUserdata?: boolean;
}

const SET_FLAGS: Record<SetFlag, number> = { constant: K.NFT_SET_CONSTANT, interval: K.NFT_SET_INTERVAL, timeout: K.NFT_SET_TIMEOUT };

function byteorder(names: DatatypeName | readonly DatatypeName[]): number {
  // nft records the byte order of single-type keys; concatenations mix orders (0).
  if (typeof names !== 'string' && names.length !== 1) return 0;
  const t = datatype(typeof names === 'string' ? names : names[0]!);
  return t.byteorder === 'big' ? NFT_BYTEORDER_BIG_ENDIAN : NFT_BYTEORDER_HOST;
}

/**
 * `set|map … { type K [: D]; [flags …;] }`. A concatenated interval set also gets
 * NFT_SET_CONCAT and NFTA_SET_DESC_CONCAT (the field lengths pipapo needs), as nft sends.
 */
export function set(s: SetSpec): NftSet {
  const key = keySpec(s.key, 'key');
  let flags = 0;
  for (const f of s.flags ?? []) {
    const bit = SET_FLAGS[f];
    if (bit === undefined) throw new ValidationError(`flags: unknown set flag '${String(f)}'`, { field: 'flags' });
    flags |= bit;
  }
  const out: NftSet = { family: s.family, table: s.table, name: s.name, keyType: key.type, keyLen: key.len };
  const concat = key.fields.length > 1;
  if (concat && flags & K.NFT_SET_INTERVAL) flags |= K.NFT_SET_CONCAT;
  if (s.data !== undefined) {
    flags |= K.NFT_SET_MAP;
    if (s.data === 'verdict') {
      out.dataType = VERDICT_DATA_TYPE;
      out.dataLen = 0;
    } else {
      const d = keySpec(s.data, 'data');
      out.dataType = d.type;
      out.dataLen = d.len;
    }
  }
  out.flags = flags;
  if (s.id !== undefined) out.id = s.id;
  if (s.size !== undefined || (concat && flags & K.NFT_SET_INTERVAL)) {
    out.desc = {};
    if (s.size !== undefined) out.desc.size = s.size;
    if (concat && flags & K.NFT_SET_INTERVAL) out.desc.concat = key.fields;
  }
  if (s.nftUserdata ?? true) {
    const records: Udata[] = [u32Udata(NFTNL_UDATA_SET_KEYBYTEORDER, byteorder(s.key))];
    if (s.data !== undefined && s.data !== 'verdict') records.push(u32Udata(NFTNL_UDATA_SET_DATABYTEORDER, byteorder(s.data)));
    else if (s.data === 'verdict') records.push(u32Udata(NFTNL_UDATA_SET_DATABYTEORDER, 0));
    out.userdata = encodeUdata(records);
  }
  return out;
}

export interface RuleSpec {
  family: NftFamily;
  table: string;
  chain: string;
  parts: readonly RulePart[];
  comment?: string;
  /** Add after (or, with insert, before) the rule with this handle. */
  position?: bigint;
  /** For replace. */
  handle?: bigint;
}

/** A rule from parts, dependencies resolved for the table's family. */
export function rule(s: RuleSpec): NftRule {
  const r: NftRule = { family: s.family, table: s.table, chain: s.chain, exprs: ruleExprs(s.family, s.parts) };
  if (s.handle !== undefined) r.handle = s.handle;
  if (s.position !== undefined) r.position = s.position;
  if (s.comment !== undefined) r.userdata = commentUdata(s.comment);
  return r;
}

// ── elements ─────────────────────────────────────────────────────────────────────────

/** Elements of a set: one key each (`{ 80, 443 }`, `{ 10.0.0.1 . 80 }`). */
export function keyElements(key: DatatypeName | readonly DatatypeName[], values: readonly (Value | readonly Value[])[]): NftSetElem[] {
  return values.map((v, i) => ({ key: encodeKey(key, v as Value | Value[], `elements[${i}]`) }));
}

/** Elements of a map: key → data (`{ 10.0.0.1 . 8080 : 172.17.0.2 . 80 }`). */
export function mapElements(
  key: DatatypeName | readonly DatatypeName[],
  data: DatatypeName | readonly DatatypeName[],
  entries: readonly [Value | readonly Value[], Value | readonly Value[]][],
): NftSetElem[] {
  return entries.map(([k, d], i) => ({
    key: encodeKey(key, k as Value | Value[], `elements[${i}].key`),
    data: { value: encodeKey(data, d as Value | Value[], `elements[${i}].data`) },
  }));
}

/** Elements of a verdict map (`{ "br0" : jump fwd-br0 }`). */
export function verdictElements(key: DatatypeName | readonly DatatypeName[], entries: readonly [Value | readonly Value[], Verdict][]): NftSetElem[] {
  return entries.map(([k, v], i) => ({ key: encodeKey(key, k as Value | Value[], `elements[${i}].key`), data: { verdict: v } }));
}

/**
 * Elements of a plain (non-concatenated) interval set of addresses: each prefix is a
 * start element and an NFT_SET_ELEM_INTERVAL_END element at the first address after it
 * (none when the prefix reaches the end of the address space).
 */
export function prefixElements(family: 4 | 6, prefixes: readonly string[]): NftSetElem[] {
  return prefixes.flatMap((text, i) => {
    const p = parsePrefix(text, family, `elements[${i}]`);
    const end = prefixEnd(p);
    const out: NftSetElem[] = [{ key: p.addr }];
    if (end !== undefined) out.push({ key: end, flags: K.NFT_SET_ELEM_INTERVAL_END });
    return out;
  });
}

/**
 * An element of a concatenated interval set (pipapo): every field a range, given as its
 * inclusive first and last values; NFTA_SET_ELEM_KEY_END holds the last.
 */
export function rangeElement(key: readonly DatatypeName[], first: readonly Value[], last: readonly Value[]): NftSetElem {
  return { key: encodeKey(key, first, 'first'), keyEnd: encodeKey(key, last, 'last') };
}
