/**
 * An IpamStore in this process's memory: for unit tests and for callers that want IPAM
 * logic without persistence. Records are cloned on the way in and out, as a real store
 * would serialise them, so a test cannot pass by sharing objects with the store.
 */
import { NetworkExistsError, NetworkNotFoundError } from './errors';
import { LeaseState } from './lease-state';
import { LeaseOverlay } from './lease-tx';
import type { IpamStore, LeaseTx, LeaseView, NetworkPlanner, StoreMeta } from './store';
import type { NetworkRecord } from './types';

export class MemoryStore implements IpamStore {
  private readonly networks = new Map<string, LeaseState>();
  private meta: StoreMeta = {};

  async createNetwork(plan: NetworkPlanner): Promise<NetworkRecord> {
    const existing = [...this.networks.values()].map((s) => structuredClone(s.network));
    const { network, meta } = plan({ networks: existing, meta: { ...this.meta } });
    if (this.networks.has(network.id)) throw new NetworkExistsError(network.id);
    if (meta) this.meta = { ...meta };
    this.networks.set(network.id, new LeaseState(structuredClone(network)));
    return structuredClone(network);
  }

  async deleteNetwork(id: string, guard?: (leases: LeaseView) => void): Promise<boolean> {
    const state = this.networks.get(id);
    if (!state) return false;
    guard?.(state);
    this.networks.delete(id);
    return true;
  }

  async listNetworks(): Promise<NetworkRecord[]> {
    return [...this.networks.values()].map((s) => structuredClone(s.network));
  }

  async updateLeases<T>(networkId: string, fn: (tx: LeaseTx) => T): Promise<T> {
    const state = this.state(networkId);
    const tx = new LeaseOverlay(state);
    const result = fn(tx);
    for (const op of structuredClone(tx.ops())) state.apply(op);
    return result;
  }

  async readLeases<T>(networkId: string, fn: (view: LeaseView) => T): Promise<T> {
    return fn(this.state(networkId));
  }

  private state(networkId: string): LeaseState {
    const state = this.networks.get(networkId);
    if (!state) throw new NetworkNotFoundError(networkId);
    return state;
  }
}
