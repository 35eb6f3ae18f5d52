/**
 * Input checks that run before any kernel call. Each throws a ValidationError naming the
 * field, so a rejected input makes no syscall and changes nothing.
 */
import ipaddr from 'ipaddr.js';
import { ValidationError } from './errors';
import { dottedQuad } from './netlink/addresses';

/** IFNAMSIZ is 16 including the terminating NUL (include/uapi/linux/if.h). */
export const IFNAMSIZ = 16;
/** ETH_MIN_MTU / ETH_MAX_MTU (include/uapi/linux/if_ether.h, include/linux/if_ether.h). */
export const MTU_MIN = 68;
export const MTU_MAX = 65535;

function fail(field: string, message: string, target?: string): never {
  throw new ValidationError(message, { field, target, op: 'validate' });
}

/**
 * An interface name the kernel accepts (net/core/dev.c dev_valid_name): 1–15 bytes,
 * not "." or "..", no '/', ':' or whitespace. We also refuse '%' (iproute2 and the kernel
 * treat "eth%d" as a template, so it would not be the name you asked for) and control
 * characters, which break every tool that prints names.
 */
export function validateIfName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || name.length === 0) fail(field, `${field}: interface name must be a non-empty string`);
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes >= IFNAMSIZ) fail(field, `${field}: interface name '${name}' is ${bytes} bytes; the limit is ${IFNAMSIZ - 1}`, name);
  if (name === '.' || name === '..') fail(field, `${field}: interface name may not be '.' or '..'`, name);
  // eslint-disable-next-line no-control-regex
  if (/[/:%\s\x00-\x1f\x7f]/.test(name)) {
    fail(field, `${field}: interface name '${JSON.stringify(name).slice(1, -1)}' contains '/', ':', '%', whitespace or a control character`, name);
  }
  return name;
}

/** A name for /run/netns/NAME: a single path component, as `ip netns add` requires. */
export function validateNetnsName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || name.length === 0) fail(field, `${field}: namespace name must be a non-empty string`);
  if (name === '.' || name === '..') fail(field, `${field}: namespace name may not be '.' or '..'`, name);
  if (name.includes('/') || name.includes('\0')) fail(field, `${field}: namespace name may not contain '/' or NUL`, name);
  if (Buffer.byteLength(name, 'utf8') > 255) fail(field, `${field}: namespace name is longer than 255 bytes (NAME_MAX)`, name);
  return name;
}

export function validateMtu(mtu: unknown, field = 'mtu'): number {
  if (typeof mtu !== 'number' || !Number.isInteger(mtu) || mtu < MTU_MIN || mtu > MTU_MAX) {
    fail(field, `${field}: MTU must be an integer from ${MTU_MIN} to ${MTU_MAX}, got ${String(mtu)}`);
  }
  return mtu;
}

/** 'aa:bb:cc:dd:ee:ff', lower-cased. Unicast only: the kernel refuses a multicast or zero link address. */
export function validateMac(mac: unknown, field = 'mac'): string {
  if (typeof mac !== 'string' || !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(mac)) {
    fail(field, `${field}: '${String(mac)}' is not a MAC address like 02:42:ac:11:00:02`);
  }
  const lower = mac.toLowerCase();
  if (parseInt(lower.slice(0, 2), 16) & 1) fail(field, `${field}: ${lower} is a multicast address`, lower);
  if (lower === '00:00:00:00:00:00') fail(field, `${field}: the all-zero MAC address is not assignable`, lower);
  return lower;
}

export type IpFamily = 4 | 6;

export interface Cidr {
  /** The address as written, normalised ('10.0.0.1', 'fd00::1'). */
  address: string;
  prefixLength: number;
  family: IpFamily;
}

/** An IP address, v4 or v6, in normal form. */
export function validateIp(text: unknown, field = 'address'): { address: string; family: IpFamily } {
  // The common case: a dotted quad is its own normal form.
  if (typeof text === 'string' && dottedQuad(text) !== undefined) return { address: text, family: 4 };
  if (typeof text !== 'string' || !ipaddr.isValid(text) || text.includes('/')) {
    fail(field, `${field}: '${String(text)}' is not an IP address`);
  }
  // ipaddr.js accepts legacy forms like '10.1' or '0x0a.1'; only the dotted quad is an address here.
  if (!text.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(text)) {
    fail(field, `${field}: '${text}' is not a dotted-quad IPv4 address`);
  }
  const parsed = ipaddr.parse(text);
  return { address: parsed.toString(), family: parsed.kind() === 'ipv4' ? 4 : 6 };
}

/** 'address/prefix' (an interface address keeps its host bits: '10.0.0.1/24'). */
export function validateCidr(text: unknown, field = 'address'): Cidr {
  if (typeof text !== 'string' || !/^[^/]+\/\d{1,3}$/.test(text)) {
    fail(field, `${field}: '${String(text)}' is not in CIDR form (address/prefix)`);
  }
  const slash = text.indexOf('/');
  const { address, family } = validateIp(text.slice(0, slash), field);
  const prefixLength = Number(text.slice(slash + 1));
  const max = family === 4 ? 32 : 128;
  if (prefixLength > max) fail(field, `${field}: prefix /${prefixLength} is longer than ${max} bits`, text);
  return { address, prefixLength, family };
}

/** Integer in [min, max]. */
export function validateInt(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(field, `${field}: must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}
