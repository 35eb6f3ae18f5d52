/**
 * Planning a new network against the existing ones: refuse explicit subnets that overlap
 * another network, choose the automatic ones. Pure; the store runs it under its lock so
 * that two concurrent creations never pick the same subnet.
 */
import { PoolExhaustedError, SubnetOverlapError } from './errors';
import type { ResolvedSpec } from './network-spec';
import { chooseSubnet, type Pool, validatePools } from './pools';
import { Prefix } from './prefix';
import type { StoreMeta } from './store';
import type { IpFamily, NetworkRecord, SubnetRecord } from './types';
import { isUlaGlobalId, newUlaGlobalId, ulaPool } from './ula';

export interface PlanContext {
  networks: readonly NetworkRecord[];
  meta: StoreMeta;
  /** User-network pools, both families. */
  pools: readonly Pool[];
  /** Tried first for the default bridge's IPv4 subnet. */
  bridgePools: readonly Pool[];
  /** The host's route prefixes (no default routes). */
  routes: readonly Prefix[];
  created: string;
  random?: (n: number) => Buffer;
}

const FAMILIES: readonly IpFamily[] = [4, 6];

export function planNetwork(spec: ResolvedSpec, ctx: PlanContext): { network: NetworkRecord; meta: StoreMeta } {
  const taken = ctx.networks.flatMap((n) => n.subnets.map((s) => ({ id: n.id, prefix: Prefix.parse(s.subnet, 'subnet') })));
  for (const family of FAMILIES) {
    const want = spec.families[family];
    if (want === undefined || want === 'auto') continue;
    const prefix = Prefix.parse(want.explicit.subnet, 'subnet');
    const clash = taken.find((t) => t.prefix.overlaps(prefix));
    if (clash) throw new SubnetOverlapError(prefix.toString(), { networkId: clash.id, subnet: clash.prefix.toString() });
  }
  let meta = ctx.meta;
  const subnets: SubnetRecord[] = [];
  for (const family of FAMILIES) {
    const want = spec.families[family];
    if (want === undefined) continue;
    if (want !== 'auto') {
      subnets.push(want.explicit);
      continue;
    }
    let pools = ctx.pools.filter((p) => p.base.family === family);
    if (family === 4 && spec.defaultBridge) pools = [...ctx.bridgePools, ...pools];
    if (family === 6 && pools.length === 0) {
      // No IPv6 pool configured: a /64 of this host's unique-local /48, made on first use.
      if (!isUlaGlobalId(meta.ulaGlobalId)) meta = { ...meta, ulaGlobalId: newUlaGlobalId(ctx.random) };
      pools = validatePools([ulaPool(meta.ulaGlobalId!)], 'ula');
    }
    const avoid = [...taken.map((t) => t.prefix), ...ctx.routes, ...subnets.map((s) => Prefix.parse(s.subnet, 'subnet'))];
    const chosen = chooseSubnet(pools, avoid);
    if (!chosen) throw new PoolExhaustedError(`no IPv${family} subnet left in the pools that overlaps no network and no host route`, family, spec.id);
    subnets.push({ family, subnet: chosen.toString(), gateway: chosen.addressAt(1n), auxAddresses: {}, auto: true });
  }
  const network: NetworkRecord = { id: spec.id, ...(spec.name === undefined ? {} : { name: spec.name }), created: ctx.created, subnets };
  return { network, meta };
}
