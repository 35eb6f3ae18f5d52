/**
 * An endpoint: one container interface on one network. Attaching leases its addresses,
 * creates the veth pair, and configures the container end and the firewall — each step
 * undone if a later one fails. Leasing is separate so that a new container can lease
 * while its namespace is being created.
 */
import { randomBytes } from 'node:crypto';
import { isNotFound, NsnetError } from '../errors';
import type { LinkAllow, PortInput } from '../firewall';
import { netnsIdentity, type Allocation } from '../ipam';
import type { NsFd } from '../native';
import type { Netns } from '../netns/netns';
import { peerIndexStep, rtnlBatchStep, rtnlRequestStep, withPeerIndex } from '../rtnl/plan-steps';
import type { HostContext } from './context';
import { TxPlan, type PlanNamespace } from './kernel-plan';
import { hostVethName, newId } from './ids';
import type { EndpointRecord, NetworkConfig } from './records';
import type { Transaction } from './transaction';

export interface EndpointRequest {
  ifname: string;
  aliases?: string[];
  ip?: string;
  ip6?: string;
  mac?: string;
  /** Route the container's default traffic through this network (its first one). */
  defaultRoute: boolean;
  /** Ports to publish to this endpoint (-p / -P), already validated. */
  ports?: PortInput[];
  /** Linked containers' exposed ports this endpoint may reach on an icc=off network. */
  links?: LinkAllow[];
}

/**
 * Docker's MAC for an IPv4 endpoint: 02:42 followed by the address, so the MAC is stable
 * for the address and locally administered (bit 1 of the first octet).
 */
export function macFor(allocation: Allocation): string {
  const bytes = allocation.ipv4 ? [0x02, 0x42, ...allocation.ipv4.address.split('.').map(Number)] : [0x02, ...randomBytes(5)];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

const prefixLength = (cidr: string): number => Number(cidr.slice(cidr.indexOf('/') + 1));

function ignoreGone(err: unknown): void {
  if (!isNotFound(err)) throw err;
}

/** An endpoint's id and addresses, leased before its interface exists. */
export interface EndpointLease {
  id: string;
  alloc: Allocation;
  /** When the lease is on disk: await it before reporting the endpoint as made. */
  synced: Promise<void>;
}

/**
 * Leases an endpoint's addresses. `netns` names the container's namespace in the lease
 * (an identity or a path, see LeaseOwner): a path lets the lease be taken while the
 * namespace is still being created.
 */
export async function leaseEndpoint(
  ctx: HostContext,
  tx: Transaction,
  container: { id: string; netns: string },
  network: NetworkConfig,
  request: Pick<EndpointRequest, 'ip' | 'ip6'>,
  id: string = newId(),
): Promise<EndpointLease> {
  const owner = { endpointId: id, containerId: container.id, netns: container.netns };
  const { allocation, synced } = await tx.step(
    `ipam ${network.name}`,
    () => ctx.ipam.allocateDeferred(network.id, owner, { ...(request.ip ? { ip: request.ip } : {}), ...(request.ip6 ? { ip6: request.ip6 } : {}) }),
    // After a failed fdatasync too: the release is a record of its own.
    async (taken) => {
      await taken.synced.catch(() => undefined);
      await ctx.ipam.releaseEndpoint(network.id, id);
    },
  );
  return { id, alloc: allocation, synced };
}

/** Where a plugged endpoint's container end goes. */
export interface PlugTarget {
  /** A namespace the plan makes (a new container's) or an existing one it enters. */
  ns: PlanNamespace;
  /** Bring the namespace's lo up as well (a fresh namespace). */
  loopbackUp?: boolean;
}

/** A linkAdd that failed with a bridge ifindex from ctx.bridgeIndexes: worth one retry by name. */
export class StaleBridgeIndexError extends Error {
  constructor(readonly bridge: string, override readonly cause: unknown) {
    super(`bridge ${bridge}: remembered ifindex is stale`);
  }
}

/** The bridge's ifindex: remembered (see HostContext.bridgeIndexes), else one lookup. */
async function bridgeIndex(ctx: HostContext, bridge: string): Promise<{ index: number; remembered: boolean }> {
  const known = ctx.bridgeIndexes.get(bridge);
  if (known !== undefined) return { index: known, remembered: true };
  const index = await ctx.rtnl.linkIndex(bridge);
  ctx.bridgeIndexes.set(bridge, index);
  return { index, remembered: false };
}

/**
 * Plugs an endpoint in as one NetlinkPlan (one thread hand-off), opened before the
 * endpoint has its addresses: the namespace (when the plan makes it), the veth pair (host
 * end enslaved to the bridge and up, container end born in the container's namespace
 * under its final name) and the lookup of the container end's ifindex go to the kernel
 * at once, and run while the lease is taken and the firewall change is planned; then
 * complete() adds the container end's configuration (one batch) and the firewall's (one
 * batch). With `loopbackUp`, the container's lo comes up in the configuration batch.
 * finish() must be called in every case (see TxPlan).
 */
export class Plug {
  private constructor(
    private readonly ctx: HostContext,
    private readonly network: NetworkConfig,
    private readonly target: PlugTarget,
    private readonly master: { index: number; remembered: boolean },
    private readonly plan: TxPlan,
    readonly id: string,
    readonly hostIfname: string,
  ) {}

  static async start(ctx: HostContext, tx: Transaction, target: PlugTarget, network: NetworkConfig, ifname: string, id: string = newId()): Promise<Plug> {
    const hostIfname = hostVethName(id);
    const master = await bridgeIndex(ctx, network.bridge);
    const veth = ctx.plugTemplates.veth({ ifname, master: master.index, ...(network.mtu === undefined ? {} : { mtu: network.mtu }) }, hostIfname, ctx.rtnl.planSocket);
    const plan = new TxPlan(tx, target.ns, [
      {
        ...rtnlRequestStep(`veth ${hostIfname}`, veth.message, { op: 'linkAdd', target: hostIfname }, ctx.rtnl.planSocket),
        patch: [{ from: 'ns', to: [veth.nsFdAt] }],
        undo: () => ctx.rtnl.linkDel(hostIfname).catch(ignoreGone),
      },
      peerIndexStep(ifname, ctx.plugTemplates.lookup(ifname)),
    ]);
    return new Plug(ctx, network, target, master, plan, id, hostIfname);
  }

  /**
   * With the endpoint's lease: plans its configuration and firewall change and adds them
   * to the plan. Resolves with the endpoint as it is once finish() succeeded (host ports
   * chosen included), so a caller can write the record while the kernel works.
   */
  async complete(request: EndpointRequest, { alloc }: EndpointLease): Promise<EndpointRecord> {
    const { ctx, network, id, hostIfname } = this;
    const mac = request.mac ?? macFor(alloc);
    const v4 = alloc.ipv4?.address;
    const v6 = alloc.ipv6?.address;
    // The container end's configuration goes to the kernel first: it runs while the
    // firewall change is planned here (the plan's thread keeps off this CPU: TxPlan).
    const configure = ctx.plugTemplates.configure(
      {
        loopbackUp: this.target.loopbackUp === true,
        defaultRoute: request.defaultRoute,
        ...(alloc.ipv4 ? { ipv4: { prefixLength: prefixLength(alloc.ipv4.cidr), gateway: alloc.ipv4.gateway } } : {}),
        ...(alloc.ipv6 ? { ipv6: { prefixLength: prefixLength(alloc.ipv6.cidr), gateway: alloc.ipv6.gateway } } : {}),
      },
      { mac, ...(alloc.ipv4 ? { ipv4: alloc.ipv4.cidr } : {}), ...(alloc.ipv6 ? { ipv6: alloc.ipv6.cidr } : {}) },
    );
    this.plan.add([withPeerIndex(rtnlBatchStep(`configure ${request.ifname}`, configure.messages, configure.entries, undefined, request.ifname), 1, configure.indexAt)]);
    // Every endpoint of an icc-off network registers its bridge port with the firewall;
    // others only when they publish something. The firewall matches the port by name, so
    // its batch need not wait for the container end's configuration.
    const ports = request.ports ?? [];
    const links = network.icc ? [] : request.links ?? [];
    const publication =
      ports.length || !network.icc
        ? await ctx.firewall.preparePublish(
            { id, network: network.id, port: hostIfname, ...(v4 ? { ipv4: v4 } : {}), ...(v6 ? { ipv6: v6 } : {}), ...(links.length ? { links } : {}) },
            ports,
          )
        : undefined;
    try {
      const firewall = publication && ctx.firewall.nft.planStep('publish', publication.batch);
      if (publication && firewall) {
        this.plan.add([
          {
            ...firewall,
            settle: async (ran) => {
              if (ran) await publication.commit();
              else publication.abort();
            },
            undo: () => ctx.firewall.unpublish(id).then(() => undefined),
          },
        ]);
      } else if (publication) {
        // Nothing to send (an empty batch): the publication stands as planned.
        await publication.commit();
      }
    } catch (err) {
      publication?.abort(); // unless the plan already took it
      throw err;
    }
    const published = publication ? publication.mappings.map((m) => ({ ...m })) : [];
    return {
      id,
      networkId: network.id,
      ifname: request.ifname,
      hostIfname,
      mac,
      ...(alloc.ipv4 ? { ipv4: alloc.ipv4.cidr, gateway: alloc.ipv4.gateway } : {}),
      ...(alloc.ipv6 ? { ipv6: alloc.ipv6.cidr, gateway6: alloc.ipv6.gateway } : {}),
      aliases: [...(request.aliases ?? [])],
      ...(request.ip ? { staticIp: request.ip } : {}),
      ...(request.ip6 ? { staticIp6: request.ip6 } : {}),
      ...(published.length ? { published } : {}),
      ...(links.length ? { links } : {}),
    };
  }

  /** Ends the plan and waits for it (see TxPlan.finish); resolves with the fd of a namespace it made. */
  async finish(): Promise<{ ns?: NsFd }> {
    try {
      const outcome = await this.plan.finish();
      return outcome.ns ? { ns: outcome.ns } : {};
    } catch (err) {
      if (this.master.remembered && err instanceof NsnetError && err.op === 'linkAdd' && err.target === this.hostIfname) {
        this.ctx.bridgeIndexes.delete(this.network.bridge);
        throw new StaleBridgeIndexError(this.network.bridge, err);
      }
      throw err;
    }
  }
}

/** Leases and plugs an endpoint into a container whose namespace exists (connect). */
export async function attachEndpoint(
  ctx: HostContext,
  tx: Transaction,
  container: { id: string; netns: Netns },
  network: NetworkConfig,
  request: EndpointRequest,
): Promise<EndpointRecord> {
  const plug = await Plug.start(ctx, tx, { ns: { enter: container.netns } }, network, request.ifname);
  let endpoint: EndpointRecord;
  let lease: EndpointLease;
  try {
    lease = await leaseEndpoint(ctx, tx, { id: container.id, netns: netnsIdentity(container.netns.identity()) }, network, request, plug.id);
    endpoint = await plug.complete(request, lease);
  } catch (err) {
    await plug.finish().catch(() => undefined); // registers the undo of what ran
    throw err;
  }
  await tx.all([() => plug.finish(), () => lease.synced]);
  return endpoint;
}

/**
 * Removes an endpoint's veth pair (the container end goes with it) and frees its leases.
 * Idempotent, and works when the container's namespace is already gone.
 */
export async function detachEndpoint(ctx: HostContext, endpoint: EndpointRecord): Promise<void> {
  await ctx.firewall.unpublish(endpoint.id);
  await ctx.rtnl.linkDel(endpoint.hostIfname).catch(ignoreGone);
  await ctx.ipam.releaseEndpoint(endpoint.networkId, endpoint.id).catch(ignoreGone);
}
