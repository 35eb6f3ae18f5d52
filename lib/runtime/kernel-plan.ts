/**
 * A NetlinkPlan (lib/plan.ts) as steps of a Transaction: the kernel side of plugging a
 * container in goes to the addon as one call, and still counts step by step for rollback
 * and for fault injection. A fault injected at step k lets the steps before it run for
 * real (in a plan cut short there) and then fails, exactly as a failure of step k would.
 */
import { fromNativeError } from '../errors';
import type { NsFd } from '../native';
import type { Netns } from '../netns/netns';
import { runNetlinkPlan, type PlanOutcome, type PlanStep } from '../plan';
import type { Transaction, Undo } from './transaction';

export interface TxPlanStep extends PlanStep {
  /** Undoes the step once it ran (registered with the transaction). */
  undo?: Undo;
  /** Told whether the step ran, before its undo is registered (a prepared firewall change commits or aborts). */
  settle?: (ran: boolean) => Promise<void> | void;
}

/** The plan's namespace: one it makes (a step of its own, deleted on rollback) or one it enters. */
export type PlanNamespace = { create: { dir: string; name: string; undo: Undo } } | { enter: Netns };

export const CREATE_NETNS_STEP = 'create netns';

/** Runs `steps` in `ns` as steps of `tx`; resolves with each step's reply and the fd of a namespace it made. */
export async function applyPlan(tx: Transaction, steps: readonly TxPlanStep[], ns: PlanNamespace): Promise<{ replies: Buffer[]; ns?: NsFd }> {
  const create = 'create' in ns ? ns.create : undefined;
  const names = [...(create ? [CREATE_NETNS_STEP] : []), ...steps.map((s) => s.name)];
  const { allowed, fault } = tx.reserve(names);
  const runnable = steps.slice(0, create ? Math.max(0, allowed - 1) : allowed);
  let outcome: PlanOutcome | undefined;
  let thrown: unknown;
  try {
    if (allowed > 0) {
      outcome = await runNetlinkPlan(runnable, create ? { create: { dir: create.dir, name: create.name } } : { enter: (ns as { enter: Netns }).enter.fd });
    }
  } catch (err) {
    thrown = err; // arguments the addon refused: nothing ran
  }
  if (create && outcome && (outcome.ok || outcome.step >= 0)) tx.stepDone(CREATE_NETNS_STEP, create.undo);
  const ran = outcome === undefined ? 0 : outcome.ok ? runnable.length : Math.max(0, outcome.step);
  // Every step hears whether it ran, also when the plan was cut short or never sent.
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    try {
      await step.settle?.(i < ran);
    } catch (err) {
      thrown ??= err;
    }
    if (i < ran) tx.stepDone(step.name, step.undo);
  }
  if (thrown !== undefined) throw thrown;
  if (outcome && !outcome.ok) {
    if (outcome.step >= 0) throw outcome.error;
    throw create
      ? fromNativeError(outcome.error, 'unshare', 'netnsCreate', create.name)
      : fromNativeError(outcome.error, 'setns', 'netnsEnter', (ns as { enter: Netns }).enter.file ?? 'netns');
  }
  if (fault !== undefined || !outcome?.ok) {
    if (outcome?.ok) outcome.ns?.close(); // the namespace step's undo deletes it by name
    throw fault;
  }
  return outcome.ns ? { replies: outcome.replies, ns: outcome.ns } : { replies: outcome.replies };
}
