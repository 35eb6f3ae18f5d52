/**
 * Links: struct ifinfomsg + IFLA_* attributes, the body of RTM_NEWLINK / RTM_DELLINK /
 * RTM_GETLINK / RTM_SETLINK. One type serves requests and replies; `undefined` means
 * "not present" (in a request: let the kernel choose) and is never encoded as 0.
 */
import { ValidationError } from '../errors';
import { AttrWriter, checkRange, parseAttrs, RawAttr, readString, writeRawAttrs } from './attr';
import {
  IFINFOMSG_LEN,
  IFLA_ADDRESS,
  IFLA_AF_SPEC,
  IFLA_ALLMULTI,
  IFLA_ALT_IFNAME,
  IFLA_BROADCAST,
  IFLA_CARRIER,
  IFLA_CARRIER_CHANGES,
  IFLA_EXT_MASK,
  IFLA_GROUP,
  IFLA_IFALIAS,
  IFLA_IFNAME,
  IFLA_INET6_ADDR_GEN_MODE,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_INFO_SLAVE_DATA,
  IFLA_INFO_SLAVE_KIND,
  IFLA_LINK,
  IFLA_LINKINFO,
  IFLA_LINKMODE,
  IFLA_LINK_NETNSID,
  IFLA_MASTER,
  IFLA_MAX_MTU,
  IFLA_MIN_MTU,
  IFLA_MTU,
  IFLA_NET_NS_FD,
  IFLA_NET_NS_PID,
  IFLA_NUM_RX_QUEUES,
  IFLA_NUM_TX_QUEUES,
  IFLA_OPERSTATE,
  IFLA_PAD,
  IFLA_PERM_ADDRESS,
  IFLA_PROMISCUITY,
  IFLA_PROP_LIST,
  IFLA_PROTINFO,
  IFLA_PROTO_DOWN,
  IFLA_QDISC,
  IFLA_STATS64,
  IFLA_TARGET_NETNSID,
  IFLA_TXQLEN,
  IFNAMSIZ,
} from './constants/link';
import { AF_BRIDGE, AF_INET6, AF_UNSPEC } from './constants/rtnetlink';
import { NetlinkDecodeError } from './errors';
import { bool8, field, FieldSpec, mac, readFields, s32, string, u32, u8, ValueCodec, writeFields } from './fields';
import { decodeStats64, encodeStats64, LinkStats64 } from './link-stats';
import { BridgePort, decodeBridgePort, writeBridgePort } from './link-kinds/bridge-port';
import { dataCodec, LinkCodecContext, LinkData, rawKindCodec, slaveCodec, SlaveData } from './link-kinds';

/** IFLA_LINKINFO. */
export interface LinkInfo {
  /** IFLA_INFO_KIND: 'bridge', 'veth', … (or 'bridge_slave' in iproute2's port requests). */
  kind?: string;
  /** IFLA_INFO_DATA; `data.kind` is the link kind for modelled kinds, 'raw' otherwise. */
  data?: LinkData;
  /** IFLA_INFO_SLAVE_KIND: the master's kind ('bridge') in kernel replies. */
  slaveKind?: string;
  /** IFLA_INFO_SLAVE_DATA: port settings under the master. */
  slaveData?: SlaveData;
  unknown?: RawAttr[];
}

export interface Link {
  // struct ifinfomsg
  /** ifi_family: AF_UNSPEC, or AF_BRIDGE for bridge-port (IFLA_PROTINFO) requests. */
  family?: number;
  /** ifi_type: ARPHRD_* (1 = ether, 772 = loopback); 0 in requests. */
  type?: number;
  /** ifi_index: 0 / absent lets the kernel pick on create. */
  index?: number;
  /** ifi_flags: IFF_* bits to set. */
  flags?: number;
  /**
   * ifi_change: mask of IFF_* bits this request changes. Defaults to `flags` so that
   * `{ flags: IFF_UP }` means "bring up" and touches nothing else; to bring a link down
   * pass `{ flags: 0, change: IFF_UP }`. (The kernel treats change = 0 with non-zero
   * flags as "replace all flags", which is never what a caller means.)
   */
  change?: number;

  // IFLA_* attributes
  /** IFLA_EXT_MASK (requests only): RTEXT_FILTER_* bits saying what replies include. */
  extMask?: number;
  mtu?: number;
  txqlen?: number;
  /** IFLA_ADDRESS: 'aa:bb:cc:dd:ee:ff'. */
  address?: string;
  broadcast?: string;
  /** IFLA_NET_NS_FD: move to (or, in a veth peer, create in) the namespace of this fd. */
  netnsFd?: number;
  /** IFLA_NET_NS_PID: the same, by a process's namespace. */
  netnsPid?: number;
  /** IFLA_TARGET_NETNSID: operate on a link in the namespace with this nsid. */
  targetNetnsid?: number;
  /** IFLA_MASTER: ifindex of the master (bridge); 0 releases from the master. */
  master?: number;
  /** IFLA_OPERSTATE: IF_OPER_*. */
  operstate?: number;
  linkmode?: number;
  group?: number;
  /** IFLA_IFALIAS. */
  alias?: string;
  /** IFLA_LINK: ifindex of the lower device (macvlan's `link v0`; a veth's peer). */
  link?: number;
  /** IFLA_LINK_NETNSID: nsid of the namespace IFLA_LINK lives in. */
  linkNetnsid?: number;
  /** IFLA_IFNAME. At most 15 bytes (IFNAMSIZ - 1). */
  name?: string;
  /** IFLA_PROP_LIST { IFLA_ALT_IFNAME… }. */
  altnames?: string[];
  qdisc?: string;
  promiscuity?: number;
  allmulti?: number;
  numTxQueues?: number;
  numRxQueues?: number;
  carrier?: boolean;
  carrierChanges?: number;
  protoDown?: boolean;
  minMtu?: number;
  maxMtu?: number;
  permAddress?: string;
  /**
   * Requests only: IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE } }, an
   * IN6_ADDR_GEN_MODE_* (`ip link set X addrgenmode none`). Replies carry the whole
   * per-family configuration in IFLA_AF_SPEC, which decodes into `unknown`.
   */
  inet6AddrGenMode?: number;
  linkinfo?: LinkInfo;
  /** IFLA_PROTINFO of an AF_BRIDGE message: bridge-port settings (`bridge link set`). */
  protinfo?: BridgePort;
  /** IFLA_STATS64, decoded from replies (absent when RTEXT_FILTER_SKIP_STATS). */
  stats64?: LinkStats64;
  /** Attributes without a field here, kept raw. */
  unknown?: RawAttr[];
}

/** What decodeLink returns: header fields and `unknown` always present. */
export type DecodedLink = Link & {
  family: number;
  type: number;
  index: number;
  flags: number;
  change: number;
  unknown: RawAttr[];
};

/**
 * The kernel's dev_valid_name(): 1–15 bytes, not '.' or '..', no '/', ':' or whitespace.
 * Checked before encoding so a bad name fails with ValidationError, not EINVAL later.
 */
export const ifname: ValueCodec<string> = {
  write: (w, type, value, f) => {
    const ok =
      typeof value === 'string' &&
      value.length > 0 &&
      Buffer.byteLength(value) < IFNAMSIZ &&
      value !== '.' &&
      value !== '..' &&
      !/[/:\s\0]/.test(value);
    if (!ok) throw new ValidationError(`${f}: invalid interface name ${JSON.stringify(value)}`, { field: f });
    w.string(type, value, f);
  },
  read: readString,
};

// Order: iproute2 writes options in command-line order and the name last, then
// IFLA_LINKINFO; this order reproduces every captured `ip link` request, e.g. the veth
// peer's MTU, ADDRESS, NET_NS_FD, IFNAME and macvlan's LINK, IFNAME, LINKINFO.
const FIELDS: readonly FieldSpec<Link>[] = [
  field('extMask', IFLA_EXT_MASK, u32),
  field('mtu', IFLA_MTU, u32),
  field('txqlen', IFLA_TXQLEN, u32),
  field('address', IFLA_ADDRESS, mac),
  field('broadcast', IFLA_BROADCAST, mac),
  field('netnsFd', IFLA_NET_NS_FD, u32),
  field('netnsPid', IFLA_NET_NS_PID, u32),
  field('targetNetnsid', IFLA_TARGET_NETNSID, s32),
  field('master', IFLA_MASTER, u32),
  field('operstate', IFLA_OPERSTATE, u8),
  field('linkmode', IFLA_LINKMODE, u8),
  field('group', IFLA_GROUP, u32),
  field('alias', IFLA_IFALIAS, string),
  field('link', IFLA_LINK, u32),
  field('linkNetnsid', IFLA_LINK_NETNSID, s32),
  field('name', IFLA_IFNAME, ifname),
];
// Read-only in practice (the kernel reports them); written only if a caller sets them.
const REPORTED: readonly FieldSpec<Link>[] = [
  field('qdisc', IFLA_QDISC, string),
  field('promiscuity', IFLA_PROMISCUITY, u32),
  field('allmulti', IFLA_ALLMULTI, u32),
  field('numTxQueues', IFLA_NUM_TX_QUEUES, u32),
  field('numRxQueues', IFLA_NUM_RX_QUEUES, u32),
  field('carrier', IFLA_CARRIER, bool8),
  field('carrierChanges', IFLA_CARRIER_CHANGES, u32),
  field('protoDown', IFLA_PROTO_DOWN, bool8),
  field('minMtu', IFLA_MIN_MTU, u32),
  field('maxMtu', IFLA_MAX_MTU, u32),
  field('permAddress', IFLA_PERM_ADDRESS, mac),
];
const ALL_FIELDS = [...FIELDS, ...REPORTED];
const HANDLED = new Set([IFLA_LINKINFO, IFLA_PROP_LIST, IFLA_STATS64]);
const IGNORE = new Set([IFLA_PAD]);

const ctx: LinkCodecContext = { writeLink, decodeLink };

/** Writes struct ifinfomsg and the IFLA_* attributes of `link` (a message body). */
export function writeLink(w: AttrWriter, link: Link): void {
  const hdr = Buffer.alloc(IFINFOMSG_LEN);
  const flags = link.flags ?? 0;
  hdr.writeUInt8(checkRange(link.family ?? AF_UNSPEC, 0, 0xff, 'family'), 0);
  hdr.writeUInt16LE(checkRange(link.type ?? 0, 0, 0xffff, 'type'), 2);
  hdr.writeInt32LE(checkRange(link.index ?? 0, 0, 0x7fffffff, 'index'), 4);
  hdr.writeUInt32LE(checkRange(flags, 0, 0xffffffff, 'flags'), 8);
  hdr.writeUInt32LE(checkRange(link.change ?? flags, 0, 0xffffffff, 'change'), 12);
  w.raw(hdr);
  writeFields(w, link, FIELDS);
  if (link.altnames !== undefined) {
    const names = link.altnames;
    // The kernel builds this nest with NLA_F_NESTED and iproute2 sends it flagged too.
    w.nest(IFLA_PROP_LIST, () => names.forEach((n) => w.string(IFLA_ALT_IFNAME, n, 'altnames')), true);
  }
  writeFields(w, link, REPORTED);
  if (link.inet6AddrGenMode !== undefined) {
    const mode = checkRange(link.inet6AddrGenMode, 0, 0xff, 'inet6AddrGenMode');
    // Unflagged nests, as iproute2 sends them.
    w.nest(IFLA_AF_SPEC, () => w.nest(AF_INET6, () => w.attr(IFLA_INET6_ADDR_GEN_MODE, Buffer.of(mode))));
  }
  if (link.linkinfo !== undefined) writeLinkInfo(w, link.linkinfo);
  if (link.protinfo !== undefined) {
    if (link.family !== AF_BRIDGE) {
      throw new ValidationError('protinfo: bridge-port IFLA_PROTINFO needs family AF_BRIDGE', { field: 'protinfo' });
    }
    const port = link.protinfo;
    // `bridge link set` flags this nest NLA_F_NESTED (the kernel's own replies do too).
    w.nest(IFLA_PROTINFO, () => writeBridgePort(w, port), true);
  }
  if (link.stats64 !== undefined) w.attr(IFLA_STATS64, encodeStats64(link.stats64));
  writeRawAttrs(w, link.unknown);
}

function writeLinkInfo(w: AttrWriter, info: LinkInfo): void {
  // iproute2 sends IFLA_LINKINFO and IFLA_INFO_DATA without NLA_F_NESTED and the kind
  // without its NUL; both are accepted by the kernel's policy, and byte-exact requests
  // follow iproute2.
  w.nest(IFLA_LINKINFO, () => {
    if (info.kind !== undefined) w.string(IFLA_INFO_KIND, info.kind, 'linkinfo.kind', false);
    if (info.data !== undefined) {
      const data = info.data;
      if (data.kind !== 'raw' && data.kind !== info.kind) {
        throw new ValidationError(`linkinfo.data: ${data.kind} data on a ${String(info.kind)} link`, {
          field: 'linkinfo.data',
        });
      }
      const codec = data.kind === 'raw' ? rawKindCodec : dataCodec(data.kind);
      codec.encode(w, IFLA_INFO_DATA, data, ctx);
    }
    if (info.slaveKind !== undefined) w.string(IFLA_INFO_SLAVE_KIND, info.slaveKind, 'linkinfo.slaveKind', false);
    if (info.slaveData !== undefined) {
      const data = info.slaveData;
      const codec = data.kind === 'raw' ? rawKindCodec : slaveCodec(info.slaveKind ?? info.kind ?? '');
      if (data.kind !== 'raw' && codec !== slaveCodec(data.kind)) {
        throw new ValidationError(`linkinfo.slaveData: ${data.kind} data needs slaveKind or kind naming its master`, {
          field: 'linkinfo.slaveData',
        });
      }
      codec.encode(w, IFLA_INFO_SLAVE_DATA, data, ctx);
    }
    writeRawAttrs(w, info.unknown);
  });
}

/**
 * IFLA_GROUP of an RTM_NEWLINK payload (0 if absent), without decoding the rest: a
 * whole-namespace scan for free group numbers reads nothing else.
 */
export function linkGroupOf(payload: Buffer): number {
  if (payload.length < IFINFOMSG_LEN) throw new NetlinkDecodeError(`ifinfomsg: ${payload.length} bytes, need ${IFINFOMSG_LEN}`);
  const group = parseAttrs(payload.subarray(IFINFOMSG_LEN), IFINFOMSG_LEN).find((a) => a.type === IFLA_GROUP);
  return group && group.data.length >= 4 ? group.data.readUInt32LE(0) : 0;
}

/** Decodes struct ifinfomsg + IFLA_* (the payload of an RTM_NEWLINK reply). */
export function decodeLink(payload: Buffer): DecodedLink {
  if (payload.length < IFINFOMSG_LEN) {
    throw new NetlinkDecodeError(`ifinfomsg needs ${IFINFOMSG_LEN} bytes, got ${payload.length}`);
  }
  const link: DecodedLink = {
    family: payload.readUInt8(0),
    type: payload.readUInt16LE(2),
    index: payload.readInt32LE(4),
    flags: payload.readUInt32LE(8),
    change: payload.readUInt32LE(12),
    unknown: [],
  };
  const attrs = parseAttrs(payload.subarray(IFINFOMSG_LEN), IFINFOMSG_LEN);
  // IFLA_PROTINFO is bridge-port data only in AF_BRIDGE messages; in AF_INET6 link
  // dumps it carries IFLA_INET6_* and stays raw.
  const handled = link.family === AF_BRIDGE ? new Set([...HANDLED, IFLA_PROTINFO]) : HANDLED;
  link.unknown = readFields(attrs, ALL_FIELDS, link, handled, IGNORE);
  for (const a of attrs) {
    if (a.type === IFLA_LINKINFO) link.linkinfo = decodeLinkInfo(a.data);
    else if (a.type === IFLA_PROP_LIST) link.altnames = decodeAltnames(a.data);
    else if (a.type === IFLA_STATS64) link.stats64 = decodeStats64(a.data);
    else if (a.type === IFLA_PROTINFO && link.family === AF_BRIDGE) link.protinfo = decodeBridgePort(a.data);
  }
  return link;
}

/** IFLA_PROP_LIST: the kernel defines only IFLA_ALT_IFNAME entries in it so far. */
function decodeAltnames(payload: Buffer): string[] {
  return parseAttrs(payload)
    .filter((a) => a.type === IFLA_ALT_IFNAME)
    .map(readString);
}

function decodeLinkInfo(payload: Buffer): LinkInfo {
  const attrs = parseAttrs(payload);
  const info: LinkInfo = {};
  const unknown: RawAttr[] = [];
  // Kind first: the data codec depends on it wherever the kernel put it.
  for (const a of attrs) {
    if (a.type === IFLA_INFO_KIND) info.kind = readString(a);
    else if (a.type === IFLA_INFO_SLAVE_KIND) info.slaveKind = readString(a);
  }
  for (const a of attrs) {
    if (a.type === IFLA_INFO_DATA) info.data = dataCodec(info.kind ?? '').decode(a.data, ctx);
    else if (a.type === IFLA_INFO_SLAVE_DATA) {
      info.slaveData = slaveCodec(info.slaveKind ?? info.kind ?? '').decode(a.data, ctx);
    } else if (a.type !== IFLA_INFO_KIND && a.type !== IFLA_INFO_SLAVE_KIND) unknown.push(a);
  }
  info.unknown = unknown;
  return info;
}
