/**
 * The host's routes as a list of prefixes, for automatic subnet choice (a subnet that
 * overlaps a route would shadow a LAN or VPN). Kept apart from the IPAM core, which takes
 * the list as plain data and so stays testable without a kernel.
 */
import { Netns } from '../netns/netns';

/**
 * Every route's destination prefix in every table of `ns` (this process's namespace by
 * default), like `ip route show table all`. Default routes are left out: they are a
 * fallback, not a claim on any subnet.
 */
export async function hostRoutes(ns?: Netns): Promise<string[]> {
  const target = ns ?? (await Netns.current());
  try {
    const routes = await (await target.handle()).routeList({ table: 'all' });
    const prefixes = routes.filter((r) => r.dst !== undefined && r.dstLen > 0).map((r) => `${r.dst}/${r.dstLen}`);
    return [...new Set(prefixes)];
  } finally {
    if (ns === undefined) target.close();
  }
}
