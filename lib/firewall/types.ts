/**
 * The firewall's typed model: networks, endpoints and their published ports, as plain
 * JSON-able data. The runtime persists these records; `Firewall.reapply(state)` turns them
 * back into nsnet's ruleset, and `Firewall.snapshot()` reads what the kernel holds in the
 * same shapes, so that reconcile can compare the two.
 */
import type { IpFamily } from '../validate';

export type { IpFamily };

/** The transport protocols a port can be published for (Docker's `/tcp|udp|sctp`). */
export type Proto = 'tcp' | 'udp' | 'sctp';
export const PROTOS: readonly Proto[] = ['tcp', 'udp', 'sctp'];

/** An inclusive port range; a single port has start === end. */
export interface PortRange {
  start: number;
  end: number;
}

/**
 * One parsed `-p` value: `[hostIp:][hostPort[-end]]:containerPort[-end][/proto]`, or just
 * `containerPort[-end][/proto]` (publish-all style: host ports chosen from the kernel's
 * ephemeral range).
 */
export interface PortSpec {
  /** A host address to publish on; absent: every local address (of each family the endpoint has). */
  hostIp?: string;
  /** Absent: one host port per container port, chosen from net.ipv4.ip_local_port_range. */
  hostPorts?: PortRange;
  containerPorts: PortRange;
  proto: Proto;
}

/** What `publish` accepts per port: Docker's text form or an already parsed spec. */
export type PortInput = string | PortSpec;

/** One concrete host port → container port translation, for one address family. */
export interface PortMapping {
  family: IpFamily;
  proto: Proto;
  /** The host address it is published on; absent: every local address of `family`. */
  hostIp?: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

/** A network as the firewall needs it. Defaults are Docker's. */
export interface NetworkSpec {
  /** Names the network's chains (`nw-<id>-out`): [A-Za-z0-9][A-Za-z0-9_.-]{0,63}. */
  id: string;
  /** The Linux bridge in the host namespace. */
  bridge: string;
  /** Its subnets, v4 and/or v6 ('172.18.0.0/16', 'fd00:1::/64'). */
  subnets: readonly string[];
  /** Masquerade what leaves the network for elsewhere (default true; never for internal). */
  masquerade?: boolean;
  /** Containers on the bridge may talk to each other (default true). */
  icc?: boolean;
  /** Nothing leaves the network and nothing from outside enters (default false). */
  internal?: boolean;
  /** Unreachable from every other nsnet network (default true). */
  isolated?: boolean;
}

/** A network with every default filled in and subnets in normal form. */
export interface ResolvedNetwork {
  id: string;
  bridge: string;
  subnets: string[];
  masquerade: boolean;
  icc: boolean;
  internal: boolean;
  isolated: boolean;
}

/** An endpoint: a container's attachment to a network. */
export interface EndpointSpec {
  /** [A-Za-z0-9][A-Za-z0-9_.-]{0,63}, e.g. a 64-hex endpoint ID. */
  id: string;
  /** The network's id. */
  network: string;
  ipv4?: string;
  ipv6?: string;
  /**
   * The host end of the endpoint's veth (its bridge port). Needed on an icc=false network:
   * the port joins the bridge-family drop set, which is how icc is enforced at layer 2.
   */
  port?: string;
  /**
   * Docker's legacy links on an icc=false network: this endpoint may reach each `peer`
   * (the linked container's bridge port) on the given port, and the peer may answer from
   * it — nothing else between the two. Stateless, as Docker's link rules are.
   */
  links?: LinkAllow[];
}

/** One exposed port of a linked container that a linking endpoint may reach. */
export interface LinkAllow {
  /** The linked container's bridge port (the host end of its veth). */
  peer: string;
  proto: Proto;
  port: number;
  /**
   * The linked container's addresses: with br_netfilter on, bridged packets also cross the
   * inet forward hook, where an icc=off network drops them unless `saddr . daddr . proto .
   * dport` is in @link4 / @link6.
   */
  ipv4?: string;
  ipv6?: string;
}

/** An endpoint with its installed mappings: what `publish` records and `reapply` re-installs. */
export interface Publication {
  endpoint: EndpointSpec;
  mappings: PortMapping[];
}

/** Everything nsnet's ruleset is built from. */
export interface FirewallState {
  networks: NetworkSpec[];
  publications: Publication[];
}

/** What the kernel holds of nsnet's ruleset, read back (Firewall.snapshot()). */
export interface FirewallSnapshot {
  /** `inet nsnet` exists. */
  installed: boolean;
  /** Every base chain, set and map nsnet needs is there (false after partial drift). */
  complete: boolean;
  /** Expected objects that are missing ('inet nsnet chain forward', 'bridge nsnet set icc_off'…). */
  missing: string[];
  /** The networks whose chains exist, as recorded in their chain comments. */
  networks: ResolvedNetwork[];
  /** Endpoints with elements in the dnat maps or the icc drop set, by endpoint id. */
  publications: Publication[];
  /** The administrator's chain: present, and how many rules it holds (nsnet never writes it). */
  userChain: { present: boolean; rules: number };
  /** The ruleset generation the reads were made at. */
  generation: number;
}
