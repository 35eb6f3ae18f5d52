/**
 * Transaction: apply a multi-step change so that a failure at any step leaves nothing
 * behind. Each step registers its undo right after it succeeds; on failure the undo
 * steps run in reverse order, "not found" counts as already undone, and the caller gets
 * the original error with any undo failures attached as `rollbackErrors`.
 *
 * Tests use `faults` to fail a chosen step and check that the kernel and the store end
 * exactly as they were before.
 */
import { isNotFound } from '../errors';

export type Undo = () => Promise<void> | void;

/** Decides, before each step runs, whether to fail it (tests only). */
export type FaultInjector = (step: string, index: number) => void;

export class InjectedFault extends Error {
  readonly code = 'EFAULTINJECTED';
  constructor(readonly step: string, readonly index: number) {
    super(`injected fault before step ${index} (${step})`);
    this.name = 'InjectedFault';
  }
}

/** A fault injector that fails the step with the given index (or name). */
export function failAt(target: number | string): FaultInjector {
  return (step, index) => {
    if (target === index || target === step) throw new InjectedFault(step, index);
  };
}

interface UndoEntry {
  step: string;
  undo: Undo;
}

export class Transaction {
  private readonly undos: UndoEntry[] = [];
  private count = 0;
  private done = false;
  /** Names of the steps that ran, in order (for error messages and tests). */
  readonly steps: string[] = [];

  constructor(private readonly faults?: FaultInjector) {}

  /**
   * Runs one step. `undo` is registered only once `run` succeeded, with its result, so a
   * step that failed half-way must clean up after itself (kernel requests are atomic).
   */
  async step<T>(name: string, run: () => Promise<T> | T, undo?: (result: T) => Promise<void> | void): Promise<T> {
    if (this.done) throw new Error(`transaction already finished; step ${name} refused`);
    const index = this.count++;
    this.faults?.(name, index);
    const result = await run();
    this.steps.push(name);
    if (undo) this.undos.push({ step: name, undo: () => undo(result) });
    return result;
  }

  /**
   * Runs independent steps at once (each calls step() itself) and waits for all of them
   * to settle before reporting the first failure, so that every step that did succeed
   * has registered its undo when the rollback starts.
   */
  async all<T extends readonly unknown[]>(runs: { [K in keyof T]: () => Promise<T[K]> }): Promise<T> {
    const settled = await Promise.allSettled(runs.map((run) => run()));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
  }

  /**
   * For steps that run together in one call (a NetlinkPlan): takes the next indexes for
   * `names` and asks the fault injector about each in order. Returns how many of them may
   * run and, if fewer than all, the fault to throw once they did. Record each one that
   * succeeded with done().
   */
  reserve(names: readonly string[]): { allowed: number; fault?: unknown } {
    if (this.done) throw new Error(`transaction already finished; steps ${names.join(', ')} refused`);
    for (let i = 0; i < names.length; i++) {
      const index = this.count++;
      try {
        this.faults?.(names[i]!, index);
      } catch (fault) {
        return { allowed: i, fault };
      }
    }
    return { allowed: names.length };
  }

  /** A reserve()d step succeeded: record it, with its undo. */
  stepDone(name: string, undo?: Undo): void {
    this.steps.push(name);
    if (undo) this.undos.push({ step: name, undo });
  }

  /** Registers an undo without a step (for work done by a callee). */
  onRollback(step: string, undo: Undo): void {
    this.undos.push({ step, undo });
  }

  /** Keeps everything: the undo steps are dropped. */
  commit(): void {
    this.done = true;
    this.undos.length = 0;
  }

  /** Undoes every registered step in reverse; returns the undo failures (not-found ignored). */
  async rollback(): Promise<Error[]> {
    this.done = true;
    const failures: Error[] = [];
    while (this.undos.length) {
      const { step, undo } = this.undos.pop()!;
      try {
        await undo();
      } catch (err) {
        if (isNotFound(err)) continue;
        const e = err instanceof Error ? err : new Error(String(err));
        failures.push(Object.assign(e, { rollbackStep: step }));
      }
    }
    return failures;
  }
}

/**
 * Runs `body` in a Transaction: commits if it returns, rolls back and rethrows the
 * original error (with `rollbackErrors` when undo steps failed too) if it throws.
 */
export async function transaction<T>(body: (tx: Transaction) => Promise<T>, faults?: FaultInjector): Promise<T> {
  const tx = new Transaction(faults);
  try {
    const result = await body(tx);
    tx.commit();
    return result;
  } catch (err) {
    const rollbackErrors = await tx.rollback();
    if (rollbackErrors.length && err && typeof err === 'object') Object.assign(err, { rollbackErrors });
    throw err;
  }
}
