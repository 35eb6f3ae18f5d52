/**
 * bitwise: dreg = (sreg & mask) ^ xor over `len` bytes (prefix matches, flag tests), or a
 * shift by `data` bits. nft 1.0.6 leaves NFTA_BITWISE_OP out for mask/xor (the kernel
 * defaults to NFT_BITWISE_MASK_XOR, the old behaviour); the kernel always dumps it.
 */
import * as K from '../../constants/nftables';
import { namedEnum } from '../enum';
import { be32, be32Enum, ExprBase, field, tableExpr, valueData } from './types';

export const BITWISE_OP = namedEnum({
  mask_xor: K.NFT_BITWISE_MASK_XOR,
  lshift: K.NFT_BITWISE_LSHIFT,
  rshift: K.NFT_BITWISE_RSHIFT,
});
export type BitwiseOp = (typeof BITWISE_OP.names)[number];

export interface BitwiseExpr extends ExprBase {
  type: 'bitwise';
  sreg: number;
  dreg: number;
  len: number;
  op?: BitwiseOp | number;
  mask?: Buffer;
  xor?: Buffer;
  /** Shift amount (lshift/rshift), a host-order u32 value. */
  data?: Buffer;
}

export const bitwiseCodec = tableExpr<BitwiseExpr>(
  'bitwise',
  'bitwise',
  [
    field('sreg', K.NFTA_BITWISE_SREG, be32),
    field('dreg', K.NFTA_BITWISE_DREG, be32),
    field('len', K.NFTA_BITWISE_LEN, be32),
    field('op', K.NFTA_BITWISE_OP, be32Enum(BITWISE_OP)),
    field('mask', K.NFTA_BITWISE_MASK, valueData),
    field('xor', K.NFTA_BITWISE_XOR, valueData),
    field('data', K.NFTA_BITWISE_DATA, valueData),
  ],
  ['sreg', 'dreg', 'len'],
);
