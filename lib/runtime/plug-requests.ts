/**
 * The rtnetlink requests that plug an endpoint in, encoded once per shape of endpoint.
 *
 * On one network every endpoint's requests are the same bytes but for its host-side name,
 * its MAC and its addresses. The codec encodes the first endpoint of a shape (validating
 * everything); later ones are copies of those bytes with their own values written over
 * the first one's, at offsets found by walking the messages, with the same lengths. The
 * generic encoder was about an eighth of the JS thread's time per container.
 *
 * Two requests, because they are sent at different times: the veth needs only names (it
 * goes to the kernel before the endpoint has addresses), the configuration needs the
 * lease (the MAC is derived from the IPv4 address, so it is set here, not on the veth).
 */
import * as nl from '../netlink';
import type { NetlinkSocket } from '../native';
import { RtnlBatch, type BatchEntry } from '../rtnl/batch';
import { vethIntoPlanNs, vethSpecIntoPlanNs } from '../rtnl/plan-steps';
import { validateIfName, validateMac } from '../validate';

/** The veth of every endpoint of one network into containers: the same but for the host-side name. */
export interface VethShape {
  ifname: string;
  master: number;
  mtu?: number;
}

/** The configuration of the container end: the same but for its MAC and addresses. */
export interface ConfigureShape {
  loopbackUp: boolean;
  defaultRoute: boolean;
  ipv4?: { prefixLength: number; gateway: string };
  ipv6?: { prefixLength: number; gateway: string };
}

/** What differs. Addresses as CIDRs whose prefix lengths are the shape's. */
export interface ConfigureValues {
  mac: string;
  ipv4?: string;
  ipv6?: string;
}

export interface VethRequest {
  /** Host end named, enslaved and up; peer born in the plan's namespace. */
  message: Buffer;
  /** Where the plan writes the namespace's fd. */
  nsFdAt: number;
}

export interface ConfigureRequest {
  /** lo up (if asked), the container end's MAC, addrgenmode and up, addresses, default routes. */
  messages: Buffer;
  entries: readonly BatchEntry[];
  /** Where the plan writes the container end's ifindex. */
  indexAt: number[];
}

interface VethTemplate extends VethRequest {
  nameAt: number;
  nameLength: number;
}

interface ConfigureTemplate extends ConfigureRequest {
  macAt: number;
  v4At: number[];
  v6At: number[];
}

function encodeVeth(shape: VethShape, hostIfname: string, socket: NetlinkSocket): VethTemplate {
  const mtu = shape.mtu === undefined ? {} : { mtu: shape.mtu };
  const step = vethIntoPlanNs('veth', vethSpecIntoPlanNs({ kind: 'veth', name: hostIfname, up: true, ...mtu, peer: { name: shape.ifname, ...mtu } }), shape.master, socket);
  return {
    message: step.messages,
    nsFdAt: step.patch![0]!.to[0]!,
    nameAt: nl.linkAttrOffset(step.messages, nl.IFLA_IFNAME)!,
    nameLength: hostIfname.length,
  };
}

function encodeConfigure(shape: ConfigureShape, values: ConfigureValues): ConfigureTemplate {
  const batch = new RtnlBatch();
  if (shape.loopbackUp) batch.linkSet(1, { up: true }); // lo is ifindex 1 in every namespace
  // The container end's ifindex is the kernel's choice: the plan patches it in.
  const inner = RtnlBatch.PEER;
  // An interface on an IPv4-only network gets no IPv6 address, not even a link-local one
  // (Docker disables IPv6 on such interfaces since 26.0). Without one the link sends no
  // DAD, MLD or router solicitations, which the bridge floods to every other container:
  // that flood made each new container cost O(N) in kernel work (measured with the C
  // floor: 0.5 ms each for the first 50 of 500, 6.5 ms for the last 50). The MAC is set
  // in the same request, before up (do_setlink applies IFLA_ADDRESS before the flags).
  batch.linkSet(inner, values.ipv6 ? { mac: values.mac, up: true } : { mac: values.mac, addrGenMode: 'none', up: true });
  if (values.ipv4) batch.addrAdd(inner, values.ipv4);
  // No DAD: the address is unique by construction, and usable the moment we return.
  if (values.ipv6) batch.addrAdd(inner, values.ipv6, { noDad: true });
  if (shape.defaultRoute && shape.ipv4) batch.routeAdd({ dst: 'default', gateway: shape.ipv4.gateway, dev: inner });
  if (shape.defaultRoute && shape.ipv6) batch.routeAdd({ dst: 'default', gateway: shape.ipv6.gateway, dev: inner });

  // The MAC in the container end's link message; each family's IFA_LOCAL and IFA_ADDRESS.
  let macAt = -1;
  const v4At: number[] = [];
  const v6At: number[] = [];
  let base = 0;
  for (const { message } of batch.entries) {
    const type = message.readUInt16LE(4);
    const mac = type === nl.RTM_NEWLINK || type === nl.RTM_SETLINK ? nl.linkAttrOffset(message, nl.IFLA_ADDRESS) : undefined;
    if (mac !== undefined) macAt = base + mac;
    if (type === nl.RTM_NEWADDR) {
      const into = message.readUInt8(nl.NLMSG_HDRLEN) === nl.AF_INET ? v4At : v6At;
      for (const attr of [nl.IFA_LOCAL, nl.IFA_ADDRESS]) {
        const at = nl.addrAttrOffset(message, attr);
        if (at !== undefined) into.push(base + at);
      }
    }
    base += message.length;
  }
  return { messages: batch.encode(), entries: batch.entries, indexAt: batch.offsetsOf(inner), macAt, v4At, v6At };
}

/** At most this many shapes of each kind are kept (a long-lived host that recreates networks makes new ones). */
const MAX_TEMPLATES = 256;

function remember<T>(map: Map<string, T>, key: string, value: T): T {
  if (map.size >= MAX_TEMPLATES) map.clear();
  map.set(key, value);
  return value;
}

const cidrAddress = (cidr: string): string => cidr.slice(0, cidr.indexOf('/'));

/** One template per shape of veth and of configuration. */
export class PlugTemplates {
  private readonly veths = new Map<string, VethTemplate>();
  private readonly configures = new Map<string, ConfigureTemplate>();
  private readonly lookups = new Map<string, Buffer>();

  /** RTM_GETLINK of the container end by name: the same bytes every time (the addon sends a copy). */
  lookup(ifname: string): Buffer {
    let message = this.lookups.get(ifname);
    if (message === undefined) message = remember(this.lookups, ifname, nl.linkGet({ name: ifname }));
    return message;
  }

  /** The veth request for one endpoint. */
  veth(shape: VethShape, hostIfname: string, socket: NetlinkSocket): VethRequest {
    const key = JSON.stringify([shape.ifname, shape.master, shape.mtu]);
    const t = this.veths.get(key);
    if (t === undefined || t.nameLength !== hostIfname.length) return remember(this.veths, key, encodeVeth(shape, hostIfname, socket));
    // The same check the codec's path makes (validateLinkSpec) before any byte is written.
    validateIfName(hostIfname, 'name');
    const message = Buffer.from(t.message);
    message.write(hostIfname, t.nameAt, 'latin1');
    return { message, nsFdAt: t.nsFdAt };
  }

  /** The configuration request for one endpoint. */
  configure(shape: ConfigureShape, values: ConfigureValues): ConfigureRequest {
    const key = JSON.stringify([shape.loopbackUp, shape.defaultRoute, shape.ipv4, shape.ipv6]);
    const t = this.configures.get(key);
    if (t === undefined || t.v4At.length > 0 !== (values.ipv4 !== undefined) || t.v6At.length > 0 !== (values.ipv6 !== undefined)) {
      return remember(this.configures, key, encodeConfigure(shape, values));
    }
    const mac = nl.macToBytes(validateMac(values.mac, 'mac'), 'mac');
    const messages = Buffer.from(t.messages);
    mac.copy(messages, t.macAt);
    if (values.ipv4 !== undefined) {
      const bytes = nl.ipToBytes(cidrAddress(values.ipv4));
      for (const at of t.v4At) bytes.copy(messages, at);
    }
    if (values.ipv6 !== undefined) {
      const bytes = nl.ipToBytes(cidrAddress(values.ipv6));
      for (const at of t.v6At) bytes.copy(messages, at);
    }
    return { messages, entries: t.entries, indexAt: t.indexAt };
  }
}
