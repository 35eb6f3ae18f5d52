/**
 * counter: packets and bytes that reached it. nft sends it empty (the kernel starts at
 * zero); the kernel dumps both as __be64 (with NFTA_COUNTER_PAD where alignment needs).
 */
import * as K from '../../constants/nftables';
import { be64, ExprBase, field, tableExpr } from './types';

export interface CounterExpr extends ExprBase {
  type: 'counter';
  bytes?: bigint;
  packets?: bigint;
}

export const counterCodec = tableExpr<CounterExpr>(
  'counter',
  'counter',
  [field('bytes', K.NFTA_COUNTER_BYTES, be64), field('packets', K.NFTA_COUNTER_PACKETS, be64)],
  [],
  new Set([K.NFTA_COUNTER_PAD]),
);
