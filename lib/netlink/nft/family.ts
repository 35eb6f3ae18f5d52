/**
 * nf_tables families by nft's names. The family travels in nfgenmsg.nfgen_family as an
 * NFPROTO_* number; `inet` is both IPv4 and IPv6 (one table, one set of hooks).
 */
import {
  NFPROTO_ARP,
  NFPROTO_BRIDGE,
  NFPROTO_INET,
  NFPROTO_IPV4,
  NFPROTO_IPV6,
  NFPROTO_NETDEV,
  NFPROTO_UNSPEC,
} from '../constants/nfnetlink';
import { namedEnum } from './enum';

export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

export const NFT_FAMILY = namedEnum<NftFamily | 'unspec'>(
  {
    unspec: NFPROTO_UNSPEC,
    ip: NFPROTO_IPV4,
    ip6: NFPROTO_IPV6,
    inet: NFPROTO_INET,
    arp: NFPROTO_ARP,
    bridge: NFPROTO_BRIDGE,
    netdev: NFPROTO_NETDEV,
  },
  0xff,
);

/** A family as decoded: nft's name, or the NFPROTO number if nsnet has no name for it. */
export type DecodedFamily = NftFamily | 'unspec' | number;

export function familyNumber(family: DecodedFamily, field = 'family'): number {
  return NFT_FAMILY.toNumber(family, field);
}

export function familyName(n: number): DecodedFamily {
  return NFT_FAMILY.toName(n);
}
