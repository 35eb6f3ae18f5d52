/**
 * IPv4/IPv6 prefixes as BigInt ranges. Parsing is ipaddr.js's (through lib/validate.ts);
 * arithmetic is on BigInt so one code path serves a /30 and a /64 alike.
 */
import ipaddr from 'ipaddr.js';
import { ValidationError } from '../errors';
import { type IpFamily, validateCidr, validateIp } from '../validate';

export const familyBits = (family: IpFamily): number => (family === 4 ? 32 : 128);

function fail(field: string, message: string, target?: string): never {
  throw new ValidationError(`${field}: ${message}`, { field, target, op: 'ipam' });
}

function bytesToBigInt(bytes: readonly number[]): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** A parsed address: normal form, family and numeric value. */
export interface Address {
  address: string;
  family: IpFamily;
  value: bigint;
}

export function parseAddress(text: unknown, field: string): Address {
  const { address, family } = validateIp(text, field);
  // A zone ('fe80::1%eth0') names an interface, not an address a pool can hold.
  if (address.includes('%')) fail(field, `'${address}' has a zone index`, address);
  return { address, family, value: bytesToBigInt(ipaddr.parse(address).toByteArray()) };
}

/** Normal form of a numeric address (RFC 5952 for IPv6). */
export function formatAddress(family: IpFamily, value: bigint): string {
  if (family === 4) {
    const n = Number(value);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  const bytes = new Array<number>(16);
  let v = value;
  for (let i = 15; i >= 0; i--) {
    bytes[i] = Number(v & 255n);
    v >>= 8n;
  }
  return ipaddr.fromByteArray(bytes).toString();
}

export class Prefix {
  private constructor(
    readonly family: IpFamily,
    /** The first address (host bits zero). */
    readonly base: bigint,
    readonly length: number,
  ) {}

  /**
   * Parses 'address/length'. Strict (the default) refuses host bits ('10.0.0.5/24'), since
   * the user most likely mistyped; lenient masks them off (kernel route dumps).
   */
  static parse(text: unknown, field: string, options: { strict?: boolean } = {}): Prefix {
    const cidr = validateCidr(text, field);
    const { value } = parseAddress(cidr.address, field);
    const prefix = Prefix.of(cidr.family, value, cidr.prefixLength);
    if (prefix.base !== value && options.strict !== false) {
      fail(field, `'${String(text)}' has host bits set; did you mean ${prefix.toString()}?`, String(text));
    }
    return prefix;
  }

  /** The prefix of `length` bits that contains `value`. */
  static of(family: IpFamily, value: bigint, length: number): Prefix {
    const hostBits = BigInt(familyBits(family) - length);
    return new Prefix(family, (value >> hostBits) << hostBits, length);
  }

  get bits(): number {
    return familyBits(this.family);
  }

  /** Number of addresses. */
  get size(): bigint {
    return 1n << BigInt(this.bits - this.length);
  }

  /** The last address. */
  get last(): bigint {
    return this.base + this.size - 1n;
  }

  contains(value: bigint): boolean {
    return value >= this.base && value <= this.last;
  }

  /** `other` lies entirely inside this prefix. */
  covers(other: Prefix): boolean {
    return other.family === this.family && other.base >= this.base && other.last <= this.last;
  }

  overlaps(other: Prefix): boolean {
    return other.family === this.family && other.base <= this.last && this.base <= other.last;
  }

  /** The address `offset` addresses into the prefix. */
  addressAt(offset: bigint): string {
    return formatAddress(this.family, this.base + offset);
  }

  toString(): string {
    return `${formatAddress(this.family, this.base)}/${this.length}`;
  }
}
