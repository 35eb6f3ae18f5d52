/**
 * Userdata (NFTA_TABLE/CHAIN/RULE/SET_USERDATA) is opaque to the kernel; nft and libnftnl
 * store type-length-value records there: u8 type, u8 length, value. A rule's or table's
 * comment is record 0 (NFTNL_UDATA_RULE_COMMENT, _TABLE_COMMENT), NUL-terminated; sets
 * keep key/data byte order (NFTNL_UDATA_SET_KEYBYTEORDER = 0, _DATABYTEORDER = 1, as a
 * host-order u32: 1 host, 2 big-endian) and their comment as record 7. nft prints these
 * back; the kernel only stores them (at most NFT_USERDATA_MAXLEN bytes).
 */
import { ValidationError } from '../../errors';
import { NFT_USERDATA_MAXLEN } from '../constants/nftables';
import { NetlinkDecodeError } from '../errors';

export const NFTNL_UDATA_TABLE_COMMENT = 0;
export const NFTNL_UDATA_CHAIN_COMMENT = 0;
export const NFTNL_UDATA_RULE_COMMENT = 0;
export const NFTNL_UDATA_SET_KEYBYTEORDER = 0;
export const NFTNL_UDATA_SET_DATABYTEORDER = 1;
export const NFTNL_UDATA_SET_MERGE_ELEMENTS = 2;
export const NFTNL_UDATA_SET_COMMENT = 7;
/** Byte-order values nft stores (enum byteorder: invalid, host, big-endian). */
export const NFT_BYTEORDER_HOST = 1;
export const NFT_BYTEORDER_BIG_ENDIAN = 2;

export interface Udata {
  type: number;
  value: Buffer;
}

export function encodeUdata(records: readonly Udata[]): Buffer {
  const parts: Buffer[] = [];
  for (const r of records) {
    if (!Number.isInteger(r.type) || r.type < 0 || r.type > 0xff || r.value.length > 0xff) {
      throw new ValidationError(`userdata: record ${r.type} does not fit u8 type/length`, { field: 'userdata' });
    }
    parts.push(Buffer.of(r.type, r.value.length), r.value);
  }
  const out = Buffer.concat(parts);
  if (out.length > NFT_USERDATA_MAXLEN) throw new ValidationError(`userdata: ${out.length} bytes, more than ${NFT_USERDATA_MAXLEN}`, { field: 'userdata' });
  return out;
}

export function decodeUdata(buf: Buffer): Udata[] {
  const out: Udata[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < 2 || buf[off + 1]! > buf.length - off - 2) throw new NetlinkDecodeError('truncated userdata record', off);
    out.push({ type: buf[off]!, value: Buffer.from(buf.subarray(off + 2, off + 2 + buf[off + 1]!)) });
    off += 2 + buf[off + 1]!;
  }
  return out;
}

/** A comment record (NUL-terminated, as nft writes it). */
export function commentUdata(comment: string, type = NFTNL_UDATA_RULE_COMMENT): Buffer {
  if (typeof comment !== 'string' || comment.includes('\0')) throw new ValidationError('comment: not a NUL-free string', { field: 'comment' });
  return encodeUdata([{ type, value: Buffer.from(`${comment}\0`, 'utf8') }]);
}

/** The comment in userdata, if there is one. Malformed userdata is no comment. */
export function udataComment(buf: Buffer | undefined, type = NFTNL_UDATA_RULE_COMMENT): string | undefined {
  if (buf === undefined) return undefined;
  try {
    const r = decodeUdata(buf).find((x) => x.type === type);
    if (r === undefined) return undefined;
    const nul = r.value.indexOf(0);
    return r.value.toString('utf8', 0, nul === -1 ? r.value.length : nul);
  } catch {
    return undefined;
  }
}

/** A u32 record in host order (set byte order records). */
export function u32Udata(type: number, value: number): Udata {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  return { type, value: b };
}
