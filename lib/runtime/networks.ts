/**
 * Networks: Docker's `docker network create|ls|inspect|rm` for the bridge driver. A
 * network is an IPAM network (subnets, gateway, leases), a Linux bridge holding the
 * gateway addresses, and a record in the state directory. Creation runs in a
 * Transaction, so a failure at any step leaves none of the three behind.
 */
import { randomBytes } from 'node:crypto';
import { ValidationError } from '../errors';
import { enableForwarding } from '../firewall';
import { hostRoutes, type NetworkRecord as IpamNetwork, type SubnetSpec } from '../ipam';
import { RtnlBatch } from '../rtnl/batch';
import { validateIfName, validateIp, validateMtu } from '../validate';
import type { HostContext } from './context';
import { ConflictError, NoSuchObjectError } from './errors';
import { bridgeName, newId, validateName } from './ids';
import { findByRef } from './lookup';
import type { NetworkConfig } from './records';
import { transaction } from './transaction';

/** The name Docker gives its default network. */
export const DEFAULT_NETWORK = 'bridge';

export interface NetworkCreateOptions {
  name: string;
  driver?: 'bridge';
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  auxAddresses?: Record<string, string>;
  ipv6?: boolean;
  subnet6?: string;
  gateway6?: string;
  ipRange6?: string;
  /** No traffic leaves the network, none enters from outside. */
  internal?: boolean;
  /** Inter-container communication (default true). */
  icc?: boolean;
  /** Outbound masquerade (default true). */
  masquerade?: boolean;
  mtu?: number;
  /** Upstream resolvers for names the resolver does not know, for this network's containers (podman's --dns). */
  dns?: string[];
  /** The Linux bridge's name; 'br-' + 12 hex of the ID by default. */
  bridgeName?: string;
  labels?: Record<string, string>;
  /** Docker's -o driver options (com.docker.network.bridge.enable_icc, …), mapped onto the above. */
  options?: Record<string, string>;
}

/** A network as the API returns it: its record plus IPAM's subnets. */
export interface Network extends NetworkConfig {
  subnets: IpamNetwork['subnets'];
}

const BOOL_OPTIONS: Record<string, 'icc' | 'masquerade'> = {
  'com.docker.network.bridge.enable_icc': 'icc',
  'com.docker.network.bridge.enable_ip_masquerade': 'masquerade',
};

function parseBool(value: string, field: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ValidationError(`${field}: expected 'true' or 'false', got '${value}'`, { field });
}

/** Options with Docker's -o keys folded in and every field checked. */
function normalise(opts: NetworkCreateOptions): NetworkCreateOptions {
  if (!opts || typeof opts !== 'object') throw new ValidationError('network: expected an options object', { field: 'network' });
  validateName(opts.name, 'name');
  if (opts.driver !== undefined && opts.driver !== 'bridge') {
    throw new ValidationError(`driver: only 'bridge' is supported, got '${String(opts.driver)}'`, { field: 'driver' });
  }
  const out: NetworkCreateOptions = { ...opts };
  for (const [key, value] of Object.entries(opts.options ?? {})) {
    if (typeof value !== 'string') throw new ValidationError(`options.${key}: must be a string`, { field: `options.${key}` });
    if (key in BOOL_OPTIONS) out[BOOL_OPTIONS[key]!] = parseBool(value, key);
    else if (key === 'com.docker.network.bridge.name') out.bridgeName = value;
    else if (key === 'com.docker.network.driver.mtu') out.mtu = Number(value);
  }
  if (out.mtu !== undefined) validateMtu(out.mtu);
  if (out.bridgeName !== undefined) validateIfName(out.bridgeName, 'bridgeName');
  for (const [k, v] of Object.entries(out.labels ?? {})) {
    if (typeof v !== 'string') throw new ValidationError(`labels.${k}: must be a string`, { field: `labels.${k}` });
  }
  if (out.dns !== undefined) {
    if (!Array.isArray(out.dns)) throw new ValidationError('dns: expected a list of addresses', { field: 'dns' });
    out.dns = out.dns.map((a, i) => validateIp(a, `dns[${i}]`).address);
  }
  if (out.subnet6 !== undefined && out.ipv6 === false) throw new ValidationError('subnet6: given with ipv6 false', { field: 'subnet6' });
  return out;
}

function subnetSpecs(o: NetworkCreateOptions): SubnetSpec[] {
  const specs: SubnetSpec[] = [];
  if (o.subnet !== undefined || o.gateway !== undefined || o.ipRange !== undefined || o.auxAddresses !== undefined) {
    specs.push({ subnet: o.subnet, gateway: o.gateway, ipRange: o.ipRange, auxAddresses: o.auxAddresses });
  }
  if (o.subnet6 !== undefined || o.gateway6 !== undefined || o.ipRange6 !== undefined) {
    specs.push({ subnet: o.subnet6, gateway: o.gateway6, ipRange: o.ipRange6 });
  }
  return specs;
}

/** A random locally administered unicast MAC (02:…). */
function bridgeMac(): string {
  const b = randomBytes(6);
  b[0] = (b[0]! & 0xfc) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

export class Networks {
  constructor(private readonly ctx: HostContext) {}

  /** Like `docker network create`. */
  async create(options: NetworkCreateOptions): Promise<Network> {
    const created = await this.createLocked(options);
    await this.notifyResolvers();
    return created;
  }

  /** Resolvers of this Host open (or close) their listeners now, not on their next timer. */
  private async notifyResolvers(): Promise<void> {
    for (const r of this.ctx.resolvers) await r.sync();
  }

  private async createLocked(options: NetworkCreateOptions): Promise<Network> {
    const o = normalise(options);
    return this.ctx.store.locked(async () => {
      const existing = await this.ctx.store.networks();
      if (existing.some((n) => n.name === o.name)) {
        throw new ConflictError(`network ${o.name} already exists`, { op: 'networkCreate', target: o.name });
      }
      const id = newId();
      const bridge = o.bridgeName ?? bridgeName(id);
      if (existing.some((n) => n.bridge === bridge)) {
        throw new ConflictError(`bridge ${bridge} already belongs to another network`, { op: 'networkCreate', target: bridge });
      }
      return this.build({
        id,
        name: o.name,
        driver: 'bridge',
        created: new Date().toISOString(),
        bridge,
        isDefault: false,
        internal: o.internal ?? false,
        icc: o.icc ?? true,
        masquerade: o.masquerade ?? true,
        enableIPv6: o.ipv6 ?? o.subnet6 !== undefined,
        ...(o.mtu !== undefined ? { mtu: o.mtu } : {}),
        ...(o.dns?.length ? { dns: o.dns } : {}),
        labels: { ...o.labels },
        options: { ...o.options },
      }, subnetSpecs(o));
    });
  }

  /**
   * The default network's record, created on first use (store lock held): what a
   * container's setup needs, without the IPAM read that get() adds for the subnets.
   */
  async ensureDefaultConfig(): Promise<NetworkConfig> {
    return (await this.ctx.store.networks()).find((n) => n.isDefault) ?? (await this.ensureDefault());
  }

  /** A network's record by name, ID or unique ID prefix; NoSuchObjectError if none. */
  async config(ref: string, op: string): Promise<NetworkConfig> {
    const found = await this.find(ref);
    if (!found) throw new NoSuchObjectError('network', ref, op);
    return found;
  }

  /** The default bridge network, created on first use (call with the store lock held). */
  async ensureDefault(): Promise<Network> {
    const found = (await this.ctx.store.networks()).find((n) => n.isDefault);
    if (found) return this.withSubnets(found);
    const d = this.ctx.defaultBridge;
    if (d.mtu !== undefined) validateMtu(d.mtu);
    validateIfName(d.name, 'defaultBridge.name');
    const spec: SubnetSpec[] = d.subnet || d.gateway ? [{ subnet: d.subnet, gateway: d.gateway }] : [];
    return this.build({
      id: newId(),
      name: DEFAULT_NETWORK,
      driver: 'bridge',
      created: new Date().toISOString(),
      bridge: d.name,
      isDefault: true,
      internal: false,
      icc: d.icc ?? true,
      masquerade: true,
      enableIPv6: false,
      ...(d.mtu !== undefined ? { mtu: d.mtu } : {}),
      labels: {},
      options: { 'com.docker.network.bridge.default_bridge': 'true', 'com.docker.network.bridge.name': d.name },
    }, spec);
  }

  /** IPAM network, bridge with the gateway addresses, record: all or nothing. */
  private async build(config: NetworkConfig, subnets: SubnetSpec[]): Promise<Network> {
    const { ctx } = this;
    return transaction(async (tx) => {
      const ipamNet = await tx.step(
        'ipam',
        async () =>
          ctx.ipam.createNetwork(
            { id: config.id, name: config.name, ipv4: true, ipv6: config.enableIPv6, subnets, defaultBridge: config.isDefault },
            { hostRoutes: await hostRoutes(ctx.hostNs) },
          ),
        () => ctx.ipam.deleteNetwork(config.id, { force: true }).then(() => undefined),
      );
      // A fixed MAC, as Docker gives its bridges: without one the kernel makes the bridge's
      // MAC the lowest of its ports', so it changes as containers come and go, and
      // containers keep sending to the gateway's old MAC (now a port's) until their ARP
      // entry expires — queries to the resolver on the gateway were lost that way.
      const br = await tx.step(
        'bridge',
        () => ctx.rtnl.linkAdd({ kind: 'bridge', name: config.bridge, up: true, mac: bridgeMac(), ...(config.mtu !== undefined ? { mtu: config.mtu } : {}) }),
        (link) => ctx.rtnl.linkDel(link.index),
      );
      await tx.step('gateway addresses', () => {
        const batch = new RtnlBatch();
        for (const s of ipamNet.subnets) {
          const prefix = s.subnet.split('/')[1];
          batch.addrAdd(br.index, `${s.gateway}/${prefix}`, s.family === 6 ? { noDad: true } : {});
        }
        return ctx.rtnl.apply(batch, config.bridge);
      });
      await tx.step(
        'firewall',
        () =>
          ctx.firewall.addNetwork({
            id: config.id,
            bridge: config.bridge,
            subnets: ipamNet.subnets.map((s) => s.subnet),
            masquerade: config.masquerade,
            icc: config.icc,
            internal: config.internal,
          }),
        () => ctx.firewall.removeNetwork(config.id).then(() => undefined),
      );
      // Routing between the bridge and the uplink needs forwarding on, as Docker turns it on.
      await tx.step('forwarding', () => enableForwarding(ctx.hostNs, { ipv6: config.enableIPv6 }));
      await tx.step('record', () => ctx.store.saveNetwork(config), () => ctx.store.deleteNetwork(config.id));
      return { ...config, subnets: ipamNet.subnets };
    }, ctx.faults);
  }

  private async withSubnets(config: NetworkConfig): Promise<Network> {
    const ipamNet = await this.ctx.ipam.getNetwork(config.id);
    return { ...config, subnets: ipamNet.subnets };
  }

  /** Like `docker network ls`. */
  async list(): Promise<Network[]> {
    const configs = await this.ctx.store.networks();
    return Promise.all(configs.map((c) => this.withSubnets(c)));
  }

  /** By name, ID or unique ID prefix; NoSuchObjectError if none. */
  async get(ref: string): Promise<Network> {
    return this.withSubnets(await this.config(ref, 'networkGet'));
  }

  /** The record without IPAM's view, or undefined (store lock held by the caller). */
  async find(ref: string): Promise<NetworkConfig | undefined> {
    return findByRef(await this.ctx.store.networks(), ref, 'networkGet');
  }

  /**
   * Like `docker network rm`: refused while containers are attached (ConflictError)
   * and for the default network. Deletes the bridge, the IPAM network and the record;
   * idempotent for the parts already gone.
   */
  async remove(ref: string, attached: (networkId: string) => Promise<string[]>): Promise<void> {
    await this.ctx.store.locked(async () => {
      const config = await this.find(ref);
      if (!config) throw new NoSuchObjectError('network', ref, 'networkRemove');
      if (config.isDefault) {
        throw new ConflictError(`${config.name} is a pre-defined network and cannot be removed`, { code: 'EBUSY', op: 'networkRemove', target: ref });
      }
      const users = await attached(config.id);
      if (users.length) {
        throw new ConflictError(`network ${config.name} has active endpoints (${users.join(', ')})`, { code: 'EBUSY', op: 'networkRemove', target: ref });
      }
      await this.destroy(config);
    });
    await this.notifyResolvers();
  }

  /** Tears down a network's kernel objects, IPAM network and record. Idempotent. */
  async destroy(config: NetworkConfig): Promise<void> {
    await this.ctx.firewall.removeNetwork(config.id);
    this.ctx.bridgeIndexes.delete(config.bridge);
    await this.ctx.rtnl.linkDel(config.bridge).catch((err: unknown) => {
      if ((err as { code?: string }).code !== 'ENODEV') throw err;
    });
    await this.ctx.ipam.deleteNetwork(config.id, { force: true });
    await this.ctx.store.deleteNetwork(config.id);
  }
}
