/**
 * Unique-local IPv6 prefixes (RFC 4193): fd00::/8 + a random 40-bit global id = one /48
 * per nsnet state directory, cut into /64 subnets. The id is random so that two hosts
 * that later get connected (a VPN, a merged LAN) are very unlikely to collide; it is kept
 * in the store so that every network of this host shares the one /48, as the RFC intends.
 */
import { randomBytes } from 'node:crypto';
import type { PoolSpec } from './types';

export const ULA_SUBNET_SIZE = 64;

/** A fresh 40-bit global id as 10 hex digits. */
export function newUlaGlobalId(random: (n: number) => Buffer = randomBytes): string {
  return random(5).toString('hex');
}

export function isUlaGlobalId(id: unknown): id is string {
  return typeof id === 'string' && /^[0-9a-f]{10}$/.test(id);
}

/** The pool of /64s in the /48 of a global id. */
export function ulaPool(globalId: string): PoolSpec {
  const g = globalId;
  return { base: `fd${g.slice(0, 2)}:${g.slice(2, 6)}:${g.slice(6, 10)}::/48`, size: ULA_SUBNET_SIZE };
}
