/**
 * One network's leases in memory, the changes to them (LeaseOp) and their JSON form.
 * Shared by both stores: the memory store keeps a LeaseState; the file store keeps one as
 * the cache of its journal (LEASE_CODEC) and persists the ops.
 */
import { StateCorruptError } from '../state/errors';
import type { JournalCodec } from '../state/journaled-file';
import type { LeaseView } from './store';
import type { IpFamily, Lease, NetworkRecord } from './types';

/** A change. Cursors travel as decimal strings: JSON has no BigInt. */
export type LeaseOp = { put: Lease } | { del: string } | { cursor: [IpFamily, string] };

export interface LeaseSnapshot {
  network: NetworkRecord;
  cursors: Partial<Record<IpFamily, string>>;
  leases: Lease[];
}

export class LeaseState implements LeaseView {
  readonly leases = new Map<string, Lease>();
  /** endpointId → its addresses: release by endpoint without a scan. */
  private readonly byEndpoint = new Map<string, string[]>();
  private readonly cursors = new Map<IpFamily, bigint>();
  private readonly counts: Record<IpFamily, number> = { 4: 0, 6: 0 };

  constructor(readonly network: NetworkRecord) {}

  static restore(snapshot: LeaseSnapshot): LeaseState {
    const state = new LeaseState(snapshot.network);
    for (const [family, offset] of Object.entries(snapshot.cursors)) state.cursors.set(Number(family) as IpFamily, BigInt(offset));
    for (const lease of snapshot.leases) state.apply({ put: lease });
    return state;
  }

  snapshot(): LeaseSnapshot {
    const cursors: LeaseSnapshot['cursors'] = {};
    for (const [family, offset] of this.cursors) cursors[family] = offset.toString();
    return { network: this.network, cursors, leases: [...this.leases.values()] };
  }

  get size(): number {
    return this.leases.size;
  }

  get(address: string): Lease | undefined {
    return this.leases.get(address);
  }

  ofEndpoint(endpointId: string): Lease[] {
    return (this.byEndpoint.get(endpointId) ?? []).map((a) => this.leases.get(a)!);
  }

  cursor(family: IpFamily): bigint | undefined {
    return this.cursors.get(family);
  }

  inRangeCount(family: IpFamily): number {
    return this.counts[family];
  }

  all(): Iterable<Lease> {
    return this.leases.values();
  }

  apply(op: LeaseOp): void {
    if ('put' in op) {
      const held = this.leases.get(op.put.address);
      if (held && held.owner.endpointId !== op.put.owner.endpointId) {
        // The allocator never does this, so a record that does is damage, and replaying it
        // silently would hide an address held twice.
        throw new StateCorruptError(`${op.put.address} is put for ${op.put.owner.endpointId} while ${held.owner.endpointId} holds it`, this.network.id);
      }
      this.delete(op.put.address);
      this.leases.set(op.put.address, op.put);
      const mine = this.byEndpoint.get(op.put.owner.endpointId);
      if (mine) mine.push(op.put.address);
      else this.byEndpoint.set(op.put.owner.endpointId, [op.put.address]);
      if (op.put.inRange) this.counts[op.put.family] += 1;
    } else if ('del' in op) {
      this.delete(op.del);
    } else {
      this.cursors.set(op.cursor[0], BigInt(op.cursor[1]));
    }
  }

  private delete(address: string): void {
    const lease = this.leases.get(address);
    if (!lease) return;
    this.leases.delete(address);
    const id = lease.owner.endpointId;
    const rest = (this.byEndpoint.get(id) ?? []).filter((a) => a !== address);
    if (rest.length) this.byEndpoint.set(id, rest);
    else this.byEndpoint.delete(id);
    if (lease.inRange) this.counts[lease.family] -= 1;
  }
}

/** How the file store persists a LeaseState through lib/state/journaled-file.ts. */
export const LEASE_CODEC: JournalCodec<LeaseState, LeaseOp> = {
  restore: (snapshot) => LeaseState.restore(snapshot as LeaseSnapshot),
  apply: (state, op) => state.apply(op),
  snapshot: (state) => state.snapshot(),
  entries: (state) => state.size,
};
