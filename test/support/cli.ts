/**
 * Running the `nsnet` command as a user would, for the CLI's integration tests: the
 * real bin/nsnet, in a test-made "host" namespace (nsenter --net: only the network
 * namespace changes, so the namespaces it bind-mounts land in the sandbox's /run/netns),
 * with its own state directory. Also the witnesses of "nothing left behind": the host's
 * links and addresses (`ip -j`), its ruleset (`nft -j`), the namespace files and the
 * state directory's records.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Netns } from '../../lib';
import { ipJson } from './sandbox';
import { normalised, rulesetJson } from './topology';

export const NSNET_BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'nsnet');

export interface CliWorld {
  /** The namespace the CLI runs in (its "host"). */
  host: Netns;
  stateDir: string;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string>;
  /** Programs put before nsnet (after nsenter), e.g. setpriv to drop a capability. */
  wrap?: string[];
}

/** Starts `nsnet ARGS…` in the world's host namespace; stdio piped. */
export function startNsnet(w: CliWorld, args: readonly string[], options: CliOptions = {}): ChildProcess {
  return spawn('nsenter', [`--net=${w.host.file}`, ...(options.wrap ?? []), NSNET_BIN, ...args], {
    env: { ...process.env, NSNET_STATE_DIR: w.stateDir, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Collects a started nsnet's output until it exits. */
export function finished(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs `nsnet ARGS…` to completion. */
export function nsnet(w: CliWorld, args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const child = startNsnet(w, args, options);
  child.stdin!.end();
  return finished(child);
}

/** Runs `nsnet ARGS…` and fails unless it exits 0; resolves with its stdout. */
export async function nsnetOk(w: CliWorld, args: readonly string[], options: CliOptions = {}): Promise<string> {
  const r = await nsnet(w, args, options);
  if (r.code !== 0) throw new Error(`nsnet ${args.join(' ')} exited ${r.code ?? r.signal}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Resolves once `stream` has printed text matching `re` (rejects if it ends first). */
export function waitForOutput(stream: NodeJS.ReadableStream, re: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer): void => {
      seen += d.toString();
      if (re.test(seen)) {
        stream.off('data', onData);
        stream.off('end', onEnd);
        resolve(seen);
      }
    };
    const onEnd = (): void => reject(new Error(`stream ended without ${re}; it printed: ${seen}`));
    stream.on('data', onData);
    stream.once('end', onEnd);
  });
}

function files(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

/**
 * What nsnet can leave behind, as one comparable value: the host's links and addresses,
 * its whole ruleset (handles dropped), nsnet's namespace files, and the records in the
 * state directory (networks, containers, the CLI's processes).
 */
export function residue(w: CliWorld): Record<string, unknown> {
  const links = ipJson<Array<{ ifname: string }>>('-n', w.host.name!, 'link').map((l) => l.ifname).sort();
  const addrs = ipJson<Array<{ ifname: string; addr_info: Array<{ local: string; prefixlen: number }> }>>('-n', w.host.name!, 'addr')
    // Link-local addresses are the kernel's (a bridge gets one once a port brings it up), not nsnet's.
    .map((a) => `${a.ifname} ${a.addr_info.filter((i) => !i.local.startsWith('fe80:')).map((i) => `${i.local}/${i.prefixlen}`).sort().join(',')}`)
    .sort();
  return {
    links,
    addrs,
    ruleset: normalised(rulesetJson(w.host)),
    netns: files('/run/netns').filter((n) => n.startsWith('nsnet-')),
    networks: files(path.join(w.stateDir, 'networks')),
    containers: files(path.join(w.stateDir, 'containers')),
    processes: files(path.join(w.stateDir, 'cli')),
  };
}

/** Is this PID gone (or a zombie waiting for its reaper)? */
export function processGone(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
