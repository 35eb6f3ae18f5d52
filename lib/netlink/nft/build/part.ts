/**
 * Rule parts and their protocol dependencies, the way nft linearizes a rule. `tcp dport
 * 80` only means something for TCP, so nft puts `meta l4proto tcp` in front of it; `ip
 * saddr X` in an inet (or bridge/netdev) table gets `meta nfproto ipv4` first, while an
 * ip table needs no check. A dependency is added once, right before the first part that
 * needs it, and an explicit match (`meta l4proto tcp`) satisfies it — exactly nft's bytes.
 */
import { ValidationError } from '../../../errors';
import { NFPROTO_IPV4, NFPROTO_IPV6 } from '../../constants/nfnetlink';
import { NFT_REG_1 } from '../../constants/nftables';
import type { Expr } from '../expr';
import type { NftFamily } from '../family';

export type Dependency = { key: 'nfproto'; value: number } | { key: 'l4proto'; value: number };

export interface RulePart {
  exprs: Expr[];
  /** Checks that must run before `exprs` (added unless already made). */
  needs?: Dependency[];
  /** Checks `exprs` make, so later parts need not repeat them. */
  provides?: Dependency[];
}

/** The check for a dependency: meta KEY → reg 1; cmp eq reg 1, one byte. */
export function dependencyExprs(d: Dependency): Expr[] {
  return [
    { type: 'meta', key: d.key, dreg: NFT_REG_1 },
    { type: 'cmp', sreg: NFT_REG_1, op: 'eq', data: Buffer.of(d.value) },
  ];
}

/** In these families the table itself fixes the network protocol. */
const IMPLIED_NFPROTO: Partial<Record<NftFamily, number>> = { ip: NFPROTO_IPV4, ip6: NFPROTO_IPV6 };

/** The expressions of a rule made of `parts`, with nft's dependencies inserted. */
export function ruleExprs(family: NftFamily, parts: readonly RulePart[]): Expr[] {
  const made = new Map<string, number>();
  const implied = IMPLIED_NFPROTO[family];
  if (implied !== undefined) made.set('nfproto', implied);
  const out: Expr[] = [];
  parts.forEach((p, i) => {
    for (const d of p.needs ?? []) {
      const have = made.get(d.key);
      if (have === d.value) continue;
      if (have !== undefined) {
        throw new ValidationError(`parts[${i}]: needs ${d.key} ${d.value} but the rule already matches ${d.key} ${have}`, { field: `parts[${i}]` });
      }
      out.push(...dependencyExprs(d));
      made.set(d.key, d.value);
    }
    out.push(...p.exprs);
    for (const d of p.provides ?? []) made.set(d.key, d.value);
  });
  return out;
}
