/**
 * Identifiers and the kernel names derived from them. Names are a pure function of IDs,
 * so a fresh process that knows only an endpoint's or network's ID finds (and can delete)
 * exactly what an earlier process created: teardown needs no memory of the setup.
 */
import { randomFillSync } from 'node:crypto';
import { ValidationError } from '../errors';

/** Random bytes for IDs, drawn from the CSPRNG a page at a time: one call per 128 IDs. */
const pool = Buffer.alloc(4096);
let used = pool.length;

/** A Docker-style ID: 64 lower-case hex digits (256 random bits). */
export function newId(): string {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += 32;
  return pool.toString('hex', used - 32, used);
}

export function isId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

/** Docker's short form: the first 12 hex digits. */
export function shortId(id: string): string {
  return id.slice(0, 12);
}

/** The bridge of a user-defined network: `br-` + 12 hex of its ID (Docker's convention). */
export function bridgeName(networkId: string): string {
  return `br-${shortId(networkId)}`;
}

/** The host end of an endpoint's veth pair: `veth` + 7 hex of the endpoint ID (11 bytes). */
export function hostVethName(endpointId: string): string {
  return `veth${endpointId.slice(0, 7)}`;
}

/** True for names nsnet derives, so reconcile can tell its leftovers from others' links. */
export function isNsnetVethName(name: string): boolean {
  return /^veth[0-9a-f]{7}$/.test(name);
}

/** Docker's rules for container and network names: [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
export function validateName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name) || name.length > 253) {
    throw new ValidationError(`${field}: '${String(name)}' must match [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 253 characters)`, { field });
  }
  return name;
}
