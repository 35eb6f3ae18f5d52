/**
 * The seam between IPAM's logic and where its state lives. Two implementations: a file
 * store (file-store.ts: a state directory shared by processes, flock + journal) and an
 * in-memory store (memory-store.ts, for tests). A distributed store (etcd) fits the same
 * shape: updateLeases() becomes a transaction that compares the revisions of the keys `fn`
 * read and retries on conflict — which is why `fn` must be synchronous, may run more than
 * once, and must express every change through the tx rather than by mutation.
 */
import type { IpFamily, Lease, NetworkRecord } from './types';

/** Store-wide values that are not per network. */
export interface StoreMeta {
  /** RFC 4193 global id of this host's ULA /48 (10 hex digits). */
  ulaGlobalId?: string;
}

/** A read-only view of one network's leases. */
export interface LeaseView {
  readonly network: NetworkRecord;
  /** Number of leases. */
  readonly size: number;
  get(address: string): Lease | undefined;
  /** The endpoint's leases (at most one per family). */
  ofEndpoint(endpointId: string): Lease[];
  /** Next offset round-robin allocation tries; undefined before the first allocation. */
  cursor(family: IpFamily): bigint | undefined;
  /** Leases with `inRange` set, of one family. O(1). */
  inRangeCount(family: IpFamily): number;
  all(): Iterable<Lease>;
}

/** A view plus changes; they are applied together when the update's `fn` returns. */
export interface LeaseTx extends LeaseView {
  put(lease: Lease): void;
  remove(address: string): void;
  setCursor(family: IpFamily, offset: bigint): void;
}

/** Plans a new network from the existing ones; runs under the store-wide lock. */
export type NetworkPlanner = (existing: { networks: readonly NetworkRecord[]; meta: StoreMeta }) => {
  network: NetworkRecord;
  meta?: StoreMeta;
};

export interface IpamStore {
  /**
   * Creates a network: `plan` sees every network and the meta under the store-wide lock,
   * so two concurrent creations never pick overlapping subnets. Rejects with
   * NetworkExistsError if the planned id exists; stores nothing if `plan` throws.
   */
  createNetwork(plan: NetworkPlanner): Promise<NetworkRecord>;
  /**
   * Deletes a network with all its leases. `guard` runs on its leases under the network's
   * lock and may throw to refuse. Resolves false if there was no such network.
   */
  deleteNetwork(id: string, guard?: (leases: LeaseView) => void): Promise<boolean>;
  listNetworks(): Promise<NetworkRecord[]>;
  /** Rejects with NetworkNotFoundError for an unknown network. */
  updateLeases<T>(networkId: string, fn: (tx: LeaseTx) => T): Promise<T>;
  /**
   * updateLeases() that resolves once the change is visible to every user of the store,
   * with `synced` for when it is durable too. Optional: stores without it are durable at
   * once.
   */
  updateLeasesDeferred?<T>(networkId: string, fn: (tx: LeaseTx) => T): Promise<{ result: T; synced: Promise<void> }>;
  readLeases<T>(networkId: string, fn: (view: LeaseView) => T): Promise<T>;
}
