/**
 * Attributes inside IFLA_INFO_DATA / IFLA_INFO_SLAVE_DATA / IFLA_PROTINFO for the link
 * kinds nsnet models (linux/if_link.h, linux/veth.h, linux/if_bridge.h). Kernel names kept.
 */

// bridge: IFLA_INFO_DATA of kind "bridge".
export const IFLA_BR_UNSPEC = 0;
export const IFLA_BR_FORWARD_DELAY = 1;
export const IFLA_BR_HELLO_TIME = 2;
export const IFLA_BR_MAX_AGE = 3;
export const IFLA_BR_AGEING_TIME = 4;
export const IFLA_BR_STP_STATE = 5;
export const IFLA_BR_PRIORITY = 6;
export const IFLA_BR_VLAN_FILTERING = 7;
export const IFLA_BR_VLAN_PROTOCOL = 8;
export const IFLA_BR_GROUP_FWD_MASK = 9;
export const IFLA_BR_ROOT_ID = 10;
export const IFLA_BR_BRIDGE_ID = 11;
export const IFLA_BR_ROOT_PORT = 12;
export const IFLA_BR_ROOT_PATH_COST = 13;
export const IFLA_BR_TOPOLOGY_CHANGE = 14;
export const IFLA_BR_TOPOLOGY_CHANGE_DETECTED = 15;
export const IFLA_BR_HELLO_TIMER = 16;
export const IFLA_BR_TCN_TIMER = 17;
export const IFLA_BR_TOPOLOGY_CHANGE_TIMER = 18;
export const IFLA_BR_GC_TIMER = 19;
export const IFLA_BR_GROUP_ADDR = 20;
export const IFLA_BR_FDB_FLUSH = 21;
export const IFLA_BR_MCAST_ROUTER = 22;
export const IFLA_BR_MCAST_SNOOPING = 23;
export const IFLA_BR_MCAST_QUERY_USE_IFADDR = 24;
export const IFLA_BR_MCAST_QUERIER = 25;
export const IFLA_BR_MCAST_HASH_ELASTICITY = 26;
export const IFLA_BR_MCAST_HASH_MAX = 27;
export const IFLA_BR_MCAST_LAST_MEMBER_CNT = 28;
export const IFLA_BR_MCAST_STARTUP_QUERY_CNT = 29;
export const IFLA_BR_MCAST_LAST_MEMBER_INTVL = 30;
export const IFLA_BR_MCAST_MEMBERSHIP_INTVL = 31;
export const IFLA_BR_MCAST_QUERIER_INTVL = 32;
export const IFLA_BR_MCAST_QUERY_INTVL = 33;
export const IFLA_BR_MCAST_QUERY_RESPONSE_INTVL = 34;
export const IFLA_BR_MCAST_STARTUP_QUERY_INTVL = 35;
export const IFLA_BR_NF_CALL_IPTABLES = 36;
export const IFLA_BR_NF_CALL_IP6TABLES = 37;
export const IFLA_BR_NF_CALL_ARPTABLES = 38;
export const IFLA_BR_VLAN_DEFAULT_PVID = 39;
export const IFLA_BR_PAD = 40;
export const IFLA_BR_VLAN_STATS_ENABLED = 41;
export const IFLA_BR_MCAST_STATS_ENABLED = 42;
export const IFLA_BR_MCAST_IGMP_VERSION = 43;
export const IFLA_BR_MCAST_MLD_VERSION = 44;
export const IFLA_BR_VLAN_STATS_PER_PORT = 45;
export const IFLA_BR_MULTI_BOOLOPT = 46;
export const IFLA_BR_MCAST_QUERIER_STATE = 47;

// bridge port: IFLA_INFO_SLAVE_DATA of kind "bridge_slave", and IFLA_PROTINFO of an
// AF_BRIDGE RTM_SETLINK / RTM_NEWLINK (what `bridge link set` sends).
export const IFLA_BRPORT_UNSPEC = 0;
export const IFLA_BRPORT_STATE = 1;
export const IFLA_BRPORT_PRIORITY = 2;
export const IFLA_BRPORT_COST = 3;
/** Hairpin mode: `ip link set X type bridge_slave hairpin on`. */
export const IFLA_BRPORT_MODE = 4;
export const IFLA_BRPORT_GUARD = 5;
export const IFLA_BRPORT_PROTECT = 6;
export const IFLA_BRPORT_FAST_LEAVE = 7;
export const IFLA_BRPORT_LEARNING = 8;
export const IFLA_BRPORT_UNICAST_FLOOD = 9;
export const IFLA_BRPORT_PROXYARP = 10;
export const IFLA_BRPORT_LEARNING_SYNC = 11;
export const IFLA_BRPORT_PROXYARP_WIFI = 12;
export const IFLA_BRPORT_ROOT_ID = 13;
export const IFLA_BRPORT_BRIDGE_ID = 14;
export const IFLA_BRPORT_DESIGNATED_PORT = 15;
export const IFLA_BRPORT_DESIGNATED_COST = 16;
export const IFLA_BRPORT_ID = 17;
export const IFLA_BRPORT_NO = 18;
export const IFLA_BRPORT_TOPOLOGY_CHANGE_ACK = 19;
export const IFLA_BRPORT_CONFIG_PENDING = 20;
export const IFLA_BRPORT_MESSAGE_AGE_TIMER = 21;
export const IFLA_BRPORT_FORWARD_DELAY_TIMER = 22;
export const IFLA_BRPORT_HOLD_TIMER = 23;
export const IFLA_BRPORT_FLUSH = 24;
export const IFLA_BRPORT_MULTICAST_ROUTER = 25;
export const IFLA_BRPORT_PAD = 26;
export const IFLA_BRPORT_MCAST_FLOOD = 27;
export const IFLA_BRPORT_MCAST_TO_UCAST = 28;
export const IFLA_BRPORT_VLAN_TUNNEL = 29;
export const IFLA_BRPORT_BCAST_FLOOD = 30;
export const IFLA_BRPORT_GROUP_FWD_MASK = 31;
export const IFLA_BRPORT_NEIGH_SUPPRESS = 32;
export const IFLA_BRPORT_ISOLATED = 33;
export const IFLA_BRPORT_BACKUP_PORT = 34;
export const IFLA_BRPORT_MRP_RING_OPEN = 35;
export const IFLA_BRPORT_MRP_IN_OPEN = 36;
export const IFLA_BRPORT_MCAST_EHT_HOSTS_LIMIT = 37;
export const IFLA_BRPORT_MCAST_EHT_HOSTS_CNT = 38;
export const IFLA_BRPORT_LOCKED = 39;

// Port STP states (IFLA_BRPORT_STATE).
export const BR_STATE_DISABLED = 0;
export const BR_STATE_LISTENING = 1;
export const BR_STATE_LEARNING = 2;
export const BR_STATE_FORWARDING = 3;
export const BR_STATE_BLOCKING = 4;

// veth: IFLA_INFO_DATA of kind "veth".
export const VETH_INFO_UNSPEC = 0;
/** struct ifinfomsg followed by IFLA_* attributes describing the peer. */
export const VETH_INFO_PEER = 1;

// macvlan / macvtap: IFLA_INFO_DATA.
export const IFLA_MACVLAN_UNSPEC = 0;
export const IFLA_MACVLAN_MODE = 1;
export const IFLA_MACVLAN_FLAGS = 2;
export const IFLA_MACVLAN_MACADDR_MODE = 3;
export const IFLA_MACVLAN_MACADDR = 4;
export const IFLA_MACVLAN_MACADDR_DATA = 5;
export const IFLA_MACVLAN_MACADDR_COUNT = 6;
export const IFLA_MACVLAN_BC_QUEUE_LEN = 7;
export const IFLA_MACVLAN_BC_QUEUE_LEN_USED = 8;

export const MACVLAN_MODE_PRIVATE = 1;
export const MACVLAN_MODE_VEPA = 2;
export const MACVLAN_MODE_BRIDGE = 4;
export const MACVLAN_MODE_PASSTHRU = 8;
export const MACVLAN_MODE_SOURCE = 16;

export const MACVLAN_FLAG_NOPROMISC = 1;
export const MACVLAN_FLAG_NODST = 2;

// vxlan: IFLA_INFO_DATA.
export const IFLA_VXLAN_UNSPEC = 0;
export const IFLA_VXLAN_ID = 1;
/** Multicast group or unicast remote: `remote` and `group` share this attribute. */
export const IFLA_VXLAN_GROUP = 2;
export const IFLA_VXLAN_LINK = 3;
export const IFLA_VXLAN_LOCAL = 4;
export const IFLA_VXLAN_TTL = 5;
export const IFLA_VXLAN_TOS = 6;
export const IFLA_VXLAN_LEARNING = 7;
export const IFLA_VXLAN_AGEING = 8;
export const IFLA_VXLAN_LIMIT = 9;
export const IFLA_VXLAN_PORT_RANGE = 10;
export const IFLA_VXLAN_PROXY = 11;
export const IFLA_VXLAN_RSC = 12;
export const IFLA_VXLAN_L2MISS = 13;
export const IFLA_VXLAN_L3MISS = 14;
/** Destination UDP port, big-endian u16 (__be16). */
export const IFLA_VXLAN_PORT = 15;
export const IFLA_VXLAN_GROUP6 = 16;
export const IFLA_VXLAN_LOCAL6 = 17;
export const IFLA_VXLAN_UDP_CSUM = 18;
export const IFLA_VXLAN_UDP_ZERO_CSUM6_TX = 19;
export const IFLA_VXLAN_UDP_ZERO_CSUM6_RX = 20;
export const IFLA_VXLAN_REMCSUM_TX = 21;
export const IFLA_VXLAN_REMCSUM_RX = 22;
export const IFLA_VXLAN_GBP = 23;
export const IFLA_VXLAN_REMCSUM_NOPARTIAL = 24;
export const IFLA_VXLAN_COLLECT_METADATA = 25;
export const IFLA_VXLAN_LABEL = 26;
export const IFLA_VXLAN_GPE = 27;
export const IFLA_VXLAN_TTL_INHERIT = 28;
export const IFLA_VXLAN_DF = 29;
export const IFLA_VXLAN_VNIFILTER = 30;
