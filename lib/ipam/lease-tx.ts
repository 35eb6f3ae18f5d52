/**
 * A LeaseTx over a LeaseState: reads see the pending changes, the state itself is only
 * changed when the store applies ops() after `fn` returned — so an `fn` that throws
 * half-way leaves nothing behind, and the file store can journal exactly ops().
 */
import type { LeaseOp, LeaseState } from './lease-state';
import type { LeaseTx } from './store';
import type { IpFamily, Lease, NetworkRecord } from './types';

export class LeaseOverlay implements LeaseTx {
  private readonly changes: LeaseOp[] = [];
  /** address → new lease, or null when removed. */
  private readonly pending = new Map<string, Lease | null>();
  private readonly cursors = new Map<IpFamily, bigint>();
  private readonly countDelta: Record<IpFamily, number> = { 4: 0, 6: 0 };
  private sizeDelta = 0;

  constructor(private readonly base: LeaseState) {}

  get network(): NetworkRecord {
    return this.base.network;
  }

  get size(): number {
    return this.base.size + this.sizeDelta;
  }

  ops(): LeaseOp[] {
    return this.changes;
  }

  get(address: string): Lease | undefined {
    const p = this.pending.get(address);
    return p === undefined ? this.base.get(address) : p ?? undefined;
  }

  ofEndpoint(endpointId: string): Lease[] {
    const out = this.base.ofEndpoint(endpointId).filter((l) => !this.pending.has(l.address));
    for (const lease of this.pending.values()) if (lease && lease.owner.endpointId === endpointId) out.push(lease);
    return out;
  }

  cursor(family: IpFamily): bigint | undefined {
    return this.cursors.get(family) ?? this.base.cursor(family);
  }

  inRangeCount(family: IpFamily): number {
    return this.base.inRangeCount(family) + this.countDelta[family];
  }

  *all(): Iterable<Lease> {
    for (const lease of this.base.all()) if (!this.pending.has(lease.address)) yield lease;
    for (const lease of this.pending.values()) if (lease) yield lease;
  }

  put(lease: Lease): void {
    this.forget(lease.address);
    this.pending.set(lease.address, lease);
    this.sizeDelta += 1;
    if (lease.inRange) this.countDelta[lease.family] += 1;
    this.changes.push({ put: lease });
  }

  remove(address: string): void {
    if (!this.get(address)) return;
    this.forget(address);
    this.pending.set(address, null);
    this.changes.push({ del: address });
  }

  setCursor(family: IpFamily, offset: bigint): void {
    this.cursors.set(family, offset);
    this.changes.push({ cursor: [family, offset.toString()] });
  }

  /** Undoes the counting of whatever currently sits at `address`. */
  private forget(address: string): void {
    const old = this.get(address);
    if (!old) return;
    this.sizeDelta -= 1;
    if (old.inRange) this.countDelta[old.family] -= 1;
  }
}
