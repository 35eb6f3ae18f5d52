/**
 * DNS messages for the resolver, on top of dns-packet: decoding a query defensively,
 * building answers, FORMERR from a bare header, truncation for UDP, reverse names.
 */
import dnsPacket from 'dns-packet';
import ipaddr from 'ipaddr.js';

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
export type Rcode = (typeof RCODE)[keyof typeof RCODE];

const QR = 0x8000;
const AA = 0x0400;
const TC = 0x0200;
const RD = 0x0100;
const RA = 0x0080;

/** A DNS message is at least its 12-byte header. */
export const HEADER_LEN = 12;
/** RFC 1035's UDP limit without EDNS. */
export const UDP_DEFAULT_MAX = 512;
/** The most we answer over UDP even if a client offers more (the DNS flag day's 1232). */
export const UDP_CAP = 1232;

export interface Query {
  id: number;
  opcode: number;
  rd: boolean;
  name: string;
  type: string;
  class: string;
  /** The client's EDNS UDP size, if it sent an OPT record. */
  edns?: number;
  packet: dnsPacket.Packet;
}

export type Decoded = { ok: true; query: Query } | { ok: false; reply?: Buffer };

function headerReply(raw: Buffer, rcode: Rcode): Buffer {
  const out = Buffer.alloc(HEADER_LEN);
  raw.copy(out, 0, 0, 2);
  const flags = raw.readUInt16BE(2);
  // Echo opcode and RD, set QR and RA; no sections.
  out.writeUInt16BE(QR | (flags & 0x7800) | (flags & RD) | RA | rcode, 2);
  return out;
}

/**
 * Decodes a query. Malformed input never throws: shorter than a header or a response
 * (QR set: never answer answers, which would let two resolvers loop) → dropped; anything
 * else unreadable → FORMERR; an opcode other than QUERY → NOTIMP; not exactly one
 * question → FORMERR.
 */
export function decodeQuery(raw: Buffer): Decoded {
  if (raw.length < HEADER_LEN) return { ok: false };
  const flags = raw.readUInt16BE(2);
  if (flags & QR) return { ok: false };
  const opcode = (flags >> 11) & 0xf;
  if (opcode !== 0) return { ok: false, reply: headerReply(raw, RCODE.NOTIMP) };
  let packet: dnsPacket.Packet;
  try {
    packet = dnsPacket.decode(raw);
  } catch {
    return { ok: false, reply: headerReply(raw, RCODE.FORMERR) };
  }
  const q = packet.questions ?? [];
  if (q.length !== 1 || typeof q[0]!.name !== 'string') return { ok: false, reply: headerReply(raw, RCODE.FORMERR) };
  const opt = (packet.additionals ?? []).find((a) => a.type === 'OPT') as { udpPayloadSize?: number } | undefined;
  return {
    ok: true,
    query: {
      id: raw.readUInt16BE(0),
      opcode,
      rd: (flags & RD) !== 0,
      name: q[0]!.name,
      type: String(q[0]!.type),
      class: String(q[0]!.class),
      ...(opt ? { edns: opt.udpPayloadSize ?? UDP_DEFAULT_MAX } : {}),
      packet,
    },
  };
}

export interface AnswerRecord {
  type: 'A' | 'AAAA' | 'PTR';
  name: string;
  data: string;
}

/** The largest UDP answer this client takes. */
export function udpLimit(q: Query): number {
  return q.edns === undefined ? UDP_DEFAULT_MAX : Math.min(Math.max(q.edns, UDP_DEFAULT_MAX), UDP_CAP);
}

/**
 * An answer to `q` (authoritative, TTL 0: container records change at any time). With
 * `limit`, an answer that does not fit is sent as header + question with TC set, so the
 * client asks again over TCP.
 */
export function encodeAnswer(q: Query, rcode: Rcode, answers: readonly AnswerRecord[], limit?: number): Buffer {
  const flags = (q.opcode << 11) | AA | (q.rd ? RD : 0) | RA | rcode;
  const question = [{ name: q.name, type: q.type, class: q.class } as dnsPacket.Question];
  const additionals = q.edns === undefined ? [] : [{ name: '.', type: 'OPT', udpPayloadSize: UDP_CAP, flags: 0 } as dnsPacket.Answer];
  const full = dnsPacket.encode({
    id: q.id,
    type: 'response',
    flags,
    questions: question,
    answers: answers.map((a) => ({ type: a.type, name: a.name, ttl: 0, class: 'IN', data: a.data }) as dnsPacket.Answer),
    additionals,
  });
  if (limit === undefined || full.length <= limit) return full;
  return dnsPacket.encode({ id: q.id, type: 'response', flags: flags | TC, questions: question, answers: [], additionals });
}

/** A reply with no records and `rcode` (SERVFAIL, REFUSED, …), not authoritative. */
export function encodeError(q: Query, rcode: Rcode): Buffer {
  const flags = (q.opcode << 11) | (q.rd ? RD : 0) | RA | rcode;
  return dnsPacket.encode({
    id: q.id,
    type: 'response',
    flags,
    questions: [{ name: q.name, type: q.type, class: q.class } as dnsPacket.Question],
    additionals: q.edns === undefined ? [] : [{ name: '.', type: 'OPT', udpPayloadSize: UDP_CAP, flags: 0 } as dnsPacket.Answer],
  });
}

/** The address a reverse name stands for ('4.3.2.1.in-addr.arpa' → '1.2.3.4'), or undefined. */
export function reverseAddress(name: string): string | undefined {
  const n = name.toLowerCase().replace(/\.$/, '');
  if (n.endsWith('.in-addr.arpa')) {
    const parts = n.slice(0, -'.in-addr.arpa'.length).split('.');
    if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) < 256)) return undefined;
    return parts.reverse().join('.');
  }
  if (n.endsWith('.ip6.arpa')) {
    const nibbles = n.slice(0, -'.ip6.arpa'.length).split('.');
    if (nibbles.length !== 32 || !nibbles.every((x) => /^[0-9a-f]$/.test(x))) return undefined;
    const hex = nibbles.reverse().join('');
    return ipaddr.parse(hex.match(/.{4}/g)!.join(':')).toString();
  }
  return undefined;
}

/** Replaces a message's ID (forwarding). */
export function withId(msg: Buffer, id: number): Buffer {
  const out = Buffer.from(msg);
  out.writeUInt16BE(id, 0);
  return out;
}
