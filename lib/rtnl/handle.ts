/**
 * RtnlHandle: rtnetlink verbs for one network namespace, named after iproute2's
 * commands. One handle owns one NETLINK_ROUTE socket opened inside its namespace; every
 * verb is one request on it (two only where the kernel needs an ifindex that the caller
 * gave as a name — pass indexes to save that round trip).
 */
import { AggregateNsnetError, isNotFound, kernelError } from '../errors';
import * as nl from '../netlink';
import { native, type NetlinkSocket, type NsFd, type TransactResult } from '../native';
import { SerialTransport, TransportHandle } from '../transport';
import { validateCidr } from '../validate';
import { RtnlBatch } from './batch';
import { rtmName } from './names';
import { linkFromSpec, validateLinkChanges, validateLinkRef, validateLinkSpec } from './link-spec';
import { familyNumber, validateNeighSpec, validateRouteSpec } from './route-spec';
import type {
  AddrListFilter, AddrOptions, LinkChanges, LinkRef, LinkSpec, NeighListFilter, NeighSpec, RouteListFilter, RouteSpec,
} from './types';

export const NETLINK_ROUTE = 0;
/** RTM_F_CLONED: cache entries, which `ip route show` leaves out too. */
const RTM_F_CLONED = 0x200;


/** Adds header flags (NLM_F_ECHO, …) to a complete message built by lib/netlink. */
function withFlags(message: Buffer, flags: number): Buffer {
  message.writeUInt16LE(message.readUInt16LE(6) | flags, 6);
  return message;
}

function decodeAll<T>(data: Buffer, type: number, decode: (payload: Buffer) => T): T[] {
  const out: T[] = [];
  for (const msg of nl.splitMessages(data, { own: true })) if (msg.type === type) out.push(decode(msg.payload));
  return out;
}

/** The codec's form of a link reference. */
function nlRef(ref: LinkRef): nl.LinkRef {
  return typeof ref === 'number' ? { index: ref } : { name: ref };
}

function refTarget(ref: LinkRef): string {
  return typeof ref === 'number' ? `ifindex ${ref}` : ref;
}

export class RtnlHandle extends TransportHandle {
  private constructor(transport: SerialTransport) {
    super(transport);
  }

  /** Opens a handle inside `ns` (null: the namespace this process runs in). */
  static async open(ns: NsFd | null = null): Promise<RtnlHandle> {
    return RtnlHandle.adopt(await native().netlinkOpen(NETLINK_ROUTE, ns));
  }

  /** Wraps an open NETLINK_ROUTE socket (e.g. the one Netns.create opened inside). */
  static adopt(socket: NetlinkSocket): RtnlHandle {
    return new RtnlHandle(new SerialTransport(socket, rtmName));
  }

  private send(message: Buffer, op: string, target?: string): Promise<TransactResult> {
    return this.transport.request(message, { op, target });
  }

  /** The ifindex of `ref`: a number as given, a name through one RTM_GETLINK. */
  async linkIndex(ref: LinkRef): Promise<number> {
    validateLinkRef(ref, 'link');
    if (typeof ref === 'number') return ref;
    const { data } = await this.send(nl.linkGet({ name: ref }), 'linkIndex', ref);
    // Only ifi_index is wanted: read it from the ifinfomsg (bytes 4–7) without decoding
    // the ~1 KiB of attributes the kernel sends with every link.
    const reply = nl.splitMessages(data).find((m) => m.type === nl.RTM_NEWLINK);
    if (!reply || reply.payload.length < 8) throw kernelError({ errno: -19, syscall: 'RTM_GETLINK', op: 'linkIndex', target: ref });
    return reply.payload.readInt32LE(4);
  }

  /**
   * Sends every request of `batch` in one sendmsg; the kernel runs them in order. Throws
   * the typed error of a failed request (an AggregateNsnetError if several failed); the
   * requests around a failed one still ran. `target` names what errors are about, when
   * the caller knows it better than the batch's ifindexes.
   */
  async apply(batch: RtnlBatch, target?: string): Promise<void> {
    const entries = target === undefined ? batch.entries : batch.entries.map((e) => ({ ...e, target }));
    if (entries.length === 0) return;
    if (entries.length === 1) {
      await this.send(entries[0]!.message, entries[0]!.op, entries[0]!.target);
      return;
    }
    const request = batch.encode();
    const { errors } = await this.transport.request(request, { op: 'batch' }, { collectErrors: true });
    if (errors.length === 0) return;
    const typed = errors.map((e) => this.transport.translate(e, request, { op: entries[e.index]!.op, target: entries[e.index]!.target }));
    if (typed.length === 1) throw typed[0];
    throw new AggregateNsnetError(`${typed.length} of ${entries.length} requests failed`, typed, { op: 'batch', code: (typed[0] as { code?: string }).code });
  }

  private async optionalIndex(ref: LinkRef | undefined): Promise<number | undefined> {
    return ref === undefined ? undefined : this.linkIndex(ref);
  }

  // ── links ──────────────────────────────────────────────────────────────────────────

  /**
   * Like `ip link add NAME type KIND …`. One RTM_NEWLINK (plus a lookup when a parent or
   * underlay device is given by name). A veth's peer is created directly inside
   * `peer.netns` under its final name, so no rename or move follows. Resolves with the
   * new link as the kernel echoes it (NLM_F_ECHO).
   */
  async linkAdd(spec: LinkSpec): Promise<nl.DecodedLink> {
    validateLinkSpec(spec);
    const refs = {
      parent: spec.kind === 'macvlan' ? await this.linkIndex(spec.parent) : undefined,
      dev: spec.kind === 'vxlan' ? await this.optionalIndex(spec.dev) : undefined,
      master: await this.optionalIndex(spec.master),
    };
    const request = withFlags(nl.linkNew(linkFromSpec(spec, refs)), nl.NLM_F_ECHO);
    const { data } = await this.send(request, 'linkAdd', spec.name);
    const [echoed] = decodeAll(data, nl.RTM_NEWLINK, nl.decodeLink);
    // Kernels before 6.3 ignore NLM_F_ECHO on RTM_NEWLINK; ask, unless it went elsewhere.
    return echoed ?? (spec.netns === undefined ? this.linkGet(spec.name) : ({ name: spec.name } as nl.DecodedLink));
  }

  /** Like `ip link del NAME` (deleting one end of a veth deletes both). */
  async linkDel(ref: LinkRef): Promise<void> {
    validateLinkRef(ref, 'link');
    await this.send(nl.linkDel(nlRef(ref)), 'linkDel', refTarget(ref));
  }

  /**
   * Deletes many links at once, like `ip link delete group G`: one batch puts them in a
   * link group no other link has, one RTM_DELLINK deletes the group. The kernel then
   * unregisters them together, waiting out one RCU grace period for all (~20–40 ms)
   * instead of one each. Links already gone are reported in `missing`, not as errors;
   * other failures are collected and thrown together after every other link was deleted.
   */
  async linkDelMany(refs: readonly LinkRef[]): Promise<{ deleted: number; missing: LinkRef[] }> {
    refs.forEach((ref, i) => validateLinkRef(ref, `links[${i}]`));
    if (refs.length === 0) return { deleted: 0, missing: [] };
    const group = await this.unusedGroup();
    const tagged = await this.eachLink(refs, (ref) => nl.linkSet({ ...nlRef(ref), group }));
    const missing = tagged.missing;
    const failures = tagged.failed.map((f) => f.err);
    let deleted = tagged.done.length;
    if (deleted > 0) {
      try {
        await this.send(nl.linkDelGroup(group), 'linkDelMany', `group ${group}`);
      } catch {
        // The kernel deletes a group all or nothing: one link that cannot be deleted (no
        // dellink, e.g. lo) fails the lot. Then each goes on its own, as `ip link del` would.
        const one = await this.eachLink(tagged.done, (ref) => nl.linkDel(nlRef(ref)));
        deleted = one.done.length;
        missing.push(...one.missing);
        failures.push(...one.failed.map((f) => f.err));
        // Those still there leave the group again (best effort: they are reported anyway).
        if (one.failed.length) await this.eachLink(one.failed.map((f) => f.ref), (ref) => nl.linkSet({ ...nlRef(ref), group: 0 })).catch(() => undefined);
      }
    }
    if (failures.length) throw new AggregateNsnetError(`linkDelMany: ${failures.length} of ${refs.length} deletions failed`, failures, { op: 'linkDelMany' });
    return { deleted, missing };
  }

  /** One message per link, all in one sendmsg; the kernel's answers sorted by outcome. */
  private async eachLink(
    refs: readonly LinkRef[],
    message: (ref: LinkRef) => Buffer,
  ): Promise<{ done: LinkRef[]; missing: LinkRef[]; failed: Array<{ ref: LinkRef; err: Error }> }> {
    const request = Buffer.concat(refs.map(message));
    const { errors } = await this.transport.request(request, { op: 'linkDelMany' }, { collectErrors: true });
    const answered = new Set(errors.map((e) => e.index));
    const missing: LinkRef[] = [];
    const failed: Array<{ ref: LinkRef; err: Error }> = [];
    for (const e of errors) {
      const ref = refs[e.index]!;
      const err = this.transport.translate(e, request, { op: 'linkDelMany', target: refTarget(ref) });
      if (isNotFound(err)) missing.push(ref);
      else failed.push({ ref, err });
    }
    return { done: refs.filter((_, i) => !answered.has(i)), missing, failed };
  }

  /**
   * A link group number no link in the namespace uses (from one dump, reading only
   * IFLA_GROUP), drawn at random from the upper half so people's own groups (small
   * numbers, /etc/iproute2/group) are never touched.
   */
  private async unusedGroup(): Promise<number> {
    const data = await this.transport.dump(nl.linkDump(), { op: 'linkDelMany' });
    const used = new Set(nl.splitMessages(data).filter((m) => m.type === nl.RTM_NEWLINK).map((m) => nl.linkGroupOf(m.payload)));
    for (;;) {
      const group = 0x80000000 + Math.floor(Math.random() * 0x7fffffff);
      if (!used.has(group)) return group;
    }
  }

  /** Like `ip -d link show dev REF`: one doit RTM_GETLINK, never a dump. */
  async linkGet(ref: LinkRef, options: { stats?: boolean } = {}): Promise<nl.DecodedLink> {
    validateLinkRef(ref, 'link');
    const request = nl.linkGet(nlRef(ref), options);
    const { data } = await this.send(request, 'linkGet', refTarget(ref));
    const [link] = decodeAll(data, nl.RTM_NEWLINK, nl.decodeLink);
    if (!link) throw kernelError({ errno: -19, syscall: 'RTM_GETLINK', op: 'linkGet', target: refTarget(ref) });
    return link;
  }

  /** Like `ip -d link show`. */
  async linkList(options: { stats?: boolean } = {}): Promise<nl.DecodedLink[]> {
    const data = await this.transport.dump(nl.linkDump(options), { op: 'linkList' });
    return decodeAll(data, nl.RTM_NEWLINK, nl.decodeLink);
  }

  /**
   * Like `ip link set REF up|down mtu M address A name N master B|nomaster netns NS …`
   * in one RTM_NEWLINK. Bridge-port flags (hairpin, isolated, learning) need the port to
   * be enslaved already, so they follow in a second message of the same send.
   */
  async linkSet(ref: LinkRef, changes: LinkChanges): Promise<void> {
    validateLinkRef(ref, 'link');
    validateLinkChanges(changes);
    const target = refTarget(ref);
    // By name, the kernel looks the link up by IFLA_IFNAME, which a rename would change.
    const index = typeof ref === 'number' ? ref : await this.linkIndex(ref);
    const master = changes.master === null ? null : await this.optionalIndex(changes.master);
    const batch = new RtnlBatch().linkSet(index, { ...changes, master: master ?? (changes.master === null ? null : undefined) });
    await this.apply(batch, target);
  }

  // ── addresses ──────────────────────────────────────────────────────────────────────

  /** Like `ip addr add CIDR dev REF`. */
  async addrAdd(dev: LinkRef, cidr: string, options: AddrOptions = {}): Promise<void> {
    validateCidr(cidr);
    validateLinkRef(dev, 'dev');
    await this.apply(new RtnlBatch().addrAdd(await this.linkIndex(dev), cidr, options), `${cidr} dev ${refTarget(dev)}`);
  }

  /** Like `ip addr del CIDR dev REF`. */
  async addrDel(dev: LinkRef, cidr: string): Promise<void> {
    validateCidr(cidr);
    validateLinkRef(dev, 'dev');
    await this.apply(new RtnlBatch().addrDel(await this.linkIndex(dev), cidr), `${cidr} dev ${refTarget(dev)}`);
  }

  /** Like `ip addr show [dev REF]` (`-4` / `-6` with `family`). */
  async addrList(filter: AddrListFilter = {}): Promise<nl.DecodedAddr[]> {
    const index = await this.optionalIndex(filter.dev);
    const family = filter.family === undefined ? undefined : familyNumber(filter.family);
    const data = await this.transport.dump(nl.addrDump({ family, index }), { op: 'addrList' });
    return decodeAll(data, nl.RTM_NEWADDR, nl.decodeAddr).filter(
      (a) => (index === undefined || a.index === index) && (family === undefined || a.family === family),
    );
  }

  // ── routes ─────────────────────────────────────────────────────────────────────────

  /** Like `ip route add DST [via GW] [dev REF] [metric M] [table T] …`. */
  async routeAdd(spec: RouteSpec): Promise<void> {
    validateRouteSpec(spec);
    await this.apply(new RtnlBatch().routeAdd({ ...spec, dev: await this.optionalIndex(spec.dev) }));
  }

  /** Like `ip route del DST [via GW] [dev REF] [table T]`. */
  async routeDel(spec: RouteSpec): Promise<void> {
    validateRouteSpec(spec);
    await this.apply(new RtnlBatch().routeDel({ ...spec, dev: await this.optionalIndex(spec.dev) }));
  }

  /** Like `ip route show [table T|all]` (main table by default; cache entries left out). */
  async routeList(filter: RouteListFilter = {}): Promise<nl.DecodedRoute[]> {
    const oif = await this.optionalIndex(filter.dev);
    const table = filter.table ?? nl.RT_TABLE_MAIN;
    const families = filter.family === undefined ? [4, 6] as const : [filter.family];
    const out: nl.DecodedRoute[] = [];
    for (const f of families) {
      const data = await this.transport.dump(nl.routeDump({ family: familyNumber(f) }), { op: 'routeList' });
      for (const r of decodeAll(data, nl.RTM_NEWROUTE, nl.decodeRoute)) {
        if ((r.flags ?? 0) & RTM_F_CLONED) continue;
        if (table !== 'all' && r.table !== table) continue;
        if (oif !== undefined && r.oif !== oif) continue;
        out.push(r);
      }
    }
    return out;
  }

  // ── neighbours and FDB ─────────────────────────────────────────────────────────────

  /** Like `ip neigh add DST lladdr MAC dev REF`, or `bridge fdb add MAC dev REF master|self`. */
  async neighAdd(spec: NeighSpec): Promise<void> {
    validateNeighSpec(spec);
    await this.apply(new RtnlBatch().neighAdd({ ...spec, dev: await this.linkIndex(spec.dev) }));
  }

  /** Like `ip neigh del DST dev REF`, or `bridge fdb del MAC dev REF master|self`. */
  async neighDel(spec: NeighSpec): Promise<void> {
    validateNeighSpec(spec);
    await this.apply(new RtnlBatch().neighDel({ ...spec, dev: await this.linkIndex(spec.dev) }));
  }

  /** Like `ip neigh show [dev REF]`, or with family 'bridge', `bridge fdb show [br B]`. */
  async neighList(filter: NeighListFilter = {}): Promise<nl.DecodedNeigh[]> {
    const index = await this.optionalIndex(filter.dev);
    const master = await this.optionalIndex(filter.master);
    const family = filter.family === 'bridge' ? nl.AF_BRIDGE : filter.family === undefined ? undefined : familyNumber(filter.family);
    // Under strict checking the kernel refuses an ifindex in the header of an IP neighbour
    // dump (neigh_valid_dump_req); only the FDB dump takes it there. Filter here instead.
    const headerIndex = family === nl.AF_BRIDGE ? index : undefined;
    const data = await this.transport.dump(nl.neighDump({ family, index: headerIndex, master }), { op: 'neighList' });
    return decodeAll(data, nl.RTM_NEWNEIGH, nl.decodeNeigh).filter(
      (n) =>
        (index === undefined || n.index === index) &&
        (family === undefined || n.family === family) &&
        (master === undefined || n.master === master),
    );
  }
}
