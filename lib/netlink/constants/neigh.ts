/** Neighbour / FDB (ndmsg) attributes, states and flags (linux/neighbour.h). Kernel names kept. */

/** sizeof(struct ndmsg): family u8, pad u8, pad u16, ifindex s32, state u16, flags u8, type u8. */
export const NDMSG_LEN = 12;

export const NDA_UNSPEC = 0;
export const NDA_DST = 1;
export const NDA_LLADDR = 2;
export const NDA_CACHEINFO = 3;
export const NDA_PROBES = 4;
export const NDA_VLAN = 5;
export const NDA_PORT = 6;
export const NDA_VNI = 7;
export const NDA_IFINDEX = 8;
export const NDA_MASTER = 9;
export const NDA_LINK_NETNSID = 10;
export const NDA_SRC_VNI = 11;
export const NDA_PROTOCOL = 12;
export const NDA_NH_ID = 13;
export const NDA_FDB_EXT_ATTRS = 14;
export const NDA_FLAGS_EXT = 15;
export const NDA_NDM_STATE_MASK = 16;
export const NDA_NDM_FLAGS_MASK = 17;

// ndm_flags.
export const NTF_USE = 1 << 0;
/** FDB entry on the device itself (its own unicast/multicast filter). */
export const NTF_SELF = 1 << 1;
/** FDB entry in the master bridge's table. */
export const NTF_MASTER = 1 << 2;
export const NTF_PROXY = 1 << 3;
export const NTF_EXT_LEARNED = 1 << 4;
export const NTF_OFFLOADED = 1 << 5;
export const NTF_STICKY = 1 << 6;
export const NTF_ROUTER = 1 << 7;

// ndm_state.
export const NUD_NONE = 0x00;
export const NUD_INCOMPLETE = 0x01;
export const NUD_REACHABLE = 0x02;
export const NUD_STALE = 0x04;
export const NUD_DELAY = 0x08;
export const NUD_PROBE = 0x10;
export const NUD_FAILED = 0x20;
export const NUD_NOARP = 0x40;
export const NUD_PERMANENT = 0x80;
