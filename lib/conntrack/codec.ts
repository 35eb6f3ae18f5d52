/**
 * ctnetlink (NFNL_SUBSYS_CTNETLINK) messages: conntrack entries as the kernel dumps them
 * (IPCTNL_MSG_CT_NEW replies to an IPCTNL_MSG_CT_GET dump) and IPCTNL_MSG_CT_DELETE.
 * Pure codec. Byte order: addresses raw network order, ports __be16, CTA_ID, CTA_STATUS,
 * CTA_MARK and CTA_TIMEOUT __be32, CTA_ZONE __be16, CTA_PROTO_NUM one byte.
 */
import { bytesToIp, ipToBytes } from '../netlink/addresses';
import { AttrWriter, parseAttrs, RawAttr, readU8 } from '../netlink/attr';
import { NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST } from '../netlink/constants/netlink';
import * as C from '../netlink/constants/nfnetlink';
import { NetlinkDecodeError } from '../netlink/errors';
import { splitMessages } from '../netlink/nlmsg';
import { nft } from '../netlink';

const AF_INET = 2;
const AF_INET6 = 10;

export type CtFamily = 4 | 6;

export interface CtTuple {
  src: string;
  dst: string;
  /** IPPROTO_* (6 tcp, 17 udp, 132 sctp, 1 icmp…). */
  proto: number;
  sport?: number;
  dport?: number;
  icmpId?: number;
  icmpType?: number;
  icmpCode?: number;
}

export interface CtEntry {
  family: CtFamily;
  orig: CtTuple;
  reply?: CtTuple;
  /** IPS_* bits. */
  status?: number;
  mark?: number;
  /** Seconds left. */
  timeout?: number;
  /** The kernel's id of this entry: a delete carrying it removes only this one. */
  id?: number;
  zone?: number;
  unknown?: RawAttr[];
}

function ctType(msg: number): number {
  return (C.NFNL_SUBSYS_CTNETLINK << 8) | msg;
}

function familyOf(f: CtFamily | undefined): number {
  return f === undefined ? 0 : f === 4 ? AF_INET : AF_INET6;
}

/** `conntrack -L [-f ipv4|ipv6]`: a dump of every entry (of one family, or both). */
export function ctDump(family?: CtFamily): Buffer {
  return nft.nfnlMessage(ctType(C.IPCTNL_MSG_CT_GET), NLM_F_REQUEST | NLM_F_DUMP, familyOf(family));
}

function be16(b: Buffer): number {
  if (b.length < 2) throw new NetlinkDecodeError('ctnetlink: short __be16');
  return b.readUInt16BE(0);
}

function be32(b: Buffer): number {
  if (b.length < 4) throw new NetlinkDecodeError('ctnetlink: short __be32');
  return b.readUInt32BE(0);
}

function decodeTuple(body: Buffer): CtTuple {
  const t: Partial<CtTuple> = {};
  for (const a of parseAttrs(body)) {
    if (a.type === C.CTA_TUPLE_IP) {
      for (const x of parseAttrs(a.data)) {
        if (x.data.length !== 4 && x.data.length !== 16) throw new NetlinkDecodeError(`ctnetlink: address of ${x.data.length} bytes`);
        if (x.type === C.CTA_IP_V4_SRC || x.type === C.CTA_IP_V6_SRC) t.src = bytesToIp(x.data);
        else if (x.type === C.CTA_IP_V4_DST || x.type === C.CTA_IP_V6_DST) t.dst = bytesToIp(x.data);
      }
    } else if (a.type === C.CTA_TUPLE_PROTO) {
      for (const x of parseAttrs(a.data)) {
        if (x.type === C.CTA_PROTO_NUM) t.proto = readU8(x);
        else if (x.type === C.CTA_PROTO_SRC_PORT) t.sport = be16(x.data);
        else if (x.type === C.CTA_PROTO_DST_PORT) t.dport = be16(x.data);
        else if (x.type === C.CTA_PROTO_ICMP_ID) t.icmpId = be16(x.data);
        else if (x.type === C.CTA_PROTO_ICMP_TYPE) t.icmpType = readU8(x);
        else if (x.type === C.CTA_PROTO_ICMP_CODE) t.icmpCode = readU8(x);
      }
    }
  }
  if (t.src === undefined || t.dst === undefined || t.proto === undefined) throw new NetlinkDecodeError('ctnetlink: tuple without addresses or protocol');
  return t as CtTuple;
}

/** One IPCTNL_MSG_CT_NEW message body. */
export function decodeCtEntry(payload: Buffer): CtEntry {
  const { family, attrs } = nft.decodeNfgen(payload);
  if (family !== AF_INET && family !== AF_INET6) throw new NetlinkDecodeError(`ctnetlink: family ${family}`);
  let orig: CtTuple | undefined;
  const e: Partial<CtEntry> = { family: family === AF_INET ? 4 : 6 };
  const unknown: RawAttr[] = [];
  for (const a of attrs) {
    if (a.type === C.CTA_TUPLE_ORIG) orig = decodeTuple(a.data);
    else if (a.type === C.CTA_TUPLE_REPLY) e.reply = decodeTuple(a.data);
    else if (a.type === C.CTA_STATUS) e.status = be32(a.data);
    else if (a.type === C.CTA_MARK) e.mark = be32(a.data);
    else if (a.type === C.CTA_TIMEOUT) e.timeout = be32(a.data);
    else if (a.type === C.CTA_ID) e.id = be32(a.data);
    else if (a.type === C.CTA_ZONE) e.zone = be16(a.data);
    else unknown.push(a);
  }
  if (orig === undefined) throw new NetlinkDecodeError('ctnetlink: entry without CTA_TUPLE_ORIG');
  const out = { ...e, orig } as CtEntry;
  if (unknown.length) out.unknown = unknown;
  return out;
}

/** Every entry in a dump's reply data. */
export function ctEntriesIn(data: Buffer): CtEntry[] {
  const type = ctType(C.IPCTNL_MSG_CT_NEW);
  return splitMessages(data, { own: true })
    .filter((m) => m.type === type)
    .map((m) => decodeCtEntry(m.payload));
}

function writeTuple(w: AttrWriter, t: CtTuple): void {
  w.nest(
    C.CTA_TUPLE_ORIG,
    (n) => {
      const src = ipToBytes(t.src, 'src');
      const dst = ipToBytes(t.dst, 'dst');
      const v6 = src.length === 16;
      n.nest(
        C.CTA_TUPLE_IP,
        (ip) => {
          ip.attr(v6 ? C.CTA_IP_V6_SRC : C.CTA_IP_V4_SRC, src);
          ip.attr(v6 ? C.CTA_IP_V6_DST : C.CTA_IP_V4_DST, dst);
        },
        true,
      );
      n.nest(
        C.CTA_TUPLE_PROTO,
        (p) => {
          p.u8(C.CTA_PROTO_NUM, t.proto, 'proto');
          if (t.sport !== undefined) p.be16(C.CTA_PROTO_SRC_PORT, t.sport, 'sport');
          if (t.dport !== undefined) p.be16(C.CTA_PROTO_DST_PORT, t.dport, 'dport');
          if (t.icmpId !== undefined) p.be16(C.CTA_PROTO_ICMP_ID, t.icmpId, 'icmpId');
          if (t.icmpType !== undefined) p.u8(C.CTA_PROTO_ICMP_TYPE, t.icmpType, 'icmpType');
          if (t.icmpCode !== undefined) p.u8(C.CTA_PROTO_ICMP_CODE, t.icmpCode, 'icmpCode');
        },
        true,
      );
    },
    true,
  );
}

/**
 * `conntrack -D` of exactly one entry: its original tuple (the kernel's lookup key), its
 * zone, and its id, so an entry that expired and was re-created in between is left alone.
 */
export function ctDelete(e: Pick<CtEntry, 'family' | 'orig' | 'id' | 'zone'>): Buffer {
  return nft.nfnlMessage(ctType(C.IPCTNL_MSG_CT_DELETE), NLM_F_REQUEST | NLM_F_ACK, familyOf(e.family), (w) => {
    writeTuple(w, e.orig);
    if (e.id !== undefined) {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(e.id);
      w.attr(C.CTA_ID, b);
    }
    if (e.zone !== undefined) w.be16(C.CTA_ZONE, e.zone, 'zone');
  });
}
