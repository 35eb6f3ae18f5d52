/**
 * Host: what a container runtime imports. One object per host namespace turns "run this
 * container on that network with these ports" into namespaces, links, leases and rules,
 * and undoes it exactly. A new Host.open on the same state directory sees everything an
 * earlier process made.
 */
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Firewall } from '../firewall';
import { DnsResolver, type DnsResolverOptions } from '../dns/resolver';
import { Ipam, type IpamOptions } from '../ipam';
import { Netns, NETNS_RUN_DIR, type ExecOptions } from '../netns/netns';
import type { DefaultBridgeOptions, HostContext } from './context';
import { etcDirOf } from './files';
import { Containers, type ConnectOptions, type ContainerCreateOptions } from './containers';
import { inspectContainer, inspectNetwork, type DockerNetworkInspect, type DockerNetworkSettings } from './inspect';
import { Networks, type Network, type NetworkCreateOptions } from './networks';
import { reconcile, type Liveness, type ReconcileReport } from './reconcile';
import type { ContainerRecord, EndpointRecord } from './records';
import { PlugTemplates } from './plug-requests';
import { RuntimeStore } from './store';
import type { FaultInjector } from './transaction';

export interface HostOptions {
  /** Where records and leases live; $NSNET_STATE_DIR or /var/lib/nsnet by default. */
  stateDir?: string;
  /** The namespace that plays the host (a path); the process's own by default. */
  netns?: string;
  /** Where nsnet bind-mounts the namespaces it creates; /run/netns (iproute2's) by default. */
  netnsDir?: string;
  defaultBridge?: DefaultBridgeOptions;
  ipam?: IpamOptions;
  /** The host's resolv.conf, read for containers' resolv.conf and the resolver's upstreams (/etc/resolv.conf). */
  resolvConf?: string;
  /** The host's hosts file, copied for host-mode containers (/etc/hosts). */
  hostsFile?: string;
  /** Tests only: fail a chosen step of setups (see transaction.ts). */
  faults?: FaultInjector;
}

export const DEFAULT_STATE_DIR = '/var/lib/nsnet';

export class Host {
  readonly networks: {
    create(options: NetworkCreateOptions): Promise<Network>;
    list(): Promise<Network[]>;
    get(ref: string): Promise<Network>;
    /** `docker network inspect`'s JSON. */
    inspect(ref: string): Promise<DockerNetworkInspect>;
    remove(ref: string, options?: { force?: boolean }): Promise<void>;
  };

  readonly containers: {
    create(name: string, options?: ContainerCreateOptions): Promise<ContainerRecord>;
    connect(container: string, network: string, options?: ConnectOptions): Promise<EndpointRecord>;
    disconnect(container: string, network: string): Promise<void>;
    remove(ref: string, options?: { force?: boolean }): Promise<void>;
    /** Many at once: every host veth in one group deletion, rules in one batch (see Containers.removeMany). */
    removeMany(refs: readonly string[]): Promise<void>;
    list(): Promise<ContainerRecord[]>;
    get(ref: string): Promise<ContainerRecord>;
    /** The NetworkSettings part of `docker inspect`. */
    inspect(ref: string): Promise<DockerNetworkSettings>;
    /**
     * Starts a program as a process of the container (its namespace, its resolv.conf and
     * hosts over /etc): like `docker exec` for the network part.
     */
    exec(ref: string, command: string, args?: readonly string[], options?: ExecOptions): ChildProcess;
    /** The directory of the container's resolv.conf and hosts (bound over /etc by exec). */
    etcDir(ref: string): Promise<string>;
  };

  private readonly containerManager: Containers;

  private constructor(private readonly ctx: HostContext) {
    const networks = new Networks(ctx);
    const containers = new Containers(ctx, networks);
    this.containerManager = containers;
    this.networks = {
      create: (o) => networks.create(o),
      list: () => networks.list(),
      get: (ref) => networks.get(ref),
      inspect: async (ref) => inspectNetwork(await networks.get(ref), await containers.list()),
      remove: async (ref, o = {}) => {
        if (o.force) {
          // Docker's `network rm -f`-like convenience: disconnect every container first.
          const net = await networks.get(ref);
          for (const c of await containers.list()) {
            if (c.endpoints.some((e) => e.networkId === net.id)) await containers.disconnect(c.id, net.id);
          }
        }
        await networks.remove(ref, (id) => containers.attachedTo(id));
      },
    };
    this.containers = {
      create: (name, o) => containers.create(name, o),
      connect: (c, n, o) => containers.connect(c, n, o),
      disconnect: (c, n) => containers.disconnect(c, n),
      remove: (ref, o) => containers.remove(ref, o),
      removeMany: (refs) => containers.removeMany(refs),
      exec: (ref, cmd, args, o) => containers.exec(ref, cmd, args, o),
      etcDir: async (ref) => etcDirOf(ctx.store.dir, await containers.get(ref)),
      list: () => containers.list(),
      get: (ref) => containers.get(ref),
      inspect: async (ref) => {
        const c = await containers.get(ref);
        const nets = new Map((await networks.list()).map((n) => [n.id, n]));
        return inspectContainer(c, (id) => nets.get(id)?.name ?? id, (id) => nets.get(id)?.isDefault ?? false);
      },
    };
  }

  static async open(options: HostOptions = {}): Promise<Host> {
    const stateDir = path.resolve(options.stateDir ?? process.env.NSNET_STATE_DIR ?? DEFAULT_STATE_DIR);
    const hostNs = options.netns === undefined ? await Netns.current() : await Netns.open(options.netns);
    try {
      const store = new RuntimeStore(stateDir);
      await store.init();
      const ctx: HostContext = {
        hostNs,
        rtnl: await hostNs.handle(),
        firewall: await Firewall.open(hostNs),
        ipam: Ipam.file(stateDir, options.ipam),
        store,
        netnsDir: options.netnsDir ?? NETNS_RUN_DIR,
        defaultBridge: { name: 'nsnet0', ...options.defaultBridge },
        bridgeIndexes: new Map(),
        plugTemplates: new PlugTemplates(),
        resolvers: new Set(),
        dnsFiles: { resolvConf: options.resolvConf ?? '/etc/resolv.conf', hosts: options.hostsFile ?? '/etc/hosts' },
        ...(options.faults ? { faults: options.faults } : {}),
      };
      return new Host(ctx);
    } catch (err) {
      hostNs.close();
      throw err;
    }
  }

  /**
   * Repairs drift both ways and reports what it did: tears down containers whose
   * namespace vanished (or, given `live` — IDs/names, or a test of each record — that
   * the runtime no longer runs), deletes
   * orphaned veths, frees orphaned leases, re-installs a flushed or altered ruleset.
   */
  reconcile(live?: Liveness): Promise<ReconcileReport> {
    return reconcile(this.ctx, this.containerManager, live);
  }

  /**
   * Starts the embedded resolver of this host's user-defined networks in this process
   * (see lib/dns/resolver.ts): it listens on their gateways in the host namespace and
   * follows network creation and removal made through this Host at once. Closed with
   * the Host. A separate process can run one instead: runDnsDaemon.
   */
  async startDns(options: Omit<DnsResolverOptions, 'stateDir' | 'netns'> = {}): Promise<DnsResolver> {
    const r = await DnsResolver.start({ resolvConf: this.ctx.dnsFiles.resolvConf, ...options, stateDir: this.ctx.store.dir, netns: this.ctx.hostNs });
    this.ctx.resolvers.add(r);
    const close = r.close.bind(r);
    r.close = async () => {
      this.ctx.resolvers.delete(r);
      await close();
    };
    return r;
  }

  /** The namespace playing the host. */
  get netns(): Netns {
    return this.ctx.hostNs;
  }

  /** Replaces the fault injector (tests). */
  setFaults(faults: FaultInjector | undefined): void {
    if (faults) this.ctx.faults = faults;
    else delete this.ctx.faults;
  }

  async close(): Promise<void> {
    for (const r of [...this.ctx.resolvers]) await (r as DnsResolver).close();
    this.ctx.firewall.close();
    this.ctx.hostNs.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
