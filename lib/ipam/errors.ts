/**
 * IPAM's errors, under NsnetError so that `code` works as everywhere else.
 *
 * Codes: exhaustion is ENOSPC, not EADDRNOTAVAIL, because lib/errors.ts's isNotFound()
 * treats EADDRNOTAVAIL as "already gone" and idempotent teardown would swallow it. A
 * missing network is ENOENT precisely so that isNotFound() does match it.
 */
import { NsnetError } from '../errors';
import type { IpFamily, LeaseOwner } from './types';

export class IpamError extends NsnetError {}

/** No address left in a network's range, or no free subnet left in the pools. */
export class PoolExhaustedError extends IpamError {
  constructor(
    message: string,
    readonly family: IpFamily,
    readonly networkId?: string,
  ) {
    super(message, { code: 'ENOSPC', op: 'ipamAllocate', target: networkId });
  }
}

/** Something that holds an address: a lease's owner, or a reservation of the network. */
export type AddressHolder = LeaseOwner | { reserved: string };

function describe(holder: AddressHolder): string {
  if ('reserved' in holder) return `reserved as ${holder.reserved}`;
  const container = holder.containerId ? ` (container ${holder.containerId})` : '';
  return `in use by endpoint ${holder.endpointId}${container}`;
}

/** A requested address is taken; `owner` says by whom. */
export class AddressInUseError extends IpamError {
  constructor(
    readonly address: string,
    readonly owner: AddressHolder,
    networkId: string,
  ) {
    super(`${address} in network ${networkId} is ${describe(owner)}`, { code: 'EADDRINUSE', op: 'ipamAllocate', target: address });
  }
}

/** The endpoint already holds a different address of that family in the network. */
export class EndpointHasLeaseError extends IpamError {
  constructor(
    readonly endpointId: string,
    readonly address: string,
    networkId: string,
  ) {
    super(`endpoint ${endpointId} already holds ${address} in network ${networkId}; release it first`, {
      code: 'EEXIST',
      op: 'ipamAllocate',
      target: endpointId,
    });
  }
}

/** An explicit subnet overlaps another nsnet network's. */
export class SubnetOverlapError extends IpamError {
  constructor(
    readonly subnet: string,
    readonly conflict: { networkId: string; subnet: string },
  ) {
    super(`subnet ${subnet} overlaps ${conflict.subnet} of network ${conflict.networkId}`, {
      code: 'EADDRINUSE',
      op: 'ipamCreateNetwork',
      target: subnet,
    });
  }
}

export class NetworkNotFoundError extends IpamError {
  constructor(networkId: string, cause?: unknown) {
    super(`no IPAM network ${networkId}`, { code: 'ENOENT', op: 'ipam', target: networkId, cause });
  }
}

export class NetworkExistsError extends IpamError {
  constructor(networkId: string) {
    super(`IPAM network ${networkId} already exists`, { code: 'EEXIST', op: 'ipamCreateNetwork', target: networkId });
  }
}

/** deleteNetwork() of a network that still has leases (without `force`). */
export class NetworkInUseError extends IpamError {
  constructor(
    networkId: string,
    readonly leases: number,
  ) {
    super(`IPAM network ${networkId} still has ${leases} lease(s)`, { code: 'EBUSY', op: 'ipamDeleteNetwork', target: networkId });
  }
}
