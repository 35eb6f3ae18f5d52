/**
 * Validation of a NetworkSpec, all of it before anything is stored: a rejected spec throws
 * a ValidationError naming the field and leaves the store untouched.
 *
 * Explicit subnets are compiled into SubnetRecords here; automatic ones are only marked,
 * since choosing them needs the other networks (ipam.ts does that under the store lock).
 */
import { ValidationError } from '../errors';
import { MAX_SUBNET_LENGTH } from './pools';
import { type Address, parseAddress, Prefix } from './prefix';
import { SubnetPlan } from './subnet-plan';
import type { IpFamily, NetworkSpec, SubnetRecord, SubnetSpec } from './types';

/** What to do per family: use an explicit subnet, or choose one from the pools. */
export type FamilyPlan = { explicit: SubnetRecord } | 'auto';

export interface ResolvedSpec {
  id: string;
  name?: string;
  defaultBridge: boolean;
  families: Partial<Record<IpFamily, FamilyPlan>>;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function fail(field: string, message: string, target?: string): never {
  throw new ValidationError(`${field}: ${message}`, { field, target, op: 'ipamCreateNetwork' });
}

/** A network id: also a directory name in the file store, hence the tight alphabet. */
export function validateNetworkId(id: unknown, field = 'id'): string {
  if (typeof id !== 'string' || !ID.test(id)) fail(field, `'${String(id)}' is not a network id ([A-Za-z0-9][A-Za-z0-9_.-]{0,127})`);
  return id;
}

/** Checks a subnet's length, for explicit subnets and pools alike. */
export function checkSubnetLength(prefix: Prefix, field: string): void {
  const max = MAX_SUBNET_LENGTH[prefix.family];
  if (prefix.length > max) fail(field, `${prefix.toString()} is too small: the longest usable IPv${prefix.family} subnet is /${max}`, prefix.toString());
}

/** An address that must be an assignable host address of `subnet`. */
function hostAddress(text: unknown, subnet: Prefix, field: string): Address {
  const addr = parseAddress(text, field);
  if (addr.family !== subnet.family || !subnet.contains(addr.value)) fail(field, `${addr.address} is outside ${subnet.toString()}`, addr.address);
  const offset = addr.value - subnet.base;
  if (offset === 0n) fail(field, `${addr.address} is the ${subnet.family === 4 ? 'network' : 'Subnet-Router anycast'} address of ${subnet.toString()}`, addr.address);
  if (subnet.family === 4 && addr.value === subnet.last) fail(field, `${addr.address} is the broadcast address of ${subnet.toString()}`, addr.address);
  return addr;
}

function subnetRecord(spec: SubnetSpec, field: string): SubnetRecord {
  if (typeof spec !== 'object' || spec === null) fail(field, 'must be { subnet, gateway?, ipRange?, auxAddresses? }');
  if (spec.subnet === undefined) fail(`${field}.subnet`, 'is required (gateway, ipRange and auxAddresses need a subnet)');
  const subnet = Prefix.parse(spec.subnet, `${field}.subnet`);
  checkSubnetLength(subnet, `${field}.subnet`);
  const gateway = spec.gateway === undefined ? subnet.addressAt(1n) : hostAddress(spec.gateway, subnet, `${field}.gateway`).address;
  const record: SubnetRecord = { family: subnet.family, subnet: subnet.toString(), gateway, auxAddresses: {}, auto: false };
  if (spec.ipRange !== undefined) {
    const range = Prefix.parse(spec.ipRange, `${field}.ipRange`);
    if (!subnet.covers(range)) fail(`${field}.ipRange`, `${range.toString()} is not inside ${subnet.toString()}`, range.toString());
    record.ipRange = range.toString();
  }
  const aux = spec.auxAddresses ?? {};
  if (typeof aux !== 'object' || aux === null || Array.isArray(aux)) fail(`${field}.auxAddresses`, 'must be an object of name → address');
  const seen = new Map<string, string>([[gateway, 'the gateway']]);
  for (const [name, text] of Object.entries(aux)) {
    const f = `${field}.auxAddresses.${name}`;
    const { address } = hostAddress(text, subnet, f);
    if (seen.has(address)) fail(f, `${address} is already ${seen.get(address)}`, address);
    seen.set(address, `auxiliary address '${name}'`);
    record.auxAddresses[name] = address;
  }
  if (new SubnetPlan(record).capacity <= 0n) fail(`${field}.ipRange`, `leaves no address to allocate in ${subnet.toString()}`);
  return record;
}

export function resolveSpec(spec: NetworkSpec): ResolvedSpec {
  if (typeof spec !== 'object' || spec === null) fail('spec', 'must be an object');
  const id = validateNetworkId(spec.id);
  if (spec.name !== undefined && (typeof spec.name !== 'string' || spec.name.length === 0 || spec.name.length > 255)) {
    fail('name', 'must be a string of 1–255 characters');
  }
  for (const key of ['ipv4', 'ipv6', 'defaultBridge'] as const) {
    if (spec[key] !== undefined && typeof spec[key] !== 'boolean') fail(key, 'must be a boolean');
  }
  if (spec.subnets !== undefined && !Array.isArray(spec.subnets)) fail('subnets', 'must be an array');
  const families: ResolvedSpec['families'] = {};
  (spec.subnets ?? []).forEach((s, i) => {
    const record = subnetRecord(s, `subnets[${i}]`);
    if (families[record.family]) fail(`subnets[${i}]`, `a network has at most one IPv${record.family} subnet`);
    families[record.family] = { explicit: record };
  });
  if (spec.ipv4 === false && families[4]) fail('ipv4', 'is false but an IPv4 subnet was given');
  if (spec.ipv6 === false && families[6]) fail('ipv6', 'is false but an IPv6 subnet was given');
  if (spec.ipv4 !== false) families[4] ??= 'auto';
  if (spec.ipv6 === true) families[6] ??= 'auto';
  if (!families[4] && !families[6]) fail('ipv4', 'a network needs at least one address family');
  return { id, ...(spec.name === undefined ? {} : { name: spec.name }), defaultBridge: spec.defaultBridge === true, families };
}
