/**
 * Starting a command inside a container's network namespace, for `run` and `exec`.
 * The exec helper enters the namespace and execve's the command (Node never forks
 * itself); a container in host mode shares the CLI's own namespace, so its command is
 * spawned directly.
 * The container's resolv.conf and hosts (rendered by the runtime under the state
 * directory) are bound over /etc for the command, as `host.containers.exec` does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import tty from 'node:tty';
import { native } from '../native';
import { Netns, type ExecOptions } from '../netns/netns';
import { etcDirOf } from '../runtime/files';
import type { ContainerRecord } from '../runtime/records';
import { signalExitCode } from './exit-codes';

export interface Started {
  child: ChildProcess;
  /** The namespace we hold open for the helper (it opens it through our /proc/PID/fd). */
  ns: Netns | undefined;
}

/** Spawns `cmd` in the container's namespace; resolves once the helper (or command) runs. */
export async function startCommand(rec: ContainerRecord, stateDir: string, cmd: string, args: readonly string[], options: ExecOptions): Promise<Started> {
  const ns = rec.mode === 'host' ? undefined : await Netns.open(rec.netnsPath);
  try {
    const { etcDir: _unused, ...spawnOptions } = options;
    // Host mode has the host's own files; the others get their namespace owner's.
    const child = ns ? ns.exec(cmd, args, { ...spawnOptions, etcDir: etcDirOf(stateDir, rec) }) : spawn(cmd, [...args], spawnOptions);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    return { child, ns };
  } catch (err) {
    ns?.close();
    throw err;
  }
}

/** Resolves with the shell's view of how the child ended: its code, or 128+signal. */
export function exitOf(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(signalExitCode(child.signalCode));
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signalExitCode(signal ?? 'SIGKILL')));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the helper has exec'd the command (its /proc/PID/exe is no longer the
 * helper: setns came before, so it is inside the namespace) or has exited. Resolves
 * true if the command is running.
 */
export async function commandRunning(started: Started): Promise<boolean> {
  const { child } = started;
  if (!started.ns) return child.exitCode === null && child.signalCode === null;
  const helper = fs.realpathSync(native().execHelperPath);
  for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    let exe: string | undefined;
    try {
      exe = fs.readlinkSync(`/proc/${child.pid}/exe`);
    } catch {
      exe = undefined; // exiting: the 'exit' event is on its way
    }
    if (exe !== undefined && exe !== helper) return true;
    await sleep(delay);
  }
}

/**
 * Passes the signals nsnet receives on to a foreground command. A Ctrl-C typed at a
 * terminal already reached the command (it shares nsnet's process group, so that it can
 * read the terminal), so SIGINT is not sent twice when standard input is a terminal.
 */
export function forwarder(child: ChildProcess): (signal: NodeJS.Signals) => void {
  const fromTerminal = tty.isatty(0);
  return (signal) => {
    if (signal === 'SIGINT' && fromTerminal) return;
    child.kill(signal);
  };
}
