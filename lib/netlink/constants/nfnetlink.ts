/**
 * nfnetlink framing and the netfilter core constants nf_tables and ctnetlink share
 * (linux/netfilter/nfnetlink.h, linux/netfilter.h, nf_conntrack_common.h, nf_nat.h,
 * nfnetlink_conntrack.h). Kernel names kept.
 */

/** sizeof(struct nfgenmsg): family u8, version u8, res_id __be16. */
export const NFGENMSG_LEN = 4;
export const NFNETLINK_V0 = 0;

// Subsystems: the high byte of nlmsg_type (NFNL_SUBSYS_ID), the low byte is the message.
export const NFNL_SUBSYS_NONE = 0;
export const NFNL_SUBSYS_CTNETLINK = 1;
export const NFNL_SUBSYS_CTNETLINK_EXP = 2;
export const NFNL_SUBSYS_QUEUE = 3;
export const NFNL_SUBSYS_ULOG = 4;
export const NFNL_SUBSYS_OSF = 5;
export const NFNL_SUBSYS_IPSET = 6;
export const NFNL_SUBSYS_ACCT = 7;
export const NFNL_SUBSYS_CTNETLINK_TIMEOUT = 8;
export const NFNL_SUBSYS_CTHELPER = 9;
export const NFNL_SUBSYS_NFTABLES = 10;
export const NFNL_SUBSYS_NFT_COMPAT = 11;
export const NFNL_SUBSYS_HOOK = 12;

/**
 * Batch delimiters (NLMSG_MIN_TYPE, NLMSG_MIN_TYPE + 1). nfgenmsg.res_id of BATCH_BEGIN
 * names the subsystem the batch is for (NFNL_SUBSYS_NFTABLES); the kernel applies the
 * messages between BEGIN and END as one transaction.
 */
export const NFNL_MSG_BATCH_BEGIN = 0x10;
export const NFNL_MSG_BATCH_END = 0x11;

// enum nfnl_batch_attributes: BATCH_BEGIN may carry the generation the batch was built
// against; the kernel refuses it with ERESTART if the ruleset moved on since.
export const NFNL_BATCH_UNSPEC = 0;
export const NFNL_BATCH_GENID = 1;

// Netfilter protocol families (nfgenmsg.nfgen_family for nf_tables).
export const NFPROTO_UNSPEC = 0;
export const NFPROTO_INET = 1;
export const NFPROTO_IPV4 = 2;
export const NFPROTO_ARP = 3;
export const NFPROTO_NETDEV = 5;
export const NFPROTO_BRIDGE = 7;
export const NFPROTO_IPV6 = 10;

// Hooks of the ip, ip6, inet and bridge families (enum nf_inet_hooks).
export const NF_INET_PRE_ROUTING = 0;
export const NF_INET_LOCAL_IN = 1;
export const NF_INET_FORWARD = 2;
export const NF_INET_LOCAL_OUT = 3;
export const NF_INET_POST_ROUTING = 4;
/** inet family only: ingress hook (requires a device). */
export const NF_INET_INGRESS = 5;
// Hooks of the netdev family (enum nf_dev_hooks).
export const NF_NETDEV_INGRESS = 0;
export const NF_NETDEV_EGRESS = 1;

// Verdicts (linux/netfilter.h); nf_tables' own verdicts are the negative NFT_* ones.
export const NF_DROP = 0;
export const NF_ACCEPT = 1;
export const NF_STOLEN = 2;
export const NF_QUEUE = 3;
export const NF_REPEAT = 4;
export const NF_STOP = 5;

// Conntrack state bits as `ct state` loads them (NF_CT_STATE_BIT(ctinfo) = 1 << (ctinfo
// % IP_CT_IS_REPLY + 1)), plus the two states that have no ctinfo: invalid, untracked.
export const NF_CT_STATE_INVALID_BIT = 1 << 0;
export const NF_CT_STATE_ESTABLISHED_BIT = 1 << 1;
export const NF_CT_STATE_RELATED_BIT = 1 << 2;
export const NF_CT_STATE_NEW_BIT = 1 << 3;
export const NF_CT_STATE_UNTRACKED_BIT = 1 << 6;

// Conntrack status bits (enum ip_conntrack_status), `ct status` and CTA_STATUS.
export const IPS_EXPECTED = 1 << 0;
export const IPS_SEEN_REPLY = 1 << 1;
export const IPS_ASSURED = 1 << 2;
export const IPS_CONFIRMED = 1 << 3;
export const IPS_SRC_NAT = 1 << 4;
export const IPS_DST_NAT = 1 << 5;
export const IPS_SEQ_ADJUST = 1 << 6;
export const IPS_SRC_NAT_DONE = 1 << 7;
export const IPS_DST_NAT_DONE = 1 << 8;
export const IPS_DYING = 1 << 9;
export const IPS_FIXED_TIMEOUT = 1 << 10;
export const IPS_TEMPLATE = 1 << 11;
export const IPS_UNTRACKED = 1 << 12;
export const IPS_HELPER = 1 << 13;
export const IPS_OFFLOAD = 1 << 14;
export const IPS_HW_OFFLOAD = 1 << 15;

// enum ip_conntrack_dir: `ct direction`.
export const IP_CT_DIR_ORIGINAL = 0;
export const IP_CT_DIR_REPLY = 1;

// NAT range flags (linux/netfilter/nf_nat.h): NFTA_NAT_FLAGS, NFTA_MASQ_FLAGS.
export const NF_NAT_RANGE_MAP_IPS = 1 << 0;
export const NF_NAT_RANGE_PROTO_SPECIFIED = 1 << 1;
export const NF_NAT_RANGE_PROTO_RANDOM = 1 << 2;
export const NF_NAT_RANGE_PERSISTENT = 1 << 3;
export const NF_NAT_RANGE_PROTO_RANDOM_FULLY = 1 << 4;
export const NF_NAT_RANGE_PROTO_OFFSET = 1 << 5;
export const NF_NAT_RANGE_NETMAP = 1 << 6;

// ctnetlink (linux/netfilter/nfnetlink_conntrack.h), NFNL_SUBSYS_CTNETLINK messages.
export const IPCTNL_MSG_CT_NEW = 0;
export const IPCTNL_MSG_CT_GET = 1;
export const IPCTNL_MSG_CT_DELETE = 2;
export const IPCTNL_MSG_CT_GET_CTRZERO = 3;

// enum ctattr_type
export const CTA_TUPLE_ORIG = 1;
export const CTA_TUPLE_REPLY = 2;
export const CTA_STATUS = 3;
export const CTA_PROTOINFO = 4;
export const CTA_HELP = 5;
export const CTA_NAT_SRC = 6;
export const CTA_TIMEOUT = 7;
export const CTA_MARK = 8;
export const CTA_COUNTERS_ORIG = 9;
export const CTA_COUNTERS_REPLY = 10;
export const CTA_USE = 11;
export const CTA_ID = 12;
export const CTA_NAT_DST = 13;
export const CTA_TUPLE_MASTER = 14;
export const CTA_ZONE = 18;
export const CTA_TIMESTAMP = 20;
export const CTA_MARK_MASK = 21;
export const CTA_LABELS = 22;
export const CTA_FILTER = 25;
export const CTA_STATUS_MASK = 26;

// enum ctattr_tuple
export const CTA_TUPLE_IP = 1;
export const CTA_TUPLE_PROTO = 2;
export const CTA_TUPLE_ZONE = 3;

// enum ctattr_ip: addresses are raw network-order bytes.
export const CTA_IP_V4_SRC = 1;
export const CTA_IP_V4_DST = 2;
export const CTA_IP_V6_SRC = 3;
export const CTA_IP_V6_DST = 4;

// enum ctattr_l4proto: ports are __be16, the protocol number a u8.
export const CTA_PROTO_NUM = 1;
export const CTA_PROTO_SRC_PORT = 2;
export const CTA_PROTO_DST_PORT = 3;
export const CTA_PROTO_ICMP_ID = 4;
export const CTA_PROTO_ICMP_TYPE = 5;
export const CTA_PROTO_ICMP_CODE = 6;

// enum ctattr_filter (kernel 5.9+): which fields of CTA_TUPLE_ORIG a dump filters on.
export const CTA_FILTER_ORIG_FLAGS = 1;
export const CTA_FILTER_REPLY_FLAGS = 2;
