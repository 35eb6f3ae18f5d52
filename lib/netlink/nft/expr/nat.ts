/**
 * nat: snat/dnat to the address (and port) held in registers, loaded before by immediate
 * or by a map lookup. `family` (NFPROTO_IPV4/IPV6) says how to read the address
 * registers, which matters in inet tables. nft adds NF_NAT_RANGE_PROTO_SPECIFIED when a
 * port is given with a constant; the kernel sets it (and MAP_IPS) itself from the
 * registers present, and dumps the result.
 */
import * as K from '../../constants/nftables';
import { namedEnum } from '../enum';
import { DecodedFamily, NFT_FAMILY } from '../family';
import { be32, be32Enum, ExprBase, field, tableExpr } from './types';

export const NAT_TYPE = namedEnum({ snat: K.NFT_NAT_SNAT, dnat: K.NFT_NAT_DNAT });
export type NatType = (typeof NAT_TYPE.names)[number];

export interface NatExpr extends ExprBase {
  type: 'nat';
  natType: NatType | number;
  /** 'ip' or 'ip6' (NFPROTO_IPV4 / NFPROTO_IPV6). */
  family: DecodedFamily;
  regAddrMin?: number;
  regAddrMax?: number;
  regProtoMin?: number;
  regProtoMax?: number;
  /** NF_NAT_RANGE_* */
  flags?: number;
}

export const natCodec = tableExpr<NatExpr>(
  'nat',
  'nat',
  [
    field('natType', K.NFTA_NAT_TYPE, be32Enum(NAT_TYPE)),
    field('family', K.NFTA_NAT_FAMILY, be32Enum(NFT_FAMILY)),
    field('regAddrMin', K.NFTA_NAT_REG_ADDR_MIN, be32),
    field('regAddrMax', K.NFTA_NAT_REG_ADDR_MAX, be32),
    field('regProtoMin', K.NFTA_NAT_REG_PROTO_MIN, be32),
    field('regProtoMax', K.NFTA_NAT_REG_PROTO_MAX, be32),
    field('flags', K.NFTA_NAT_FLAGS, be32),
  ],
  ['natType', 'family'],
);
