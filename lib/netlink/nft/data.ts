/**
 * struct nft_data as netlink carries it: NFTA_DATA_VALUE (raw bytes, up to 64) or
 * NFTA_DATA_VERDICT (a nest: NFTA_VERDICT_CODE as a signed __be32, NFTA_VERDICT_CHAIN
 * for jump/goto). Used by immediate, cmp, bitwise and set elements.
 */
import { ValidationError } from '../../errors';
import { AttrWriter, parseAttrs, RawAttr, readString } from '../attr';
import { NF_ACCEPT, NF_DROP, NF_QUEUE, NF_REPEAT, NF_STOLEN, NF_STOP } from '../constants/nfnetlink';
import {
  NFT_BREAK,
  NFT_CONTINUE,
  NFT_DATA_VALUE_MAXLEN,
  NFT_GOTO,
  NFT_JUMP,
  NFT_RETURN,
  NFTA_DATA_VALUE,
  NFTA_DATA_VERDICT,
  NFTA_VERDICT_CHAIN,
  NFTA_VERDICT_CHAIN_ID,
  NFTA_VERDICT_CODE,
} from '../constants/nftables';
import { NetlinkDecodeError } from '../errors';
import { byType, nest, putBe32, putBeS32, putName, readBe32, readBeS32 } from './codecs';

/** Verdicts without a target, by nft's names. */
export type SimpleVerdictKind = 'accept' | 'drop' | 'continue' | 'break' | 'return' | 'queue' | 'stolen' | 'repeat' | 'stop';

export type Verdict =
  | { kind: SimpleVerdictKind }
  /** jump pushes the current chain on the stack; goto does not (return goes back further). */
  | { kind: 'jump' | 'goto'; chain?: string; chainId?: number }
  /** A verdict code nsnet has no name for (NF_DROP with an errno, NF_QUEUE with a number…). */
  | { kind: 'code'; code: number };

const CODES: Record<SimpleVerdictKind | 'jump' | 'goto', number> = {
  accept: NF_ACCEPT,
  drop: NF_DROP,
  stolen: NF_STOLEN,
  queue: NF_QUEUE,
  repeat: NF_REPEAT,
  stop: NF_STOP,
  continue: NFT_CONTINUE,
  break: NFT_BREAK,
  jump: NFT_JUMP,
  goto: NFT_GOTO,
  return: NFT_RETURN,
};
const KINDS = new Map<number, keyof typeof CODES>(Object.entries(CODES).map(([k, v]) => [v, k as keyof typeof CODES]));

/** Register contents: a value, or (only for the verdict register / verdict maps) a verdict. */
export type NftData = { value: Buffer } | { verdict: Verdict };

export function writeVerdict(w: AttrWriter, v: Verdict, field = 'verdict'): void {
  if (v.kind === 'code') {
    putBeS32(w, NFTA_VERDICT_CODE, v.code, field);
    return;
  }
  const code = CODES[v.kind];
  if (code === undefined) throw new ValidationError(`${field}: unknown verdict '${String(v.kind)}'`, { field });
  putBeS32(w, NFTA_VERDICT_CODE, code, field);
  if (v.kind === 'jump' || v.kind === 'goto') {
    if (v.chain === undefined && v.chainId === undefined) {
      throw new ValidationError(`${field}: ${v.kind} needs a chain`, { field });
    }
    if (v.chain !== undefined) putName(w, NFTA_VERDICT_CHAIN, v.chain, `${field}.chain`);
    if (v.chainId !== undefined) putBe32(w, NFTA_VERDICT_CHAIN_ID, v.chainId, `${field}.chainId`);
  }
}

export function decodeVerdict(attrs: readonly RawAttr[]): Verdict {
  const m = byType(attrs);
  const codeAttr = m.get(NFTA_VERDICT_CODE);
  if (codeAttr === undefined) throw new NetlinkDecodeError('verdict without NFTA_VERDICT_CODE');
  const code = readBeS32(codeAttr);
  const kind = KINDS.get(code);
  if (kind === undefined) return { kind: 'code', code };
  if (kind === 'jump' || kind === 'goto') {
    const v: Verdict = { kind };
    const chain = m.get(NFTA_VERDICT_CHAIN);
    const id = m.get(NFTA_VERDICT_CHAIN_ID);
    if (chain !== undefined) v.chain = readString(chain);
    if (id !== undefined) v.chainId = readBe32(id);
    return v;
  }
  return { kind };
}

/** A raw value, checked against NFT_DATA_VALUE_MAXLEN. */
export function writeValue(w: AttrWriter, value: Buffer, field = 'value'): void {
  if (!Buffer.isBuffer(value) || value.length === 0 || value.length > NFT_DATA_VALUE_MAXLEN) {
    throw new ValidationError(`${field}: a value must be 1..${NFT_DATA_VALUE_MAXLEN} bytes`, { field });
  }
  w.attr(NFTA_DATA_VALUE, value);
}

/** The body of an attribute holding struct nft_data (NFTA_CMP_DATA, NFTA_IMMEDIATE_DATA…). */
export function writeData(w: AttrWriter, data: NftData, field = 'data'): void {
  if ('verdict' in data) nest(w, NFTA_DATA_VERDICT, (n) => writeVerdict(n, data.verdict, field));
  else writeValue(w, data.value, field);
}

/** Reads the body of an nft_data attribute. */
export function decodeData(a: RawAttr): NftData {
  const inner = parseAttrs(a.data);
  const m = byType(inner);
  const value = m.get(NFTA_DATA_VALUE);
  if (value !== undefined) return { value: Buffer.from(value.data) };
  const verdict = m.get(NFTA_DATA_VERDICT);
  if (verdict !== undefined) return { verdict: decodeVerdict(parseAttrs(verdict.data)) };
  throw new NetlinkDecodeError(`attribute ${a.type}: nft_data with neither value nor verdict`);
}

/** An nft_data attribute that must hold a value (cmp, bitwise, set keys). */
export function decodeValue(a: RawAttr): Buffer {
  const d = decodeData(a);
  if (!('value' in d)) throw new NetlinkDecodeError(`attribute ${a.type}: a verdict where a value belongs`);
  return d.value;
}
