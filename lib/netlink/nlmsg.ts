/**
 * struct nlmsghdr framing: encode one message, split a receive buffer into messages,
 * read an NLMSG_ERROR. seq and pid are written as 0: the native transport stamps them
 * when it sends (it owns the socket and the sequence counter).
 */
import { NLMSG_ERROR, NLMSG_HDRLEN, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS } from './constants/netlink';
import { align4, parseAttrs, readString, readU32 } from './attr';
import { NetlinkDecodeError } from './errors';

export interface NetlinkMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** Everything after the 16-byte header, up to nlmsg_len (a view, not a copy). */
  payload: Buffer;
}

/** One complete message: header (seq = pid = 0) + payload, padded to 4 bytes. */
export function encodeMessage(type: number, flags: number, payload: Uint8Array): Buffer {
  const len = align4(NLMSG_HDRLEN + payload.length);
  const buf = Buffer.alloc(len);
  buf.writeUInt32LE(len, 0);
  buf.writeUInt16LE(type, 4);
  buf.writeUInt16LE(flags, 6);
  buf.set(payload, NLMSG_HDRLEN);
  return buf;
}

/**
 * Splits concatenated messages (one recvmsg's worth, or the transport's `data`); payloads
 * are views of `buf` unless `own` asks for copies. Each
 * nlmsg_len must cover its header and fit in what is left; anything else is a
 * NetlinkDecodeError. The last message may omit its padding.
 */
export function splitMessages(buf: Buffer, options: { own?: boolean } = {}): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < NLMSG_HDRLEN) {
      throw new NetlinkDecodeError(`truncated nlmsghdr (${buf.length - off} bytes left)`, off);
    }
    const len = buf.readUInt32LE(off);
    if (len < NLMSG_HDRLEN || len > buf.length - off) {
      throw new NetlinkDecodeError(`bad nlmsg_len ${len} with ${buf.length - off} bytes left`, off);
    }
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      pid: buf.readUInt32LE(off + 12),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off = Math.min(buf.length, off + align4(len));
  }
  // Decoded objects keep views of their message (unknown attributes stay raw, uncopied).
  // With `own`, each message of a multi-message buffer (a dump) gets a copy of its own,
  // so one object kept alive does not pin the whole dump.
  if (options.own && out.length > 1) for (const m of out) m.payload = Buffer.from(m.payload);
  return out;
}

export interface NetlinkErrorInfo {
  /** 0 for an ACK, else a negative errno. */
  errno: number;
  /** The header of the request this answers. */
  request: { type: number; flags: number; seq: number; pid: number };
  /** NLMSGERR_ATTR_MSG: the kernel's extended-ack text. */
  extack?: string;
  /** NLMSGERR_ATTR_OFFS: offset of the offending attribute in the request. */
  extackOffset?: number;
}

/**
 * Reads an NLMSG_ERROR message (struct nlmsgerr: int error + the request's nlmsghdr,
 * then the rest of the request unless NLM_F_CAPPED, then extack TLVs if NLM_F_ACK_TLVS).
 */
export function decodeError(msg: NetlinkMessage): NetlinkErrorInfo {
  if (msg.type !== NLMSG_ERROR) throw new NetlinkDecodeError(`message type ${msg.type} is not NLMSG_ERROR`);
  const p = msg.payload;
  if (p.length < 4 + NLMSG_HDRLEN) throw new NetlinkDecodeError(`NLMSG_ERROR payload of ${p.length} bytes`);
  const info: NetlinkErrorInfo = {
    errno: p.readInt32LE(0),
    request: { type: p.readUInt16LE(8), flags: p.readUInt16LE(10), seq: p.readUInt32LE(12), pid: p.readUInt32LE(16) },
  };
  if (msg.flags & NLM_F_ACK_TLVS) {
    // Uncapped replies echo the whole request; its nlmsg_len says how far to skip.
    const echoed = msg.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : align4(p.readUInt32LE(4));
    if (4 + echoed > p.length) throw new NetlinkDecodeError('NLMSG_ERROR echo runs past the message');
    for (const a of parseAttrs(p.subarray(4 + echoed))) {
      if (a.type === NLMSGERR_ATTR_MSG) info.extack = readString(a);
      else if (a.type === NLMSGERR_ATTR_OFFS) info.extackOffset = readU32(a);
    }
  }
  return info;
}
