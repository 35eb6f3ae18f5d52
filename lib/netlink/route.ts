/**
 * Routes: struct rtmsg + RTA_* attributes, the body of RTM_NEWROUTE / RTM_DELROUTE
 * requests and replies. Addresses are decoded only for AF_INET / AF_INET6; other
 * families (MPLS labels in RTA_DST…) keep those attributes raw.
 */
import { ValidationError } from '../errors';
import { bytesToIp, ipFamily, ipToBytes } from './addresses';
import { AttrWriter, checkRange, parseAttrs, RawAttr, readU32, writeRawAttrs } from './attr';
import {
  RTA_DST,
  RTA_EXPIRES,
  RTA_GATEWAY,
  RTA_IIF,
  RTA_MARK,
  RTA_NH_ID,
  RTA_OIF,
  RTA_PREF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_SRC,
  RTA_TABLE,
  RTA_VIA,
  RTMSG_LEN,
} from './constants/route';
import { AF_INET, AF_INET6, RT_TABLE_UNSPEC } from './constants/rtnetlink';
import { NetlinkDecodeError } from './errors';
import { field, FieldSpec, ip, readFields, u32, u8, writeFields } from './fields';

export interface Route {
  /** rtm_family; inferred from dst / gateway / prefsrc / src when absent (not from via). */
  family?: number;
  /** rtm_dst_len; 0 with no dst (default route), the full length with a bare dst. */
  dstLen?: number;
  srcLen?: number;
  tos?: number;
  /** Table id: rtm_table when ≤ 255, else RTA_TABLE (rtm_table = RT_TABLE_UNSPEC). */
  table?: number;
  /** rtm_protocol: RTPROT_*. */
  protocol?: number;
  /** rtm_scope: RT_SCOPE_*. */
  scope?: number;
  /** rtm_type: RTN_*. */
  type?: number;
  /** rtm_flags: RTM_F_* / RTNH_F_* (RTNH_F_LINKDOWN is `ip`'s "linkdown"). */
  flags?: number;
  dst?: string;
  src?: string;
  /** RTA_GATEWAY: a gateway of the route's own family. */
  gateway?: string;
  /** RTA_VIA: a gateway of the other family (IPv4 route via an IPv6 next hop). */
  via?: string;
  /** RTA_OIF: output ifindex (`dev`). */
  oif?: number;
  iif?: number;
  /** RTA_PRIORITY: the metric. */
  priority?: number;
  /** RTA_PREFSRC: preferred source (`src` in `ip route add … src A`). */
  prefsrc?: string;
  /** RTA_PREF: IPv6 router preference (ICMPV6_ROUTER_PREF_*). */
  pref?: number;
  mark?: number;
  expires?: number;
  nhId?: number;
  unknown?: RawAttr[];
}

export type DecodedRoute = Route & {
  family: number;
  dstLen: number;
  srcLen: number;
  tos: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  flags: number;
  unknown: RawAttr[];
};

// iproute2's order: DST, then (table > 255) TABLE, GATEWAY, PREFSRC, PRIORITY, OIF —
// e.g. DST, GATEWAY, PRIORITY, OIF for `ip -6 route add fd01::/64 via fd00::2 dev v0
// metric 50` and DST, TABLE, PREFSRC, OIF for `… dev v0 table 1000 … src 10.1.2.3`.
const ADDR_HEAD: readonly FieldSpec<Route>[] = [field('dst', RTA_DST, ip), field('src', RTA_SRC, ip)];
const ADDR_GW: readonly FieldSpec<Route>[] = [field('gateway', RTA_GATEWAY, ip)];
const ADDR_TAIL: readonly FieldSpec<Route>[] = [field('prefsrc', RTA_PREFSRC, ip)];
const SCALARS: readonly FieldSpec<Route>[] = [
  field('priority', RTA_PRIORITY, u32),
  field('oif', RTA_OIF, u32),
  field('iif', RTA_IIF, u32),
  field('pref', RTA_PREF, u8),
  field('mark', RTA_MARK, u32),
  field('expires', RTA_EXPIRES, u32),
  field('nhId', RTA_NH_ID, u32),
];
const INET_FIELDS = [...ADDR_HEAD, ...ADDR_GW, ...ADDR_TAIL, ...SCALARS];
const HANDLED = new Set([RTA_TABLE, RTA_VIA]);

/** The family a Route is encoded with: explicit, else from its addresses. */
export function routeFamily(route: Route): number {
  if (route.family !== undefined) return route.family;
  for (const key of ['dst', 'gateway', 'prefsrc', 'src'] as const) {
    const text = route[key];
    if (text !== undefined) return ipFamily(text, key);
  }
  throw new ValidationError('family: give family or an address (dst, gateway, prefsrc)', { field: 'family' });
}

/** Writes struct rtmsg + RTA_* attributes, header fields as given (0 when absent). */
export function writeRoute(w: AttrWriter, route: Route): void {
  const family = routeFamily(route);
  const table = checkRange(route.table ?? RT_TABLE_UNSPEC, 0, 0xffffffff, 'table');
  const fullLen = family === AF_INET6 ? 128 : 32;
  const hdr = Buffer.alloc(RTMSG_LEN);
  hdr.writeUInt8(checkRange(family, 0, 0xff, 'family'), 0);
  hdr.writeUInt8(checkRange(route.dstLen ?? (route.dst === undefined ? 0 : fullLen), 0, 0xff, 'dstLen'), 1);
  hdr.writeUInt8(checkRange(route.srcLen ?? (route.src === undefined ? 0 : fullLen), 0, 0xff, 'srcLen'), 2);
  hdr.writeUInt8(checkRange(route.tos ?? 0, 0, 0xff, 'tos'), 3);
  // rtm_table is 8 bits; larger ids go in RTA_TABLE with rtm_table = RT_TABLE_UNSPEC.
  hdr.writeUInt8(table > 0xff ? RT_TABLE_UNSPEC : table, 4);
  hdr.writeUInt8(checkRange(route.protocol ?? 0, 0, 0xff, 'protocol'), 5);
  hdr.writeUInt8(checkRange(route.scope ?? 0, 0, 0xff, 'scope'), 6);
  hdr.writeUInt8(checkRange(route.type ?? 0, 0, 0xff, 'type'), 7);
  hdr.writeUInt32LE(checkRange(route.flags ?? 0, 0, 0xffffffff, 'flags'), 8);
  w.raw(hdr);
  writeFields(w, route, ADDR_HEAD);
  if (table > 0xff) w.u32(RTA_TABLE, table, 'table');
  writeFields(w, route, ADDR_GW);
  if (route.via !== undefined) {
    // struct rtvia: u16 family, then the address.
    const bytes = ipToBytes(route.via, 'via');
    const b = Buffer.alloc(2 + bytes.length);
    b.writeUInt16LE(bytes.length === 4 ? AF_INET : AF_INET6, 0);
    bytes.copy(b, 2);
    w.attr(RTA_VIA, b);
  }
  writeFields(w, route, ADDR_TAIL);
  writeFields(w, route, SCALARS);
  writeRawAttrs(w, route.unknown);
}

/** Decodes struct rtmsg + RTA_* (the payload of an RTM_NEWROUTE reply). */
export function decodeRoute(payload: Buffer): DecodedRoute {
  if (payload.length < RTMSG_LEN) {
    throw new NetlinkDecodeError(`rtmsg needs ${RTMSG_LEN} bytes, got ${payload.length}`);
  }
  const route: DecodedRoute = {
    family: payload.readUInt8(0),
    dstLen: payload.readUInt8(1),
    srcLen: payload.readUInt8(2),
    tos: payload.readUInt8(3),
    table: payload.readUInt8(4),
    protocol: payload.readUInt8(5),
    scope: payload.readUInt8(6),
    type: payload.readUInt8(7),
    flags: payload.readUInt32LE(8),
    unknown: [],
  };
  const attrs = parseAttrs(payload.subarray(RTMSG_LEN), RTMSG_LEN);
  const inet = route.family === AF_INET || route.family === AF_INET6;
  route.unknown = readFields(attrs, inet ? INET_FIELDS : SCALARS, route, HANDLED);
  for (const a of attrs) {
    // RTA_TABLE, when present, is the full table id (rtm_table is capped at 255).
    if (a.type === RTA_TABLE) route.table = readU32(a);
    else if (a.type === RTA_VIA) {
      const via = decodeVia(a.data);
      if (via === undefined) route.unknown.push(a);
      else route.via = via;
    }
  }
  return route;
}

/** struct rtvia with an IPv4/IPv6 address, or undefined (kept raw) for other families. */
function decodeVia(data: Buffer): string | undefined {
  if (data.length < 2) throw new NetlinkDecodeError(`RTA_VIA of ${data.length} bytes`);
  const family = data.readUInt16LE(0);
  const addr = data.subarray(2);
  if ((family === AF_INET && addr.length === 4) || (family === AF_INET6 && addr.length === 16)) return bytesToIp(addr);
  return undefined;
}
