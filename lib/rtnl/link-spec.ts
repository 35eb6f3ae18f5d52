/**
 * LinkSpec / LinkChanges (iproute2 vocabulary) → lib/netlink's Link. Validation runs
 * first and throws before anything is sent.
 */
import { ValidationError } from '../errors';
import {
  IFF_UP,
  IN6_ADDR_GEN_MODE_EUI64,
  IN6_ADDR_GEN_MODE_NONE,
  IN6_ADDR_GEN_MODE_RANDOM,
  IN6_ADDR_GEN_MODE_STABLE_PRIVACY,
  type Link,
  type VxlanData,
} from '../netlink';
import type { NsFd } from '../native';
import { validateIfName, validateInt, validateIp, validateMac, validateMtu } from '../validate';
import type { AddrGenMode, LinkChanges, LinkRef, LinkSpec, NamespaceRef } from './types';

const ADDR_GEN_MODES: Readonly<Record<AddrGenMode, number>> = {
  eui64: IN6_ADDR_GEN_MODE_EUI64,
  none: IN6_ADDR_GEN_MODE_NONE,
  stable_secret: IN6_ADDR_GEN_MODE_STABLE_PRIVACY,
  random: IN6_ADDR_GEN_MODE_RANDOM,
};

const KINDS = new Set(['bridge', 'veth', 'macvlan', 'vxlan']);
const MACVLAN_MODES = new Set(['private', 'vepa', 'bridge', 'passthru', 'source']);

/** The fd number of a Netns or NsFd, checked to be open. */
export function namespaceFd(ref: NamespaceRef, field: string): number {
  // An NsFd has a numeric `fd`; a Netns has an `fd` that is itself an NsFd.
  const held = (ref as { fd?: unknown } | undefined)?.fd;
  const nsfd = (typeof held === 'number' ? ref : held) as NsFd | undefined;
  if (!nsfd || typeof nsfd.fd !== 'number' || nsfd.closed) {
    throw new ValidationError(`${field}: expected an open namespace (Netns or NsFd)`, { field });
  }
  return nsfd.fd;
}

export function validateLinkRef(ref: unknown, field: string): LinkRef {
  if (typeof ref === 'number') return validateInt(ref, field, 1, 0x7fffffff);
  return validateIfName(ref, field);
}

/** Checks everything in a LinkSpec that can be checked without the kernel. */
export function validateLinkSpec(spec: LinkSpec): void {
  if (!spec || typeof spec !== 'object' || !KINDS.has((spec as { kind?: string }).kind as string)) {
    throw new ValidationError(`kind: expected one of ${[...KINDS].join(', ')}`, { field: 'kind' });
  }
  validateIfName(spec.name, 'name');
  if (spec.mtu !== undefined) validateMtu(spec.mtu);
  if (spec.mac !== undefined) validateMac(spec.mac);
  if (spec.netns !== undefined) namespaceFd(spec.netns, 'netns');
  if (spec.master !== undefined) validateLinkRef(spec.master, 'master');
  if (spec.txqlen !== undefined) validateInt(spec.txqlen, 'txqlen', 0, 0xffffffff);
  if (spec.group !== undefined) validateInt(spec.group, 'group', 0, 0xffffffff);
  switch (spec.kind) {
    case 'veth':
      if (!spec.peer || typeof spec.peer !== 'object') throw new ValidationError('peer: a veth needs a peer', { field: 'peer' });
      validateIfName(spec.peer.name, 'peer.name');
      if (spec.peer.mtu !== undefined) validateMtu(spec.peer.mtu, 'peer.mtu');
      if (spec.peer.mac !== undefined) validateMac(spec.peer.mac, 'peer.mac');
      if (spec.peer.netns !== undefined) namespaceFd(spec.peer.netns, 'peer.netns');
      // The kernel's bounds for IFLA_NUM_TX_QUEUES / IFLA_NUM_RX_QUEUES (rtnl_create_link).
      if (spec.queues !== undefined) validateInt(spec.queues, 'queues', 1, 4096);
      // Both ends in one namespace under one name would fail in the kernel half-way.
      if (spec.peer.name === spec.name && spec.peer.netns === undefined && spec.netns === undefined) {
        throw new ValidationError(`peer.name: both ends are called ${spec.name} in one namespace`, { field: 'peer.name' });
      }
      break;
    case 'macvlan':
      validateLinkRef(spec.parent, 'parent');
      if (spec.mode !== undefined && !MACVLAN_MODES.has(spec.mode)) {
        throw new ValidationError(`mode: expected one of ${[...MACVLAN_MODES].join(', ')}`, { field: 'mode' });
      }
      break;
    case 'vxlan':
      validateInt(spec.vni, 'vni', 0, 0xffffff);
      if (spec.port !== undefined) validateInt(spec.port, 'port', 1, 65535);
      if (spec.local !== undefined) validateIp(spec.local, 'local');
      if (spec.remote !== undefined) validateIp(spec.remote, 'remote');
      if (spec.dev !== undefined) validateLinkRef(spec.dev, 'dev');
      if (spec.ttl !== undefined) validateInt(spec.ttl, 'ttl', 0, 255);
      break;
    case 'bridge':
      break;
  }
}

/** The kernel request for a validated spec; `refs` holds ifindexes resolved from names. */
export function linkFromSpec(spec: LinkSpec, refs: { parent?: number; dev?: number; master?: number } = {}): Link {
  const link: Link = { name: spec.name };
  if (refs.master !== undefined) link.master = refs.master;
  if (spec.up) link.flags = IFF_UP;
  if (spec.mtu !== undefined) link.mtu = spec.mtu;
  if (spec.mac !== undefined) link.address = spec.mac.toLowerCase();
  if (spec.txqlen !== undefined) link.txqlen = spec.txqlen;
  if (spec.group !== undefined) link.group = spec.group;
  if (spec.netns !== undefined) link.netnsFd = namespaceFd(spec.netns, 'netns');
  switch (spec.kind) {
    case 'bridge':
      link.linkinfo = { kind: 'bridge', ...(spec.bridge ? { data: { ...spec.bridge, kind: 'bridge' } } : {}) };
      break;
    case 'veth': {
      const peer: Link = { name: spec.peer.name };
      if (spec.peer.mtu !== undefined) peer.mtu = spec.peer.mtu;
      if (spec.peer.mac !== undefined) peer.address = spec.peer.mac.toLowerCase();
      if (spec.peer.netns !== undefined) peer.netnsFd = namespaceFd(spec.peer.netns, 'peer.netns');
      // Explicit counts on both ends spare the kernel its two synchronize_net() calls (see VethSpec.queues).
      const queues = spec.queues ?? 1;
      link.numTxQueues = link.numRxQueues = peer.numTxQueues = peer.numRxQueues = queues;
      link.linkinfo = { kind: 'veth', data: { kind: 'veth', peer } };
      break;
    }
    case 'macvlan':
      link.link = refs.parent;
      link.linkinfo = { kind: 'macvlan', data: { kind: 'macvlan', ...(spec.mode ? { mode: spec.mode } : {}) } };
      break;
    case 'vxlan': {
      const data: VxlanData = { ...spec.extra, kind: 'vxlan', id: spec.vni };
      if (spec.remote !== undefined) data.group = validateIp(spec.remote, 'remote').address;
      if (refs.dev !== undefined) data.link = refs.dev;
      if (spec.local !== undefined) data.local = validateIp(spec.local, 'local').address;
      if (spec.ttl !== undefined) data.ttl = spec.ttl;
      if (spec.learning !== undefined) data.learning = spec.learning;
      if (spec.port !== undefined) data.port = spec.port;
      link.linkinfo = { kind: 'vxlan', data };
      break;
    }
  }
  return link;
}

/** Checks LinkChanges without the kernel. */
export function validateLinkChanges(changes: LinkChanges): void {
  if (!changes || typeof changes !== 'object') throw new ValidationError('changes: expected an object', { field: 'changes' });
  if (changes.mtu !== undefined) validateMtu(changes.mtu);
  if (changes.mac !== undefined) validateMac(changes.mac);
  if (changes.name !== undefined) validateIfName(changes.name, 'name');
  if (changes.master !== undefined && changes.master !== null) validateLinkRef(changes.master, 'master');
  if (changes.netns !== undefined) namespaceFd(changes.netns, 'netns');
  if (changes.txqlen !== undefined) validateInt(changes.txqlen, 'txqlen', 0, 0xffffffff);
  if (changes.group !== undefined) validateInt(changes.group, 'group', 0, 0xffffffff);
  if (changes.addrGenMode !== undefined && !Object.hasOwn(ADDR_GEN_MODES, changes.addrGenMode)) {
    throw new ValidationError(`addrGenMode: expected one of ${Object.keys(ADDR_GEN_MODES).join(', ')}`, { field: 'addrGenMode' });
  }
  for (const flag of ['up', 'hairpin', 'isolated', 'learning'] as const) {
    if (changes[flag] !== undefined && typeof changes[flag] !== 'boolean') {
      throw new ValidationError(`${flag}: expected true or false`, { field: flag });
    }
  }
}

/** True when the changes include bridge-port flags. */
export function hasPortFlags(changes: LinkChanges): boolean {
  return changes.hairpin !== undefined || changes.isolated !== undefined || changes.learning !== undefined;
}

/**
 * The address-generation part of LinkChanges, as its own message. The kernel's
 * do_setlink applies IFLA_AF_SPEC after the flags, so in one message with `up` the link
 * would come up, and make its link-local address, before the mode changed.
 */
export function addrGenModeLink(index: number, mode: AddrGenMode): Link {
  return { index, inet6AddrGenMode: ADDR_GEN_MODES[mode] };
}

/** The `ip link set` part of LinkChanges (everything but the bridge-port flags and addrGenMode). */
export function linkFromChanges(index: number, changes: LinkChanges, master: number | undefined): Link {
  const link: Link = { index };
  if (changes.up !== undefined) {
    link.flags = changes.up ? IFF_UP : 0;
    link.change = IFF_UP;
  }
  if (changes.mtu !== undefined) link.mtu = changes.mtu;
  if (changes.mac !== undefined) link.address = changes.mac.toLowerCase();
  if (changes.name !== undefined) link.name = changes.name;
  if (master !== undefined) link.master = master;
  if (changes.netns !== undefined) link.netnsFd = namespaceFd(changes.netns, 'netns');
  if (changes.txqlen !== undefined) link.txqlen = changes.txqlen;
  if (changes.group !== undefined) link.group = changes.group;
  return link;
}

/** The bridge-port part, as `ip link set X type bridge_slave …` sends it. */
export function portFlagsLink(index: number, changes: LinkChanges): Link {
  const slaveData: { kind: 'bridge_slave'; hairpin?: boolean; isolated?: boolean; learning?: boolean } = { kind: 'bridge_slave' };
  if (changes.hairpin !== undefined) slaveData.hairpin = changes.hairpin;
  if (changes.isolated !== undefined) slaveData.isolated = changes.isolated;
  if (changes.learning !== undefined) slaveData.learning = changes.learning;
  return { index, linkinfo: { kind: 'bridge_slave', slaveData } };
}
