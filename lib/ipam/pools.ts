/**
 * Address pools and the automatic choice of a subnet from them.
 *
 * Docker's defaults: the default bridge takes 172.17.0.0/16; user networks take
 * 172.18.0.0/16 … 172.31.0.0/16, then 192.168.0.0/16 cut into /20s. IPv6 pools are empty
 * by default: a network that wants IPv6 without a subnet gets a unique-local /64 (ula.ts).
 */
import { ValidationError } from '../errors';
import { Prefix } from './prefix';
import type { IpFamily, PoolSpec } from './types';

export const DEFAULT_BRIDGE_POOLS: readonly PoolSpec[] = Object.freeze([{ base: '172.17.0.0/16', size: 16 }]);

export const DEFAULT_POOLS: readonly PoolSpec[] = Object.freeze([
  ...Array.from({ length: 14 }, (_, i) => ({ base: `172.${18 + i}.0.0/16`, size: 16 })),
  { base: '192.168.0.0/16', size: 20 },
]);

/** Longest prefix a subnet may have: IPv4 needs network, gateway, one host, broadcast. */
export const MAX_SUBNET_LENGTH: Record<IpFamily, number> = { 4: 30, 6: 126 };

export interface Pool {
  base: Prefix;
  size: number;
}

function fail(field: string, message: string): never {
  throw new ValidationError(`${field}: ${message}`, { field, op: 'ipam' });
}

/** Checks a list of pools; `field` names it in errors ('pools'). */
export function validatePools(pools: unknown, field: string): Pool[] {
  if (!Array.isArray(pools)) fail(field, 'must be an array of { base, size }');
  return pools.map((p: unknown, i) => {
    const f = `${field}[${i}]`;
    const spec = p as Partial<PoolSpec>;
    if (typeof spec !== 'object' || spec === null) fail(f, 'must be { base, size }');
    const base = Prefix.parse(spec.base, `${f}.base`);
    const size = spec.size;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < base.length || size > base.bits) {
      fail(`${f}.size`, `must be an integer from ${base.length} (the base's length) to ${base.bits}, got ${String(size)}`);
    }
    if (size > MAX_SUBNET_LENGTH[base.family]) {
      fail(`${f}.size`, `/${size} subnets are too small: the longest usable IPv${base.family} subnet is /${MAX_SUBNET_LENGTH[base.family]}`);
    }
    return { base, size };
  });
}

/**
 * The first subnet of the pools, in order, that overlaps nothing in `taken`. On a
 * conflict it jumps past the conflicting prefix, so a /48 pool of 65,536 /64s with a few
 * networks in it costs a few steps, not a walk.
 */
export function chooseSubnet(pools: readonly Pool[], taken: readonly Prefix[]): Prefix | undefined {
  for (const { base, size } of pools) {
    const step = 1n << BigInt(base.bits - size);
    let at = base.base;
    while (at <= base.last) {
      const candidate = Prefix.of(base.family, at, size);
      const conflict = taken.find((t) => t.overlaps(candidate));
      if (!conflict) return candidate;
      const past = conflict.last + 1n;
      const aligned = ((past + step - 1n) / step) * step;
      at = aligned > at ? aligned : at + step;
    }
  }
  return undefined;
}
