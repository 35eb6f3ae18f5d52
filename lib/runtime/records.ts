import type { LinkAllow, PortMapping } from '../firewall';

/**
 * What the runtime keeps in its state directory: only what the kernel cannot tell (which
 * container is which, which network a bridge belongs to, which ports were asked for).
 * Links, addresses, routes and rules are read back from the kernel; leases live in IPAM.
 */

/** A network as created (Docker's `docker network create` options). */
export interface NetworkConfig {
  id: string;
  name: string;
  driver: 'bridge';
  /** ISO 8601. */
  created: string;
  /** The Linux bridge: 'nsnet0' for the default network, else 'br-' + 12 hex of the id. */
  bridge: string;
  /** The default bridge network ('bridge'): no name resolution, links instead. */
  isDefault: boolean;
  internal: boolean;
  /** Inter-container communication on the bridge. */
  icc: boolean;
  /** Outbound masquerade for the network's subnets. */
  masquerade: boolean;
  enableIPv6: boolean;
  mtu?: number;
  /** Upstream resolvers for names the network's resolver does not know (podman's --dns on a network). */
  dns?: string[];
  labels: Record<string, string>;
  options: Record<string, string>;
}

/** One interface of a container in one network. */
export interface EndpointRecord {
  id: string;
  networkId: string;
  /** Name inside the container: eth0, eth1, … */
  ifname: string;
  /** Host end of the veth pair: 'veth' + 7 hex of the endpoint id. */
  hostIfname: string;
  mac: string;
  /** '172.18.0.2/16'. */
  ipv4?: string;
  ipv6?: string;
  gateway?: string;
  gateway6?: string;
  aliases: string[];
  /** Asked-for static addresses, kept to re-create the same endpoint. */
  staticIp?: string;
  staticIp6?: string;
  /** What the firewall published to this endpoint, host ports chosen by -P included. */
  published?: PortMapping[];
  /** On an icc=off default bridge: the linked containers' exposed ports this endpoint may reach. */
  links?: LinkAllow[];
}

export type ContainerMode = 'bridge' | 'host' | 'none' | 'container' | 'network';

export interface ContainerRecord {
  id: string;
  name: string;
  created: string;
  mode: ContainerMode;
  /** The network namespace file the container uses. */
  netnsPath: string;
  /** True when nsnet created the namespace (and so deletes it on remove). */
  ownsNetns: boolean;
  /** container:<x> mode: the id of the container whose namespace this one joins. */
  sharesWith?: string;
  endpoints: EndpointRecord[];
  /** Published ports as asked for (Docker's -p strings). */
  ports: string[];
  /** -P: container ports to publish on ephemeral host ports. */
  publishAll: string[];
  /** Docker's --link 'name:alias'. */
  links: string[];
  /** Ports the container exposes without publishing them (Docker's EXPOSE / --expose). */
  expose?: string[];
  /** --dns: upstream resolvers (forwarded to by the resolver, or written to resolv.conf on the default bridge). */
  dns?: string[];
  /** --dns-search and --dns-option: replace the host's search list and options. */
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** Host mode ignores ports: they are reported here, as Docker warns. */
  ignoredPorts?: string[];
}
