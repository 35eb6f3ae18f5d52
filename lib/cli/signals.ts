/**
 * Signals during a command that changes the host. A setup (run, network create, network
 * connect) must not be cut in half by Ctrl-C: the guard records the signal and, through
 * the Host's step hook, fails the setup's next step, so its Transaction rolls back every
 * step already done; the command then exits 128+N. A teardown finishes the object it is
 * removing and stops before the next. While `run` waits for its command, the guard
 * forwards SIGINT and SIGTERM to it instead.
 */
import fs from 'node:fs';
import type { FaultInjector } from '../runtime/transaction';
import { InterruptedError } from './exit-codes';

const HANDLED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Tests only: `NSNET_TEST_PAUSE_BEFORE_STEP=<step name prefix>` stops a setup before that
 * step, says so on standard error and waits for one byte on standard input, so that a
 * test can deliver a signal at a known point. Ignored outside the test sandbox.
 */
const PAUSE_ENV = 'NSNET_TEST_PAUSE_BEFORE_STEP';

function pauseForTest(step: string): void {
  fs.writeSync(2, `nsnet: test pause before step ${step}\n`);
  const buf = Buffer.alloc(1);
  for (;;) {
    try {
      if (fs.readSync(0, buf, 0, 1, null) >= 0) return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

export class SignalGuard implements Disposable {
  /** The first signal received, if any. */
  signal: NodeJS.Signals | undefined;
  private forward: ((signal: NodeJS.Signals) => void) | undefined;
  private paused = false;
  private readonly handler = (signal: NodeJS.Signals): void => {
    this.signal ??= signal;
    this.forward?.(signal);
  };

  constructor() {
    for (const s of HANDLED) process.on(s, this.handler);
  }

  /** Throws InterruptedError if a signal arrived. */
  check(message?: string): void {
    if (this.signal) throw new InterruptedError(this.signal, message);
  }

  /** The Host step hook: fails the next step of a setup once a signal has arrived. */
  stepHook(): FaultInjector {
    const pauseAt = process.env.NSNET_SANDBOXED === '1' ? process.env[PAUSE_ENV] : undefined;
    return (step) => {
      if (pauseAt && !this.paused && step.startsWith(pauseAt)) {
        this.paused = true;
        pauseForTest(step);
      }
      this.check(`interrupted by ${this.signal} before step '${step}': setup rolled back`);
    };
  }

  /**
   * The first signal received, once every signal already delivered to the process has
   * reached the guard. Node runs signal handlers only when the event loop polls libuv's
   * signal pipe, and a setup may finish without one poll (no thread-pool work on tmpfs):
   * a Ctrl-C during its last step would then go unseen until after the next decision.
   * Two check phases: the first may come in the current loop iteration, before any poll;
   * the second follows a whole poll phase.
   */
  async arrived(): Promise<NodeJS.Signals | undefined> {
    for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    return this.signal;
  }

  /** From now on, signals are also passed to `fn` (run: to the command). */
  onSignal(fn: ((signal: NodeJS.Signals) => void) | undefined): void {
    this.forward = fn;
  }

  [Symbol.dispose](): void {
    for (const s of HANDLED) process.off(s, this.handler);
  }
}
