/**
 * immediate: loads a constant into a register. Into NFT_REG_VERDICT it is the rule's
 * verdict (accept, drop, jump CHAIN…); into a data register it feeds a later expression
 * (nat's address and port registers).
 */
import * as K from '../../constants/nftables';
import type { NftData } from '../data';
import { anyData, be32, ExprBase, field, tableExpr } from './types';

export interface ImmediateExpr extends ExprBase {
  type: 'immediate';
  dreg: number;
  data: NftData;
}

export const immediateCodec = tableExpr<ImmediateExpr>(
  'immediate',
  'immediate',
  [field('dreg', K.NFTA_IMMEDIATE_DREG, be32), field('data', K.NFTA_IMMEDIATE_DATA, anyData)],
  ['dreg', 'data'],
);
