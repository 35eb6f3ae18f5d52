/**
 * lookup: is the key in sreg (a concatenation may span several 4-byte registers) in the
 * named set? With dreg, a map lookup that loads the element's data into dreg
 * (NFT_REG_VERDICT for a verdict map). The set is found by name, or — for a set created
 * earlier in the same batch, such as nft's anonymous `{ 80, 443 }` — by NFTA_LOOKUP_SET_ID.
 * The kernel always dumps NFTA_LOOKUP_FLAGS (0 when not inverted).
 */
import * as K from '../../constants/nftables';
import { be32, ExprBase, field, tableExpr } from './types';
import { string } from '../../fields';

export interface LookupExpr extends ExprBase {
  type: 'lookup';
  set: string;
  setId?: number;
  sreg: number;
  dreg?: number;
  /** NFT_LOOKUP_F_INV: match when the key is *not* in the set. */
  flags?: number;
}

// libnftnl's order: SREG, DREG, SET, SET_ID, FLAGS.
export const lookupCodec = tableExpr<LookupExpr>(
  'lookup',
  'lookup',
  [
    field('sreg', K.NFTA_LOOKUP_SREG, be32),
    field('dreg', K.NFTA_LOOKUP_DREG, be32),
    field('set', K.NFTA_LOOKUP_SET, string),
    field('setId', K.NFTA_LOOKUP_SET_ID, be32),
    field('flags', K.NFTA_LOOKUP_FLAGS, be32),
  ],
  ['set', 'sreg'],
);
