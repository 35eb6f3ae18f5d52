/**
 * The C floor programs in bench/floor/: compiled on demand with the system compiler
 * (build/bench/, ignored by git) and run in the same sandbox and the same run as nsnet,
 * so every ratio compares figures measured side by side.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { lastJsonLine } from './child';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Compiles bench/floor/NAME.c once per run; returns the binary's path. */
export function buildFloor(name: string): string {
  const source = path.join(ROOT, 'bench', 'floor', `${name}.c`);
  const out = path.join(ROOT, 'build', 'bench', name);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-pthread', '-o', out, source], { stdio: 'inherit' });
  return out;
}

/** Runs a floor binary and parses the one JSON line it prints. */
export function runFloor<T>(binary: string, args: readonly string[]): T {
  const out = execFileSync(binary, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  const result = lastJsonLine<T>(out);
  if (result === undefined) throw new Error(`${path.basename(binary)} printed no JSON line: ${out.slice(-500)}`);
  return result;
}

/**
 * A floor binary in serve mode (`links --serve MAX`), started with piped stdio: it answers
 * each command line with one JSON line, so the bench can interleave its blocks with
 * nsnet's within one run.
 */
export class FloorServer {
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  constructor(private readonly child: ChildProcess) {
    if (!child.stdin || !child.stdout || !child.stderr) throw new Error('FloorServer needs a child with piped stdio');
    child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  /** `binary ARGS…` started here, in the caller's namespaces. */
  static start(binary: string, args: readonly string[]): FloorServer {
    return new FloorServer(spawn(binary, args, { stdio: 'pipe' }));
  }

  /** Sends one command and resolves with the JSON line that answers it. */
  async ask<T>(command: string): Promise<T> {
    this.child.stdin!.write(`${command}\n`);
    const { value, done } = await this.lines.next();
    if (done) throw new Error(`${this.child.spawnfile} ended before answering '${command}': ${this.stderr.trim().slice(-2000)}`);
    return JSON.parse(value as string) as T;
  }

  /** Closes its input (after `teardown` it exits by itself). */
  close(): void {
    this.child.stdin!.end();
  }
}

/**
 * Repetitions at N = 1 (bench/runtime, bench/compare's default): such a repetition times
 * one container, a single sample that the host's scheduling moves by 2x, and costs about a
 * second, so it gets more than the larger sizes.
 */
export const SINGLE_CONTAINER_REPS = 9;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Refuses to run outside scripts/sandbox: benchmarks create namespaces and links. */
export function requireSandbox(): void {
  if (process.env.NSNET_SANDBOXED !== '1') {
    console.error('benchmarks run only inside scripts/sandbox (npm run bench does that)');
    process.exit(2);
  }
}

/** The machine's CPU time so far (/proc/stat, in ticks): busy includes steal. */
export function cpuTimes(): { busy: number; steal: number; total: number } {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
  return { busy: total - idle, steal: fields[7] ?? 0, total };
}

/** Busy and steal shares (0–1) of the machine's CPU time since `before`. */
function cpuSharesSince(before: ReturnType<typeof cpuTimes>, now = cpuTimes()): { busy: number; steal: number } {
  const total = Math.max(1, now.total - before.total);
  return { busy: (now.busy - before.busy) / total, steal: (now.steal - before.steal) / total };
}

/**
 * Busy and steal shares of the CPU time since `before`: steal is time a vCPU had work but
 * the hypervisor ran something else (up to 20% within a minute on the development VM),
 * which slows everything timed meanwhile.
 */
export function describeCpuSince(before: ReturnType<typeof cpuTimes>): string {
  const { busy, steal } = cpuSharesSince(before);
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  return `CPU busy ${pct(busy)}, steal ${pct(steal)}`;
}

/**
 * Waits until the machine is quiet (under 5% busy over 200 ms, twice in a row; at most
 * `limitMs`). Deleting namespaces leaves the kernel cleaning them up asynchronously
 * (cleanup_net on a workqueue) for seconds; measuring the next run during that would
 * charge it for the previous run's teardown.
 */
export async function settle(limitMs = 30_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  let quiet = 0;
  let prev = cpuTimes();
  while (quiet < 2 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    const now = cpuTimes();
    quiet = cpuSharesSince(prev, now).busy < 0.05 ? quiet + 1 : 0;
    prev = now;
  }
}
