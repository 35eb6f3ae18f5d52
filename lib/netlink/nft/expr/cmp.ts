/**
 * cmp: compares a register with a constant; a false comparison ends the rule (NFT_BREAK).
 * The constant is compared bytewise for eq/neq and as a big-endian number for the
 * ordering ops, which is why port ranges compare network-order bytes directly.
 */
import * as K from '../../constants/nftables';
import { namedEnum } from '../enum';
import { be32, be32Enum, ExprBase, field, tableExpr, valueData } from './types';

export const CMP_OP = namedEnum({
  eq: K.NFT_CMP_EQ,
  neq: K.NFT_CMP_NEQ,
  lt: K.NFT_CMP_LT,
  lte: K.NFT_CMP_LTE,
  gt: K.NFT_CMP_GT,
  gte: K.NFT_CMP_GTE,
});
export type CmpOp = (typeof CMP_OP.names)[number];

export interface CmpExpr extends ExprBase {
  type: 'cmp';
  sreg: number;
  op: CmpOp | number;
  data: Buffer;
}

export const cmpCodec = tableExpr<CmpExpr>(
  'cmp',
  'cmp',
  [field('sreg', K.NFTA_CMP_SREG, be32), field('op', K.NFTA_CMP_OP, be32Enum(CMP_OP)), field('data', K.NFTA_CMP_DATA, valueData)],
  ['sreg', 'op', 'data'],
);
