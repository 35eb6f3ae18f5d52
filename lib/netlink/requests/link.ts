/**
 * Link requests: each builder returns one complete netlink message (seq = pid = 0; the
 * transport stamps them) with the flags iproute2 uses for the same command.
 */
import { ValidationError } from '../../errors';
import { AttrWriter } from '../attr';
import {
  NLM_F_ACK,
  NLM_F_APPEND,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  NLM_F_REQUEST,
} from '../constants/netlink';
import {
  AF_BRIDGE,
  AF_UNSPEC,
  RTEXT_FILTER_SKIP_STATS,
  RTEXT_FILTER_VF,
  RTM_DELLINK,
  RTM_DELLINKPROP,
  RTM_GETLINK,
  RTM_NEWLINK,
  RTM_NEWLINKPROP,
  RTM_SETLINK,
} from '../constants/rtnetlink';
import { Link, writeLink } from '../link';
import type { BridgePort } from '../link-kinds';
import { encodeMessage } from '../nlmsg';

/** Which link a request is about: by ifindex, or by name (the kernel resolves it). */
export type LinkRef = { index: number } | { name: string };

const REQ_ACK = NLM_F_REQUEST | NLM_F_ACK;

function message(type: number, flags: number, link: Link): Buffer {
  const w = new AttrWriter();
  writeLink(w, link);
  return encodeMessage(type, flags, w.bytes());
}

function refLink(ref: LinkRef): Link {
  if ('index' in ref) {
    if (!Number.isInteger(ref.index) || ref.index <= 0 || ref.index > 0x7fffffff) {
      throw new ValidationError(`index: ${ref.index} is not an ifindex`, { field: 'index' });
    }
    return { index: ref.index };
  }
  if ('name' in ref) return { name: ref.name };
  throw new ValidationError('link: give index or name', { field: 'link' });
}

export interface LinkNewOptions {
  /** NLM_F_CREATE (default true). */
  create?: boolean;
  /** NLM_F_EXCL: fail with EEXIST if the name is taken (default true, like `ip link add`). */
  excl?: boolean;
  /** NLM_F_REPLACE. */
  replace?: boolean;
}

/**
 * Creates a link — like `ip link add br0 type bridge`
 * (`{ name: 'br0', linkinfo: { kind: 'bridge' } }`), or `ip link add v0 type veth peer
 * name v1 netns NS` (`linkinfo: { kind: 'veth', data: { kind: 'veth', peer: { name:
 * 'v1', netnsFd } } }`). RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL.
 */
export function linkNew(link: Link, opts: LinkNewOptions = {}): Buffer {
  const flags =
    REQ_ACK |
    ((opts.create ?? true) ? NLM_F_CREATE : 0) |
    ((opts.excl ?? true) ? NLM_F_EXCL : 0) |
    (opts.replace ? NLM_F_REPLACE : 0);
  return message(RTM_NEWLINK, flags, link);
}

/**
 * Changes an existing link, found by `index` (else by `name`) — like `ip link set v0 up`
 * (`{ index, flags: IFF_UP }`), `ip link set v0 mtu 1400`, `ip link set v1 master br0`
 * (`master`), `ip link set v0 netns NS` (`netnsFd`), `ip link set v1 type bridge_slave
 * hairpin on` (`linkinfo: { kind: 'bridge_slave', slaveData: { kind: 'bridge_slave',
 * hairpin: true } }`). Like iproute2 this is RTM_NEWLINK with NLM_F_REQUEST | NLM_F_ACK
 * and no CREATE; unlike RTM_SETLINK it also accepts IFLA_LINKINFO changes.
 */
export function linkSet(link: Link): Buffer {
  if (!link.index && link.name === undefined) {
    throw new ValidationError('link: give index or name of the link to change', { field: 'index' });
  }
  return message(RTM_NEWLINK, REQ_ACK, link);
}

/** Deletes a link (a veth takes its peer with it) — like `ip link del br0`. RTM_DELLINK. */
export function linkDel(ref: LinkRef): Buffer {
  return message(RTM_DELLINK, REQ_ACK, refLink(ref));
}

/**
 * Deletes every link of a group — like `ip link delete group G`: RTM_DELLINK with
 * ifi_index 0 and only IFLA_GROUP. The kernel unregisters them together, with one RCU
 * grace period for all instead of one each.
 */
export function linkDelGroup(group: number): Buffer {
  if (!Number.isInteger(group) || group <= 0 || group > 0xffffffff) throw new ValidationError(`group: ${group} is not a link group`, { field: 'group' });
  return message(RTM_DELLINK, REQ_ACK, { group });
}

export interface LinkGetOptions {
  /** Ask for IFLA_STATS64 and friends (default false: RTEXT_FILTER_SKIP_STATS). */
  stats?: boolean;
}

function extMask(stats: boolean | undefined): number {
  return RTEXT_FILTER_VF | (stats ? 0 : RTEXT_FILTER_SKIP_STATS);
}

/**
 * Reads one link — like `ip link show dev v0`. A single-object (doit) RTM_GETLINK, never
 * a dump. The body is iproute2's name lookup byte for byte (IFLA_EXT_MASK, IFLA_IFNAME);
 * the flags add NLM_F_ACK, because the transport ends every request on an ACK or DONE
 * (the kernel sends the RTM_NEWLINK reply first, then the ACK).
 */
export function linkGet(ref: LinkRef, opts: LinkGetOptions = {}): Buffer {
  return message(RTM_GETLINK, REQ_ACK, { extMask: extMask(opts.stats), ...refLink(ref) });
}

export interface LinkDumpOptions {
  /**
   * AF_BRIDGE asks the bridge layer for its ports, each with IFLA_PROTINFO (what
   * `bridge link show` sends); the default AF_UNSPEC lists every link.
   */
  family?: number;
  /** Ask for IFLA_STATS64 and friends (default false; not used with AF_BRIDGE). */
  stats?: boolean;
  /** Only ports of this master ifindex (kernel-side filter, like `ip link show master br0`). */
  master?: number;
  /** Only links of this kind (kernel-side filter, like `ip link show type bridge`). */
  kind?: string;
}

/**
 * Lists links — like `ip link show`, or with family AF_BRIDGE like `bridge link show`.
 * RTM_GETLINK with NLM_F_REQUEST | NLM_F_DUMP.
 */
export function linkDump(opts: LinkDumpOptions = {}): Buffer {
  // The bridge's port dump reads IFLA_EXT_MASK only for VLAN filters (RTEXT_FILTER_BRVLAN)
  // and `bridge link show` sends none.
  const link: Link =
    opts.family === AF_BRIDGE ? { family: AF_BRIDGE } : { family: opts.family ?? AF_UNSPEC, extMask: extMask(opts.stats) };
  if (opts.master !== undefined) link.master = opts.master;
  if (opts.kind !== undefined) link.linkinfo = { kind: opts.kind };
  return message(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, link);
}

/**
 * Sets bridge-port options through the bridge — like `bridge link set dev v1 hairpin on
 * isolated on learning off`. RTM_SETLINK, family AF_BRIDGE, IFLA_PROTINFO (NLA_F_NESTED)
 * with IFLA_BRPORT_*. (`linkSet` with slaveData is the `ip link set … type bridge_slave`
 * spelling of the same change.)
 */
export function bridgePortSet(index: number, port: BridgePort): Buffer {
  return message(RTM_SETLINK, REQ_ACK, { family: AF_BRIDGE, ...refLink({ index }), protinfo: port });
}

function altnames(type: number, flags: number, ref: LinkRef, names: readonly string[]): Buffer {
  if (names.length === 0) throw new ValidationError('altnames: give at least one name', { field: 'altnames' });
  return message(type, flags, { ...refLink(ref), altnames: [...names] });
}

/**
 * Adds alternative names — like `ip link property add dev v0 altname NAME`.
 * RTM_NEWLINKPROP with IFLA_PROP_LIST { IFLA_ALT_IFNAME… }; the kernel ignores the
 * CREATE | EXCL | APPEND modifiers iproute2 sets, and they are kept for identical bytes.
 */
export function linkAltnamesAdd(ref: LinkRef, names: readonly string[]): Buffer {
  return altnames(RTM_NEWLINKPROP, REQ_ACK | NLM_F_CREATE | NLM_F_EXCL | NLM_F_APPEND, ref, names);
}

/** Removes alternative names — like `ip link property del dev v0 altname NAME`. RTM_DELLINKPROP. */
export function linkAltnamesDel(ref: LinkRef, names: readonly string[]): Buffer {
  return altnames(RTM_DELLINKPROP, REQ_ACK, ref, names);
}
