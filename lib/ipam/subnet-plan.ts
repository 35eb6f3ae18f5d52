/**
 * A stored subnet compiled for allocation: which offsets may be handed out, which are
 * reserved, and how many that leaves. Offsets are BigInt distances from the subnet's
 * first address.
 *
 * Never allocated: offset 0 (IPv4's network address; IPv6's Subnet-Router anycast address,
 * RFC 4291 §2.6.1), the IPv4 broadcast address, the gateway and auxiliary addresses.
 */
import { Prefix } from './prefix';
import type { SubnetRecord } from './types';
import { parseAddress } from './prefix';

export class SubnetPlan {
  readonly prefix: Prefix;
  /** Offsets that are never handed out, with the reason (for the error message). */
  readonly reserved = new Map<bigint, string>();
  /** First and last offset of dynamic allocation (the ip-range ∩ the usable addresses). */
  readonly lo: bigint;
  readonly hi: bigint;
  /** Addresses dynamic allocation can hand out when nothing is leased. */
  readonly capacity: bigint;

  constructor(readonly record: SubnetRecord) {
    this.prefix = Prefix.parse(record.subnet, 'subnet');
    this.reserved.set(this.offsetOf(record.gateway), 'the gateway');
    for (const [name, address] of Object.entries(record.auxAddresses)) {
      this.reserved.set(this.offsetOf(address), `auxiliary address '${name}'`);
    }
    const range = record.ipRange === undefined ? this.prefix : Prefix.parse(record.ipRange, 'ipRange');
    const lo = range.base - this.prefix.base;
    const hi = lo + range.size - 1n;
    this.lo = lo > this.firstUsable ? lo : this.firstUsable;
    this.hi = hi < this.lastUsable ? hi : this.lastUsable;
    let reservedInRange = 0n;
    for (const offset of this.reserved.keys()) if (this.inRange(offset)) reservedInRange += 1n;
    this.capacity = this.hi >= this.lo ? this.hi - this.lo + 1n - reservedInRange : 0n;
  }

  get family(): 4 | 6 {
    return this.prefix.family;
  }

  get firstUsable(): bigint {
    return 1n;
  }

  get lastUsable(): bigint {
    return this.family === 4 ? this.prefix.size - 2n : this.prefix.size - 1n;
  }

  /** Offset of an address given in normal form (assumed inside the subnet). */
  offsetOf(address: string): bigint {
    return parseAddress(address, 'address').value - this.prefix.base;
  }

  addressAt(offset: bigint): string {
    return this.prefix.addressAt(offset);
  }

  /** Network or broadcast address: never assignable. */
  isUnusable(offset: bigint): boolean {
    return offset < this.firstUsable || offset > this.lastUsable;
  }

  inRange(offset: bigint): boolean {
    return offset >= this.lo && offset <= this.hi;
  }

  /** The offset after `offset` in the range, wrapping to its start. */
  next(offset: bigint): bigint {
    return offset >= this.hi ? this.lo : offset + 1n;
  }
}
