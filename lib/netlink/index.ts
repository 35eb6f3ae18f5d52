/**
 * lib/netlink: the pure netlink codec. Buffers in, typed objects out (and back); no I/O,
 * no root, no addon. The rtnl handle layer sends what the request builders return and
 * feeds the replies to splitMessages + the decoders.
 */
export * from './constants';
export { NetlinkDecodeError } from './errors';
export { encodeMessage, splitMessages, decodeError } from './nlmsg';
export type { NetlinkMessage, NetlinkErrorInfo } from './nlmsg';
export { AttrWriter, parseAttrs, align4 } from './attr';
export type { RawAttr } from './attr';
export { addrAttrOffset, attrValueOffset, HEADER_INDEX_AT, ifindexOffsets, linkAttrOffset, vethPeerAttrOffset, vethPeerNsFdOffset } from './locate';
export { ipFamily, ipToBytes, bytesToIp, macToBytes, bytesToMac, dottedQuad } from './addresses';

export { decodeLink, linkGroupOf, writeLink } from './link';
export type { Link, DecodedLink, LinkInfo } from './link';
export { STATS64_FIELDS } from './link-stats';
export type { LinkStats64 } from './link-stats';
export type {
  LinkData,
  SlaveData,
  BridgeData,
  BridgePort,
  BridgeSlaveData,
  VethData,
  MacvlanData,
  MacvlanMode,
  VxlanData,
  RawKindData,
} from './link-kinds';
export { decodeAddr, writeAddr } from './addr';
export type { Addr, DecodedAddr, AddrCacheinfo } from './addr';
export { decodeRoute, writeRoute } from './route';
export type { Route, DecodedRoute } from './route';
export { decodeNeigh, writeNeigh } from './neigh';
export type { Neigh, DecodedNeigh, NeighCacheinfo } from './neigh';

export {
  linkNew,
  linkSet,
  linkDel,
  linkDelGroup,
  linkGet,
  linkDump,
  bridgePortSet,
  linkAltnamesAdd,
  linkAltnamesDel,
} from './requests/link';
export type { LinkRef, LinkNewOptions, LinkGetOptions, LinkDumpOptions } from './requests/link';
export { addrNew, addrDel, addrDump } from './requests/addr';
export { routeNew, routeDel, routeDump } from './requests/route';
export type { RouteNewOptions } from './requests/route';
export { neighNew, neighDel, neighDump } from './requests/neigh';

/** nf_tables: objects, expressions, batches and the rule builder (lib/netlink/nft). */
export * as nft from './nft';
