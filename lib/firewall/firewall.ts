/**
 * Firewall: nsnet's ruleset in one network namespace (the container host's), one
 * nf_tables batch per intent — a network added or removed, an endpoint's ports published
 * or unpublished, everything re-applied from the records. Input is validated and port
 * conflicts are found before any batch is sent; a batch the kernel refuses changes
 * nothing. See ruleset.ts for the tables and chains.
 *
 *   const fw = await Firewall.open(hostNs);
 *   await enableForwarding(hostNs);
 *   await fw.ensureBase();
 *   await fw.addNetwork({ id: 'n1', bridge: 'br-n1', subnets: ['172.18.0.0/16'] });
 *   await fw.publish({ id: 'e1', network: 'n1', ipv4: '172.18.0.2', port: 'veth1' }, ['8080:80', '53/udp']);
 */
import { ConntrackHandle } from '../conntrack';
import { isNotFound, NsnetError, ValidationError } from '../errors';
import { ipToBytes } from '../netlink/addresses';
import { Netns } from '../netns/netns';
import { NftHandle } from '../nft';
import type { NftBatch } from '../netlink/nft';
import { validateIp } from '../validate';
import { PortIndex } from './port-index';
import { parsePortRange, parsePortSpec, resolveMappings, validatePortSpec } from './ports';
import {
  BRIDGE,
  INET,
  inSubnets,
  subnetsOverlap,
  planAddNetwork,
  planBase,
  planPublish,
  planReapply,
  planRemoveNetwork,
  planUninstall,
  planUnpublishMany,
  resolveEndpoint,
  resolveNetwork,
  TABLE,
} from './ruleset';
import { readSnapshot, tableExists } from './snapshot';
import type { EndpointSpec, FirewallSnapshot, FirewallState, IpFamily, NetworkSpec, PortInput, PortMapping, PortRange, Publication, ResolvedNetwork } from './types';
import { PROTOS } from './types';

/** A publication planned by Firewall.preparePublish, waiting for its batch to be applied. */
export interface PreparedPublish {
  /** The nf_tables batch to apply (empty: nothing to send). */
  readonly batch: NftBatch;
  /** What the batch installs (ephemeral host ports chosen). */
  readonly mappings: readonly PortMapping[];
  /** The batch was applied: record the publication; resolves with the mappings. */
  commit(): Promise<PortMapping[]>;
  /** The batch was not applied: forget the plan. A no-op once commit() or abort() was called. */
  abort(): void;
}

export interface FirewallOptions {
  /**
   * Flush the conntrack entries of a UDP host port when a mapping of it is added or
   * removed (default true), so that a stale entry cannot keep sending a flow to the old
   * container (or to the host itself).
   */
  flushConntrack?: boolean;
}

/**
 * Like `sysctl -w net.ipv4.ip_forward=1` inside `ns` (the host namespace), and with `ipv6`
 * also `net.ipv6.conf.all.forwarding=1`. IPv6 forwarding is opt-in, as in Docker: it makes
 * the host's interfaces stop accepting router advertisements (unless accept_ra=2), which
 * can take away a host's own SLAAC default route.
 */
export async function enableForwarding(ns: Netns, options: { ipv6?: boolean } = {}): Promise<void> {
  await ns.setSysctl('net/ipv4/ip_forward', 1);
  if (options.ipv6) await ns.setSysctl('net/ipv6/conf/all/forwarding', 1);
}

function sameNetwork(a: ResolvedNetwork, b: ResolvedNetwork): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A mapping from the records, checked as strictly as one made by publish. */
function validateMapping(m: PortMapping, where: string): PortMapping {
  const fail = (why: string): never => {
    throw new ValidationError(`${where}: ${why}`, { field: where });
  };
  if (m === null || typeof m !== 'object') fail('not a mapping');
  if (m.family !== 4 && m.family !== 6) fail(`family ${String(m.family)}`);
  if (!PROTOS.includes(m.proto)) fail(`unknown protocol '${String(m.proto)}'`);
  for (const p of [m.hostPort, m.containerPort]) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) fail(`port ${String(p)} is outside 1-65535`);
  }
  const c = validateIp(m.containerIp, `${where}.containerIp`);
  if (c.family !== m.family) fail(`containerIp ${m.containerIp} is not IPv${m.family}`);
  const out: PortMapping = { family: m.family, proto: m.proto, hostPort: m.hostPort, containerIp: c.address, containerPort: m.containerPort };
  if (m.hostIp !== undefined) {
    const h = validateIp(m.hostIp, `${where}.hostIp`);
    if (h.family !== m.family) fail(`hostIp ${m.hostIp} is not IPv${m.family}`);
    if (h.address !== '0.0.0.0' && h.address !== '::') out.hostIp = h.address;
  }
  return out;
}

export class Firewall implements Disposable {
  private networks = new Map<string, ResolvedNetwork>();
  private index = new PortIndex();
  private baseChecked = false;
  /** Bridges whose route_localnet this instance has switched on. */
  private readonly localnet = new Set<string>();
  private ephemeral: PortRange | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    /** The host namespace. */
    readonly ns: Netns,
    /** The nf_tables handle every batch goes through (one apply() per intent). */
    readonly nft: NftHandle,
    private readonly conntrack: ConntrackHandle | undefined,
    private readonly ownsNs: boolean,
  ) {}

  /**
   * Opens the firewall of `ns` (null: the namespace this process runs in) and loads what
   * nsnet already installed there (networks, published ports), so a fresh process knows
   * which host ports are taken.
   */
  static async open(ns: Netns | null = null, options: FirewallOptions = {}): Promise<Firewall> {
    const netns = ns ?? (await Netns.current());
    let h: NftHandle | undefined;
    let ct: ConntrackHandle | undefined;
    try {
      h = await NftHandle.open(netns.fd);
      if (options.flushConntrack ?? true) ct = await ConntrackHandle.open(netns.fd);
      const fw = new Firewall(netns, h, ct, ns === null);
      const snap = await readSnapshot(h);
      if (snap.installed) {
        fw.baseChecked = true;
        for (const n of snap.networks) fw.networks.set(n.id, n);
        for (const p of snap.publications) if (fw.networks.has(p.endpoint.network)) fw.index.add(p);
      }
      return fw;
    } catch (err) {
      h?.close();
      ct?.close();
      if (ns === null) netns.close();
      throw err;
    }
  }

  get closed(): boolean {
    return this.nft.closed;
  }

  close(): void {
    this.nft.close();
    this.conntrack?.close();
    if (this.ownsNs) this.ns.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Runs mutations one at a time: a conflict check and its batch must not interleave. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Creates nsnet's tables, base chains, sets and maps and (re)writes its static rules —
   * one batch, idempotent. The user chain is created once and never touched again; the
   * networks' chains and all elements are left as they are.
   */
  ensureBase(): Promise<void> {
    return this.serial(() => this.base(true));
  }

  private async base(force: boolean): Promise<void> {
    if (!force && this.baseChecked) return;
    if (!force && (await tableExists(this.nft, INET))) {
      this.baseChecked = true;
      return;
    }
    await this.nft.apply(planBase());
    this.baseChecked = true;
  }

  /** The records this instance holds: what reapply() would install. */
  state(): FirewallState {
    return { networks: [...this.networks.values()], publications: this.index.all() };
  }

  /**
   * The endpoint that publishes a host port `m` would overlap, if any: a lookup in the
   * index publish() checks against, for callers that refuse conflicts before doing other
   * work (state() would copy every publication).
   */
  portHolder(m: Pick<PortMapping, 'family' | 'proto' | 'hostIp' | 'hostPort'>): { endpointId: string; hostIp: string | undefined } | undefined {
    return this.index.holder(m);
  }

  /** The mappings an endpoint has now. */
  mappings(endpointId: string): PortMapping[] {
    return [...(this.index.get(endpointId)?.mappings ?? [])];
  }

  /** What the kernel holds of nsnet's ruleset (for reconcile); reads only. */
  snapshot(): Promise<FirewallSnapshot> {
    return readSnapshot(this.nft);
  }

  /**
   * A network's rules: forwarding for its bridge, masquerade of its subnets, isolation, icc,
   * internal. One batch. Adding the same network again is a no-op; the same id with another
   * spec, a bridge of another network or an overlapping subnet is a ValidationError.
   */
  async addNetwork(spec: NetworkSpec): Promise<void> {
    const n = resolveNetwork(spec);
    return this.serial(async () => {
      const existing = this.networks.get(n.id);
      if (existing !== undefined) {
        if (sameNetwork(existing, n)) return;
        throw new ValidationError(`addNetwork: network ${n.id} exists with another spec; remove it first`, { field: 'network.id', op: 'addNetwork', target: n.id });
      }
      for (const other of this.networks.values()) {
        if (other.bridge === n.bridge) {
          throw new ValidationError(`addNetwork: bridge ${n.bridge} belongs to network ${other.id}`, { field: 'network.bridge', op: 'addNetwork', target: n.id });
        }
        for (const a of n.subnets) {
          const clash = other.subnets.find((b) => subnetsOverlap(a, b));
          if (clash !== undefined) {
            throw new ValidationError(`addNetwork: subnet ${a} overlaps ${clash} of network ${other.id}`, { field: 'network.subnets', op: 'addNetwork', target: n.id });
          }
        }
      }
      await this.base(false);
      await this.nft.apply(planAddNetwork(n));
      this.networks.set(n.id, n);
    });
  }

  /**
   * Removes a network's rules and its endpoints' published ports. One batch (a readback
   * and a reapply instead if someone removed part of it behind nsnet's back). Resolves
   * false if nsnet knows no such network.
   */
  removeNetwork(id: string): Promise<boolean> {
    return this.serial(async () => {
      const n = this.networks.get(id);
      if (n === undefined) return false;
      const pubs = this.index.all().filter((p) => p.endpoint.network === id);
      await this.applyRemoval(planRemoveNetwork(n, pubs), () => ({
        networks: [...this.networks.values()].filter((x) => x.id !== id),
        publications: this.index.all().filter((p) => p.endpoint.network !== id),
      }));
      this.networks.delete(id);
      for (const p of pubs) this.index.remove(p.endpoint.id);
      await this.flushUdp(pubs.flatMap((p) => p.mappings));
      return true;
    });
  }

  /**
   * Publishes an endpoint's ports (Docker's `-p` forms, see ports.ts) and, on an icc=false
   * network, puts its bridge port in the bridge table's drop set. Call it when the endpoint
   * is attached, with [] if it publishes nothing. Publishing again replaces the endpoint's
   * previous mappings in the same batch. Resolves with the mappings installed (ephemeral
   * host ports filled in).
   *
   * Throws before any batch: ValidationError for bad input, PortConflictError when a host
   * port is taken by another endpoint.
   */
  async publish(endpoint: EndpointSpec, ports: readonly PortInput[] = []): Promise<PortMapping[]> {
    const prepared = await this.preparePublish(endpoint, ports);
    try {
      await this.nft.apply(prepared.batch);
    } catch (err) {
      prepared.abort();
      throw err;
    }
    return prepared.commit();
  }

  /**
   * publish() in two halves, for a caller that sends the batch together with other kernel
   * work (lib/plan.ts: one thread hand-off for a whole container): checks and plans now,
   * and holds the firewall's queue until the caller reports that `batch` was applied
   * (`commit()`, which resolves with the mappings) or was not (`abort()`). One of the two
   * must be called. An empty batch has nothing to send.
   */
  async preparePublish(endpoint: EndpointSpec, ports: readonly PortInput[] = []): Promise<PreparedPublish> {
    const e = resolveEndpoint(endpoint);
    if (!Array.isArray(ports)) throw new ValidationError('publish: ports must be an array', { field: 'ports', op: 'publish' });
    const specs = ports.map((p) => (typeof p === 'string' ? parsePortSpec(p) : validatePortSpec(p)));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let planned!: (p: PreparedPublish) => void;
    const ready = new Promise<PreparedPublish>((resolve) => (planned = resolve));
    const queued = this.serial(async () => {
      const n = this.networks.get(e.network);
      if (n === undefined) throw new ValidationError(`publish: unknown network ${e.network}`, { field: 'endpoint.network', op: 'publish', target: e.id });
      if (n.internal && specs.length > 0) {
        throw new ValidationError(`publish: network ${n.id} is internal; nothing can be published from it`, { field: 'ports', op: 'publish', target: e.id });
      }
      if (!n.icc && e.port === undefined) {
        throw new ValidationError(`publish: network ${n.id} has icc off; the endpoint's bridge port is needed`, { field: 'endpoint.port', op: 'publish', target: e.id });
      }
      for (const [f, addr] of [[4, e.ipv4], [6, e.ipv6]] as const) {
        const subnets = n.subnets.filter((s) => s.includes(':') === (f === 6));
        if (addr !== undefined && subnets.length > 0 && !inSubnets(addr, subnets)) {
          throw new ValidationError(`publish: ${addr} is not in network ${n.id} (${subnets.join(', ')})`, { field: `endpoint.ipv${f}`, op: 'publish', target: e.id });
        }
      }
      const range = specs.some((s) => s.hostPorts === undefined) ? await this.ephemeralRange() : undefined;
      // Host ports this request names or has chosen, so ephemeral ones avoid them.
      const taken = new Set<string>();
      for (const s of specs) if (s.hostPorts) for (let p = s.hostPorts.start; p <= s.hostPorts.end; p++) taken.add(`${s.proto}/${p}`);
      const mappings = specs.flatMap((s) =>
        resolveMappings(s, e, (proto, families, hostIp) => {
          const port = this.index.choose(range!, proto, families, hostIp, taken);
          taken.add(`${proto}/${port}`);
          return port;
        }),
      );
      this.index.check(e.id, mappings);
      const previous = this.index.get(e.id);
      const pub: Publication = { endpoint: e, mappings };
      if (mappings.some((m) => m.family === 4)) await this.routeLocalnet(n.bridge);
      const previousNetwork = previous ? this.networks.get(previous.endpoint.network) : undefined;
      let settled = false;
      const settle = (): void => {
        if (settled) throw new Error('preparePublish: commit() or abort() was already called');
        settled = true;
      };
      planned({
        batch: planPublish(pub, n, previous, previousNetwork),
        mappings: mappings.map((m) => ({ ...m })),
        commit: async () => {
          settle();
          try {
            this.index.add(pub);
            await this.flushUdp([...mappings, ...(previous?.mappings ?? [])]);
            return mappings.map((m) => ({ ...m }));
          } finally {
            release();
          }
        },
        abort: () => {
          if (settled) return;
          settled = true;
          release();
        },
      });
      await held;
    });
    // A failed check rejects `queued` before anything was planned.
    return Promise.race([ready, queued.then(() => ready)]);
  }

  /**
   * Removes an endpoint's published ports (and its icc port element). One batch. Resolves
   * false if the endpoint had nothing published.
   */
  async unpublish(endpointId: string): Promise<boolean> {
    return (await this.unpublishMany([endpointId])) === 1;
  }

  /**
   * unpublish() for many endpoints in one batch (a runtime removing many containers).
   * Endpoints with nothing published are skipped. Resolves with how many had something.
   */
  unpublishMany(endpointIds: readonly string[]): Promise<number> {
    return this.serial(async () => {
      const pubs = [...new Set(endpointIds)].map((id) => this.index.get(id)).filter((p): p is Publication => p !== undefined);
      if (pubs.length === 0) return 0;
      const gone = new Set(pubs.map((p) => p.endpoint.id));
      const items = pubs.map((p) => [p, { icc: this.networks.get(p.endpoint.network)?.icc ?? true }] as const);
      await this.applyRemoval(planUnpublishMany(items), () => ({
        networks: [...this.networks.values()],
        publications: this.index.all().filter((x) => !gone.has(x.endpoint.id)),
      }));
      for (const id of gone) this.index.remove(id);
      await this.flushUdp(pubs.flatMap((p) => p.mappings));
      return pubs.length;
    });
  }

  /**
   * Re-installs everything from `state` in one batch (after one readback of the chain
   * list): the base, every network, every publication. Idempotent; repairs drift such as
   * `nft flush ruleset`; the user chain keeps its rules (or is re-created empty if it was
   * deleted). Replaces this instance's records with `state`.
   */
  async reapply(state: FirewallState): Promise<void> {
    const { networks, publications } = this.validateState(state);
    return this.serial(() => this.reapplyNow(networks, publications));
  }

  /**
   * Deletes nsnet's two tables and everything in them — the user chain included — in one
   * batch; every other table stays exactly as it was. Forgets all records.
   */
  uninstall(): Promise<void> {
    return this.serial(async () => {
      const present = { inet: await tableExists(this.nft, INET), bridge: await tableExists(this.nft, BRIDGE) };
      await this.nft.apply(planUninstall(present));
      this.networks = new Map();
      this.index = new PortIndex();
      this.baseChecked = false;
    });
  }

  private validateState(state: FirewallState): { networks: ResolvedNetwork[]; publications: Publication[] } {
    if (state === null || typeof state !== 'object' || !Array.isArray(state.networks) || !Array.isArray(state.publications)) {
      throw new ValidationError('reapply: give { networks: [], publications: [] }', { field: 'state', op: 'reapply' });
    }
    const networks = state.networks.map((s) => resolveNetwork(s));
    const byId = new Map<string, ResolvedNetwork>();
    for (const n of networks) {
      if (byId.has(n.id)) throw new ValidationError(`reapply: network ${n.id} given twice`, { field: 'networks', op: 'reapply' });
      if ([...byId.values()].some((o) => o.bridge === n.bridge)) throw new ValidationError(`reapply: bridge ${n.bridge} given twice`, { field: 'networks', op: 'reapply' });
      byId.set(n.id, n);
    }
    const index = new PortIndex();
    const publications = state.publications.map((p, i) => {
      const e = resolveEndpoint(p.endpoint);
      if (!byId.has(e.network)) throw new ValidationError(`reapply: publications[${i}]: unknown network ${e.network}`, { field: 'publications', op: 'reapply' });
      if (index.get(e.id)) throw new ValidationError(`reapply: endpoint ${e.id} given twice`, { field: 'publications', op: 'reapply' });
      const mappings = (p.mappings ?? []).map((m, j) => validateMapping(m, `publications[${i}].mappings[${j}]`));
      index.check(e.id, mappings);
      const pub = { endpoint: e, mappings };
      index.add(pub);
      return pub;
    });
    return { networks, publications };
  }

  private async reapplyNow(networks: ResolvedNetwork[], publications: Publication[]): Promise<void> {
    const existing = (await this.nft.listChains({ family: INET, name: TABLE })).map((c) => c.name ?? '').filter((name) => name.startsWith('nw-'));
    const byId = new Map(networks.map((n) => [n.id, n]));
    for (const p of publications) {
      if (p.mappings.some((m) => m.family === 4)) await this.routeLocalnet(byId.get(p.endpoint.network)!.bridge);
    }
    await this.nft.apply(planReapply(networks, publications, existing));
    this.baseChecked = true;
    this.networks = byId;
    this.index = new PortIndex(publications);
  }

  /**
   * Sends a removal batch. If the kernel says something is already gone (drift: a flush,
   * a hand-deleted element), the batch changed nothing; then re-install what should
   * remain instead, which removes the rest whatever state it is in.
   */
  private async applyRemoval(batch: ReturnType<typeof planUnpublishMany>, remaining: () => FirewallState): Promise<void> {
    try {
      await this.nft.apply(batch);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const { networks, publications } = remaining();
      await this.reapplyNow(
        networks.map((n) => resolveNetwork(n)),
        publications,
      );
    }
  }

  /** The kernel's ephemeral port range in the host namespace (read once). */
  private async ephemeralRange(): Promise<PortRange> {
    this.ephemeral ??= parsePortRange(await this.ns.getSysctl('net/ipv4/ip_local_port_range'));
    return this.ephemeral;
  }

  /**
   * route_localnet=1 on the bridge only (never `all`): the host reaching a port published
   * on (or through) 127.0.0.1 sends a packet whose source is 127.0.0.1 out of the bridge
   * after the DNAT; masquerade (postrouting) then rewrites it. The guard chain drops what
   * this would otherwise let in: packets to or from 127.0.0.0/8 not arriving on lo.
   */
  private async routeLocalnet(bridge: string): Promise<void> {
    if (this.localnet.has(bridge)) return;
    await this.ns.setSysctl(`net/ipv4/conf/${bridge}/route_localnet`, 1);
    this.localnet.add(bridge);
  }

  /**
   * Deletes the conntrack entries of UDP host ports whose mapping changed: one dump, then
   * one flush per (family, address, port) that has entries. A stale entry would keep
   * NATing the flow to the old container (or deliver it to the host) until it times out.
   */
  private async flushUdp(mappings: readonly PortMapping[]): Promise<void> {
    const ct = this.conntrack;
    const udp = mappings.filter((m) => m.proto === 'udp');
    if (ct === undefined || udp.length === 0) return;
    const entries = await ct.list({ proto: 'udp' });
    const done = new Set<string>();
    for (const m of udp) {
      const key = `${m.family}/${m.hostIp ?? '*'}/${m.hostPort}`;
      if (done.has(key)) continue;
      done.add(key);
      const hostIp = m.hostIp === undefined ? undefined : ipToBytes(m.hostIp);
      const hit = entries.some((en) => en.family === m.family && en.orig.dport === m.hostPort && (hostIp === undefined || ipToBytes(en.orig.dst).equals(hostIp)));
      if (!hit) continue;
      try {
        await ct.flush({ family: m.family as IpFamily, proto: 'udp', origDstPort: m.hostPort, ...(m.hostIp ? { origDst: m.hostIp } : {}) });
      } catch (err) {
        throw new NsnetError(`conntrack flush for udp/${m.hostPort} failed (the rules are installed)`, { code: 'ECONNTRACK', op: 'flushConntrack', cause: err });
      }
    }
  }
}
