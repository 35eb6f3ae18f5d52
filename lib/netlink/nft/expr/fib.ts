/**
 * fib: a routing lookup on the packet. `fib daddr type local` is flags NFTA_FIB_F_DADDR,
 * result NFT_FIB_RESULT_ADDRTYPE: the RTN_* type of the destination as a host-order u32
 * (RTN_LOCAL = 2 means "addressed to this host", the DNAT guard nsnet needs).
 */
import * as K from '../../constants/nftables';
import { namedEnum } from '../enum';
import { be32, be32Enum, ExprBase, field, tableExpr } from './types';

export const FIB_RESULT = namedEnum({
  unspec: K.NFT_FIB_RESULT_UNSPEC,
  oif: K.NFT_FIB_RESULT_OIF,
  oifname: K.NFT_FIB_RESULT_OIFNAME,
  addrtype: K.NFT_FIB_RESULT_ADDRTYPE,
});
export type FibResult = (typeof FIB_RESULT.names)[number];

export interface FibExpr extends ExprBase {
  type: 'fib';
  /** NFTA_FIB_F_SADDR | _DADDR | _MARK | _IIF | _OIF | _PRESENT. */
  flags: number;
  result: FibResult | number;
  dreg?: number;
}

// libnftnl's order: FLAGS, RESULT, DREG.
export const fibCodec = tableExpr<FibExpr>(
  'fib',
  'fib',
  [field('flags', K.NFTA_FIB_FLAGS, be32), field('result', K.NFTA_FIB_RESULT, be32Enum(FIB_RESULT)), field('dreg', K.NFTA_FIB_DREG, be32)],
  ['flags', 'result'],
);
