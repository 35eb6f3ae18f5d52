/**
 * rtnetlink requests as steps of a NetlinkPlan (lib/plan.ts), failing with the same typed
 * errors as RtnlHandle's verbs.
 */
import * as nl from '../netlink';
import type { NetlinkSocket, NsFd } from '../native';
import type { PlanStep } from '../plan';
import { translateFailure, type RequestContext } from '../transport';
import type { BatchEntry } from './batch';
import { rtmName } from './names';
import { linkFromSpec, validateLinkSpec } from './link-spec';
import type { LinkSpec, VethSpec } from './types';

/** One request; `socket` undefined: the socket inside the plan's namespace. */
export function rtnlRequestStep(name: string, message: Buffer, ctx: RequestContext, socket?: NetlinkSocket): PlanStep {
  return { name, messages: message, ...(socket ? { socket } : {}), translate: (err) => translateFailure(err, message, ctx, rtmName) };
}

/**
 * Every request of a batch in one send (`messages`: RtnlBatch.encode(), `entries`: its
 * entries). The kernel stops at nothing, but the plan stops after this step if any
 * failed; the error names the first failed request's op and target (or `target`, when the
 * caller knows it better than the batch's ifindexes).
 */
export function rtnlBatchStep(name: string, messages: Buffer, entries: readonly BatchEntry[], socket?: NetlinkSocket, target?: string): PlanStep {
  return {
    name,
    messages,
    ...(socket ? { socket } : {}),
    translate: (err) => {
      const entry = entries[(err as { index?: number }).index ?? -1];
      return translateFailure(err, entry?.message ?? messages, { op: entry?.op ?? 'batch', target: target ?? entry?.target }, rtmName);
    },
  };
}

/**
 * RTM_GETLINK of a veth peer by name, inside the plan's namespace. RTM_NEWADDR and
 * RTM_NEWROUTE take no interface name, so the ifindex the kernel chose is looked up once
 * (no echo to rely on: kernels before 6.3 ignore NLM_F_ECHO on links). `message` may be
 * a cached `nl.linkGet({ name: ifname })`.
 */
export function peerIndexStep(ifname: string, message: Buffer = nl.linkGet({ name: ifname })): PlanStep {
  return rtnlRequestStep(`index ${ifname}`, message, { op: 'linkIndex', target: ifname });
}

/**
 * `step` with the peer's ifindex written at `indexAt` (RtnlBatch.offsetsOf(RtnlBatch.PEER))
 * when the plan runs, taken from the reply of the peerIndexStep at position `lookup`.
 */
export function withPeerIndex<T extends PlanStep>(step: T, lookup: number, indexAt: number[]): T {
  // The reply is an RTM_NEWLINK: ifi_index sits where it does in a request.
  // Object.assign, not a spread followed by a new key (slow in V8: see nl.routeNew).
  return Object.assign({}, step, { patch: [...(step.patch ?? []), { from: lookup, at: nl.HEADER_INDEX_AT, to: indexAt }] });
}

/**
 * Stands for the fd of the namespace a plan makes, in a request encoded before it exists;
 * the plan writes the real fd over it (see vethIntoPlanNs).
 */
const PLAN_NS_FD: NsFd = { fd: 0x7fffffff, closed: false, identity: () => ({ dev: 0, ino: 0 }), close: () => undefined };

type PlanVethSpec = Omit<VethSpec, 'peer'> & { peer: Omit<VethSpec['peer'], 'netns'> };

/**
 * The LinkSpec of a veth whose peer is born inside the plan's namespace, validated: a
 * caller that starts the plan before encoding (Netns.createWithVeth) checks it first, so
 * bad input is refused before the kernel makes anything.
 */
export function vethSpecIntoPlanNs(spec: PlanVethSpec): LinkSpec {
  const full: LinkSpec = { ...spec, peer: Object.assign({}, spec.peer, { netns: PLAN_NS_FD }) };
  validateLinkSpec(full);
  return full;
}

/**
 * Like RtnlHandle.linkAdd of a veth whose peer is born inside the plan's namespace (made
 * or entered by the plan): its IFLA_NET_NS_FD is patched in when the plan runs. `spec`
 * comes from vethSpecIntoPlanNs; `master` is an ifindex; no echo is asked for.
 */
export function vethIntoPlanNs(name: string, spec: LinkSpec, master: number | undefined, socket: NetlinkSocket): PlanStep {
  const message = nl.linkNew(linkFromSpec(spec, master === undefined ? {} : { master }));
  const at = nl.vethPeerNsFdOffset(message)!;
  return Object.assign(rtnlRequestStep(name, message, { op: 'linkAdd', target: spec.name }, socket), { patch: [{ from: 'ns', to: [at] }] });
}
