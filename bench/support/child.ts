/**
 * Benchmark programs that report by printing one JSON line last (the C floors, a
 * bench/compare trial), run inside a namespace the harness made for them.
 */
import type { Netns } from '../../lib';
import type { ExecOptions } from '../../lib/netns/netns';

/** The JSON object on the last line of `out`, or undefined if that line is not one. */
export function lastJsonLine<T>(out: string): T | undefined {
  const line = out.trim().split('\n').pop() ?? '';
  return line.startsWith('{') ? (JSON.parse(line) as T) : undefined;
}

/**
 * Runs `command` inside `ns` (the exec helper: no fork of Node) and resolves with the
 * JSON line it printed last; rejects, with the end of its stderr, if it exits non-zero
 * or prints none. `what` names it in that error.
 */
export async function execJson<T>(ns: Netns, what: string, command: string, args: readonly string[], options: ExecOptions = {}): Promise<T> {
  const child = ns.exec(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  // 'close', not 'exit': the last of stdout may still be in the pipe when the child exits.
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  });
  const result = code === 0 ? lastJsonLine<T>(out) : undefined;
  if (result === undefined) throw new Error(`${what} exited with ${code}: ${err.trim().slice(-2000)}`);
  return result;
}
