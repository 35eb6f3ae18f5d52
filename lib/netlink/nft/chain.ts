/**
 * Chains: NFT_MSG_NEWCHAIN / DELCHAIN / GETCHAIN bodies. A base chain has a hook
 * (number, priority, optional device), a type ('filter', 'nat', 'route') and a policy
 * (NF_ACCEPT / NF_DROP, __be32); a regular chain has none of these and is only reached
 * by jump/goto.
 */
import { AttrWriter, parseAttrs, RawAttr, readString, writeRawAttrs } from '../attr';
import * as K from '../constants/nftables';
import { NetlinkDecodeError } from '../errors';
import { binary, field, FieldSpec, string, writeFields } from '../fields';
import { be32, be64, nest, putBe32, putBeS32, putName, readBe32, readBeS32 } from './codecs';
import { decodeObject, NftObjectBase, writeObject } from './object';

export interface NftHook {
  /** NF_INET_* (or NF_NETDEV_* in the netdev family). */
  num: number;
  /** Signed; lower runs first (NF_IP_PRI_NAT_DST = -100, filter = 0, srcnat = 100). */
  priority: number;
  /** netdev family / inet ingress: the device. */
  dev?: string;
  /** Several devices (NFTA_HOOK_DEVS); the kernel dumps this list and `dev` both. */
  devs?: string[];
  unknown?: RawAttr[];
}

export interface NftChain extends NftObjectBase {
  table: string;
  name?: string;
  handle?: bigint;
  hook?: NftHook;
  /** NF_ACCEPT or NF_DROP; base chains only. */
  policy?: number;
  /** 'filter' | 'nat' | 'route'; base chains only. */
  type?: string;
  /** Reply only: number of references (rules, jumps). */
  use?: number;
  /** NFT_CHAIN_BASE, NFT_CHAIN_HW_OFFLOAD, NFT_CHAIN_BINDING. */
  flags?: number;
  /** Batch-local id, for rules added in the same batch (NFTA_RULE_CHAIN_ID). */
  id?: number;
  userdata?: Buffer;
}

function writeHook(w: AttrWriter, h: NftHook): void {
  nest(w, K.NFTA_CHAIN_HOOK, (n) => {
    putBe32(n, K.NFTA_HOOK_HOOKNUM, h.num, 'hook.num');
    putBeS32(n, K.NFTA_HOOK_PRIORITY, h.priority, 'hook.priority');
    if (h.dev !== undefined) putName(n, K.NFTA_HOOK_DEV, h.dev, 'hook.dev');
    if (h.devs !== undefined) {
      nest(n, K.NFTA_HOOK_DEVS, (d) => h.devs!.forEach((dev, i) => putName(d, K.NFTA_DEVICE_NAME, dev, `hook.devs[${i}]`)));
    }
    writeRawAttrs(n, h.unknown);
  });
}

function decodeHook(a: RawAttr): NftHook {
  let num: number | undefined;
  let priority: number | undefined;
  const hook = {} as NftHook;
  const unknown: RawAttr[] = [];
  for (const x of parseAttrs(a.data)) {
    if (x.type === K.NFTA_HOOK_HOOKNUM) num = readBe32(x);
    else if (x.type === K.NFTA_HOOK_PRIORITY) priority = readBeS32(x);
    else if (x.type === K.NFTA_HOOK_DEV) hook.dev = readString(x);
    else if (x.type === K.NFTA_HOOK_DEVS) hook.devs = parseAttrs(x.data).filter((d) => d.type === K.NFTA_DEVICE_NAME).map(readString);
    else unknown.push(x);
  }
  if (num === undefined || priority === undefined) throw new NetlinkDecodeError('NFTA_CHAIN_HOOK without hook number or priority');
  const out: NftHook = { num, priority };
  if (hook.dev !== undefined) out.dev = hook.dev;
  if (hook.devs !== undefined) out.devs = hook.devs;
  if (unknown.length) out.unknown = unknown;
  return out;
}

// libnftnl's order (as captured): TABLE, NAME, TYPE, POLICY, HOOK; the hook is written
// between the two tables. Then what deletes, batches and replies carry.
const HEAD: readonly FieldSpec<NftChain>[] = [
  field('table', K.NFTA_CHAIN_TABLE, string),
  field('handle', K.NFTA_CHAIN_HANDLE, be64),
  field('name', K.NFTA_CHAIN_NAME, string),
  field('type', K.NFTA_CHAIN_TYPE, string),
  field('policy', K.NFTA_CHAIN_POLICY, be32),
];
const TAIL: readonly FieldSpec<NftChain>[] = [
  field('flags', K.NFTA_CHAIN_FLAGS, be32),
  field('id', K.NFTA_CHAIN_ID, be32),
  field('use', K.NFTA_CHAIN_USE, be32),
  field('userdata', K.NFTA_CHAIN_USERDATA, binary),
];
const ALL = [...HEAD, ...TAIL];

export function writeChain(w: AttrWriter, c: NftChain): void {
  writeObject(w, c, HEAD, (x) => {
    if (c.hook !== undefined) writeHook(x, c.hook);
    writeFields(x, c, TAIL);
  });
}

export function decodeChain(payload: Buffer): NftChain {
  return decodeObject(payload, ALL, new Set([K.NFTA_CHAIN_HOOK]), new Set([K.NFTA_CHAIN_PAD]), (c, attrs) => {
    for (const a of attrs) c.hook = decodeHook(a);
  });
}
