/**
 * Text ↔ bytes for the addresses netlink carries: IP addresses (through ipaddr.js, not
 * hand-written parsing) and link-layer addresses. Text forms match what `ip -j` prints,
 * so decoded objects compare directly with iproute2's output.
 */
import ipaddr from 'ipaddr.js';
import { ValidationError } from '../errors';
import { AF_INET, AF_INET6 } from './constants/rtnetlink';
import { NetlinkDecodeError } from './errors';

const DOTTED_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

/**
 * The octets of an IPv4 address in the strict dotted-quad form (no leading zeros, the
 * set ipaddr.IPv4.isValidFourPartDecimal accepts), else undefined. Every container
 * setup parses a handful of these; ipaddr.js's general parser tries each inet_aton()
 * spelling in turn and costs ~20 times more, so it is left for everything else.
 */
export function dottedQuad(text: string): number[] | undefined {
  const m = DOTTED_QUAD.exec(text);
  if (m === null) return undefined;
  const octets = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  return octets.every((o) => o <= 255) ? octets : undefined;
}

/** AF_INET for dotted-quad text, AF_INET6 for IPv6 text; ValidationError otherwise. */
export function ipFamily(text: string, field = 'address'): typeof AF_INET | typeof AF_INET6 {
  if (typeof text === 'string') {
    // Only the strict four-part form: '10.1' is a valid inet_aton() spelling but never what
    // a caller of a netlink API means.
    if (dottedQuad(text) !== undefined) return AF_INET;
    // Zone ids ('fe80::1%eth0') have no place in a netlink address attribute.
    if (!text.includes('%') && ipaddr.IPv6.isValid(text)) return AF_INET6;
  }
  throw new ValidationError(`${field}: not an IP address: ${JSON.stringify(text)}`, { field });
}

/** 4 bytes for IPv4 text, 16 for IPv6 text. */
export function ipToBytes(text: string, field = 'address'): Buffer {
  const quad = typeof text === 'string' ? dottedQuad(text) : undefined;
  if (quad !== undefined) return Buffer.from(quad);
  ipFamily(text, field);
  return Buffer.from(ipaddr.parse(text).toByteArray());
}

/** Text of a 4- or 16-byte address, as inet_ntop (and so `ip`) prints it. */
export function bytesToIp(bytes: Uint8Array): string {
  if (bytes.length !== 4 && bytes.length !== 16) {
    throw new NetlinkDecodeError(`IP address attribute of ${bytes.length} bytes (want 4 or 16)`);
  }
  const addr = ipaddr.fromByteArray(Array.from(bytes));
  if (addr instanceof ipaddr.IPv6 && addr.isIPv4MappedAddress()) {
    // inet_ntop prints the mapped form with a dotted quad; ipaddr.js would print hex.
    return `::ffff:${addr.toIPv4Address().toString()}`;
  }
  return addr.toString();
}

const MAC_PART = /^[0-9a-fA-F]{1,2}$/;

/**
 * Link-layer address text ('02:00:00:00:00:0a') to bytes. Any length: Ethernet is 6
 * bytes, but tunnels (4), InfiniBand (20) and loopback use the same attribute.
 */
export function macToBytes(text: string, field = 'address'): Buffer {
  // '' is what bytesToMac gives for a zero-length attribute; keep the two inverse.
  if (text === '') return Buffer.alloc(0);
  const parts = typeof text === 'string' ? text.split(':') : [];
  if (parts.length < 1 || parts.length > 32 || !parts.every((p) => MAC_PART.test(p))) {
    throw new ValidationError(`${field}: not a link-layer address: ${JSON.stringify(text)}`, { field });
  }
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

/** '00'…'ff': every link decode formats two or three addresses. */
const HEX: readonly string[] = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** Lower-case colon-separated hex, as `ip -j` prints link-layer addresses. */
export function bytesToMac(bytes: Uint8Array): string {
  let out = bytes.length ? HEX[bytes[0]!]! : '';
  for (let i = 1; i < bytes.length; i++) out += `:${HEX[bytes[i]!]!}`;
  return out;
}
