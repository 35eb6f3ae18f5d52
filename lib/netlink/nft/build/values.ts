/**
 * Values as the kernel compares them: the bytes a selector loads. Network-order types
 * (addresses, ports) are big-endian; `mark` is a host-order u32; an interface name is
 * IFNAMSIZ (16) bytes, NUL-padded. A concatenation pads each field to 4 bytes.
 */
import { ValidationError } from '../../../errors';
import { ipToBytes, macToBytes } from '../../addresses';
import { DatatypeName, datatype } from './datatypes';

/** IFNAMSIZ: meta iifname/oifname load 16 bytes. */
export const IFNAMSIZ = 16;

export const L4PROTOS = { icmp: 1, igmp: 2, tcp: 6, udp: 17, ipv6_icmp: 58, icmpv6: 58, sctp: 132, udplite: 136, dccp: 33, gre: 47, esp: 50, ah: 51 } as const;
export type L4ProtoName = keyof typeof L4PROTOS;

export function l4protoNumber(p: L4ProtoName | number, field = 'protocol'): number {
  if (typeof p === 'number') {
    if (Number.isInteger(p) && p >= 0 && p <= 255) return p;
  } else if (Object.prototype.hasOwnProperty.call(L4PROTOS, p)) {
    return L4PROTOS[p];
  }
  throw new ValidationError(`${field}: unknown protocol '${String(p)}'`, { field });
}

export function port(value: number, field = 'port'): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
    throw new ValidationError(`${field}: ${String(value)} is not a port (0..65535)`, { field });
  }
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  return b;
}

export function hostU32(value: number, field = 'value'): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new ValidationError(`${field}: ${String(value)} is not a u32`, { field });
  }
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  return b;
}

/** 16 bytes, NUL-padded; the name itself is 1..15 bytes. */
export function ifname(name: string, field = 'ifname'): Buffer {
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) >= IFNAMSIZ || name.includes('\0')) {
    throw new ValidationError(`${field}: '${String(name)}' is not an interface name (1..15 bytes)`, { field });
  }
  const b = Buffer.alloc(IFNAMSIZ);
  b.write(name, 'utf8');
  return b;
}

export type Value = string | number;

/** One value of a datatype, as bytes. */
export function encodeValue(type: DatatypeName, value: Value, field = 'value'): Buffer {
  const t = datatype(type, field);
  let b: Buffer;
  switch (type) {
    case 'ipv4_addr':
    case 'ipv6_addr':
      b = ipToBytes(String(value), field);
      break;
    case 'ether_addr':
      b = macToBytes(String(value), field);
      break;
    case 'inet_service':
      b = port(Number(value), field);
      break;
    case 'inet_proto':
      b = Buffer.of(l4protoNumber(value as L4ProtoName | number, field));
      break;
    case 'mark':
      b = hostU32(Number(value), field);
      break;
    case 'ifname':
      b = ifname(String(value), field);
      break;
  }
  if (b.length !== t.len) throw new ValidationError(`${field}: '${String(value)}' is not a ${type}`, { field });
  return b;
}

/** A key of one or more datatypes; a concatenation pads every field to 4 bytes. */
export function encodeKey(types: DatatypeName | readonly DatatypeName[], values: Value | readonly Value[], field = 'key'): Buffer {
  const ts = typeof types === 'string' ? [types] : types;
  const vs = Array.isArray(values) ? (values as readonly Value[]) : [values as Value];
  if (ts.length !== vs.length) {
    throw new ValidationError(`${field}: ${vs.length} values for ${ts.length} fields`, { field });
  }
  if (ts.length === 1) return encodeValue(ts[0]!, vs[0]!, field);
  return Buffer.concat(
    ts.map((t, i) => {
      const v = encodeValue(t, vs[i]!, `${field}[${i}]`);
      return Buffer.concat([v, Buffer.alloc(((v.length + 3) & ~3) - v.length)]);
    }),
  );
}

export interface Prefix {
  /** Network address bytes (host bits cleared). */
  addr: Buffer;
  bits: number;
}

/** '10.0.0.0/8' or a bare address (a full-length prefix). Host bits are cleared. */
export function parsePrefix(text: string, family: 4 | 6 | undefined, field = 'prefix'): Prefix {
  if (typeof text !== 'string') throw new ValidationError(`${field}: not an address or prefix`, { field });
  const slash = text.indexOf('/');
  const addr = ipToBytes(slash === -1 ? text : text.slice(0, slash), field);
  if (family !== undefined && addr.length !== (family === 4 ? 4 : 16)) {
    throw new ValidationError(`${field}: '${text}' is not an IPv${family} address`, { field });
  }
  const max = addr.length * 8;
  const bitsText = slash === -1 ? String(max) : text.slice(slash + 1);
  const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
  if (!(bits >= 0 && bits <= max)) throw new ValidationError(`${field}: bad prefix length in '${text}'`, { field });
  return { addr: maskBytes(addr, bits), bits };
}

/** A copy of `addr` with everything after the first `bits` bits cleared. */
export function maskBytes(addr: Buffer, bits: number): Buffer {
  const out = Buffer.from(addr);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out[i] = out[i]! & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

/** The netmask of a prefix as bytes (ones for the first `bits`). */
export function prefixMask(len: number, bits: number): Buffer {
  return maskBytes(Buffer.alloc(len, 0xff), bits);
}

/** The first value after the prefix (its end + 1), or undefined at the top of the space. */
export function prefixEnd(p: Prefix): Buffer | undefined {
  const out = Buffer.from(p.addr);
  const hostBits = out.length * 8 - p.bits;
  // Add 1 << hostBits, big-endian.
  let i = out.length - 1 - Math.floor(hostBits / 8);
  let carry = 1 << (hostBits % 8);
  while (i >= 0 && carry) {
    const sum = out[i]! + carry;
    out[i] = sum & 0xff;
    carry = sum >> 8;
    i--;
  }
  return carry ? undefined : out;
}
