/**
 * reject: drop and answer — a TCP reset, or an ICMP error. In the inet family nft's plain
 * `reject` is NFT_REJECT_ICMPX_UNREACH with an ICMPX code (port-unreachable = 1), which
 * the kernel turns into ICMP or ICMPv6 per packet. NFTA_REJECT_ICMP_CODE is one byte.
 */
import * as K from '../../constants/nftables';
import { namedEnum } from '../enum';
import { be32Enum, ExprBase, field, tableExpr, u8 } from './types';

export const REJECT_TYPE = namedEnum({
  icmp_unreach: K.NFT_REJECT_ICMP_UNREACH,
  tcp_rst: K.NFT_REJECT_TCP_RST,
  icmpx_unreach: K.NFT_REJECT_ICMPX_UNREACH,
});
export type RejectType = (typeof REJECT_TYPE.names)[number];

export interface RejectExpr extends ExprBase {
  type: 'reject';
  rejectType: RejectType | number;
  /** ICMP (type icmp_unreach) or NFT_REJECT_ICMPX_* (icmpx_unreach) code; 0 for tcp_rst. */
  icmpCode?: number;
}

export const rejectCodec = tableExpr<RejectExpr>(
  'reject',
  'reject',
  [field('rejectType', K.NFTA_REJECT_TYPE, be32Enum(REJECT_TYPE)), field('icmpCode', K.NFTA_REJECT_ICMP_CODE, u8)],
  ['rejectType'],
);
