/**
 * Picking one address of one family inside a lease transaction. Pure: everything it knows
 * comes from the tx and the compiled subnet, everything it changes goes through the tx.
 *
 * Round-robin: each family keeps a cursor, the offset after the last dynamic allocation.
 * The search starts there and walks forward, wrapping at the end of the range, so a
 * freed address is handed out again only after every other free address was — stale ARP
 * entries and half-open connections then never reach a new container. The walk skips
 * only addresses that are taken, so while the range is not nearly full it ends after a
 * step or two; exhaustion is known in O(1) from the in-range count, never by a full walk.
 */
import { ValidationError } from '../errors';
import { AddressInUseError, EndpointHasLeaseError, PoolExhaustedError } from './errors';
import type { Address } from './prefix';
import type { LeaseTx } from './store';
import type { SubnetPlan } from './subnet-plan';
import type { Lease, LeaseOwner } from './types';

const fieldOf = (plan: SubnetPlan): string => (plan.family === 4 ? 'ip' : 'ip6');

function staticLease(tx: LeaseTx, plan: SubnetPlan, owner: LeaseOwner, want: Address, time: string): Lease {
  const field = fieldOf(plan);
  const id = tx.network.id;
  if (!plan.prefix.contains(want.value)) {
    throw new ValidationError(`${field}: ${want.address} is outside ${plan.record.subnet} of network ${id}`, { field, target: want.address, op: 'ipamAllocate' });
  }
  const offset = want.value - plan.prefix.base;
  if (plan.isUnusable(offset)) {
    const what = offset === 0n ? (plan.family === 4 ? 'network' : 'Subnet-Router anycast') : 'broadcast';
    throw new ValidationError(`${field}: ${want.address} is the ${what} address of ${plan.record.subnet}`, { field, target: want.address, op: 'ipamAllocate' });
  }
  const reserved = plan.reserved.get(offset);
  if (reserved !== undefined) throw new AddressInUseError(want.address, { reserved }, id);
  const holder = tx.get(want.address);
  if (holder) throw new AddressInUseError(want.address, { ...holder.owner }, id);
  return { address: want.address, family: plan.family, owner, time, static: true, inRange: plan.inRange(offset) };
}

function dynamicLease(tx: LeaseTx, plan: SubnetPlan, owner: LeaseOwner, time: string): Lease {
  const exhausted = (): never => {
    throw new PoolExhaustedError(`no free IPv${plan.family} address in ${plan.record.ipRange ?? plan.record.subnet} of network ${tx.network.id}`, plan.family, tx.network.id);
  };
  if (BigInt(tx.inRangeCount(plan.family)) >= plan.capacity) exhausted();
  const cursor = tx.cursor(plan.family);
  let offset = cursor !== undefined && plan.inRange(cursor) ? cursor : plan.lo;
  // Bounded by the range size only as a guard against a miscount; normally a few steps.
  for (let tries = plan.hi - plan.lo + 1n; tries > 0n; tries--, offset = plan.next(offset)) {
    if (plan.reserved.has(offset)) continue;
    const address = plan.addressAt(offset);
    if (tx.get(address)) continue;
    tx.setCursor(plan.family, plan.next(offset));
    return { address, family: plan.family, owner, time, inRange: true };
  }
  return exhausted();
}

/**
 * The endpoint's address of `plan`'s family: the one it already holds (allocation is
 * idempotent per endpoint, so a retry after a crash gets the same address), the static
 * one it asked for, or the next free one.
 */
export function allocateOne(tx: LeaseTx, plan: SubnetPlan, owner: LeaseOwner, want: Address | undefined, time: string): Lease {
  const held = tx.ofEndpoint(owner.endpointId).find((l) => l.family === plan.family);
  if (held) {
    if (want === undefined || want.address === held.address) return held;
    throw new EndpointHasLeaseError(owner.endpointId, held.address, tx.network.id);
  }
  const lease = want ? staticLease(tx, plan, owner, want, time) : dynamicLease(tx, plan, owner, time);
  tx.put(lease);
  return lease;
}
