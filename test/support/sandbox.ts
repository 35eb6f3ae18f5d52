/**
 * Shared by the integration tests: the sandbox guard and the independent oracles
 * (iproute2's JSON output), which never go through nsnet's own code.
 */
import { execFileSync } from 'node:child_process';

/**
 * Call at the top of a describe(): skips the suite outside scripts/sandbox (or without
 * root) — and fails it under CI=true, where a skipped integration test is a failure.
 */
export function requireSandbox(): void {
  before(function () {
    const ok = process.env.NSNET_SANDBOXED === '1' && process.getuid?.() === 0;
    if (ok) return;
    if (process.env.CI === 'true') throw new Error('integration tests must run as root inside scripts/sandbox');
    this.skip();
  });
}

/** Runs `ip ARGS…` (JSON mode when `-j` is among them) and parses its output. */
export function ipJson<T = any>(...args: string[]): T {
  const out = execFileSync('ip', ['-j', ...args], { encoding: 'utf8' });
  return (out.trim() ? JSON.parse(out) : []) as T;
}

/** Runs a command and returns its stdout. */
export function run(cmd: string, ...args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8' });
}

/** A name unique within this test run (interface names must stay ≤ 15 bytes). */
let counter = 0;
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${process.pid.toString(36)}${counter.toString(36)}`.slice(0, 15);
}
