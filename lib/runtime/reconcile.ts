/**
 * Reconcile: compare the records with the kernel and repair both ways.
 * - Containers whose namespace vanished (or that the runtime says are not live) are torn
 *   down: rules, host-side veth, leases, record.
 * - Host-side veths that look like nsnet's but belong to no endpoint are deleted.
 * - Leases whose endpoint no record knows are freed.
 * - The ruleset is re-installed from the records when it drifted (someone ran
 *   `nft flush ruleset`, or deleted a map element by hand).
 * Everything it did is reported.
 */
import fs from 'node:fs';
import type { FirewallState, NetworkSpec, Publication } from '../firewall';
import type { HostContext } from './context';
import type { Containers } from './containers';
import { isNsnetVethName } from './ids';
import type { ContainerRecord, NetworkConfig } from './records';

export interface ReconcileReport {
  /** Names of containers torn down because their namespace was gone or they were not live. */
  removedContainers: string[];
  /** Orphaned host-side veths deleted. */
  deletedLinks: string[];
  /** Leases freed, as 'network-name address'. */
  freedLeases: string[];
  /** True when the ruleset was re-installed from the records. */
  firewallReinstalled: boolean;
}

/** The firewall state the records call for. */
export async function desiredFirewall(ctx: HostContext, networks: readonly NetworkConfig[], containers: readonly ContainerRecord[]): Promise<FirewallState> {
  const specs: NetworkSpec[] = [];
  for (const n of networks) {
    const ipamNet = await ctx.ipam.getNetwork(n.id);
    specs.push({ id: n.id, bridge: n.bridge, subnets: ipamNet.subnets.map((s) => s.subnet), masquerade: n.masquerade, icc: n.icc, internal: n.internal });
  }
  const byId = new Map(networks.map((n) => [n.id, n]));
  const publications: Publication[] = [];
  for (const c of containers) {
    for (const ep of c.endpoints) {
      const net = byId.get(ep.networkId);
      if (!net || (!ep.published?.length && net.icc)) continue;
      const ipv4 = ep.ipv4?.split('/')[0];
      const ipv6 = ep.ipv6?.split('/')[0];
      publications.push({
        endpoint: { id: ep.id, network: ep.networkId, port: ep.hostIfname, ...(ipv4 ? { ipv4 } : {}), ...(ipv6 ? { ipv6 } : {}), ...(ep.links?.length && !net.icc ? { links: ep.links } : {}) },
        mappings: [...(ep.published ?? [])],
      });
    }
  }
  return { networks: specs, publications };
}

/** Order-independent form of a firewall state, for comparing the kernel's with the records'. */
function canonical(state: { networks: ReadonlyArray<{ id: string; bridge: string; subnets: readonly string[] }>; publications: readonly Publication[] }): string {
  const networks = state.networks.map((n) => `${n.id} ${n.bridge} ${[...n.subnets].sort().join(',')}`).sort();
  const pubs = state.publications
    .map((p) => `${p.endpoint.id} ${(p.endpoint.links ?? []).map((l) => `${l.peer}/${l.proto}/${l.port}/${l.ipv4 ?? ''}/${l.ipv6 ?? ''}`).sort().join(',')} ${p.mappings.map((m) => `${m.family}/${m.proto}/${m.hostIp ?? '*'}:${m.hostPort}>${m.containerIp}:${m.containerPort}`).sort().join(',')}`)
    .sort();
  return JSON.stringify({ networks, pubs });
}

/** Is `file` still a network namespace (a bind mount of nsfs), not a leftover empty file? */
function namespaceAlive(file: string, nsfsDev: number): boolean {
  if (!fs.existsSync(file)) return false;
  try {
    return fs.statSync(file).dev === nsfsDev;
  } catch {
    return false;
  }
}

/**
 * Which containers the runtime still runs: their IDs or names, or a test asked of each
 * record under the host lock (so a container created meanwhile is never judged by a
 * list made before it existed).
 */
export type Liveness = readonly string[] | ((c: ContainerRecord) => boolean);

export async function reconcile(ctx: HostContext, containers: Containers, live?: Liveness): Promise<ReconcileReport> {
  return ctx.store.locked(async () => {
    const report: ReconcileReport = { removedContainers: [], deletedLinks: [], freedLeases: [], firewallReinstalled: false };
    const nsfsDev = ctx.hostNs.identity().dev;
    const liveSet = live === undefined || typeof live === 'function' ? undefined : new Set(live);
    const isLive = typeof live === 'function' ? live : liveSet ? (c: ContainerRecord) => liveSet.has(c.id) || liveSet.has(c.name) : undefined;

    // 1. Containers whose namespace is gone, or that the runtime no longer runs.
    for (const c of await ctx.store.containers()) {
      const gone = c.mode !== 'host' && !namespaceAlive(c.netnsPath, nsfsDev);
      const dead = isLive !== undefined && !isLive(c);
      if (!gone && !dead) continue;
      await containers.teardown(c);
      report.removedContainers.push(c.name);
    }
    const records = await ctx.store.containers();
    const networks = await ctx.store.networks();

    // 2. Host-side veths of endpoints nobody records.
    const known = new Set(records.flatMap((c) => c.endpoints.map((e) => e.hostIfname)));
    const orphans = (await ctx.rtnl.linkList()).filter((l) => l.name && isNsnetVethName(l.name) && l.linkinfo?.kind === 'veth' && !known.has(l.name));
    if (orphans.length) {
      const { missing } = await ctx.rtnl.linkDelMany(orphans.map((l) => l.index));
      report.deletedLinks.push(...orphans.filter((l) => !missing.includes(l.index)).map((l) => l.name!));
    }

    // 3. Leases of endpoints nobody records.
    const endpoints = new Set(records.flatMap((c) => c.endpoints.map((e) => e.id)));
    const names = new Map(networks.map((n) => [n.id, n.name]));
    const freed = await ctx.ipam.gc((owner) => endpoints.has(owner.endpointId), { networks: networks.map((n) => n.id) });
    report.freedLeases.push(...freed.map((l) => `${names.get(l.networkId) ?? l.networkId} ${l.address}`));

    // 4. The ruleset, re-installed if it is not what the records say.
    const want = await desiredFirewall(ctx, networks, records);
    const have = await ctx.firewall.snapshot();
    if (!have.complete || canonical(have) !== canonical(want)) {
      await ctx.firewall.reapply(want);
      report.firewallReinstalled = true;
    }
    return report;
  });
}
