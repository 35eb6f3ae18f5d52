/**
 * A NetlinkPlan: requests for several sockets — the host's rtnetlink and nf_tables
 * sockets, and one the addon opens inside a namespace it makes or enters first — run in
 * order by one thread (see native/netlink_plan.cc). The whole kernel side of plugging a
 * container in (namespace, veth, its configuration, the firewall batch) costs one hand-off
 * between threads instead of one per request; on a small VM a hand-off costs more than
 * the kernel work it carries.
 *
 * Plan steps bypass the handles' request queues (the addon still serialises each socket's
 * exchanges), so a plan must not race requests whose order it depends on.
 */
import { native, type NativePlanNs, type NativePlanStep, type NetlinkSocket, type NsFd, type PlanPatch } from './native';
import type { NativeFailure } from './transport';

export interface PlanStep {
  /** Names the step in errors and for fault injection. */
  name: string;
  /** The socket it goes to; none: the one inside the plan's namespace. */
  socket?: NetlinkSocket;
  messages: Buffer;
  patch?: PlanPatch[];
  /** The addon's failure of this step as a typed error. */
  translate(err: NativeFailure): Error;
}

export type PlanOutcome =
  | { ok: true; replies: Buffer[]; ns?: NsFd }
  /** `step`: the failed step (-1: the namespace could not be made or entered); the ones before it were done. */
  | { ok: false; step: number; error: Error };

const toNative = (s: PlanStep): NativePlanStep => ({ messages: s.messages, ...(s.socket ? { socket: s.socket } : {}), ...(s.patch ? { patch: s.patch } : {}) });

/** The addon's settlement as a PlanOutcome, the failure translated by its step. */
async function outcomeOf(done: Promise<{ replies: Buffer[]; ns?: NsFd }>, steps: readonly PlanStep[]): Promise<PlanOutcome> {
  try {
    const { replies, ns: made } = await done;
    return { ok: true, replies, ...(made ? { ns: made } : {}) };
  } catch (err) {
    const step = (err as { step?: unknown }).step;
    if (typeof step !== 'number') throw err; // refused arguments: a bug of ours, not the kernel's answer
    return { ok: false, step, error: step >= 0 ? steps[step]!.translate(err as NativeFailure) : (err as Error) };
  }
}

/** Runs `steps` in order after making or entering `ns`; stops at the first failure. */
export async function runNetlinkPlan(steps: readonly PlanStep[], ns?: NativePlanNs): Promise<PlanOutcome> {
  return outcomeOf(native().netlinkPlan(steps.map(toNative), ns), steps);
}

/** A plan whose first steps run while the caller works out the rest (see NativeAddon.netlinkPlanOpen). */
export interface OpenPlan {
  /** Adds steps; `last` ends the plan. False if it already stopped at a failure. */
  push(steps: readonly PlanStep[], last: boolean): boolean;
  /** Settles once the plan ended and ran (or stopped). */
  readonly outcome: Promise<PlanOutcome>;
}

/**
 * Opens a plan; `apart`: the caller has JS work to do while it runs (a container's lease,
 * firewall and record), so its thread keeps off the caller's CPU while no other plan runs:
 * left alone, the kernel woke it on that CPU after idle spells and the two took turns
 * while another CPU idled. `replies: false`: the outcome carries no replies (the caller
 * does not read them, and copying them costs the JS thread on every plan).
 */
export function openNetlinkPlan(steps: readonly PlanStep[], ns?: NativePlanNs, options: { apart?: boolean; replies?: boolean } = {}): OpenPlan {
  const all = [...steps];
  const open = native().netlinkPlanOpen(steps.map(toNative), ns, options);
  return {
    push: (more, last) => {
      all.push(...more);
      return native().netlinkPlanPush(open.queue, more.map(toNative), last);
    },
    outcome: outcomeOf(open.done, all),
  };
}
