/**
 * Value codecs for nf_tables attributes, for fields.ts tables. nf_tables sends nearly
 * every integer big-endian (NLA_BE32 / nla_put_be32; handles and positions
 * nla_put_be64), unlike rtnetlink's host-order integers, so these differ from the ones
 * in fields.ts. Nests are written with NLA_F_NESTED, as libnftnl does.
 */
import { ValidationError } from '../../errors';
import { AttrWriter, RawAttr } from '../attr';
import { NetlinkDecodeError } from '../errors';
import type { ValueCodec } from '../fields';

function need(a: RawAttr, n: number, what: string): void {
  if (a.data.length < n) throw new NetlinkDecodeError(`attribute ${a.type}: ${a.data.length} bytes, too short for ${what}`);
}

function checkInt(value: number, min: number, max: number, field: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(`${field}: ${String(value)} is not in ${min}..${max}`, { field });
  }
}

export function putBe32(w: AttrWriter, type: number, value: number, field = `attribute ${type}`): void {
  checkInt(value, 0, 0xffffffff, field);
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value);
  w.attr(type, b);
}

/** A signed __be32 (chain priority, verdict code). */
export function putBeS32(w: AttrWriter, type: number, value: number, field = `attribute ${type}`): void {
  checkInt(value, -0x80000000, 0x7fffffff, field);
  const b = Buffer.alloc(4);
  b.writeInt32BE(value);
  w.attr(type, b);
}

export function putBe64(w: AttrWriter, type: number, value: bigint, field = `attribute ${type}`): void {
  if (typeof value !== 'bigint' || value < 0n || value > 0xffffffffffffffffn) {
    throw new ValidationError(`${field}: ${String(value)} is not a u64`, { field });
  }
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(value);
  w.attr(type, b);
}

export function readBe32(a: RawAttr): number {
  need(a, 4, 'be32');
  return a.data.readUInt32BE(0);
}

export function readBeS32(a: RawAttr): number {
  need(a, 4, 'be32');
  return a.data.readInt32BE(0);
}

export function readBe64(a: RawAttr): bigint {
  need(a, 8, 'be64');
  return a.data.readBigUInt64BE(0);
}

export const be32: ValueCodec<number> = { write: (w, t, v, f) => putBe32(w, t, v, f), read: readBe32 };
export const beS32: ValueCodec<number> = { write: (w, t, v, f) => putBeS32(w, t, v, f), read: readBeS32 };
export const be64: ValueCodec<bigint> = { write: (w, t, v, f) => putBe64(w, t, v, f), read: readBe64 };

/** A nest with NLA_F_NESTED set (libnftnl sets it on every nest it builds). */
export function nest(w: AttrWriter, type: number, fill: (w: AttrWriter) => void): void {
  w.nest(type, fill, true);
}

/** A NUL-terminated name, bounded like the kernel's NFT_NAME_MAXLEN (255 bytes + NUL). */
export function putName(w: AttrWriter, type: number, value: string, field: string): void {
  if (typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value) > 255) {
    throw new ValidationError(`${field}: '${String(value)}' is not a name of 1..255 bytes`, { field });
  }
  w.string(type, value, field);
}

/** Attribute type → first attribute of that type, for decoders that read named fields. */
export function byType(attrs: readonly RawAttr[]): Map<number, RawAttr> {
  const m = new Map<number, RawAttr>();
  for (const a of attrs) if (!m.has(a.type)) m.set(a.type, a);
  return m;
}
