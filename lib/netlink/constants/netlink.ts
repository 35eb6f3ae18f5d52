/** Netlink framing constants (linux/netlink.h). Kernel names kept so grep finds them. */

/** sizeof(struct nlmsghdr): len u32, type u16, flags u16, seq u32, pid u32. */
export const NLMSG_HDRLEN = 16;
/** Messages and attributes are padded to 4 bytes (NLMSG_ALIGNTO, NLA_ALIGNTO). */
export const NLMSG_ALIGNTO = 4;
/** sizeof(struct nlattr): len u16, type u16. */
export const NLA_HDRLEN = 4;

// Control message types.
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

// Flags common to all requests.
export const NLM_F_REQUEST = 0x01;
export const NLM_F_MULTI = 0x02;
export const NLM_F_ACK = 0x04;
export const NLM_F_ECHO = 0x08;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_DUMP_FILTERED = 0x20;

// Modifiers to GET requests.
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_ATOMIC = 0x400;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;

// Modifiers to NEW requests.
export const NLM_F_REPLACE = 0x100;
export const NLM_F_EXCL = 0x200;
export const NLM_F_CREATE = 0x400;
export const NLM_F_APPEND = 0x800;

// Flags on an NLMSG_ERROR reply (extended ACK).
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;

// nla_type high bits: the kernel marks nests it builds with NLA_F_NESTED; some requests
// (iproute2's IFLA_LINKINFO) leave it off. Parsers mask both off.
export const NLA_F_NESTED = 1 << 15;
export const NLA_F_NET_BYTEORDER = 1 << 14;
export const NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xffff;

// Extended ACK TLVs inside NLMSG_ERROR (enum nlmsgerr_attrs).
export const NLMSGERR_ATTR_UNUSED = 0;
export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;
export const NLMSGERR_ATTR_COOKIE = 3;
export const NLMSGERR_ATTR_POLICY = 4;
export const NLMSGERR_ATTR_MISS_TYPE = 5;
export const NLMSGERR_ATTR_MISS_NEST = 6;

// Protocol numbers for socket(AF_NETLINK, SOCK_RAW, proto).
export const NETLINK_ROUTE = 0;
export const NETLINK_NETFILTER = 12;
