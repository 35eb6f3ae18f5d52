/**
 * An endpoint: one container interface on one network. Attaching leases its addresses,
 * creates the veth pair, and configures the container end and the firewall — each step
 * undone if a later one fails. Leasing is separate so that a new container can lease
 * while its namespace is being created.
 */
import { randomBytes } from 'node:crypto';
import { isNotFound } from '../errors';
import type { LinkAllow, PortInput, PortMapping } from '../firewall';
import { netnsIdentity, type Allocation } from '../ipam';
import type { Netns } from '../netns/netns';
import { RtnlBatch } from '../rtnl/batch';
import type { LinkRef } from '../rtnl/types';
import type { HostContext } from './context';
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

function ignoreGone(err: unknown): void {
  if (!isNotFound(err)) throw err;
}

/** An endpoint's id and addresses, leased before its interface exists. */
export interface EndpointLease {
  id: string;
  alloc: Allocation;
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
): Promise<EndpointLease> {
  const id = newId();
  const owner = { endpointId: id, containerId: container.id, netns: container.netns };
  const alloc = await tx.step(
    `ipam ${network.name}`,
    () => ctx.ipam.allocate(network.id, owner, { ...(request.ip ? { ip: request.ip } : {}), ...(request.ip6 ? { ip6: request.ip6 } : {}) }),
    () => ctx.ipam.releaseEndpoint(network.id, id).then(() => undefined),
  );
  return { id, alloc };
}

/**
 * Creates a leased endpoint's interface: the veth pair (host end enslaved to the bridge
 * and up, container end born in the container's namespace under its final name), then,
 * at once, the container end's configuration (one batch) and the firewall's (one batch).
 * With `loopbackUp`, the container's lo comes up in the same batch (a fresh namespace).
 */
export async function plugEndpoint(
  ctx: HostContext,
  tx: Transaction,
  container: { netns: Netns; loopbackUp?: boolean },
  network: NetworkConfig,
  request: EndpointRequest,
  { id, alloc }: EndpointLease,
): Promise<EndpointRecord> {
  const hostIfname = hostVethName(id);
  const mac = request.mac ?? macFor(alloc);
  const mtu = network.mtu === undefined ? {} : { mtu: network.mtu };
  const vethTo = (master: LinkRef) =>
    ctx.rtnl.linkAdd({ kind: 'veth', name: hostIfname, master, up: true, ...mtu, peer: { name: request.ifname, netns: container.netns, mac, ...mtu } });
  const hostEnd = await tx.step(
    `veth ${hostIfname}`,
    async () => {
      const known = ctx.bridgeIndexes.get(network.bridge);
      if (known !== undefined) {
        try {
          return await vethTo(known);
        } catch {
          ctx.bridgeIndexes.delete(network.bridge); // stale: the request failed as a whole, try by name
        }
      }
      const link = await vethTo(network.bridge);
      if (link.master !== undefined) ctx.bridgeIndexes.set(network.bridge, link.master);
      return link;
    },
    (link) => ctx.rtnl.linkDel(link.index).catch(ignoreGone),
  );
  // IFLA_LINK of the host end is the container end's ifindex in its namespace.
  const inner = hostEnd.link ?? (await (await container.netns.handle()).linkIndex(request.ifname));
  const configure = (): Promise<void> =>
    tx.step(`configure ${request.ifname}`, async () => {
      const batch = new RtnlBatch();
      if (container.loopbackUp) batch.linkSet(1, { up: true }); // lo is ifindex 1 in every namespace
      // An interface on an IPv4-only network gets no IPv6 address, not even a link-local
      // one (Docker disables IPv6 on such interfaces since 26.0). Without one the link
      // sends no DAD, MLD or router solicitations, which the bridge floods to every other
      // container: that flood made each new container cost O(N) in kernel work (measured
      // with the C floor: 0.5 ms each for the first 50 of 500, 6.5 ms for the last 50).)
      batch.linkSet(inner, alloc.ipv6 ? { up: true } : { addrGenMode: 'none', up: true });
      if (alloc.ipv4) batch.addrAdd(inner, alloc.ipv4.cidr);
      // No DAD: the address is unique by construction, and usable the moment we return.
      if (alloc.ipv6) batch.addrAdd(inner, alloc.ipv6.cidr, { noDad: true });
      if (request.defaultRoute && alloc.ipv4) batch.routeAdd({ dst: 'default', gateway: alloc.ipv4.gateway, dev: inner });
      if (request.defaultRoute && alloc.ipv6) batch.routeAdd({ dst: 'default', gateway: alloc.ipv6.gateway, dev: inner });
      await (await container.netns.handle()).apply(batch, request.ifname);
    });
  const v4 = alloc.ipv4?.address;
  const v6 = alloc.ipv6?.address;
  // Every endpoint of an icc-off network registers its bridge port with the firewall;
  // others only when they publish something. The firewall matches the port by name, so
  // its batch need not wait for the container end's configuration.
  const ports = request.ports ?? [];
  const links = network.icc ? [] : request.links ?? [];
  const publish = (): Promise<PortMapping[]> =>
    ports.length || !network.icc
      ? tx.step(
          'publish',
          () =>
            ctx.firewall.publish(
              { id, network: network.id, port: hostIfname, ...(v4 ? { ipv4: v4 } : {}), ...(v6 ? { ipv6: v6 } : {}), ...(links.length ? { links } : {}) },
              ports,
            ),
          () => ctx.firewall.unpublish(id).then(() => undefined),
        )
      : Promise.resolve([]);
  const [, published] = await tx.all<[void, PortMapping[]]>([configure, publish]);
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

/** Leases and plugs an endpoint into a container whose namespace exists (connect). */
export async function attachEndpoint(
  ctx: HostContext,
  tx: Transaction,
  container: { id: string; netns: Netns },
  network: NetworkConfig,
  request: EndpointRequest,
): Promise<EndpointRecord> {
  const lease = await leaseEndpoint(ctx, tx, { id: container.id, netns: netnsIdentity(container.netns.identity()) }, network, request);
  return plugEndpoint(ctx, tx, { netns: container.netns }, network, request, lease);
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
