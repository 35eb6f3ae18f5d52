/**
 * nfnetlink messages: nlmsghdr (type = subsystem << 8 | message) + struct nfgenmsg
 * (family u8, version u8 = NFNETLINK_V0, res_id __be16) + attributes.
 */
import { AttrWriter, parseAttrs, RawAttr } from '../attr';
import { NFGENMSG_LEN, NFNETLINK_V0, NFNL_SUBSYS_NFTABLES } from '../constants/nfnetlink';
import { NetlinkDecodeError } from '../errors';
import { encodeMessage } from '../nlmsg';

/** nlmsg_type of an nf_tables message (NFT_MSG_*). */
export function nftType(msg: number): number {
  return (NFNL_SUBSYS_NFTABLES << 8) | msg;
}

/** Writes struct nfgenmsg. */
export function writeNfgenmsg(w: AttrWriter, family: number, resId = 0): void {
  const h = Buffer.alloc(NFGENMSG_LEN);
  h.writeUInt8(family, 0);
  h.writeUInt8(NFNETLINK_V0, 1);
  h.writeUInt16BE(resId, 2);
  w.raw(h);
}

/** One complete nfnetlink message: header (seq = pid = 0) + nfgenmsg + what `fill` writes. */
export function nfnlMessage(
  type: number,
  flags: number,
  family: number,
  fill: (w: AttrWriter) => void = () => undefined,
  resId = 0,
): Buffer {
  const w = new AttrWriter();
  writeNfgenmsg(w, family, resId);
  fill(w);
  return encodeMessage(type, flags, w.bytes());
}

export interface NfgenPayload {
  family: number;
  version: number;
  /** nfgenmsg.res_id: the generation id in nf_tables replies, the subsystem in BATCH_BEGIN. */
  resId: number;
  attrs: RawAttr[];
}

/** Splits a message payload into nfgenmsg and attributes. */
export function decodeNfgen(payload: Buffer): NfgenPayload {
  if (payload.length < NFGENMSG_LEN) {
    throw new NetlinkDecodeError(`nfgenmsg needs ${NFGENMSG_LEN} bytes, got ${payload.length}`);
  }
  return {
    family: payload.readUInt8(0),
    version: payload.readUInt8(1),
    resId: payload.readUInt16BE(2),
    attrs: parseAttrs(payload.subarray(NFGENMSG_LEN), NFGENMSG_LEN),
  };
}
