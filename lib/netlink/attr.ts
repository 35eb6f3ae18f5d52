/**
 * Netlink attributes (struct nlattr: len u16, type u16, payload, padded to 4 bytes).
 *
 * AttrWriter builds a message body; parseAttrs reads one back. Integers are host byte
 * order (little-endian on every platform Node's Linux builds target) unless the helper
 * says "be": a few attributes (IFLA_VXLAN_PORT) are big-endian by kernel definition.
 */
import { ValidationError } from '../errors';
import { NLA_F_NESTED, NLA_F_NET_BYTEORDER, NLA_HDRLEN, NLA_TYPE_MASK, NLMSG_ALIGNTO } from './constants/netlink';
import { NetlinkDecodeError } from './errors';

/** Rounds up to the 4-byte alignment of messages and attributes. */
export function align4(n: number): number {
  return (n + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1);
}

/**
 * An attribute as parsed: `type` without NLA_F_NESTED / NLA_F_NET_BYTEORDER; `flags`
 * holds those bits only when set, so unknown attributes re-encode byte for byte.
 */
export interface RawAttr {
  type: number;
  data: Buffer;
  flags?: number;
}

function rangeError(field: string, what: string, value: unknown): ValidationError {
  return new ValidationError(`${field}: ${String(value)} is not ${what}`, { field });
}

function checkInt(value: number, min: number, max: number, field: string, what: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw rangeError(field, what, value);
  }
}

/**
 * Range check for fixed-struct fields (ifinfomsg, rtmsg…), which have no attribute to
 * blame: returns the value, or throws ValidationError naming the field.
 */
export function checkRange(value: number, min: number, max: number, field: string): number {
  checkInt(value, min, max, field, `in ${min}..${max}`);
  return value;
}

/** Growable little buffer for a message body: fixed headers, then attributes, nests. */
export class AttrWriter {
  private buf: Buffer;
  private len = 0;

  constructor(initialSize = 256) {
    // From Node's shared pool (a fresh zeroed ArrayBuffer per message costs more than the
    // message); reserve() zeroes what it hands out.
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  get length(): number {
    return this.len;
  }

  /** Reserves n zeroed bytes and returns their offset. */
  private reserve(n: number): number {
    const need = this.len + n;
    if (need > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    const at = this.len;
    this.buf.fill(0, at, need);
    this.len = need;
    return at;
  }

  /** An attribute header for a `size`-byte payload; returns where the payload goes. */
  private header(type: number, size: number, flags = 0): number {
    const len = NLA_HDRLEN + size;
    if (len > 0xffff) throw new ValidationError(`attribute ${type}: ${size} bytes do not fit nla_len`, {});
    const at = this.reserve(align4(len));
    this.buf.writeUInt16LE(len, at);
    this.buf.writeUInt16LE((type & NLA_TYPE_MASK) | flags, at + 2);
    return at + NLA_HDRLEN;
  }

  /** Appends bytes (a fixed struct such as ifinfomsg) and pads to 4. */
  raw(data: Uint8Array): this {
    const at = this.reserve(align4(data.length));
    this.buf.set(data, at);
    return this;
  }

  /** One attribute; nla_len counts header + payload but not the trailing padding. */
  attr(type: number, data: Uint8Array, flags = 0): this {
    const at = this.header(type, data.length, flags);
    this.buf.set(data, at);
    return this;
  }

  /** Zero-length attribute whose presence is the value (NLA_FLAG). */
  flag(type: number): this {
    this.header(type, 0);
    return this;
  }

  u8(type: number, value: number, field = `attribute ${type}`): this {
    checkInt(value, 0, 0xff, field, 'a u8');
    const at = this.header(type, 1);
    this.buf[at] = value;
    return this;
  }

  u16(type: number, value: number, field = `attribute ${type}`): this {
    checkInt(value, 0, 0xffff, field, 'a u16');
    const at = this.header(type, 2); // header() may replace this.buf
    this.buf.writeUInt16LE(value, at);
    return this;
  }

  /** Big-endian u16 (__be16 in the kernel's struct, e.g. a UDP port). */
  be16(type: number, value: number, field = `attribute ${type}`): this {
    checkInt(value, 0, 0xffff, field, 'a u16');
    const at = this.header(type, 2); // header() may replace this.buf
    this.buf.writeUInt16BE(value, at);
    return this;
  }

  u32(type: number, value: number, field = `attribute ${type}`): this {
    checkInt(value, 0, 0xffffffff, field, 'a u32');
    const at = this.header(type, 4); // header() may replace this.buf
    this.buf.writeUInt32LE(value, at);
    return this;
  }

  s32(type: number, value: number, field = `attribute ${type}`): this {
    checkInt(value, -0x80000000, 0x7fffffff, field, 'an s32');
    const at = this.header(type, 4); // header() may replace this.buf
    this.buf.writeInt32LE(value, at);
    return this;
  }

  u64(type: number, value: bigint, field = `attribute ${type}`): this {
    if (typeof value !== 'bigint' || value < 0n || value > 0xffffffffffffffffn) throw rangeError(field, 'a u64', value);
    const at = this.header(type, 8); // header() may replace this.buf
    this.buf.writeBigUInt64LE(value, at);
    return this;
  }

  /**
   * A string, NUL-terminated by default. NLA_STRING attributes accept either form;
   * iproute2 sends IFLA_INFO_KIND without the NUL (addattr_l with strlen) and
   * IFLA_IFNAME with it, and byte-exact requests follow suit.
   */
  string(type: number, value: string, field = `attribute ${type}`, terminate = true): this {
    if (typeof value !== 'string' || value.includes('\0')) throw rangeError(field, 'a NUL-free string', value);
    return this.attr(type, Buffer.from(terminate ? `${value}\0` : value, 'utf8'));
  }

  /**
   * A nest: `fill` writes the inner attributes. nla_len covers everything written,
   * including the last inner attribute's padding, as the kernel's nla_nest_end and
   * iproute2's addattr_nest_end both compute it. `nestedFlag` sets NLA_F_NESTED; the
   * kernel requires it only where a policy is strict, and iproute2 omits it for
   * IFLA_LINKINFO and friends, so callers choose per attribute.
   */
  nest(type: number, fill: (w: this) => void, nestedFlag = false): this {
    const at = this.reserve(NLA_HDRLEN);
    fill(this);
    const len = this.len - at;
    if (len > 0xffff) throw new ValidationError(`attribute ${type}: nest of ${len} bytes does not fit nla_len`, {});
    this.buf.writeUInt16LE(len, at);
    this.buf.writeUInt16LE((type & NLA_TYPE_MASK) | (nestedFlag ? NLA_F_NESTED : 0), at + 2);
    return this;
  }

  /** A copy of everything written. */
  bytes(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }
}

/**
 * Splits a run of attributes. Bounds are checked the way the kernel's nla_ok() does,
 * but stricter: a header or payload that runs past the end, or leftover bytes too short
 * for a header, is a NetlinkDecodeError, never a read out of range. The last attribute
 * may omit its padding.
 */
export function parseAttrs(buf: Buffer, baseOffset = 0): RawAttr[] {
  const out: RawAttr[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < NLA_HDRLEN) {
      throw new NetlinkDecodeError(`truncated attribute header (${buf.length - off} bytes left)`, baseOffset + off);
    }
    const len = buf.readUInt16LE(off);
    const rawType = buf.readUInt16LE(off + 2);
    if (len < NLA_HDRLEN || len > buf.length - off) {
      throw new NetlinkDecodeError(`attribute ${rawType & NLA_TYPE_MASK}: bad nla_len ${len}`, baseOffset + off);
    }
    const attr: RawAttr = { type: rawType & NLA_TYPE_MASK, data: buf.subarray(off + NLA_HDRLEN, off + len) };
    const flags = rawType & (NLA_F_NESTED | NLA_F_NET_BYTEORDER);
    if (flags) attr.flags = flags;
    out.push(attr);
    off = Math.min(buf.length, off + align4(len));
  }
  return out;
}

/** Re-encodes attributes kept raw (unknown ones), flags included. */
export function writeRawAttrs(w: AttrWriter, attrs: readonly RawAttr[] | undefined): void {
  for (const a of attrs ?? []) w.attr(a.type, a.data, a.flags ?? 0);
}

// Readers. Payloads shorter than the type are a decode error; longer ones are read from
// the start, the way the kernel's nla_get_*() do.

function need(a: RawAttr, n: number, what: string): void {
  if (a.data.length < n) {
    throw new NetlinkDecodeError(`attribute ${a.type}: ${a.data.length} bytes, too short for ${what}`);
  }
}

export function readU8(a: RawAttr): number {
  need(a, 1, 'u8');
  return a.data.readUInt8(0);
}

export function readU16(a: RawAttr): number {
  need(a, 2, 'u16');
  return a.data.readUInt16LE(0);
}

export function readBe16(a: RawAttr): number {
  need(a, 2, 'u16');
  return a.data.readUInt16BE(0);
}

export function readU32(a: RawAttr): number {
  need(a, 4, 'u32');
  return a.data.readUInt32LE(0);
}

export function readS32(a: RawAttr): number {
  need(a, 4, 's32');
  return a.data.readInt32LE(0);
}

export function readU64(a: RawAttr): bigint {
  need(a, 8, 'u64');
  return a.data.readBigUInt64LE(0);
}

/** Up to the first NUL (or the end, if the sender left it off). */
export function readString(a: RawAttr): string {
  const nul = a.data.indexOf(0);
  return a.data.toString('utf8', 0, nul === -1 ? a.data.length : nul);
}

/** A copy, so a decoded object never pins the whole receive buffer. */
export function readBinary(a: RawAttr): Buffer {
  return Buffer.from(a.data);
}
