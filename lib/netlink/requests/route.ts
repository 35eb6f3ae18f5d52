/** Route requests (one complete message each, seq = pid = 0). */
import { AttrWriter, checkRange } from '../attr';
import { NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST } from '../constants/netlink';
import { RTA_TABLE, RTMSG_LEN } from '../constants/route';
import {
  AF_UNSPEC,
  RTM_DELROUTE,
  RTM_GETROUTE,
  RTM_NEWROUTE,
  RTN_ANYCAST,
  RTN_BROADCAST,
  RTN_LOCAL,
  RTN_MULTICAST,
  RTN_NAT,
  RTN_UNICAST,
  RTN_UNSPEC,
  RTPROT_BOOT,
  RTPROT_UNSPEC,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_MAIN,
} from '../constants/rtnetlink';
import { encodeMessage } from '../nlmsg';
import { Route, writeRoute } from '../route';

function message(type: number, flags: number, route: Route): Buffer {
  const w = new AttrWriter();
  writeRoute(w, route);
  return encodeMessage(type, flags, w.bytes());
}

/** iproute2's scope for a new route: host for local, link for on-link or link-wide types. */
function defaultScope(route: Route, type: number): number {
  if (type === RTN_LOCAL || type === RTN_NAT) return RT_SCOPE_HOST;
  if (type === RTN_BROADCAST || type === RTN_MULTICAST || type === RTN_ANYCAST) return RT_SCOPE_LINK;
  const viaGateway = route.gateway !== undefined || route.via !== undefined || route.nhId !== undefined;
  return type === RTN_UNICAST && !viaGateway ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
}

export interface RouteNewOptions {
  /** NLM_F_REPLACE instead of NLM_F_EXCL (`ip route replace`). */
  replace?: boolean;
  /** NLM_F_APPEND instead of NLM_F_EXCL (`ip route append`). */
  append?: boolean;
}

/**
 * Adds a route — like `ip route add 10.9.0.0/16 via 10.1.2.1 metric 100 table 100`
 * (`{ dst: '10.9.0.0', dstLen: 16, gateway: '10.1.2.1', priority: 100, table: 100 }`).
 * Header fields left undefined get iproute2's defaults: table main, protocol boot, type
 * unicast, scope link for a route without gateway, else universe. RTM_NEWROUTE,
 * NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL.
 */
export function routeNew(route: Route, opts: RouteNewOptions = {}): Buffer {
  const type = route.type ?? RTN_UNICAST;
  // Object.assign, not `{ ...route, table: … }`: V8 (Node 20) takes a slow path, about a
  // microsecond per key, when keys the spread object lacks follow a spread.
  const filled: Route = Object.assign({}, route, {
    table: route.table ?? RT_TABLE_MAIN,
    protocol: route.protocol ?? RTPROT_BOOT,
    type,
    scope: route.scope ?? defaultScope(route, type),
  });
  const mode = opts.replace ? NLM_F_REPLACE : opts.append ? NLM_F_APPEND : NLM_F_EXCL;
  return message(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | mode, filled);
}

/**
 * Deletes a route — like `ip route del 10.9.0.0/16 via 10.1.2.1 metric 100 table 100`.
 * Undefined header fields get iproute2's wildcards: table main, protocol unspec, scope
 * nowhere, type unspec (the kernel deletes the first route matching what is given).
 */
export function routeDel(route: Route): Buffer {
  const filled: Route = Object.assign({}, route, {
    table: route.table ?? RT_TABLE_MAIN,
    protocol: route.protocol ?? RTPROT_UNSPEC,
    type: route.type ?? RTN_UNSPEC,
    scope: route.scope ?? RT_SCOPE_NOWHERE,
  });
  return message(RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK, filled);
}

/**
 * Lists routes — like `ip route show table all` (`family` AF_INET, or AF_INET6 for
 * `ip -6 route`). `table` asks the kernel to filter (RTA_TABLE; honoured with strict
 * checking on). RTM_GETROUTE, NLM_F_DUMP.
 */
export function routeDump(opts: { family?: number; table?: number } = {}): Buffer {
  const w = new AttrWriter();
  const hdr = Buffer.alloc(RTMSG_LEN);
  hdr.writeUInt8(checkRange(opts.family ?? AF_UNSPEC, 0, 0xff, 'family'), 0);
  w.raw(hdr);
  if (opts.table !== undefined) w.u32(RTA_TABLE, opts.table, 'table');
  return encodeMessage(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, w.bytes());
}
