/**
 * What every command shares: the global options (--state-dir, --format), opening the
 * Host on the state directory, and the CLI's process records beside it.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { DEFAULT_STATE_DIR, Host } from '../runtime/host';
import { errorLine, exitCodeFor } from './exit-codes';
import { parseFormat, processOut, type Format, type Out } from './output';
import { ProcessStore } from './processes';

export const STATE_DIR_ENV = 'NSNET_STATE_DIR';

export interface Globals {
  stateDir: string;
  format: Format;
}

/** Adds --state-dir and --format to a command (the program and every leaf command have them). */
export function withCommonOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--state-dir <dir>', `state directory (env ${STATE_DIR_ENV}, default ${DEFAULT_STATE_DIR})`))
    .addOption(new Option('--format <format>', "output format: 'table' or 'json'"));
}

/** The options given on the command line, the leaf's winning over the program's. */
export function globals(cmd: Command): Globals {
  const chain: Command[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) chain.unshift(c);
  const merged: { stateDir?: string; format?: string } = {};
  for (const c of chain) {
    const o = c.opts<{ stateDir?: string; format?: string }>();
    if (o.stateDir !== undefined) merged.stateDir = o.stateDir;
    if (o.format !== undefined) merged.format = o.format;
  }
  return {
    stateDir: path.resolve(merged.stateDir ?? process.env[STATE_DIR_ENV] ?? DEFAULT_STATE_DIR),
    format: parseFormat(merged.format),
  };
}

export interface CliContext {
  out: Out;
  /** What the process exits with once the command returns. */
  exitCode: number;
}

export function newContext(out: Out = processOut): CliContext {
  return { out, exitCode: 0 };
}

/** Wraps a command's handler: its result (a number, or nothing for 0) becomes the exit code. */
export function act(ctx: CliContext, fn: (...args: any[]) => Promise<number | void>): (...args: any[]) => Promise<void> {
  return async (...args) => {
    ctx.exitCode = (await fn(...args)) ?? 0;
  };
}

/**
 * Runs `fn` for each name, as Docker's multi-name commands do: a failure is reported on
 * its own line and the others still run; the exit code is the first failure's. A signal
 * (guard) stops the loop after the current name.
 */
export async function eachRef(
  ctx: CliContext,
  refs: readonly string[],
  fn: (ref: string) => Promise<void>,
  guard?: { check(message?: string): void },
): Promise<number> {
  let code = 0;
  for (const ref of refs) {
    guard?.check(`interrupted: stopped before ${ref}`);
    try {
      await fn(ref);
    } catch (err) {
      ctx.out.stderr(`nsnet: error: ${errorLine(err)}\n`);
      if (code === 0) code = exitCodeFor(err);
    }
  }
  guard?.check();
  return code;
}

/** Opens the Host on the state directory, runs `fn`, closes it. */
export async function withHost<T>(g: Globals, fn: (host: Host, processes: ProcessStore) => Promise<T>): Promise<T> {
  const host = await Host.open({ stateDir: g.stateDir });
  try {
    return await fn(host, new ProcessStore(g.stateDir));
  } finally {
    await host.close();
  }
}
