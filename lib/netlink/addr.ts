/**
 * Addresses: struct ifaddrmsg + IFA_* attributes, the body of RTM_NEWADDR /
 * RTM_DELADDR replies and requests, IPv4 and IPv6 alike.
 */
import { ValidationError } from '../errors';
import { ipFamily } from './addresses';
import { AttrWriter, checkRange, parseAttrs, RawAttr, readU32, writeRawAttrs } from './attr';
import {
  IFADDRMSG_LEN,
  IFA_ADDRESS,
  IFA_ANYCAST,
  IFA_BROADCAST,
  IFA_CACHEINFO,
  IFA_FLAGS,
  IFA_LABEL,
  IFA_LOCAL,
  IFA_MULTICAST,
  IFA_PROTO,
  IFA_RT_PRIORITY,
  IFA_TARGET_NETNSID,
} from './constants/addr';
import { AF_INET6 } from './constants/rtnetlink';
import { NetlinkDecodeError } from './errors';
import { field, FieldSpec, ip, readFields, s32, string, u32, u8, writeFields } from './fields';

/** struct ifa_cacheinfo: lifetimes in seconds (0xffffffff = forever), stamps in 1/100 s. */
export interface AddrCacheinfo {
  preferred: number;
  valid: number;
  /** Reported by the kernel; ignored in requests (written as 0 when absent). */
  cstamp?: number;
  tstamp?: number;
}

export interface Addr {
  /** ifa_family; inferred from `local` / `address` when absent. */
  family?: number;
  /** ifa_prefixlen; the full length (/32, /128) when absent, like `ip addr add 10.0.0.1`. */
  prefixlen?: number;
  /** IFA_F_* flags: ifa_flags (8 bits) plus IFA_FLAGS for the bits above. */
  flags?: number;
  /** ifa_scope: RT_SCOPE_*. */
  scope?: number;
  /** ifa_index: the link's ifindex. */
  index?: number;
  /** IFA_LOCAL: the interface's own address (IPv6 replies omit it: see `address`). */
  local?: string;
  /** IFA_LABEL: an IPv4 label ('eth0:1'). */
  label?: string;
  /**
   * IFA_ADDRESS: equals `local`, except on point-to-point links where it is the peer.
   * The kernel's IPv6 replies carry only this one; read `local ?? address`.
   */
  address?: string;
  broadcast?: string;
  anycast?: string;
  multicast?: string;
  cacheinfo?: AddrCacheinfo;
  /** IFA_RT_PRIORITY: metric of the prefix route (`ip addr add … metric N`). */
  rtPriority?: number;
  /** IFA_PROTO: who added the address (IFAPROT_*). */
  proto?: number;
  targetNetnsid?: number;
  unknown?: RawAttr[];
}

export type DecodedAddr = Addr & {
  family: number;
  prefixlen: number;
  flags: number;
  scope: number;
  index: number;
  unknown: RawAttr[];
};

// iproute2's order for `ip addr add 10.1.3.3/24 broadcast + label v0:x dev v0`:
// LOCAL, LABEL, ADDRESS, BROADCAST.
const FIELDS: readonly FieldSpec<Addr>[] = [
  field('local', IFA_LOCAL, ip),
  field('label', IFA_LABEL, string),
  field('address', IFA_ADDRESS, ip),
  field('broadcast', IFA_BROADCAST, ip),
  field('anycast', IFA_ANYCAST, ip),
  field('multicast', IFA_MULTICAST, ip),
];
const TAIL: readonly FieldSpec<Addr>[] = [
  field('rtPriority', IFA_RT_PRIORITY, u32),
  field('proto', IFA_PROTO, u8),
  field('targetNetnsid', IFA_TARGET_NETNSID, s32),
];
const ALL_FIELDS = [...FIELDS, ...TAIL];
const HANDLED = new Set([IFA_FLAGS, IFA_CACHEINFO]);

/** The family an Addr is encoded with: explicit, else from its addresses. */
export function addrFamily(addr: Addr): number {
  if (addr.family !== undefined) return addr.family;
  const text = addr.local ?? addr.address;
  if (text === undefined) throw new ValidationError('family: give family, local or address', { field: 'family' });
  return ipFamily(text, addr.local !== undefined ? 'local' : 'address');
}

/** Writes struct ifaddrmsg + IFA_* attributes. */
export function writeAddr(w: AttrWriter, addr: Addr): void {
  const family = addrFamily(addr);
  const flags = addr.flags ?? 0;
  const hdr = Buffer.alloc(IFADDRMSG_LEN);
  hdr.writeUInt8(checkRange(family, 0, 0xff, 'family'), 0);
  hdr.writeUInt8(checkRange(addr.prefixlen ?? (family === AF_INET6 ? 128 : 32), 0, 0xff, 'prefixlen'), 1);
  // Flags above 8 bits only fit in IFA_FLAGS; like iproute2, send IFA_FLAGS only then.
  hdr.writeUInt8(flags & 0xff, 2);
  hdr.writeUInt8(checkRange(addr.scope ?? 0, 0, 0xff, 'scope'), 3);
  hdr.writeUInt32LE(checkRange(addr.index ?? 0, 0, 0xffffffff, 'index'), 4);
  w.raw(hdr);
  writeFields(w, addr, FIELDS);
  if (flags > 0xff) w.u32(IFA_FLAGS, flags, 'flags');
  if (addr.cacheinfo !== undefined) {
    const ci = addr.cacheinfo;
    const b = Buffer.alloc(16);
    [ci.preferred, ci.valid, ci.cstamp ?? 0, ci.tstamp ?? 0].forEach((v, i) =>
      b.writeUInt32LE(checkRange(v, 0, 0xffffffff, 'cacheinfo'), i * 4),
    );
    w.attr(IFA_CACHEINFO, b);
  }
  writeFields(w, addr, TAIL);
  writeRawAttrs(w, addr.unknown);
}

/** Decodes struct ifaddrmsg + IFA_* (the payload of an RTM_NEWADDR reply). */
export function decodeAddr(payload: Buffer): DecodedAddr {
  if (payload.length < IFADDRMSG_LEN) {
    throw new NetlinkDecodeError(`ifaddrmsg needs ${IFADDRMSG_LEN} bytes, got ${payload.length}`);
  }
  const addr: DecodedAddr = {
    family: payload.readUInt8(0),
    prefixlen: payload.readUInt8(1),
    flags: payload.readUInt8(2),
    scope: payload.readUInt8(3),
    index: payload.readUInt32LE(4),
    unknown: [],
  };
  const attrs = parseAttrs(payload.subarray(IFADDRMSG_LEN), IFADDRMSG_LEN);
  addr.unknown = readFields(attrs, ALL_FIELDS, addr, HANDLED);
  for (const a of attrs) {
    // IFA_FLAGS, when present, is the full flag word (the u8 field holds its low bits).
    if (a.type === IFA_FLAGS) addr.flags = readU32(a);
    else if (a.type === IFA_CACHEINFO) {
      if (a.data.length < 16) throw new NetlinkDecodeError(`IFA_CACHEINFO of ${a.data.length} bytes`);
      addr.cacheinfo = {
        preferred: a.data.readUInt32LE(0),
        valid: a.data.readUInt32LE(4),
        cstamp: a.data.readUInt32LE(8),
        tstamp: a.data.readUInt32LE(12),
      };
    }
  }
  return addr;
}
