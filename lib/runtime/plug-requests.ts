/**
 * The rtnetlink requests that plug an endpoint in, encoded once per shape of endpoint.
 *
 * On one network every endpoint's requests are the same bytes but for its host-side name,
 * its MAC and its addresses. The codec encodes the first endpoint of a shape (validating
 * everything); later ones are copies of those bytes with their own values written over
 * the first one's, at offsets found by walking the messages, with the same lengths. The
 * generic encoder was about an eighth of the JS thread's time per container.
 */
import * as nl from '../netlink';
import { IFINDEX_PLACEHOLDER, RtnlBatch, type BatchEntry } from '../rtnl/batch';
import { vethIntoPlanNs } from '../rtnl/plan-steps';
import type { NetlinkSocket } from '../native';
import { validateIfName, validateMac } from '../validate';

/** What is the same for every endpoint of one kind on one network. */
export interface PlugShape {
  ifname: string;
  master: number;
  mtu?: number;
  loopbackUp: boolean;
  defaultRoute: boolean;
  ipv4?: { prefixLength: number; gateway: string };
  ipv6?: { prefixLength: number; gateway: string };
}

/** What differs. Addresses as CIDRs whose prefix lengths are the shape's. */
export interface PlugValues {
  hostIfname: string;
  mac: string;
  ipv4?: string;
  ipv6?: string;
}

export interface PlugRequests {
  /** The veth (host end named, enslaved and up; peer born in the plan's namespace). */
  veth: Buffer;
  /** Where the plan writes the namespace's fd into `veth`. */
  vethNsFdAt: number;
  /** lo up (if asked), the container end's addrgenmode/up, addresses, default routes. */
  configure: Buffer;
  configureEntries: readonly BatchEntry[];
  /** Where the plan writes the container end's ifindex into `configure`. */
  configureIndexAt: number[];
}

interface Template extends PlugRequests {
  nameAt: number;
  nameLength: number;
  macAt: number;
  v4At: number[];
  v6At: number[];
}

const key = (s: PlugShape): string => JSON.stringify([s.ifname, s.master, s.mtu, s.loopbackUp, s.defaultRoute, s.ipv4, s.ipv6]);

function encode(shape: PlugShape, values: PlugValues, socket: NetlinkSocket): Template {
  const mtu = shape.mtu === undefined ? {} : { mtu: shape.mtu };
  const veth = vethIntoPlanNs('veth', { kind: 'veth', name: values.hostIfname, up: true, ...mtu, peer: { name: shape.ifname, mac: values.mac, ...mtu } }, shape.master, socket);
  const configure = new RtnlBatch();
  if (shape.loopbackUp) configure.linkSet(1, { up: true }); // lo is ifindex 1 in every namespace
  // The container end's ifindex is the kernel's choice: the plan patches it in.
  const inner = IFINDEX_PLACEHOLDER;
  // An interface on an IPv4-only network gets no IPv6 address, not even a link-local one
  // (Docker disables IPv6 on such interfaces since 26.0). Without one the link sends no
  // DAD, MLD or router solicitations, which the bridge floods to every other container:
  // that flood made each new container cost O(N) in kernel work (measured with the C
  // floor: 0.5 ms each for the first 50 of 500, 6.5 ms for the last 50).
  configure.linkSet(inner, values.ipv6 ? { up: true } : { addrGenMode: 'none', up: true });
  if (values.ipv4) configure.addrAdd(inner, values.ipv4);
  // No DAD: the address is unique by construction, and usable the moment we return.
  if (values.ipv6) configure.addrAdd(inner, values.ipv6, { noDad: true });
  if (shape.defaultRoute && shape.ipv4) configure.routeAdd({ dst: 'default', gateway: shape.ipv4.gateway, dev: inner });
  if (shape.defaultRoute && shape.ipv6) configure.routeAdd({ dst: 'default', gateway: shape.ipv6.gateway, dev: inner });

  // The address fields of each family: IFA_LOCAL and IFA_ADDRESS of its RTM_NEWADDR.
  const v4At: number[] = [];
  const v6At: number[] = [];
  let base = 0;
  for (const { message } of configure.entries) {
    if (message.readUInt16LE(4) === nl.RTM_NEWADDR) {
      const into = message.readUInt8(nl.NLMSG_HDRLEN) === nl.AF_INET ? v4At : v6At;
      for (const type of [nl.IFA_LOCAL, nl.IFA_ADDRESS]) {
        const at = nl.addrAttrOffset(message, type);
        if (at !== undefined) into.push(base + at);
      }
    }
    base += message.length;
  }
  return {
    veth: veth.messages,
    vethNsFdAt: veth.patch![0]!.to[0]!,
    configure: configure.encode(),
    configureEntries: configure.entries,
    configureIndexAt: configure.offsetsOf(inner),
    nameAt: nl.linkAttrOffset(veth.messages, nl.IFLA_IFNAME)!,
    nameLength: values.hostIfname.length,
    macAt: nl.vethPeerAttrOffset(veth.messages, nl.IFLA_ADDRESS)!,
    v4At,
    v6At,
  };
}

/** At most this many shapes are kept (a long-lived host that recreates networks makes new ones). */
const MAX_TEMPLATES = 256;

/** One template per shape of endpoint. */
export class PlugTemplates {
  private readonly templates = new Map<string, Template>();

  /** The requests for one endpoint; the first of a shape is encoded, the rest filled in. */
  requests(shape: PlugShape, values: PlugValues, socket: NetlinkSocket): PlugRequests {
    const k = key(shape);
    const t = this.templates.get(k);
    if (t === undefined || t.nameLength !== values.hostIfname.length || t.v4At.length > 0 !== (values.ipv4 !== undefined) || t.v6At.length > 0 !== (values.ipv6 !== undefined)) {
      const fresh = encode(shape, values, socket);
      if (this.templates.size >= MAX_TEMPLATES) this.templates.clear();
      this.templates.set(k, fresh);
      return fresh;
    }
    // The same checks the codec's path makes (validateLinkSpec) before any byte is written.
    validateIfName(values.hostIfname, 'name');
    const macBytes = nl.macToBytes(validateMac(values.mac, 'peer.mac'), 'peer.mac');
    const veth = Buffer.from(t.veth);
    veth.write(values.hostIfname, t.nameAt, 'latin1');
    macBytes.copy(veth, t.macAt);
    const configure = Buffer.from(t.configure);
    if (values.ipv4 !== undefined) {
      const bytes = nl.ipToBytes(cidrAddress(values.ipv4));
      for (const at of t.v4At) bytes.copy(configure, at);
    }
    if (values.ipv6 !== undefined) {
      const bytes = nl.ipToBytes(cidrAddress(values.ipv6));
      for (const at of t.v6At) bytes.copy(configure, at);
    }
    return { veth, vethNsFdAt: t.vethNsFdAt, configure, configureEntries: t.configureEntries, configureIndexAt: t.configureIndexAt };
  }
}

const cidrAddress = (cidr: string): string => cidr.slice(0, cidr.indexOf('/'));
