/**
 * How iproute2 (6.1) spells kernel values in `ip -j` output, so decoded objects can be
 * checked against it. Test-only: the library itself keeps kernel numbers.
 */
import {
  IFF_ALLMULTI,
  IFF_AUTOMEDIA,
  IFF_BROADCAST,
  IFF_DEBUG,
  IFF_DORMANT,
  IFF_DYNAMIC,
  IFF_ECHO,
  IFF_LOOPBACK,
  IFF_LOWER_UP,
  IFF_MASTER,
  IFF_MULTICAST,
  IFF_NOARP,
  IFF_NOTRAILERS,
  IFF_POINTOPOINT,
  IFF_PORTSEL,
  IFF_PROMISC,
  IFF_RUNNING,
  IFF_SLAVE,
  IFF_UP,
  NUD_DELAY,
  NUD_FAILED,
  NUD_INCOMPLETE,
  NUD_NOARP,
  NUD_PERMANENT,
  NUD_PROBE,
  NUD_REACHABLE,
  NUD_STALE,
} from '../../../lib/netlink';

const IFF_NAMES: [number, string][] = [
  [IFF_LOOPBACK, 'LOOPBACK'],
  [IFF_BROADCAST, 'BROADCAST'],
  [IFF_POINTOPOINT, 'POINTOPOINT'],
  [IFF_MULTICAST, 'MULTICAST'],
  [IFF_NOARP, 'NOARP'],
  [IFF_ALLMULTI, 'ALLMULTI'],
  [IFF_PROMISC, 'PROMISC'],
  [IFF_MASTER, 'MASTER'],
  [IFF_SLAVE, 'SLAVE'],
  [IFF_DEBUG, 'DEBUG'],
  [IFF_DYNAMIC, 'DYNAMIC'],
  [IFF_AUTOMEDIA, 'AUTOMEDIA'],
  [IFF_PORTSEL, 'PORTSEL'],
  [IFF_NOTRAILERS, 'NOTRAILERS'],
  [IFF_UP, 'UP'],
  [IFF_LOWER_UP, 'LOWER_UP'],
  [IFF_DORMANT, 'DORMANT'],
  [IFF_ECHO, 'ECHO'],
];

/** The flag words `ip` prints for ifi_flags, sorted; NO-CARRIER is UP without RUNNING. */
export function ipLinkFlags(flags: number): string[] {
  const out = IFF_NAMES.filter(([bit]) => flags & bit).map(([, name]) => name);
  if (flags & IFF_UP && !(flags & IFF_RUNNING)) out.push('NO-CARRIER');
  return out.sort();
}

export const OPERSTATES = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'];
export const LINK_TYPES: Record<string, number> = { ether: 1, loopback: 772 };
export const BR_PORT_STATES = ['disabled', 'listening', 'learning', 'forwarding', 'blocking'];

const SCOPES: Record<number, string> = { 0: 'global', 200: 'site', 253: 'link', 254: 'host', 255: 'nowhere' };
export const ipScope = (scope: number): string => SCOPES[scope] ?? String(scope);

const TABLES: Record<number, string> = { 253: 'default', 254: 'main', 255: 'local' };
export const ipTable = (table: number): string => TABLES[table] ?? String(table);

const PROTOCOLS: Record<number, string> = { 0: 'unspec', 1: 'redirect', 2: 'kernel', 3: 'boot', 4: 'static', 9: 'ra', 16: 'dhcp' };
export const ipProtocol = (p: number): string => PROTOCOLS[p] ?? String(p);

const RTN = ['unspec', 'unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat', 'xresolve'];
export const ipRouteType = (t: number): string => RTN[t] ?? String(t);

const NUD: [number, string][] = [
  [NUD_INCOMPLETE, 'INCOMPLETE'],
  [NUD_REACHABLE, 'REACHABLE'],
  [NUD_STALE, 'STALE'],
  [NUD_DELAY, 'DELAY'],
  [NUD_PROBE, 'PROBE'],
  [NUD_FAILED, 'FAILED'],
  [NUD_NOARP, 'NOARP'],
  [NUD_PERMANENT, 'PERMANENT'],
];
export const ipNeighState = (state: number): string[] => NUD.filter(([bit]) => state & bit).map(([, n]) => n);

/** `bridge fdb` prints one state word: permanent, static, or nothing. */
export function fdbState(state: number): string {
  if (state & NUD_PERMANENT) return 'permanent';
  if (state & NUD_NOARP) return 'static';
  return '';
}
