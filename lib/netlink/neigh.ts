/**
 * Neighbours: struct ndmsg + NDA_* attributes, the body of RTM_NEWNEIGH / RTM_DELNEIGH.
 * The same message carries ARP/NDP entries (AF_INET / AF_INET6: `ip neigh`) and bridge
 * FDB entries (AF_BRIDGE with NTF_SELF or NTF_MASTER: `bridge fdb`).
 */
import { ValidationError } from '../errors';
import { ipFamily } from './addresses';
import { AttrWriter, checkRange, parseAttrs, RawAttr, writeRawAttrs } from './attr';
import {
  NDA_CACHEINFO,
  NDA_DST,
  NDA_FLAGS_EXT,
  NDA_IFINDEX,
  NDA_LINK_NETNSID,
  NDA_LLADDR,
  NDA_MASTER,
  NDA_NH_ID,
  NDA_PORT,
  NDA_PROBES,
  NDA_PROTOCOL,
  NDA_SRC_VNI,
  NDA_VLAN,
  NDA_VNI,
  NDMSG_LEN,
} from './constants/neigh';
import { NetlinkDecodeError } from './errors';
import { be16, field, FieldSpec, ip, mac, readFields, s32, u16, u32, u8, writeFields } from './fields';

/** struct nda_cacheinfo: ages in clock ticks, as the kernel reports them. */
export interface NeighCacheinfo {
  confirmed: number;
  used: number;
  updated: number;
  refcnt: number;
}

export interface Neigh {
  /** ndm_family: AF_INET / AF_INET6 (inferred from dst when absent), AF_BRIDGE for FDB. */
  family?: number;
  /** ndm_ifindex: the device (`dev`). */
  index?: number;
  /** ndm_state: NUD_* (NUD_PERMANENT for static entries). */
  state?: number;
  /** ndm_flags: NTF_* (NTF_MASTER / NTF_SELF choose the bridge's or the device's FDB). */
  flags?: number;
  /** ndm_type: RTN_*. */
  type?: number;
  /** NDA_DST: the IP address (for FDB entries of a vxlan device, the remote). */
  dst?: string;
  /** NDA_LLADDR: the link-layer address. */
  lladdr?: string;
  cacheinfo?: NeighCacheinfo;
  probes?: number;
  /** NDA_VLAN: FDB entry's VLAN id. */
  vlan?: number;
  /** NDA_PORT: vxlan FDB UDP port, host order here (big-endian on the wire). */
  port?: number;
  vni?: number;
  /** NDA_IFINDEX: vxlan FDB outgoing ifindex. */
  ifindex?: number;
  /** NDA_MASTER: the bridge an FDB entry belongs to (dump filter, reply attribute). */
  master?: number;
  linkNetnsid?: number;
  srcVni?: number;
  protocol?: number;
  nhId?: number;
  flagsExt?: number;
  unknown?: RawAttr[];
}

export type DecodedNeigh = Neigh & {
  family: number;
  index: number;
  state: number;
  flags: number;
  type: number;
  unknown: RawAttr[];
};

// `ip neigh add` writes DST then LLADDR. (`bridge fdb add … dst X` would put LLADDR
// first; FDB entries without dst are the same either way.)
const FIELDS: readonly FieldSpec<Neigh>[] = [
  field('dst', NDA_DST, ip),
  field('lladdr', NDA_LLADDR, mac),
  field('probes', NDA_PROBES, u32),
  field('vlan', NDA_VLAN, u16),
  field('port', NDA_PORT, be16),
  field('vni', NDA_VNI, u32),
  field('ifindex', NDA_IFINDEX, u32),
  field('master', NDA_MASTER, u32),
  field('linkNetnsid', NDA_LINK_NETNSID, s32),
  field('srcVni', NDA_SRC_VNI, u32),
  field('protocol', NDA_PROTOCOL, u8),
  field('nhId', NDA_NH_ID, u32),
  field('flagsExt', NDA_FLAGS_EXT, u32),
];
const HANDLED = new Set([NDA_CACHEINFO]);

/** The family a Neigh is encoded with: explicit, else from dst. */
export function neighFamily(neigh: Neigh): number {
  if (neigh.family !== undefined) return neigh.family;
  if (neigh.dst !== undefined) return ipFamily(neigh.dst, 'dst');
  throw new ValidationError('family: give family (AF_BRIDGE for FDB entries) or dst', { field: 'family' });
}

/** Writes struct ndmsg + NDA_* attributes, header fields as given (0 when absent). */
export function writeNeigh(w: AttrWriter, neigh: Neigh): void {
  const hdr = Buffer.alloc(NDMSG_LEN);
  hdr.writeUInt8(checkRange(neighFamily(neigh), 0, 0xff, 'family'), 0);
  hdr.writeInt32LE(checkRange(neigh.index ?? 0, 0, 0x7fffffff, 'index'), 4);
  hdr.writeUInt16LE(checkRange(neigh.state ?? 0, 0, 0xffff, 'state'), 8);
  hdr.writeUInt8(checkRange(neigh.flags ?? 0, 0, 0xff, 'flags'), 10);
  hdr.writeUInt8(checkRange(neigh.type ?? 0, 0, 0xff, 'type'), 11);
  w.raw(hdr);
  writeFields(w, neigh, FIELDS);
  if (neigh.cacheinfo !== undefined) {
    const ci = neigh.cacheinfo;
    const b = Buffer.alloc(16);
    [ci.confirmed, ci.used, ci.updated, ci.refcnt].forEach((v, i) => b.writeUInt32LE(checkRange(v, 0, 0xffffffff, 'cacheinfo'), i * 4));
    w.attr(NDA_CACHEINFO, b);
  }
  writeRawAttrs(w, neigh.unknown);
}

/** Decodes struct ndmsg + NDA_* (the payload of an RTM_NEWNEIGH reply). */
export function decodeNeigh(payload: Buffer): DecodedNeigh {
  if (payload.length < NDMSG_LEN) {
    throw new NetlinkDecodeError(`ndmsg needs ${NDMSG_LEN} bytes, got ${payload.length}`);
  }
  const neigh: DecodedNeigh = {
    family: payload.readUInt8(0),
    index: payload.readInt32LE(4),
    state: payload.readUInt16LE(8),
    flags: payload.readUInt8(10),
    type: payload.readUInt8(11),
    unknown: [],
  };
  const attrs = parseAttrs(payload.subarray(NDMSG_LEN), NDMSG_LEN);
  neigh.unknown = readFields(attrs, FIELDS, neigh, HANDLED);
  for (const a of attrs) {
    if (a.type === NDA_CACHEINFO) {
      if (a.data.length < 16) throw new NetlinkDecodeError(`NDA_CACHEINFO of ${a.data.length} bytes`);
      neigh.cacheinfo = {
        confirmed: a.data.readUInt32LE(0),
        used: a.data.readUInt32LE(4),
        updated: a.data.readUInt32LE(8),
        refcnt: a.data.readUInt32LE(12),
      };
    }
  }
  return neigh;
}
