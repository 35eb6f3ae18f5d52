/**
 * The typed options of RtnlHandle's verbs. They speak iproute2's vocabulary (`up`,
 * `master`, `metric`, `lladdr`) and are translated into lib/netlink's kernel-shaped
 * objects by the *-spec.ts files next to this one. `undefined` always means "leave it to
 * the kernel" and is never sent as 0.
 */
import type { NsFd } from '../native';
import type { BridgeData, MacvlanMode, VxlanData } from '../netlink';

/** A link by name ('eth0') or ifindex (3). An index saves the kernel a name lookup. */
export type LinkRef = string | number;

/** Anything that holds a namespace fd: a Netns, or the raw NsFd. */
export type NamespaceRef = { readonly fd: NsFd } | NsFd;

interface CommonLinkSpec {
  name: string;
  mtu?: number;
  /** IFLA_ADDRESS: 'aa:bb:cc:dd:ee:ff'. */
  mac?: string;
  /** Bring the link up as it is created (IFF_UP in the same request). */
  up?: boolean;
  /** Create the link directly inside another namespace (IFLA_NET_NS_FD). */
  netns?: NamespaceRef;
  /** Enslave to this bridge as it is created (IFLA_MASTER in the same request). */
  master?: LinkRef;
  txqlen?: number;
  group?: number;
}

/** Like `ip link add NAME type bridge`. */
export interface BridgeSpec extends CommonLinkSpec {
  kind: 'bridge';
  bridge?: Omit<BridgeData, 'kind'>;
}

/** Like `ip link add NAME type veth peer name PEER [netns NS]`. */
export interface VethSpec extends CommonLinkSpec {
  kind: 'veth';
  /**
   * Transmit and receive queues of each end (`numtxqueues` / `numrxqueues`), default 1.
   * Given no count, the kernel allocates one queue per possible CPU and then, with the
   * pair registered and RTNL held, trims the active count to 1 (veth_init_queues): each
   * trim waits for an expedited RCU grace period (synchronize_net), two per pair, which
   * interrupts every busy CPU and stalls every other RTNL user meanwhile. A container's
   * veth uses one queue either way; more are for multi-queue XDP.
   */
  queues?: number;
  peer: {
    name: string;
    /** Create the peer directly in this namespace under its final name. */
    netns?: NamespaceRef;
    mac?: string;
    mtu?: number;
    // No `up`: the kernel configures the peer before the pair is linked, and opening a
    // veth without its peer fails with ENOTCONN (drivers/net/veth.c), so the peer is
    // brought up afterwards, from its own namespace.
  };
}

/** Like `ip link add NAME link PARENT type macvlan mode MODE`. */
export interface MacvlanSpec extends CommonLinkSpec {
  kind: 'macvlan';
  parent: LinkRef;
  mode?: MacvlanMode;
}

/** Like `ip link add NAME type vxlan id VNI [dstport P] [local A] [remote|group A] [dev D]`. */
export interface VxlanSpec extends CommonLinkSpec {
  kind: 'vxlan';
  vni: number;
  port?: number;
  local?: string;
  /** The remote VTEP, or a multicast group (`remote A` / `group A`: both IFLA_VXLAN_GROUP). */
  remote?: string;
  dev?: LinkRef;
  ttl?: number;
  learning?: boolean;
  extra?: Omit<VxlanData, 'kind' | 'id' | 'port' | 'local' | 'group' | 'link' | 'ttl' | 'learning'>;
}

export type LinkSpec = BridgeSpec | VethSpec | MacvlanSpec | VxlanSpec;

/** What `ip link set` can change; several changes go in one request where the kernel allows. */
/** iproute2's names for enum in6_addr_gen_mode. */
export type AddrGenMode = 'eui64' | 'none' | 'stable_secret' | 'random';

export interface LinkChanges {
  up?: boolean;
  mtu?: number;
  mac?: string;
  /** Rename (the link must be down, as for `ip link set X name Y`). */
  name?: string;
  /** Enslave to a bridge; `null` is `nomaster`. */
  master?: LinkRef | null;
  /** Move into another namespace. */
  netns?: NamespaceRef;
  txqlen?: number;
  group?: number;
  /**
   * How IPv6 makes the link-local address (`ip link set X addrgenmode none`). 'none'
   * gives the link no IPv6 address of its own, so no DAD, MLD or router solicitations.
   */
  addrGenMode?: AddrGenMode;
  /** Bridge port flags (`ip link set X type bridge_slave hairpin on isolated on learning off`). */
  hairpin?: boolean;
  isolated?: boolean;
  learning?: boolean;
}

/** Like `ip addr add CIDR dev LINK [broadcast B] [label L]`. */
export interface AddrOptions {
  broadcast?: string;
  label?: string;
  /** `ip addr replace`. */
  replace?: boolean;
  /** IFA_F_NOPREFIXROUTE: no connected route for the prefix. */
  noPrefixRoute?: boolean;
  /** IFA_F_NODAD: skip IPv6 duplicate address detection (the address is usable at once). */
  noDad?: boolean;
}

export type RouteScope = 'global' | 'site' | 'link' | 'host' | 'nowhere';

/** Like `ip route add DST [via GW] [dev LINK] [metric M] [table T] [scope S] [src A]`. */
export interface RouteSpec {
  /** 'default' or a prefix ('10.0.0.0/8'); a bare address is a host route. */
  dst: string;
  gateway?: string;
  dev?: LinkRef;
  metric?: number;
  /** Table id; main (254) when absent. */
  table?: number;
  scope?: RouteScope;
  /** Preferred source address. */
  src?: string;
  /** RTPROT_*; boot (3) when absent, as iproute2. */
  protocol?: number;
  /** 'unicast' (default), 'blackhole', 'unreachable', 'prohibit', 'local'. */
  type?: 'unicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'local';
  /** RTNH_F_ONLINK: the gateway is on the link even if no prefix says so. */
  onlink?: boolean;
  /** `ip route replace`. */
  replace?: boolean;
}

/** NUD states; 'static' is an alias of 'noarp', the name `bridge fdb` prints for it. */
export type NeighState = 'permanent' | 'reachable' | 'stale' | 'noarp' | 'static';

/**
 * Like `ip neigh add DST lladdr MAC dev LINK [nud STATE]`, or, with `fdb`, like
 * `bridge fdb add MAC dev LINK master|self [vlan V] [dst A]`.
 */
export interface NeighSpec {
  dev: LinkRef;
  /** The IP address (for a vxlan FDB entry: the remote VTEP). */
  dst?: string;
  lladdr?: string;
  state?: NeighState;
  /** A bridge FDB entry: in the master bridge's table or the device's own. */
  fdb?: 'master' | 'self';
  vlan?: number;
  replace?: boolean;
}

export interface AddrListFilter {
  dev?: LinkRef;
  family?: 4 | 6;
}

export interface RouteListFilter {
  /** A table id, or 'all'; main by default, as `ip route show`. */
  table?: number | 'all';
  family?: 4 | 6;
  dev?: LinkRef;
}

export interface NeighListFilter {
  dev?: LinkRef;
  /** 4, 6, or 'bridge' for the FDB (`bridge fdb show`). */
  family?: 4 | 6 | 'bridge';
  /** FDB entries of ports of this bridge. */
  master?: LinkRef;
}
