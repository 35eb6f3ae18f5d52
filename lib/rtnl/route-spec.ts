/**
 * Addresses, routes and neighbours: iproute2 vocabulary → lib/netlink objects, with
 * iproute2's defaults so that a route made here reads back like one made by `ip`.
 */
import { ValidationError } from '../errors';
import {
  AF_BRIDGE,
  AF_INET,
  AF_INET6,
  IFA_F_NODAD,
  IFA_F_NOPREFIXROUTE,
  NTF_MASTER,
  NTF_SELF,
  NUD_NOARP,
  NUD_PERMANENT,
  NUD_REACHABLE,
  NUD_STALE,
  RTN_BLACKHOLE,
  RTN_LOCAL,
  RTN_PROHIBIT,
  RTN_UNICAST,
  RTN_UNREACHABLE,
  RTNH_F_ONLINK,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_SITE,
  RT_SCOPE_UNIVERSE,
  type Addr,
  type Neigh,
  type Route,
} from '../netlink';
import { IFNAMSIZ, validateCidr, validateInt, validateIp, type Cidr } from '../validate';
import type { AddrOptions, NeighSpec, NeighState, RouteScope, RouteSpec } from './types';

export const SCOPES: Record<RouteScope, number> = {
  global: RT_SCOPE_UNIVERSE,
  site: RT_SCOPE_SITE,
  link: RT_SCOPE_LINK,
  host: RT_SCOPE_HOST,
  nowhere: RT_SCOPE_NOWHERE,
};

const ROUTE_TYPES: Record<NonNullable<RouteSpec['type']>, number> = {
  unicast: RTN_UNICAST,
  local: RTN_LOCAL,
  blackhole: RTN_BLACKHOLE,
  unreachable: RTN_UNREACHABLE,
  prohibit: RTN_PROHIBIT,
};

const NUD: Record<NeighState, number> = {
  permanent: NUD_PERMANENT,
  reachable: NUD_REACHABLE,
  stale: NUD_STALE,
  noarp: NUD_NOARP,
  static: NUD_NOARP,
};

export function familyNumber(family: 4 | 6): number {
  return family === 4 ? AF_INET : AF_INET6;
}

/** `ip addr add CIDR dev INDEX …`. */
export function addrFromCidr(index: number, cidr: Cidr, options: AddrOptions = {}): Addr {
  const addr: Addr = { family: familyNumber(cidr.family), index, prefixlen: cidr.prefixLength, local: cidr.address, address: cidr.address };
  let flags = 0;
  if (options.noPrefixRoute) flags |= IFA_F_NOPREFIXROUTE;
  if (options.noDad) flags |= IFA_F_NODAD;
  if (flags) addr.flags = flags;
  if (options.broadcast !== undefined) {
    const b = validateIp(options.broadcast, 'broadcast');
    if (b.family !== 4) throw new ValidationError('broadcast: only IPv4 has broadcast addresses', { field: 'broadcast' });
    addr.broadcast = b.address;
  }
  if (options.label !== undefined) {
    // IFA_LABEL is an NLA_STRING of at most IFNAMSIZ - 1 bytes (the kernel's ifa_ipv4_policy).
    const label: unknown = options.label;
    if (typeof label !== 'string' || label.length === 0 || label.includes('\0') || Buffer.byteLength(label) >= IFNAMSIZ) {
      throw new ValidationError(`label: ${JSON.stringify(label)} is not a label of 1-${IFNAMSIZ - 1} bytes`, { field: 'label' });
    }
    addr.label = label;
  }
  return addr;
}

/** '10.0.0.0/8' → { dst, dstLen }; 'default' → no dst, length 0; a bare address → host route. */
export function parseDestination(dst: unknown, field = 'dst'): { dst?: string; dstLen: number; family?: 4 | 6 } {
  if (dst === 'default') return { dstLen: 0 };
  if (typeof dst === 'string' && !dst.includes('/')) {
    const ip = validateIp(dst, field);
    return { dst: ip.address, dstLen: ip.family === 4 ? 32 : 128, family: ip.family };
  }
  const cidr = validateCidr(dst, field);
  return { dst: cidr.address, dstLen: cidr.prefixLength, family: cidr.family };
}

/** Validates a RouteSpec; returns the family it implies (4 when nothing says otherwise). */
export function validateRouteSpec(spec: RouteSpec): 4 | 6 {
  if (!spec || typeof spec !== 'object') throw new ValidationError('route: expected an object', { field: 'route' });
  const dest = parseDestination(spec.dst);
  let family = dest.family;
  for (const key of ['gateway', 'src'] as const) {
    const value = spec[key];
    if (value === undefined) continue;
    const ip = validateIp(value, key);
    if (family !== undefined && ip.family !== family) {
      throw new ValidationError(`${key}: ${value} is IPv${ip.family} but the route is IPv${family}`, { field: key });
    }
    family = ip.family;
  }
  if (spec.metric !== undefined) validateInt(spec.metric, 'metric', 0, 0xffffffff);
  if (spec.table !== undefined) validateInt(spec.table, 'table', 1, 0xffffffff);
  if (spec.protocol !== undefined) validateInt(spec.protocol, 'protocol', 0, 255);
  if (spec.scope !== undefined && !(spec.scope in SCOPES)) throw new ValidationError(`scope: unknown scope '${spec.scope}'`, { field: 'scope' });
  if (spec.type !== undefined && !(spec.type in ROUTE_TYPES)) throw new ValidationError(`type: unknown route type '${spec.type}'`, { field: 'type' });
  return family ?? 4;
}

/**
 * The kernel request for a validated route. Without a scope, iproute2's rule: a unicast
 * route with no gateway is scope link, anything else global; local routes are scope host.
 * For deletion the scope is RT_SCOPE_NOWHERE, which matches a route of any scope.
 */
export function routeFromSpec(spec: RouteSpec, family: 4 | 6, oif: number | undefined, forDelete = false): Route {
  const dest = parseDestination(spec.dst);
  const type = ROUTE_TYPES[spec.type ?? 'unicast'];
  let scope: number;
  if (spec.scope !== undefined) scope = SCOPES[spec.scope];
  else if (forDelete) scope = RT_SCOPE_NOWHERE;
  else if (type === RTN_LOCAL) scope = RT_SCOPE_HOST;
  else if (type === RTN_UNICAST && spec.gateway === undefined) scope = RT_SCOPE_LINK;
  else scope = RT_SCOPE_UNIVERSE;
  const route: Route = { family: familyNumber(family), dstLen: dest.dstLen, scope, type };
  if (dest.dst !== undefined) route.dst = dest.dst;
  if (spec.gateway !== undefined) route.gateway = validateIp(spec.gateway, 'gateway').address;
  if (oif !== undefined) route.oif = oif;
  if (spec.metric !== undefined) route.priority = spec.metric;
  if (spec.table !== undefined) route.table = spec.table;
  if (spec.src !== undefined) route.prefsrc = validateIp(spec.src, 'src').address;
  if (spec.protocol !== undefined) route.protocol = spec.protocol;
  if (spec.onlink) route.flags = RTNH_F_ONLINK;
  return route;
}

export function validateNeighSpec(spec: NeighSpec): void {
  if (!spec || typeof spec !== 'object') throw new ValidationError('neigh: expected an object', { field: 'neigh' });
  if (spec.dst !== undefined) validateIp(spec.dst, 'dst');
  // Any 48-bit address: FDB and neighbour entries may name multicast MACs too.
  if (spec.lladdr !== undefined && (typeof spec.lladdr !== 'string' || !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(spec.lladdr))) {
    throw new ValidationError(`lladdr: '${String(spec.lladdr)}' is not a MAC address`, { field: 'lladdr' });
  }
  if (spec.state !== undefined && !(spec.state in NUD)) throw new ValidationError(`state: unknown state '${spec.state}'`, { field: 'state' });
  if (spec.fdb !== undefined && spec.fdb !== 'master' && spec.fdb !== 'self') {
    throw new ValidationError("fdb: expected 'master' or 'self'", { field: 'fdb' });
  }
  if (spec.fdb === undefined && spec.dst === undefined) throw new ValidationError('dst: a neighbour entry needs an IP address', { field: 'dst' });
  if (spec.fdb !== undefined && spec.lladdr === undefined) throw new ValidationError('lladdr: an FDB entry needs a MAC address', { field: 'lladdr' });
  if (spec.vlan !== undefined) validateInt(spec.vlan, 'vlan', 1, 4094);
}

/**
 * The kernel request for a validated neighbour. FDB entries default to NUD_NOARP, a
 * static forwarding entry: with NUD_PERMANENT the bridge would treat the MAC as its own
 * (BR_FDB_LOCAL, net/bridge/br_fdb.c) and swallow the frames. IP neighbours default to
 * permanent.
 */
export function neighFromSpec(spec: NeighSpec, index: number): Neigh {
  const neigh: Neigh = { index };
  if (spec.fdb !== undefined) {
    neigh.family = AF_BRIDGE;
    neigh.flags = spec.fdb === 'master' ? NTF_MASTER : NTF_SELF;
    neigh.state = NUD[spec.state ?? 'static'];
  } else {
    neigh.family = familyNumber(validateIp(spec.dst, 'dst').family);
    neigh.state = NUD[spec.state ?? 'permanent'];
  }
  if (spec.dst !== undefined) neigh.dst = validateIp(spec.dst, 'dst').address;
  if (spec.lladdr !== undefined) neigh.lladdr = spec.lladdr.toLowerCase();
  if (spec.vlan !== undefined) neigh.vlan = spec.vlan;
  return neigh;
}
