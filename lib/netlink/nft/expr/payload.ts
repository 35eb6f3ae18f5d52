/**
 * payload: `len` bytes at `offset` from a protocol header (`base`) into a register, in
 * network byte order as they sit in the packet (or back into the packet with sreg and a
 * checksum fix-up). `ip saddr` is network header, offset 12, length 4.
 */
import * as K from '../../constants/nftables';
import { namedEnum } from '../enum';
import { be32, be32Enum, ExprBase, field, tableExpr } from './types';

export const PAYLOAD_BASE = namedEnum({
  ll_header: K.NFT_PAYLOAD_LL_HEADER,
  network_header: K.NFT_PAYLOAD_NETWORK_HEADER,
  transport_header: K.NFT_PAYLOAD_TRANSPORT_HEADER,
  inner_header: K.NFT_PAYLOAD_INNER_HEADER,
});
export type PayloadBase = (typeof PAYLOAD_BASE.names)[number];

export interface PayloadExpr extends ExprBase {
  type: 'payload';
  base: PayloadBase | number;
  offset: number;
  len: number;
  dreg?: number;
  /** Payload mangling (`tcp dport set 80`): the register holding the new bytes. */
  sreg?: number;
  csumType?: number;
  csumOffset?: number;
  csumFlags?: number;
}

// libnftnl's order: DREG, BASE, OFFSET, LEN, then the mangling attributes.
export const payloadCodec = tableExpr<PayloadExpr>(
  'payload',
  'payload',
  [
    field('dreg', K.NFTA_PAYLOAD_DREG, be32),
    field('base', K.NFTA_PAYLOAD_BASE, be32Enum(PAYLOAD_BASE)),
    field('offset', K.NFTA_PAYLOAD_OFFSET, be32),
    field('len', K.NFTA_PAYLOAD_LEN, be32),
    field('sreg', K.NFTA_PAYLOAD_SREG, be32),
    field('csumType', K.NFTA_PAYLOAD_CSUM_TYPE, be32),
    field('csumOffset', K.NFTA_PAYLOAD_CSUM_OFFSET, be32),
    field('csumFlags', K.NFTA_PAYLOAD_CSUM_FLAGS, be32),
  ],
  ['base', 'offset', 'len'],
);
