/**
 * The IPAM data model. Everything here is plain JSON-able data: it is what the stores
 * persist and what the runtime reads back in a fresh process.
 */
import type { IpFamily } from '../validate';

export type { IpFamily };

/** Who holds an address. */
export interface LeaseOwner {
  endpointId: string;
  containerId?: string;
  /** Identity of the container's network namespace: 'dev:ino' (see netnsIdentity()) or a path. */
  netns?: string;
}

export interface Lease {
  /** Normal form ('172.18.0.2', 'fd00::2'); the key of the lease in its network. */
  address: string;
  family: IpFamily;
  owner: LeaseOwner;
  /** When it was allocated (ISO 8601). */
  time: string;
  /** Asked for by address (`ip`/`ip6`) rather than chosen by the allocator. */
  static?: boolean;
  /**
   * Inside the network's allocation range. Stores count these per family, which is how
   * exhaustion is detected in O(1); a static address outside the ip-range does not use up
   * the range.
   */
  inRange: boolean;
}

/** One subnet of a network, as stored. At most one per family. */
export interface SubnetRecord {
  family: IpFamily;
  /** '172.18.0.0/16' (no host bits). */
  subnet: string;
  gateway: string;
  /** Dynamic allocation draws from here (a prefix inside `subnet`); the whole subnet when absent. */
  ipRange?: string;
  /** Docker's --aux-address: name → address, never handed out. */
  auxAddresses: Record<string, string>;
  /** Chosen from a pool (true) or given by the user. */
  auto: boolean;
}

export interface NetworkRecord {
  id: string;
  name?: string;
  /** ISO 8601. */
  created: string;
  subnets: SubnetRecord[];
}

/** A subnet as the user writes it (Docker's `--subnet --gateway --ip-range --aux-address`). */
export interface SubnetSpec {
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  auxAddresses?: Record<string, string>;
}

export interface NetworkSpec {
  /** Stable id, used as a file name: [A-Za-z0-9][A-Za-z0-9_.-]{0,127}. */
  id: string;
  name?: string;
  /** An IPv4 subnet (default true); chosen from the pools unless `subnets` has one. */
  ipv4?: boolean;
  /** An IPv6 subnet (default false, or true when `subnets` has one); a ULA /64 unless given. */
  ipv6?: boolean;
  subnets?: SubnetSpec[];
  /** The default bridge: its IPv4 subnet comes from the default-bridge pool (172.17.0.0/16) first. */
  defaultBridge?: boolean;
}

/** A pool: subnets of prefix length `size` are cut from `base`. */
export interface PoolSpec {
  base: string;
  size: number;
}

export interface AllocationRequest {
  /** A static IPv4 address. */
  ip?: string;
  /** A static IPv6 address. */
  ip6?: string;
  /** Families to allocate; every family of the network by default. */
  families?: IpFamily[];
}

/** An allocated address with what an interface needs to use it. */
export interface Assignment extends Lease {
  /** '172.18.0.2/16'. */
  cidr: string;
  gateway: string;
}

export interface Allocation {
  ipv4?: Assignment;
  ipv6?: Assignment;
}

/** A lease that gc() freed, with its network. */
export interface FreedLease extends Lease {
  networkId: string;
}

/** Live endpoint ids, or a predicate on owners (e.g. "does its namespace still exist?"). */
export type LiveOwners = Iterable<string> | ((owner: LeaseOwner) => boolean | Promise<boolean>);
