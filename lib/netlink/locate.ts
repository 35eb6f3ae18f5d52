/**
 * Where a value sits inside an encoded request: byte offsets for a netlink plan to write
 * a value into that exists only once the plan runs (an ifindex the kernel chose, the fd of
 * a namespace the plan made). Offsets are found by walking the structure, never by
 * searching for a value's bytes.
 */
import { align4 } from './attr';
import {
  IFLA_INFO_DATA, IFLA_LINKINFO, IFLA_NET_NS_FD, NLA_HDRLEN, NLA_TYPE_MASK, NLMSG_HDRLEN, RTA_OIF, RTM_DELADDR, RTM_DELLINK,
  RTM_DELROUTE, RTM_NEWADDR, RTM_NEWLINK, RTM_NEWROUTE, RTM_SETLINK, VETH_INFO_PEER,
} from './constants';

/** sizeof(struct ifinfomsg): the header of link messages and of a veth's peer info. */
const IFINFOMSG_LEN = 16;
/** sizeof(struct ifaddrmsg). */
const IFADDRMSG_LEN = 8;
/** sizeof(struct rtmsg). */
const RTMSG_LEN = 12;
/** Byte offset of ifi_index in a link message (ifinfomsg) and of ifa_index in an address message (ifaddrmsg). */
export const HEADER_INDEX_AT = NLMSG_HDRLEN + 4;

/**
 * Offset of the value of the first attribute of `type` among the attributes in
 * buf[start, end), or undefined.
 */
export function attrValueOffset(buf: Buffer, start: number, end: number, type: number): number | undefined {
  for (let off = start; end - off >= NLA_HDRLEN; ) {
    const len = buf.readUInt16LE(off);
    if (len < NLA_HDRLEN || len > end - off) return undefined;
    if ((buf.readUInt16LE(off + 2) & NLA_TYPE_MASK) === type) return off + NLA_HDRLEN;
    off += align4(len);
  }
  return undefined;
}

/** [value offset, value end) of a nested attribute `type` in buf[start, end). */
function nested(buf: Buffer, start: number, end: number, type: number): [number, number] | undefined {
  const at = attrValueOffset(buf, start, end, type);
  return at === undefined ? undefined : [at, at - NLA_HDRLEN + buf.readUInt16LE(at - NLA_HDRLEN)];
}

/**
 * Offsets (from the message's start) of the ifindex fields of one rtnetlink request: a
 * link or address message's header index, and a route's RTA_OIF.
 */
export function ifindexOffsets(message: Buffer): number[] {
  const type = message.readUInt16LE(4);
  const end = Math.min(message.length, message.readUInt32LE(0));
  switch (type) {
    case RTM_NEWLINK:
    case RTM_SETLINK:
    case RTM_DELLINK:
    case RTM_NEWADDR:
    case RTM_DELADDR:
      return [HEADER_INDEX_AT];
    case RTM_NEWROUTE:
    case RTM_DELROUTE: {
      const oif = attrValueOffset(message, NLMSG_HDRLEN + RTMSG_LEN, end, RTA_OIF);
      return oif === undefined ? [] : [oif];
    }
    default:
      return [];
  }
}

/** Offset of a top-level attribute's value in a link message (after its ifinfomsg). */
export function linkAttrOffset(message: Buffer, type: number): number | undefined {
  return attrValueOffset(message, NLMSG_HDRLEN + IFINFOMSG_LEN, Math.min(message.length, message.readUInt32LE(0)), type);
}

/** Offset of an attribute's value in a veth request's peer (IFLA_LINKINFO/IFLA_INFO_DATA/VETH_INFO_PEER). */
export function vethPeerAttrOffset(message: Buffer, type: number): number | undefined {
  const end = Math.min(message.length, message.readUInt32LE(0));
  const info = nested(message, NLMSG_HDRLEN + IFINFOMSG_LEN, end, IFLA_LINKINFO);
  const data = info && nested(message, info[0], info[1], IFLA_INFO_DATA);
  const peer = data && nested(message, data[0], data[1], VETH_INFO_PEER);
  return peer && attrValueOffset(message, peer[0] + IFINFOMSG_LEN, peer[1], type);
}

/** Offset of IFLA_NET_NS_FD in a veth request's peer. */
export function vethPeerNsFdOffset(message: Buffer): number | undefined {
  return vethPeerAttrOffset(message, IFLA_NET_NS_FD);
}

/** Offset of an attribute's value in an address message (after its ifaddrmsg). */
export function addrAttrOffset(message: Buffer, type: number): number | undefined {
  return attrValueOffset(message, NLMSG_HDRLEN + IFADDRMSG_LEN, Math.min(message.length, message.readUInt32LE(0)), type);
}
