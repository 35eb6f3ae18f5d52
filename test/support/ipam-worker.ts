/**
 * A child process for the multi-process IPAM tests, and the parent's side of it.
 *
 * Run as `node dist/test/support/ipam-worker.js '<WorkerConfig as JSON>'`: it opens the
 * file store, prints {"ready":true}, waits for a line on stdin (so the parent can start
 * all workers at the same instant), does its job and prints one JSON line per event.
 * Lines go out synchronously (stdout is a pipe), so a line the parent got describes a
 * change that was committed before the line was written.
 *
 * Modes:
 * - alloc:  `count` allocations for endpoints `${prefix}-0…`; {ok, ep} or {err, …} each.
 * - static: one allocation of `ip` for endpoint `prefix`.
 * - churn:  forever: announce {will:'alloc'}, allocate, {ok}; keep at most `hold` leases,
 *           announcing {will:'release'} and {released} for the oldest. For kill tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { FileStore } from '../../lib/ipam/file-store';
import { Ipam } from '../../lib/ipam/ipam';
import type { LeaseOwner } from '../../lib/ipam/types';

export interface WorkerConfig {
  root: string;
  network: string;
  mode: 'alloc' | 'static' | 'churn';
  prefix: string;
  count?: number;
  ip?: string;
  hold?: number;
  compactMin?: number;
}

export interface WorkerEvent {
  ready?: boolean;
  done?: boolean;
  ep?: string;
  /** Addresses of a successful allocation. */
  ok?: string[];
  /** An allocation failed: the error's code, class and message, and the owner it named. */
  err?: string;
  name?: string;
  message?: string;
  owner?: LeaseOwner | { reserved: string };
  will?: 'alloc' | 'release';
  released?: string[];
}

const emit = (event: WorkerEvent): void => void process.stdout.write(`${JSON.stringify(event)}\n`);

function failure(ep: string, err: unknown): WorkerEvent {
  const e = err as { code?: string; name?: string; message?: string; owner?: WorkerEvent['owner'] };
  return { ep, err: e.code ?? 'UNKNOWN', name: e.name, message: e.message, owner: e.owner };
}

async function work(config: WorkerConfig): Promise<void> {
  const ipam = new Ipam(new FileStore(config.root, { compactMin: config.compactMin }));
  const owner = (ep: string): LeaseOwner => ({ endpointId: ep, containerId: `c-${config.prefix}`, netns: `pid:${process.pid}` });
  const addresses = (a: Awaited<ReturnType<Ipam['allocate']>>): string[] => [a.ipv4?.address, a.ipv6?.address].filter((x): x is string => !!x);
  if (config.mode === 'alloc') {
    for (let i = 0; i < (config.count ?? 1); i++) {
      const ep = `${config.prefix}-${i}`;
      try {
        emit({ ep, ok: addresses(await ipam.allocate(config.network, owner(ep))) });
      } catch (err) {
        emit(failure(ep, err));
      }
    }
  } else if (config.mode === 'static') {
    const ep = config.prefix;
    try {
      emit({ ep, ok: addresses(await ipam.allocate(config.network, owner(ep), { ip: config.ip })) });
    } catch (err) {
      emit(failure(ep, err));
    }
  } else {
    const held: string[] = [];
    for (let i = 0; ; i++) {
      const ep = `${config.prefix}-${i}`;
      emit({ will: 'alloc', ep });
      emit({ ep, ok: addresses(await ipam.allocate(config.network, owner(ep))) });
      held.push(ep);
      if (held.length > (config.hold ?? 2)) {
        const old = held.shift()!;
        emit({ will: 'release', ep: old });
        emit({ ep: old, released: (await ipam.releaseEndpoint(config.network, old)).map((l) => l.address) });
      }
    }
  }
  emit({ done: true });
}

if (require.main === module) {
  const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
  emit({ ready: true });
  readline.createInterface({ input: process.stdin }).once('line', () => {
    work(config).then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`ipam-worker: ${String((err as Error)?.stack ?? err)}\n`);
        process.exit(1);
      },
    );
  });
}

// ── the parent's side ──────────────────────────────────────────────────────────────────

export const WORKER_PATH = path.resolve(__dirname, 'ipam-worker.js');

/**
 * The environment for workers: ours without NODE_EXTRA_CA_CERTS. Node parses that CA
 * bundle at every startup (~0.1 s of CPU each on the test machine) and the workers do no
 * TLS; with hundreds of workers on two cores, that alone would be most of the suite's time.
 */
export function workerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** One running worker: its events so far, and promises for ready and exit. */
export class IpamWorker {
  readonly child: ChildProcess;
  readonly events: WorkerEvent[] = [];
  readonly ready: Promise<void>;
  /** Resolves at the first committed change the worker reports. */
  readonly working: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly config: WorkerConfig) {
    this.child = spawn(process.execPath, [WORKER_PATH, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'], env: workerEnv() });
    let onReady!: () => void;
    let onWorking!: () => void;
    this.ready = new Promise((resolve) => (onReady = resolve));
    this.working = new Promise((resolve) => (onWorking = resolve));
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as WorkerEvent;
      if (event.ready) onReady();
      else this.events.push(event);
      if (event.ok || event.released || event.err) onWorking();
    });
    // 'close' (not 'exit'): stdout is drained by then, so no event is missed.
    this.exited = new Promise((resolve) => this.child.once('close', (code, signal) => resolve({ code, signal })));
    this.child.stdin!.on('error', () => undefined); // EPIPE if it died before "go"
  }

  go(): void {
    this.child.stdin!.write('go\n');
  }

  /** SIGKILL by PID: only this worker, which we started. */
  kill(): void {
    if (this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null) process.kill(this.child.pid, 'SIGKILL');
  }
}

/**
 * Starts workers, releases them together once all are ready, and waits for them all to
 * finish. A worker still running after `limitMs` is killed (and the run fails), so a hung
 * test never leaves processes behind.
 */
export async function runWorkers(configs: readonly WorkerConfig[], limitMs = 100_000): Promise<WorkerEvent[][]> {
  const workers = configs.map((c) => new IpamWorker(c));
  const limit = setTimeout(() => workers.forEach((w) => w.kill()), limitMs);
  const exits = await (async () => {
    await Promise.race([Promise.all(workers.map((w) => w.ready)), Promise.all(workers.map((w) => w.exited))]);
    for (const w of workers) w.go();
    return Promise.all(workers.map((w) => w.exited));
  })().finally(() => clearTimeout(limit));
  exits.forEach((e, i) => {
    if (e.code !== 0) throw new Error(`worker ${configs[i]!.prefix} exited with ${e.code ?? e.signal}`);
  });
  return workers.map((w) => w.events);
}
