/**
 * ct: conntrack data of the packet's connection into a register. `state` and `status`
 * are host-order u32 bitmasks (tested with bitwise + cmp neq 0), `direction` one byte,
 * `mark` a host-order u32; addresses and ports are network order.
 */
import * as K from '../../constants/nftables';
import { namedEnum } from '../enum';
import { be32, be32Enum, ExprBase, field, tableExpr, u8 } from './types';

export const CT_KEY = namedEnum({
  state: K.NFT_CT_STATE,
  direction: K.NFT_CT_DIRECTION,
  status: K.NFT_CT_STATUS,
  mark: K.NFT_CT_MARK,
  secmark: K.NFT_CT_SECMARK,
  expiration: K.NFT_CT_EXPIRATION,
  helper: K.NFT_CT_HELPER,
  l3protocol: K.NFT_CT_L3PROTOCOL,
  src: K.NFT_CT_SRC,
  dst: K.NFT_CT_DST,
  protocol: K.NFT_CT_PROTOCOL,
  proto_src: K.NFT_CT_PROTO_SRC,
  proto_dst: K.NFT_CT_PROTO_DST,
  labels: K.NFT_CT_LABELS,
  pkts: K.NFT_CT_PKTS,
  bytes: K.NFT_CT_BYTES,
  avgpkt: K.NFT_CT_AVGPKT,
  zone: K.NFT_CT_ZONE,
  eventmask: K.NFT_CT_EVENTMASK,
  src_ip: K.NFT_CT_SRC_IP,
  dst_ip: K.NFT_CT_DST_IP,
  src_ip6: K.NFT_CT_SRC_IP6,
  dst_ip6: K.NFT_CT_DST_IP6,
  id: K.NFT_CT_ID,
});
export type CtKey = (typeof CT_KEY.names)[number];

export interface CtExpr extends ExprBase {
  type: 'ct';
  key: CtKey | number;
  dreg?: number;
  sreg?: number;
  /** IP_CT_DIR_ORIGINAL / IP_CT_DIR_REPLY, for keys that differ per direction. */
  direction?: number;
}

// libnftnl's order: KEY, DREG, DIRECTION, SREG.
export const ctCodec = tableExpr<CtExpr>(
  'ct',
  'ct',
  [
    field('key', K.NFTA_CT_KEY, be32Enum(CT_KEY)),
    field('dreg', K.NFTA_CT_DREG, be32),
    field('direction', K.NFTA_CT_DIRECTION, u8),
    field('sreg', K.NFTA_CT_SREG, be32),
  ],
  ['key'],
);
