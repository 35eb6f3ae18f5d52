/** Route (rtmsg) attributes (linux/rtnetlink.h). Kernel names kept. */

/** sizeof(struct rtmsg): family, dst_len, src_len, tos, table, protocol, scope, type (u8), flags u32. */
export const RTMSG_LEN = 12;

export const RTA_UNSPEC = 0;
export const RTA_DST = 1;
export const RTA_SRC = 2;
export const RTA_IIF = 3;
export const RTA_OIF = 4;
export const RTA_GATEWAY = 5;
/** The route metric (`ip route … metric N`). */
export const RTA_PRIORITY = 6;
export const RTA_PREFSRC = 7;
export const RTA_METRICS = 8;
export const RTA_MULTIPATH = 9;
export const RTA_PROTOINFO = 10;
export const RTA_FLOW = 11;
export const RTA_CACHEINFO = 12;
export const RTA_SESSION = 13;
export const RTA_MP_ALGO = 14;
/** u32 table id; rtm_table only holds 8 bits. */
export const RTA_TABLE = 15;
export const RTA_MARK = 16;
export const RTA_MFC_STATS = 17;
/** struct rtvia: family u16 + address; a gateway of another family (IPv4 via IPv6). */
export const RTA_VIA = 18;
export const RTA_NEWDST = 19;
export const RTA_PREF = 20;
export const RTA_ENCAP_TYPE = 21;
export const RTA_ENCAP = 22;
export const RTA_EXPIRES = 23;
export const RTA_PAD = 24;
export const RTA_UID = 25;
export const RTA_TTL_PROPAGATE = 26;
export const RTA_IP_PROTO = 27;
export const RTA_SPORT = 28;
export const RTA_DPORT = 29;
export const RTA_NH_ID = 30;
