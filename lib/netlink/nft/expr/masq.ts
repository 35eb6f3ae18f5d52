/**
 * masq: source NAT to the address of the outgoing interface, chosen per packet (so a
 * changing uplink address needs no rule change). An empty nest when no flags are given.
 */
import * as K from '../../constants/nftables';
import { be32, ExprBase, field, tableExpr } from './types';

export interface MasqExpr extends ExprBase {
  type: 'masq';
  /** NF_NAT_RANGE_PROTO_RANDOM, _PROTO_RANDOM_FULLY, _PERSISTENT. */
  flags?: number;
  regProtoMin?: number;
  regProtoMax?: number;
}

export const masqCodec = tableExpr<MasqExpr>(
  'masq',
  'masq',
  [
    field('flags', K.NFTA_MASQ_FLAGS, be32),
    field('regProtoMin', K.NFTA_MASQ_REG_PROTO_MIN, be32),
    field('regProtoMax', K.NFTA_MASQ_REG_PROTO_MAX, be32),
  ],
  [],
);
