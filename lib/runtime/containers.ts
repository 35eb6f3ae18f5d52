/**
 * Containers: what `docker run --network …`, `docker network connect|disconnect` and
 * `docker rm` do to the network. Every change is one Transaction under the host-wide
 * lock: a failure at any step leaves no namespace, link, lease or record behind.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { parseLink } from '../dns/files';
import { ValidationError } from '../errors';
import { parsePortSpec, PortConflictError, type LinkAllow, type PortSpec, type Proto } from '../firewall';
import { Netns, type ExecOptions } from '../netns/netns';
import { validateIp } from '../validate';
import type { HostContext } from './context';
import type { NsFd } from '../native';
import { RtnlBatch } from '../rtnl/batch';
import type { PlanStep } from '../plan';
import { rtnlBatchStep } from '../rtnl/plan-steps';
import { attachEndpoint, detachEndpoint, leaseEndpoint, Plug, StaleBridgeIndexError, type EndpointLease } from './endpoint';
import { applyPlan, type PlanNamespace } from './kernel-plan';
import { etcDirOf, removeFilesOf, writeFilesOf } from './files';
import { ConflictError, NoSuchObjectError } from './errors';
import { newId, shortId, validateName } from './ids';
import { findByRef } from './lookup';
import { parseNetworkMode } from './network-mode';
import type { Networks } from './networks';
import type { ContainerRecord, EndpointRecord } from './records';
import { transaction, type Transaction } from './transaction';

export interface ContainerCreateOptions {
  /** 'bridge' (default), 'host', 'none', 'container:<name|id>', or a network's name or ID. */
  network?: string;
  /** A namespace file supplied by the runtime; otherwise nsnet creates one. */
  netns?: string;
  ports?: string[];
  publishAll?: string[];
  ip?: string;
  ip6?: string;
  mac?: string;
  aliases?: string[];
  /** Docker's --link 'name[:alias]' (default bridge: hosts entries, and on icc off an allowance for its exposed ports). */
  links?: string[];
  /** Ports exposed without publishing ('5432', '5432/tcp', '8000-8010/udp'): what a linking container may reach. */
  expose?: string[];
  /** --dns: upstream resolvers (forwarded to by the resolver; in resolv.conf on the default bridge). */
  dns?: string[];
  /** --dns-search, --dns-option. */
  dnsSearch?: string[];
  dnsOptions?: string[];
}

export interface ConnectOptions {
  ip?: string;
  ip6?: string;
  aliases?: string[];
}

/** The name of a container's namespace in the netns directory: `nsnet-` + 12 hex of its ID. */
export function containerNetnsName(id: string): string {
  return `nsnet-${shortId(id)}`;
}

function refuse(field: string, mode: string): never {
  throw new ValidationError(`${field}: not allowed with network mode ${mode}`, { field, op: 'containerCreate' });
}

function validateStrings(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0)) {
    throw new ValidationError(`${field}: expected a list of non-empty strings`, { field });
  }
  return [...(value as string[])];
}

function validateDns(value: unknown, field: string): string[] | undefined {
  if (value === undefined) return undefined;
  const list = validateStrings(value, field);
  return list.map((a, i) => validateIp(a, `${field}[${i}]`).address);
}

function validateWords(value: unknown, field: string): string[] | undefined {
  if (value === undefined) return undefined;
  const list = validateStrings(value, field);
  for (const w of list) if (/\s/.test(w)) throw new ValidationError(`${field}: '${w}' must not contain whitespace`, { field });
  return list;
}

/** Elements per link allowance are one per port: a range wider than this is refused. */
const MAX_EXPOSED_PORTS = 1024;

/** Every port a container exposes: its published container ports (-p, -P) and --expose. */
export function exposedPorts(c: Pick<ContainerRecord, 'ports' | 'publishAll' | 'expose'>): Array<{ proto: Proto; port: number }> {
  const out = new Map<string, { proto: Proto; port: number }>();
  for (const text of [...c.ports, ...c.publishAll, ...(c.expose ?? [])]) {
    const spec = parsePortSpec(text);
    for (let p = spec.containerPorts.start; p <= spec.containerPorts.end && out.size < MAX_EXPOSED_PORTS; p++) out.set(`${spec.proto}/${p}`, { proto: spec.proto, port: p });
  }
  return [...out.values()];
}

/** lo up in the plan's namespace (lo is ifindex 1 in every namespace). */
function loopbackUpStep(): PlanStep {
  const batch = new RtnlBatch().linkSet(1, { up: true });
  return rtnlBatchStep('loopback up', batch.encode(), batch.entries);
}

/** Runs `attempt` again, once, if it failed only because a remembered bridge ifindex was stale. */
async function retryOnStaleBridge<T>(attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (err) {
    if (!(err instanceof StaleBridgeIndexError)) throw err;
    return attempt();
  }
}

/** The next free ethN in a container. */
function nextIfname(endpoints: readonly EndpointRecord[]): string {
  const used = new Set(endpoints.map((e) => e.ifname));
  for (let i = 0; ; i++) if (!used.has(`eth${i}`)) return `eth${i}`;
}

export class Containers {
  constructor(
    private readonly ctx: HostContext,
    private readonly networks: Networks,
  ) {}

  private async find(ref: string, op: string): Promise<ContainerRecord> {
    const found = findByRef(await this.ctx.store.containers(), ref, op);
    if (!found) throw new NoSuchObjectError('container', ref, op);
    return found;
  }

  /** Like `docker create --network MODE …` for the network part. */
  async create(name: string, options: ContainerCreateOptions = {}): Promise<ContainerRecord> {
    validateName(name, 'name');
    if (!options || typeof options !== 'object') throw new ValidationError('options: expected an object', { field: 'options' });
    const mode = parseNetworkMode(options.network ?? 'bridge');
    const ports = validateStrings(options.ports, 'ports');
    const publishAll = validateStrings(options.publishAll, 'publishAll');
    const aliases = validateStrings(options.aliases, 'aliases');
    const links = validateStrings(options.links, 'links');
    const expose = validateStrings(options.expose, 'expose');
    for (const e of expose) {
      const spec = parsePortSpec(e);
      if (spec.hostPorts || spec.hostIp) throw new ValidationError(`expose: '${e}' must be a container port like '5432/tcp'`, { field: 'expose' });
    }
    const dns = validateDns(options.dns, 'dns');
    const dnsSearch = validateWords(options.dnsSearch, 'dnsSearch');
    const dnsOptions = validateWords(options.dnsOptions, 'dnsOptions');
    for (const l of links) {
      const { name, alias } = parseLink(l);
      validateName(name, 'links');
      validateName(alias, 'links');
    }
    if (links.length && mode.mode !== 'bridge' && mode.mode !== 'network') refuse('links', mode.mode);
    if (mode.mode === 'container' || mode.mode === 'host' || mode.mode === 'none') {
      const label = mode.mode === 'container' ? `container:${mode.container}` : mode.mode;
      if (mode.mode === 'container' && (ports.length || publishAll.length)) refuse('ports', label);
      for (const field of ['ip', 'ip6', 'mac'] as const) if (options[field] !== undefined) refuse(field, label);
      if (aliases.length) refuse('aliases', label);
      if (mode.mode === 'container' && options.netns !== undefined) refuse('netns', label);
    }
    if (options.netns !== undefined && mode.mode === 'host') refuse('netns', 'host');
    // Port specs are checked here, before any kernel call: '-p' strings and '-P' ports.
    const portSpecs: PortSpec[] = ports.map((p) => parsePortSpec(p));
    for (const p of publishAll) {
      const spec = parsePortSpec(p);
      if (spec.hostPorts || spec.hostIp) throw new ValidationError(`publishAll: '${p}' must be a container port like '80/tcp'`, { field: 'publishAll' });
      portSpecs.push(spec);
    }

    return this.ctx.store.locked(async () => {
      if (await this.ctx.store.containerNamed(name)) throw new ConflictError(`container name ${name} is already in use`, { op: 'containerCreate', target: name });
      // Every record, only when links or container mode name other containers.
      const all = links.length || mode.mode === 'container' ? await this.ctx.store.containers() : [];
      if (mode.mode === 'bridge' || mode.mode === 'network') this.checkHostPorts(portSpecs);
      // A link names an existing container (Docker refuses others).
      const linked = links.map((l) => {
        const target = findByRef(all, parseLink(l).name, 'containerCreate');
        if (!target) throw new NoSuchObjectError('container', parseLink(l).name, 'containerCreate');
        return target;
      });
      const id = newId();
      const base = {
        id,
        name,
        created: new Date().toISOString(),
        endpoints: [],
        ports,
        publishAll,
        links,
        ...(expose.length ? { expose } : {}),
        ...(dns ? { dns } : {}),
        ...(dnsSearch ? { dnsSearch } : {}),
        ...(dnsOptions ? { dnsOptions } : {}),
      };

      if (mode.mode === 'host') {
        const record: ContainerRecord = {
          ...base,
          mode: 'host',
          netnsPath: this.ctx.hostNs.file ?? this.ctx.hostNs.procPath,
          ownsNetns: false,
          ports: [],
          publishAll: [],
          // Docker ignores published ports in host mode, with a warning; we report them.
          ...(ports.length || publishAll.length ? { ignoredPorts: [...ports, ...publishAll] } : {}),
        };
        await this.saveWithFiles(record);
        return record;
      }

      if (mode.mode === 'container') {
        const target = findByRef(all, mode.container, 'containerCreate');
        if (!target) throw new NoSuchObjectError('container', mode.container, 'containerCreate');
        // Joining a joiner joins its target: the namespace has one owner.
        const owner = target.sharesWith ? all.find((c) => c.id === target.sharesWith) ?? target : target;
        const record: ContainerRecord = { ...base, mode: 'container', netnsPath: owner.netnsPath, ownsNetns: false, sharesWith: owner.id };
        await this.ctx.store.saveContainer(record);
        return record;
      }

      const network =
        mode.mode === 'bridge' ? await this.networks.ensureDefaultConfig() : mode.mode === 'network' ? await this.networks.config(mode.network, 'containerCreate') : undefined;
      // Legacy links on an icc=off default bridge: the linked containers' exposed ports.
      const linkAllows: LinkAllow[] = [];
      if (network?.isDefault && !network.icc) {
        for (const target of linked) {
          const peer = target.endpoints.find((e) => e.networkId === network.id);
          const ipv4 = peer?.ipv4?.split('/')[0];
          const ipv6 = peer?.ipv6?.split('/')[0];
          if (peer) for (const p of exposedPorts(target)) linkAllows.push({ peer: peer.hostIfname, ...p, ...(ipv4 ? { ipv4 } : {}), ...(ipv6 ? { ipv6 } : {}) });
        }
      }
      const request = {
        ifname: 'eth0',
        aliases,
        ...(options.ip !== undefined ? { ip: options.ip } : {}),
        ...(options.ip6 !== undefined ? { ip6: options.ip6 } : {}),
        ...(options.mac !== undefined ? { mac: options.mac } : {}),
        defaultRoute: true,
        ports: portSpecs,
        ...(linkAllows.length ? { links: linkAllows } : {}),
      };
      // A bridge index remembered from before may be stale (the bridge recreated behind
      // our back): then the whole setup, rolled back, runs once more with a fresh lookup.
      return retryOnStaleBridge(() =>
        transaction(async (tx) => {
          const supplied = options.netns === undefined ? undefined : await this.openSupplied(tx, options.netns);
          try {
            const nsName = containerNetnsName(id);
            const netnsPath = options.netns ?? path.join(this.ctx.netnsDir, nsName);
            const ns: PlanNamespace = supplied
              ? { enter: supplied }
              : { create: { dir: this.ctx.netnsDir, name: nsName, undo: () => Netns.deleteByName(nsName, this.ctx.netnsDir).then(() => undefined) } };
            const writes = (record: ContainerRecord): [() => Promise<void>, () => Promise<void>] => [
              () => tx.step('record', () => this.ctx.store.saveContainer(record), () => this.ctx.store.deleteContainer(id)),
              () => tx.step('files', () => writeFilesOf(this.ctx, record), () => removeFilesOf(this.ctx, id)),
            ];
            const recordOf = (endpoints: EndpointRecord[]): ContainerRecord => ({ ...base, mode: mode.mode, netnsPath, ownsNetns: options.netns === undefined, endpoints });
            let made: { ns?: NsFd };
            let record: ContainerRecord;
            if (network) {
              // The kernel starts on the namespace and the veth now; they need no address.
              const plug = await Plug.start(this.ctx, tx, { ns, loopbackUp: true }, network, request.ifname);
              let lease: EndpointLease;
              try {
                // The lease names the namespace by path, so it can be taken before the namespace exists.
                lease = await leaseEndpoint(this.ctx, tx, { id, netns: netnsPath }, network, request, plug.id);
                record = recordOf([await plug.complete(request, lease)]);
              } catch (err) {
                await plug.finish().catch(() => undefined); // registers the undo of what ran
                throw err;
              }
              // The rest of the plan runs on the pool while the record and the container's
              // files are written here, and the lease reaches the disk.
              const [saveRecord, saveFiles] = writes(record);
              [made] = await tx.all<[{ ns?: NsFd }, void, void, void]>([() => plug.finish(), () => lease.synced, saveRecord, saveFiles]);
            } else {
              record = recordOf([]);
              const [saveRecord, saveFiles] = writes(record);
              [made] = await tx.all<[{ ns?: NsFd }, void, void]>([() => applyPlan(tx, [loopbackUpStep()], ns), saveRecord, saveFiles]);
            }
            made.ns?.close(); // the bind mount keeps the namespace
            return record;
          } finally {
            supplied?.close();
          }
        }, this.ctx.faults),
      );
    });
  }

  /** Saves a record that needs no transaction (host mode) and writes its files; no record if the files fail. */
  private async saveWithFiles(record: ContainerRecord): Promise<void> {
    await this.ctx.store.saveContainer(record);
    try {
      await writeFilesOf(this.ctx, record);
    } catch (err) {
      await this.ctx.store.deleteContainer(record.id);
      removeFilesOf(this.ctx, record.id);
      throw err;
    }
  }

  /**
   * Runs a program as a process of the container: inside its network namespace, with the
   * container's resolv.conf and hosts bound over /etc in a private mount namespace (the
   * exec helper does both, then execve; Node never forks). Like `docker exec` for the
   * network part.
   */
  exec(ref: string, command: string, args: readonly string[] = [], options: ExecOptions = {}): ChildProcess {
    const c = findByRef(this.ctx.store.containersSync(), ref, 'containerExec');
    if (!c) throw new NoSuchObjectError('container', ref, 'containerExec');
    return Netns.execAt(c.netnsPath, command, args, { etcDir: etcDirOf(this.ctx.store.dir, c), ...options });
  }

  /**
   * Host ports asked for explicitly that another endpoint already publishes: refused
   * before anything is created (the firewall would refuse them too, but only after the
   * namespace and veth exist and must be rolled back).
   */
  private checkHostPorts(specs: readonly PortSpec[]): void {
    for (const spec of specs) {
      if (!spec.hostPorts) continue;
      const families = spec.hostIp === undefined ? ([4, 6] as const) : spec.hostIp.includes(':') ? ([6] as const) : ([4] as const);
      for (let port = spec.hostPorts.start; port <= spec.hostPorts.end; port++) {
        for (const family of families) {
          const holder = this.ctx.firewall.portHolder({ family, proto: spec.proto, hostPort: port, ...(spec.hostIp !== undefined ? { hostIp: spec.hostIp } : {}) });
          if (holder) {
            throw new PortConflictError(`host port ${spec.proto}/${port} is already published by endpoint ${holder.endpointId}`, {
              endpointId: holder.endpointId,
              family,
              proto: spec.proto,
              hostPort: port,
              ...(holder.hostIp ? { hostIp: holder.hostIp } : {}),
            }, { op: 'containerCreate' });
          }
        }
      }
    }
  }

  /** The runtime's namespace, opened (closed again on rollback). */
  private openSupplied(tx: Transaction, file: string): Promise<Netns> {
    return tx.step('open netns', () => Netns.open(file), (ns) => ns.close());
  }

  /** Like `docker network connect NET CONTAINER`: the container gets the next ethN. */
  async connect(containerRef: string, networkRef: string, options: ConnectOptions = {}): Promise<EndpointRecord> {
    const aliases = validateStrings(options.aliases, 'aliases');
    return this.ctx.store.locked(async () => {
      const c = await this.find(containerRef, 'containerConnect');
      if (c.mode === 'host' || c.mode === 'container') {
        throw new ValidationError(`container ${c.name} uses network mode ${c.mode} and cannot be connected`, { field: 'container', op: 'containerConnect' });
      }
      const network = await this.networks.config(networkRef, 'networkGet');
      if (c.endpoints.some((e) => e.networkId === network.id)) {
        throw new ConflictError(`container ${c.name} is already connected to ${network.name}`, { op: 'containerConnect', target: network.name });
      }
      return retryOnStaleBridge(() =>
        transaction(async (tx) => {
          const ns = await Netns.open(c.netnsPath);
          try {
            const ep = await attachEndpoint(this.ctx, tx, { id: c.id, netns: ns }, network, {
              ifname: nextIfname(c.endpoints),
              aliases,
              ...(options.ip !== undefined ? { ip: options.ip } : {}),
              ...(options.ip6 !== undefined ? { ip6: options.ip6 } : {}),
              defaultRoute: c.endpoints.length === 0,
            });
            const updated = { ...c, endpoints: [...c.endpoints, ep] };
            await tx.step('record', () => this.ctx.store.saveContainer(updated), () => this.ctx.store.saveContainer(c));
            await tx.step('files', () => writeFilesOf(this.ctx, updated), () => writeFilesOf(this.ctx, c));
            return ep;
          } finally {
            ns.close();
          }
        }, this.ctx.faults),
      );
    });
  }

  /** Like `docker network disconnect NET CONTAINER`: removes the interface, its lease and rules. */
  async disconnect(containerRef: string, networkRef: string): Promise<void> {
    await this.ctx.store.locked(async () => {
      const c = await this.find(containerRef, 'containerDisconnect');
      const network = await this.networks.config(networkRef, 'networkGet');
      const ep = c.endpoints.find((e) => e.networkId === network.id);
      if (!ep) throw new NoSuchObjectError('network', `${network.name} (not connected to ${c.name})`, 'containerDisconnect');
      await detachEndpoint(this.ctx, ep);
      const updated = { ...c, endpoints: c.endpoints.filter((e) => e !== ep) };
      await this.ctx.store.saveContainer(updated);
      await writeFilesOf(this.ctx, updated);
    });
  }

  /**
   * Like `docker rm`: removes the container's endpoints, its namespace (if nsnet made it)
   * and its record. Refused while other containers share its namespace, unless `force`:
   * then the namespace stays with the first of them, which becomes its owner.
   */
  async remove(ref: string, options: { force?: boolean } = {}): Promise<void> {
    await this.ctx.store.locked(async () => {
      const all = await this.ctx.store.containers();
      const c = findByRef(all, ref, 'containerRemove');
      if (!c) throw new NoSuchObjectError('container', ref, 'containerRemove');
      const sharers = all.filter((o) => o.sharesWith === c.id);
      if (sharers.length && !options.force) {
        throw new ConflictError(`container ${c.name} shares its namespace with ${sharers.map((s) => s.name).join(', ')}`, {
          code: 'EBUSY',
          op: 'containerRemove',
          target: ref,
        });
      }
      if (sharers.length) {
        const [heir, ...rest] = sharers;
        const { sharesWith: _unused, ...heirRest } = heir!;
        const heirRecord: ContainerRecord = { ...heirRest, mode: c.mode, ownsNetns: c.ownsNetns, endpoints: c.endpoints };
        await this.ctx.store.saveContainer(heirRecord);
        for (const o of rest) await this.ctx.store.saveContainer({ ...o, sharesWith: heir!.id });
        await this.ctx.store.deleteContainer(c.id);
        await writeFilesOf(this.ctx, heirRecord);
        removeFilesOf(this.ctx, c.id);
        return;
      }
      await this.teardown(c);
    });
  }

  /**
   * Removes many containers at once, for a runtime stopping many (`docker rm` of a
   * whole project). Deleting veths one by one costs the kernel an RCU grace period each
   * (~20–40 ms); instead every host-side veth goes in one group deletion (see
   * RtnlHandle.linkDelMany), so they are gone when this resolves. Rules go in one
   * nf_tables batch, leases with one update per network. Containers that others share a
   * namespace with are refused unless those go too.
   */
  async removeMany(refs: readonly string[]): Promise<void> {
    await this.ctx.store.locked(async () => {
      const all = await this.ctx.store.containers();
      const doomed = refs.map((ref) => {
        const c = findByRef(all, ref, 'containerRemove');
        if (!c) throw new NoSuchObjectError('container', ref, 'containerRemove');
        return c;
      });
      const ids = new Set(doomed.map((c) => c.id));
      const kept = all.find((o) => o.sharesWith !== undefined && ids.has(o.sharesWith) && !ids.has(o.id));
      if (kept) throw new ConflictError(`container ${kept.name} shares a namespace with one being removed`, { code: 'EBUSY', op: 'containerRemove', target: kept.name });
      const endpoints = doomed.flatMap((c) => c.endpoints);
      await this.ctx.firewall.unpublishMany(endpoints.map((ep) => ep.id));
      const gone = new Set(endpoints.map((e) => e.id));
      const networks = [...new Set(endpoints.map((e) => e.networkId))];
      await this.ctx.ipam.gc((owner) => !gone.has(owner.endpointId), { networks });
      const hostEnds = endpoints.map((e) => e.hostIfname);
      if (hostEnds.length) await this.ctx.rtnl.linkDelMany(hostEnds);
      // Unmounts are independent: let the pool run them side by side.
      const unmounted = await Promise.allSettled(
        doomed.filter((c) => c.ownsNetns).map((c) => Netns.deleteByName(path.basename(c.netnsPath), path.dirname(c.netnsPath))),
      );
      const failed = unmounted.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      for (const c of doomed) await this.ctx.store.deleteContainer(c.id);
      for (const c of doomed) removeFilesOf(this.ctx, c.id);
    });
  }

  /** Removes everything a container has. Idempotent; works with its namespace already gone. */
  async teardown(c: ContainerRecord): Promise<void> {
    for (const ep of c.endpoints) await detachEndpoint(this.ctx, ep);
    // By the recorded path: after a forced remove, an heir owns a namespace named after another ID.
    if (c.ownsNetns) await Netns.deleteByName(path.basename(c.netnsPath), path.dirname(c.netnsPath));
    await this.ctx.store.deleteContainer(c.id);
    removeFilesOf(this.ctx, c.id);
  }

  /** Like `docker ps` for the network part. */
  list(): Promise<ContainerRecord[]> {
    return this.ctx.store.containers();
  }

  get(ref: string): Promise<ContainerRecord> {
    return this.find(ref, 'containerGet');
  }

  /** IDs of containers with an endpoint in a network. */
  async attachedTo(networkId: string): Promise<string[]> {
    return (await this.ctx.store.containers()).filter((c) => c.endpoints.some((e) => e.networkId === networkId)).map((c) => c.name);
  }
}
