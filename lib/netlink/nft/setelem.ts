/**
 * Set elements: NFT_MSG_NEWSETELEM / DELSETELEM / GETSETELEM bodies — a list header
 * (table, set or set id) and NFTA_SET_ELEM_LIST_ELEMENTS, one NFTA_LIST_ELEM per element.
 *
 * Intervals: a plain interval set stores each range as two elements, the start and the
 * first value after it flagged NFT_SET_ELEM_INTERVAL_END. A concatenated interval set
 * (pipapo) instead gives each element its own NFTA_SET_ELEM_KEY_END (inclusive).
 */
import { AttrWriter, parseAttrs, RawAttr, writeRawAttrs } from '../attr';
import * as K from '../constants/nftables';
import { binary, field, FieldSpec, readFields, string, writeFields } from '../fields';
import { be32, be64, nest } from './codecs';
import { NftData } from './data';
import { decodeObject, NftObjectBase, writeObject } from './object';
import { anyData, valueData } from './expr/types';

export interface NftSetElem {
  /** NFT_SET_ELEM_INTERVAL_END, NFT_SET_ELEM_CATCHALL. */
  flags?: number;
  key?: Buffer;
  keyEnd?: Buffer;
  /** Maps: the value, or the verdict of a verdict map. */
  data?: NftData;
  /** ms. */
  timeout?: bigint;
  /** Reply only: ms left. */
  expiration?: bigint;
  userdata?: Buffer;
  objref?: string;
  unknown?: RawAttr[];
}

export interface NftSetElemList extends NftObjectBase {
  table: string;
  set?: string;
  /** Batch-local id of a set created in the same batch. */
  setId?: number;
  elements?: NftSetElem[];
}

// As captured from nft: FLAGS, KEY, KEY_END, DATA.
const ELEM: readonly FieldSpec<NftSetElem>[] = [
  field('flags', K.NFTA_SET_ELEM_FLAGS, be32),
  field('key', K.NFTA_SET_ELEM_KEY, valueData),
  field('keyEnd', K.NFTA_SET_ELEM_KEY_END, valueData),
  field('data', K.NFTA_SET_ELEM_DATA, anyData),
  field('timeout', K.NFTA_SET_ELEM_TIMEOUT, be64),
  field('expiration', K.NFTA_SET_ELEM_EXPIRATION, be64),
  field('userdata', K.NFTA_SET_ELEM_USERDATA, binary),
  field('objref', K.NFTA_SET_ELEM_OBJREF, string),
];

// As captured from nft: TABLE, SET, SET_ID, ELEMENTS.
const LIST: readonly FieldSpec<NftSetElemList>[] = [
  field('table', K.NFTA_SET_ELEM_LIST_TABLE, string),
  field('set', K.NFTA_SET_ELEM_LIST_SET, string),
  field('setId', K.NFTA_SET_ELEM_LIST_SET_ID, be32),
];

function writeElem(w: AttrWriter, e: NftSetElem): void {
  writeFields(w, e, ELEM);
  writeRawAttrs(w, e.unknown);
}

function decodeElem(body: Buffer): NftSetElem {
  const e: NftSetElem = {};
  const unknown = readFields(parseAttrs(body), ELEM, e, new Set(), new Set([K.NFTA_SET_ELEM_PAD]));
  if (unknown.length) e.unknown = unknown;
  return e;
}

export function writeSetElemList(w: AttrWriter, l: NftSetElemList): void {
  writeObject(w, l, LIST, (x) => {
    // libnftnl numbers the element nests 1, 2, 3… (the kernel reads any nest type and
    // itself answers with NFTA_LIST_ELEM); numbering them keeps our bytes equal to nft's.
    if (l.elements !== undefined) {
      nest(x, K.NFTA_SET_ELEM_LIST_ELEMENTS, (n) => l.elements!.forEach((e, i) => nest(n, (i + 1) & 0x3fff, (m) => writeElem(m, e))));
    }
  });
}

export function decodeSetElemList(payload: Buffer): NftSetElemList {
  return decodeObject(payload, LIST, new Set([K.NFTA_SET_ELEM_LIST_ELEMENTS]), new Set(), (l, attrs) => {
    for (const a of attrs) {
      l.elements = parseAttrs(a.data).map((x) => decodeElem(x.data));
    }
  });
}
