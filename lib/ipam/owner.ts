/** Lease owners: validation, and the namespace identity the runtime records in them. */
import { ValidationError } from '../errors';
import type { LeaseOwner } from './types';

function text(value: unknown, field: string, max: number, optional: boolean): string | undefined {
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new ValidationError(`${field}: must be a string of 1–${max} characters`, { field, op: 'ipam' });
  }
  return value;
}

/** A clean copy of an owner (only the known fields), or a ValidationError. */
export function validateOwner(owner: unknown): LeaseOwner {
  if (typeof owner !== 'object' || owner === null) throw new ValidationError('owner: must be { endpointId, containerId?, netns? }', { field: 'owner', op: 'ipam' });
  const o = owner as Record<string, unknown>;
  const out: LeaseOwner = { endpointId: text(o.endpointId, 'owner.endpointId', 256, false)! };
  const containerId = text(o.containerId, 'owner.containerId', 256, true);
  const netns = text(o.netns, 'owner.netns', 4096, true);
  if (containerId !== undefined) out.containerId = containerId;
  if (netns !== undefined) out.netns = netns;
  return out;
}

/**
 * 'dev:ino' of a network namespace (Netns.identity()): stable for the namespace's life,
 * unlike a path, which can be unmounted and re-bound to another namespace.
 */
export function netnsIdentity(id: { dev: number; ino: number }): string {
  return `${id.dev}:${id.ino}`;
}
