/**
 * RtnlBatch: several rtnetlink requests sent in one sendmsg. The kernel runs the messages
 * of one send in order (netlink_rcv_skb walks them one by one), so "bring eth0 up, give it
 * an address, add the default route" costs one round trip instead of three. A failing
 * message does not stop the ones after it; RtnlHandle.apply reports every failure.
 *
 * Everything here is by ifindex: name lookups are round trips of their own, which
 * RtnlHandle does before it builds a batch.
 */
import * as nl from '../netlink';
import { validateCidr, validateInt } from '../validate';
import { addrGenModeLink, hasPortFlags, linkFromChanges, portFlagsLink, validateLinkChanges } from './link-spec';
import { addrFromCidr, neighFromSpec, routeFromSpec, validateNeighSpec, validateRouteSpec } from './route-spec';
import type { AddrOptions, LinkChanges, NeighSpec, RouteSpec } from './types';

export interface BatchEntry {
  message: Buffer;
  op: string;
  target: string;
}

/** LinkChanges with every link given by ifindex. */
export type IndexedLinkChanges = Omit<LinkChanges, 'master'> & { master?: number | null };

function index(value: number, field: string): number {
  return validateInt(value, field, 1, 0x7fffffff);
}

/** A request checked but not yet encoded. */
interface PendingEntry {
  encode: () => Buffer;
  op: string;
  target: string;
}

export class RtnlBatch {
  /**
   * Stands for a veth peer's ifindex in a batch that runs before the kernel has chosen it
   * (Netns.createWithVeth, a container's eth0): the plan writes the real one over it at
   * offsetsOf(PEER). The largest valid ifindex: the kernel hands indexes out from 1
   * upwards and never reaches it in practice.
   */
  static readonly PEER = 0x7fffffff;

  // Each method checks its input at once (bad input throws at the call, before any kernel
  // call) but encodes only when the bytes are asked for: Netns.createWithVeth asks once
  // its plan's thread is making the namespace, so a caller's batch is encoded in the
  // shadow of the kernel's work instead of before it starts.
  private readonly pending: PendingEntry[] = [];
  private readonly encoded: BatchEntry[] = [];

  get size(): number {
    return this.pending.length;
  }

  /** Every request in order, encoded. */
  get entries(): readonly BatchEntry[] {
    for (let i = this.encoded.length; i < this.pending.length; i++) {
      const { encode, op, target } = this.pending[i]!;
      this.encoded.push({ message: encode(), op, target });
    }
    return this.encoded;
  }

  /** Every request in order, as one buffer for one send. */
  encode(): Buffer {
    return Buffer.concat(this.entries.map((e) => e.message));
  }

  /**
   * Byte offsets, in encode()'s buffer, of the ifindex fields that hold `ifindex` (the
   * header index of link and address requests, a route's RTA_OIF).
   */
  offsetsOf(ifindex: number): number[] {
    const out: number[] = [];
    let base = 0;
    for (const { message } of this.entries) {
      for (const at of nl.ifindexOffsets(message)) if (message.readUInt32LE(at) === ifindex) out.push(base + at);
      base += message.length;
    }
    return out;
  }

  private push(encode: () => Buffer, op: string, target: string): this {
    this.pending.push({ encode, op, target });
    return this;
  }

  /**
   * Like `ip link set dev IFINDEX …`; addrGenMode goes in a message before it (see
   * addrGenModeLink), bridge-port flags in one after it.
   */
  linkSet(ifindex: number, changes: IndexedLinkChanges): this {
    index(ifindex, 'link');
    validateLinkChanges(changes);
    if (changes.master !== undefined && changes.master !== null) index(changes.master, 'master');
    const master = changes.master === null ? 0 : changes.master;
    const base = linkFromChanges(ifindex, changes, master);
    const target = `ifindex ${ifindex}`;
    if (changes.addrGenMode !== undefined) {
      const genMode = addrGenModeLink(ifindex, changes.addrGenMode);
      this.push(() => nl.linkSet(genMode), 'linkSet', target);
    }
    if (Object.keys(base).length > 1) this.push(() => nl.linkSet(base), 'linkSet', target);
    // Port flags need the port enslaved; in the same send that happens just before.
    if (hasPortFlags(changes)) {
      const port = portFlagsLink(ifindex, changes);
      this.push(() => nl.linkSet(port), 'linkSet', target);
    }
    return this;
  }

  /** Like `ip link del dev IFINDEX`. */
  linkDel(ifindex: number): this {
    const link = { index: index(ifindex, 'link') };
    return this.push(() => nl.linkDel(link), 'linkDel', `ifindex ${ifindex}`);
  }

  /** Like `ip addr add CIDR dev IFINDEX`. */
  addrAdd(ifindex: number, cidr: string, options: AddrOptions = {}): this {
    const addr = addrFromCidr(index(ifindex, 'dev'), validateCidr(cidr), options);
    const flags = { replace: options.replace };
    return this.push(() => nl.addrNew(addr, flags), 'addrAdd', `${cidr} dev ifindex ${ifindex}`);
  }

  /** Like `ip addr del CIDR dev IFINDEX`. */
  addrDel(ifindex: number, cidr: string): this {
    const addr = addrFromCidr(index(ifindex, 'dev'), validateCidr(cidr));
    return this.push(() => nl.addrDel(addr), 'addrDel', `${cidr} dev ifindex ${ifindex}`);
  }

  /** Like `ip route add …`, with `dev` as an ifindex. */
  routeAdd(spec: Omit<RouteSpec, 'dev'> & { dev?: number }): this {
    const family = validateRouteSpec(spec);
    const oif = spec.dev === undefined ? undefined : index(spec.dev, 'dev');
    const route = routeFromSpec(spec, family, oif);
    const flags = { replace: spec.replace };
    return this.push(() => nl.routeNew(route, flags), 'routeAdd', spec.dst);
  }

  /** Like `ip route del …`, with `dev` as an ifindex. */
  routeDel(spec: Omit<RouteSpec, 'dev'> & { dev?: number }): this {
    const family = validateRouteSpec(spec);
    const oif = spec.dev === undefined ? undefined : index(spec.dev, 'dev');
    const route = routeFromSpec(spec, family, oif, true);
    return this.push(() => nl.routeDel(route), 'routeDel', spec.dst);
  }

  /** Like `ip neigh add …` / `bridge fdb add …`, with `dev` as an ifindex. */
  neighAdd(spec: Omit<NeighSpec, 'dev'> & { dev: number }): this {
    validateNeighSpec(spec);
    const neigh = neighFromSpec(spec, index(spec.dev, 'dev'));
    const flags = { replace: spec.replace };
    return this.push(() => nl.neighNew(neigh, flags), 'neighAdd', spec.dst ?? spec.lladdr ?? '');
  }

  /** Like `ip neigh del …` / `bridge fdb del …`, with `dev` as an ifindex. */
  neighDel(spec: Omit<NeighSpec, 'dev'> & { dev: number }): this {
    validateNeighSpec(spec);
    const neigh = neighFromSpec(spec, index(spec.dev, 'dev'));
    return this.push(() => nl.neighDel(neigh), 'neighDel', spec.dst ?? spec.lladdr ?? '');
  }
}
