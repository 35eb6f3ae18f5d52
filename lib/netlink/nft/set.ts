/**
 * Sets and maps: NFT_MSG_NEWSET / DELSET / GETSET bodies. The kernel knows a set only by
 * key length and flags; `keyType`/`dataType` are nft's datatype ids (build/datatypes.ts)
 * stored for nft to print elements. A concatenated key (`ipv4_addr . inet_service`) has
 * each field padded to 4 bytes (one register each); NFTA_SET_DESC_CONCAT lists the field
 * lengths, which the kernel needs to pick the pipapo backend for concat + interval.
 */
import { AttrWriter, parseAttrs, RawAttr, writeRawAttrs } from '../attr';
import * as K from '../constants/nftables';
import { NetlinkDecodeError } from '../errors';
import { binary, field, FieldSpec, string, writeFields } from '../fields';
import { be32, be64, nest, putBe32, readBe32 } from './codecs';
import { decodeObject, NftObjectBase, writeObject } from './object';

export interface NftSetDesc {
  /** Expected number of elements (anonymous sets: exact). */
  size?: number;
  /** Byte length of each field of a concatenated key (before padding). */
  concat?: number[];
  unknown?: RawAttr[];
}

export interface NftSet extends NftObjectBase {
  table: string;
  name?: string;
  handle?: bigint;
  /** NFT_SET_ANONYMOUS | CONSTANT | INTERVAL | MAP | TIMEOUT | EVAL | OBJECT | CONCAT… */
  flags?: number;
  keyType?: number;
  keyLen?: number;
  /** Maps: nft datatype id of the data, or NFT_DATA_VERDICT for a verdict map. */
  dataType?: number;
  /** Maps: data length in bytes (0 for verdicts). */
  dataLen?: number;
  /** NFT_SET_POL_PERFORMANCE | NFT_SET_POL_MEMORY. */
  policy?: number;
  desc?: NftSetDesc;
  /** Batch-local id, for lookups and elements in the same batch (NFTA_*_SET_ID). */
  id?: number;
  /** Default element timeout, ms. */
  timeout?: bigint;
  gcInterval?: number;
  userdata?: Buffer;
  objType?: number;
}

function writeDesc(w: AttrWriter, d: NftSetDesc): void {
  nest(w, K.NFTA_SET_DESC, (n) => {
    if (d.size !== undefined) putBe32(n, K.NFTA_SET_DESC_SIZE, d.size, 'desc.size');
    if (d.concat !== undefined) {
      nest(n, K.NFTA_SET_DESC_CONCAT, (c) =>
        d.concat!.forEach((len, i) => nest(c, K.NFTA_LIST_ELEM, (e) => putBe32(e, K.NFTA_SET_FIELD_LEN, len, `desc.concat[${i}]`))),
      );
    }
    writeRawAttrs(n, d.unknown);
  });
}

function decodeDesc(a: RawAttr): NftSetDesc {
  const d: NftSetDesc = {};
  const unknown: RawAttr[] = [];
  for (const x of parseAttrs(a.data)) {
    if (x.type === K.NFTA_SET_DESC_SIZE) d.size = readBe32(x);
    else if (x.type === K.NFTA_SET_DESC_CONCAT) {
      d.concat = parseAttrs(x.data)
        .filter((e) => e.type === K.NFTA_LIST_ELEM)
        .map((e) => {
          const len = parseAttrs(e.data).find((f) => f.type === K.NFTA_SET_FIELD_LEN);
          if (len === undefined) throw new NetlinkDecodeError('NFTA_SET_DESC_CONCAT field without NFTA_SET_FIELD_LEN');
          return readBe32(len);
        });
    } else unknown.push(x);
  }
  if (unknown.length) d.unknown = unknown;
  return d;
}

// As captured from nft: TABLE, NAME, FLAGS, KEY_TYPE, KEY_LEN, DATA_TYPE, DATA_LEN,
// (POLICY), ID, DESC, USERDATA.
const HEAD: readonly FieldSpec<NftSet>[] = [
  field('table', K.NFTA_SET_TABLE, string),
  field('name', K.NFTA_SET_NAME, string),
  field('handle', K.NFTA_SET_HANDLE, be64),
  field('flags', K.NFTA_SET_FLAGS, be32),
  field('keyType', K.NFTA_SET_KEY_TYPE, be32),
  field('keyLen', K.NFTA_SET_KEY_LEN, be32),
  field('dataType', K.NFTA_SET_DATA_TYPE, be32),
  field('dataLen', K.NFTA_SET_DATA_LEN, be32),
  field('objType', K.NFTA_SET_OBJ_TYPE, be32),
  field('policy', K.NFTA_SET_POLICY, be32),
  field('id', K.NFTA_SET_ID, be32),
];
const TAIL: readonly FieldSpec<NftSet>[] = [
  field('timeout', K.NFTA_SET_TIMEOUT, be64),
  field('gcInterval', K.NFTA_SET_GC_INTERVAL, be32),
  field('userdata', K.NFTA_SET_USERDATA, binary),
];
const ALL = [...HEAD, ...TAIL];

export function writeSet(w: AttrWriter, s: NftSet): void {
  writeObject(w, s, HEAD, (x) => {
    if (s.desc !== undefined) writeDesc(x, s.desc);
    writeFields(x, s, TAIL);
  });
}

export function decodeSet(payload: Buffer): NftSet {
  return decodeObject(payload, ALL, new Set([K.NFTA_SET_DESC]), new Set([K.NFTA_SET_PAD]), (s, attrs) => {
    for (const a of attrs) s.desc = decodeDesc(a);
  });
}
