/**
 * A NetlinkPlan (lib/plan.ts) as steps of a Transaction: the kernel side of plugging a
 * container in goes to the addon as one call, and still counts step by step for rollback
 * and for fault injection. A fault injected at step k lets the steps before it run for
 * real (in a plan cut short there) and then fails, exactly as a failure of step k would.
 */
import { fromNativeError } from '../errors';
import type { NsFd } from '../native';
import type { Netns } from '../netns/netns';
import { openNetlinkPlan, type OpenPlan, type PlanOutcome, type PlanStep } from '../plan';
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

/**
 * A plan open for more steps: the first ones go to the kernel at once, later ones are
 * added while JS works them out (add), and finish() ends it. Every TxPlan must be
 * finished, also when the caller fails in between: until then the plan's thread waits for
 * steps, and finishing is what registers the undo of what ran.
 */
export class TxPlan {
  private readonly steps: TxPlanStep[] = [];
  /** How many of `steps` were sent to the kernel. */
  private sent = 0;
  private fault: unknown;
  private ended = false;
  private readonly open: OpenPlan | undefined;
  private readonly create: { dir: string; name: string; undo: Undo } | undefined;

  constructor(
    private readonly tx: Transaction,
    private readonly ns: PlanNamespace,
    first: readonly TxPlanStep[],
  ) {
    this.create = 'create' in ns ? ns.create : undefined;
    const { allowed, fault } = tx.reserve([...(this.create ? [CREATE_NETNS_STEP] : []), ...first.map((s) => s.name)]);
    const sendable = first.slice(0, this.create ? Math.max(0, allowed - 1) : allowed);
    this.steps.push(...first);
    this.sent = sendable.length;
    this.fault = fault;
    if (allowed > 0) {
      // Apart: JS leases, plans the firewall and writes the record while the plan runs.
      const where = this.create ? { create: { dir: this.create.dir, name: this.create.name } } : { enter: (ns as { enter: Netns }).enter.fd };
      this.open = openNetlinkPlan(sendable, where, { apart: true, replies: false });
      if (fault !== undefined) this.end();
    }
  }

  /** Adds steps; after an injected fault they are only counted (and told they did not run). */
  add(more: readonly TxPlanStep[]): void {
    if (this.ended || this.fault !== undefined || this.open === undefined) {
      this.steps.push(...more);
      return;
    }
    const { allowed, fault } = this.tx.reserve(more.map((s) => s.name));
    this.steps.push(...more);
    this.sent += allowed;
    this.fault = fault;
    this.open.push(more.slice(0, allowed), fault !== undefined);
    if (fault !== undefined) this.ended = true;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.open?.push([], true);
  }

  /** Ends the plan and waits for it; registers the undo of every step that ran; throws its failure or the injected fault. */
  async finish(): Promise<{ ns?: NsFd }> {
    this.end();
    const { tx, steps, create, ns } = this;
    let outcome: PlanOutcome | undefined;
    let thrown: unknown;
    try {
      outcome = await this.open?.outcome;
    } catch (err) {
      thrown = err; // arguments the addon refused: nothing ran
    }
    if (create && outcome && (outcome.ok || outcome.step >= 0)) tx.stepDone(CREATE_NETNS_STEP, create.undo);
    const ran = outcome === undefined ? 0 : outcome.ok ? this.sent : Math.max(0, outcome.step);
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
    if (this.fault !== undefined || !outcome?.ok) {
      if (outcome?.ok) outcome.ns?.close(); // the namespace step's undo deletes it by name
      throw this.fault;
    }
    return outcome.ns ? { ns: outcome.ns } : {};
  }
}

/** Runs `steps` in `ns` as steps of `tx`; resolves with the fd of a namespace it made. */
export function applyPlan(tx: Transaction, steps: readonly TxPlanStep[], ns: PlanNamespace): Promise<{ ns?: NsFd }> {
  return new TxPlan(tx, ns, steps).finish();
}
