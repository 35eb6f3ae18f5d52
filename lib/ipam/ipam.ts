/**
 * IPAM: networks with subnets, and leases of addresses in them to endpoints.
 *
 * The logic is here and pure; where the state lives is the IpamStore's business. Every
 * input is validated before the store is touched, and every change runs inside one store
 * transaction, so a rejected or failed call changes nothing.
 */
import path from 'node:path';
import { ValidationError } from '../errors';
import { allocateOne } from './allocator';
import { NetworkInUseError, NetworkNotFoundError } from './errors';
import { FileStore, type FileStoreOptions } from './file-store';
import { planNetwork } from './network-plan';
import { resolveSpec, validateNetworkId } from './network-spec';
import { validateOwner } from './owner';
import { DEFAULT_BRIDGE_POOLS, DEFAULT_POOLS, type Pool, validatePools } from './pools';
import { type Address, parseAddress, Prefix } from './prefix';
import type { IpamStore, LeaseTx } from './store';
import { SubnetPlan } from './subnet-plan';
import type {
  Allocation,
  AllocationRequest,
  Assignment,
  FreedLease,
  IpFamily,
  Lease,
  LeaseOwner,
  LiveOwners,
  NetworkRecord,
  NetworkSpec,
  PoolSpec,
} from './types';

export interface IpamOptions {
  /** Pools for user networks, both families (Docker's default-address-pools). Default: DEFAULT_POOLS. */
  pools?: readonly PoolSpec[];
  /** Tried first for the default bridge's IPv4 subnet. Default: 172.17.0.0/16. */
  defaultBridgePools?: readonly PoolSpec[];
  /** Where createNetwork() gets the host's routes when the call does not pass them (e.g. `() => hostRoutes()`). */
  hostRoutes?: () => Promise<readonly string[]>;
  /** Clock for lease and network times (tests). */
  now?: () => Date;
  /** Random source for the ULA global id (tests). */
  random?: (n: number) => Buffer;
}

export interface CreateNetworkContext {
  /** The host's route prefixes; automatic subnets avoid them. Overrides IpamOptions.hostRoutes. */
  hostRoutes?: readonly string[];
}

const copyLease = (l: Lease): Lease => ({ ...l, owner: { ...l.owner } });

export class Ipam {
  private readonly pools: Pool[];
  private readonly bridgePools: Pool[];
  private readonly plans = new Map<string, Map<IpFamily, SubnetPlan>>();

  constructor(
    readonly store: IpamStore,
    private readonly options: IpamOptions = {},
  ) {
    this.pools = validatePools(options.pools ?? DEFAULT_POOLS, 'pools');
    this.bridgePools = validatePools(options.defaultBridgePools ?? DEFAULT_BRIDGE_POOLS, 'defaultBridgePools');
  }

  /** IPAM on the file store in `<stateDir>/ipam`. */
  static file(stateDir: string, options: IpamOptions & FileStoreOptions = {}): Ipam {
    return new Ipam(new FileStore(path.join(stateDir, 'ipam'), options), options);
  }

  /**
   * Creates a network. Subnets not given are chosen from the pools: the first that
   * overlaps no other network and no host route. A given subnet that overlaps another
   * network is refused (SubnetOverlapError); one that overlaps a host route is the user's
   * call, as in Docker.
   */
  async createNetwork(spec: NetworkSpec, context: CreateNetworkContext = {}): Promise<NetworkRecord> {
    const resolved = resolveSpec(spec);
    const routeList = context.hostRoutes ?? (await this.options.hostRoutes?.()) ?? [];
    if (!Array.isArray(routeList)) throw new ValidationError('hostRoutes: must be an array of prefixes', { field: 'hostRoutes', op: 'ipamCreateNetwork' });
    const routes = routeList.map((r, i) => Prefix.parse(r, `hostRoutes[${i}]`, { strict: false })).filter((p) => p.length > 0);
    const created = this.now().toISOString();
    const network = await this.store.createNetwork(({ networks, meta }) =>
      planNetwork(resolved, { networks, meta, pools: this.pools, bridgePools: this.bridgePools, routes, created, random: this.options.random }),
    );
    return structuredClone(network);
  }

  /** Deletes a network; refuses (NetworkInUseError) while it has leases, unless `force`. */
  async deleteNetwork(id: string, options: { force?: boolean } = {}): Promise<boolean> {
    validateNetworkId(id, 'networkId');
    return this.store.deleteNetwork(id, (leases) => {
      if (!options.force && leases.size > 0) throw new NetworkInUseError(id, leases.size);
    });
  }

  async listNetworks(): Promise<NetworkRecord[]> {
    return this.store.listNetworks();
  }

  /** Rejects with NetworkNotFoundError for an unknown id. */
  async getNetwork(id: string): Promise<NetworkRecord> {
    validateNetworkId(id, 'networkId');
    return this.store.readLeases(id, (view) => structuredClone(view.network));
  }

  /**
   * Leases addresses to an endpoint: one per family of the network (or of
   * `request.families`), the static `ip`/`ip6` when asked for. All or nothing: if one
   * family fails, none is leased. Idempotent per endpoint: asking again returns what it holds.
   */
  async allocate(networkId: string, owner: LeaseOwner, request: AllocationRequest = {}): Promise<Allocation> {
    const { allocation, synced } = await this.allocateDeferred(networkId, owner, request);
    await synced;
    return allocation;
  }

  /**
   * allocate() that resolves as soon as the lease is taken, with `synced` for when it is
   * on disk (see IpamStore.updateLeasesDeferred): a caller waits for the disk while it
   * does other work, and awaits `synced` before reporting success.
   */
  async allocateDeferred(networkId: string, owner: LeaseOwner, request: AllocationRequest = {}): Promise<{ allocation: Allocation; synced: Promise<void> }> {
    validateNetworkId(networkId, 'networkId');
    const who = validateOwner(owner);
    const wants = this.validateRequest(request);
    const time = this.now().toISOString();
    const update = <T>(fn: (tx: LeaseTx) => T): Promise<{ result: T; synced: Promise<void> }> =>
      this.store.updateLeasesDeferred
        ? this.store.updateLeasesDeferred(networkId, fn)
        : this.store.updateLeases(networkId, fn).then((result) => ({ result, synced: Promise.resolve() }));
    const { result: allocation, synced } = await update((tx) => {
      const plans = this.plansOf(tx.network);
      const families = [...(request.families ?? plans.keys())];
      for (const f of wants.keys()) if (!families.includes(f)) families.push(f);
      const out: Allocation = {};
      for (const family of families) {
        const plan = plans.get(family);
        if (!plan) {
          const field = wants.has(family) ? (family === 4 ? 'ip' : 'ip6') : 'families';
          throw new ValidationError(`${field}: network ${networkId} has no IPv${family} subnet`, { field, op: 'ipamAllocate' });
        }
        const lease = allocateOne(tx, plan, who, wants.get(family), time);
        const assignment: Assignment = Object.assign(copyLease(lease), { cidr: `${lease.address}/${plan.prefix.length}`, gateway: plan.record.gateway });
        out[family === 4 ? 'ipv4' : 'ipv6'] = assignment;
      }
      return out;
    });
    return { allocation, synced };
  }

  /** Frees one address. Idempotent: resolves undefined if it was not leased. */
  async release(networkId: string, address: string): Promise<Lease | undefined> {
    validateNetworkId(networkId, 'networkId');
    const { address: key } = parseAddress(address, 'address');
    return this.store.updateLeases(networkId, (tx) => {
      const lease = tx.get(key);
      if (!lease) return undefined;
      tx.remove(key);
      return copyLease(lease);
    });
  }

  /** Frees every address of an endpoint in a network. Idempotent. */
  async releaseEndpoint(networkId: string, endpointId: string): Promise<Lease[]> {
    validateNetworkId(networkId, 'networkId');
    const { endpointId: id } = validateOwner({ endpointId });
    return this.store.updateLeases(networkId, (tx) => {
      const leases = tx.ofEndpoint(id);
      for (const lease of leases) tx.remove(lease.address);
      return leases.map(copyLease);
    });
  }

  async leases(networkId: string): Promise<Lease[]> {
    validateNetworkId(networkId, 'networkId');
    return this.store.readLeases(networkId, (view) => [...view.all()].map(copyLease));
  }

  /**
   * Frees every lease whose owner is not live, in every network (or `options.networks`),
   * and returns what it freed. Liveness is judged outside the lock (the predicate may be
   * slow: it may look at namespaces); a lease re-allocated meanwhile is left alone.
   */
  async gc(live: LiveOwners, options: { networks?: readonly string[] } = {}): Promise<FreedLease[]> {
    const isLive = typeof live === 'function' ? live : ((ids: Set<string>) => (o: LeaseOwner) => ids.has(o.endpointId))(new Set(live));
    const ids = options.networks ?? (await this.store.listNetworks()).map((n) => n.id);
    const freed: FreedLease[] = [];
    for (const id of ids) {
      const leases = await this.leases(id).catch((err: unknown) => {
        if (err instanceof NetworkNotFoundError) return []; // deleted meanwhile: nothing to free
        throw err;
      });
      const dead: Lease[] = [];
      for (const lease of leases) if (!(await isLive(lease.owner))) dead.push(lease);
      if (dead.length === 0) continue;
      const gone = await this.store.updateLeases(id, (tx) =>
        dead.filter((d) => {
          const now = tx.get(d.address);
          if (!now || now.owner.endpointId !== d.owner.endpointId || now.time !== d.time) return false;
          tx.remove(d.address);
          return true;
        }),
      );
      freed.push(...gone.map((l) => ({ ...l, networkId: id })));
    }
    return freed;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private validateRequest(request: AllocationRequest): Map<IpFamily, Address> {
    if (typeof request !== 'object' || request === null) throw new ValidationError('request: must be an object', { field: 'request', op: 'ipamAllocate' });
    const wants = new Map<IpFamily, Address>();
    for (const [field, family] of [['ip', 4], ['ip6', 6]] as const) {
      const text = request[field];
      if (text === undefined) continue;
      const addr = parseAddress(text, field);
      if (addr.family !== family) throw new ValidationError(`${field}: ${addr.address} is not an IPv${family} address`, { field, target: addr.address, op: 'ipamAllocate' });
      wants.set(family, addr);
    }
    const fams = request.families;
    if (fams !== undefined && (!Array.isArray(fams) || fams.length === 0 || fams.some((f) => f !== 4 && f !== 6) || new Set(fams).size !== fams.length)) {
      throw new ValidationError('families: must be a non-empty list of distinct 4 and 6', { field: 'families', op: 'ipamAllocate' });
    }
    return wants;
  }

  /** Compiled subnets of a network; records are immutable, so compiled once per network. */
  private plansOf(network: NetworkRecord): Map<IpFamily, SubnetPlan> {
    const key = `${network.id}\0${network.created}`;
    let plans = this.plans.get(key);
    if (!plans) {
      plans = new Map(network.subnets.map((s) => [s.family, new SubnetPlan(s)]));
      this.plans.set(key, plans);
    }
    return plans;
  }
}
