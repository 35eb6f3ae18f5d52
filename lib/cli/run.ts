/**
 * `nsnet run [options] [--] CMD [ARG…]`: set up a container's network, run CMD inside
 * its namespace, tear everything down when CMD exits (foreground, the default), or
 * leave it running (`-d`).
 *
 * Foreground: SIGINT, SIGTERM and SIGHUP are forwarded to CMD (SIGINT not when stdin is
 * a terminal: Ctrl-C reaches CMD directly, in nsnet's process group); when it exits, the
 * container is removed and `run` exits with CMD's code (128+N if a signal N killed it).
 * A signal during the setup rolls the setup back and `run` exits 128+N.
 *
 * Detached (`-d`): CMD runs in its own session (spawn's `detached`), stdin from
 * /dev/null, stdout and stderr appended to <state-dir>/cli/<id>.log; `run` prints the
 * container's ID once CMD has been exec'd and exits, leaving CMD unref'd and
 * independent of it. Its PID and start time go in <state-dir>/cli/<id>.json: `ps` shows
 * whether it still runs, `rm -f` kills exactly that process, and `gc` tears down
 * containers whose command has exited.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Command, Option } from 'commander';
import type { ContainerCreateOptions } from '../runtime/containers';
import { NoSuchObjectError } from '../runtime/errors';
import { Host } from '../runtime/host';
import type { ContainerRecord } from '../runtime/records';
import { act, globals, withCommonOptions, type CliContext, type Globals } from './context';
import { UsageError } from './exit-codes';
import { commandRunning, exitOf, forwarder, startCommand, type Started } from './launch';
import { printJson } from './output';
import { collect } from './parse';
import { killProcess, processRef, ProcessStore, type ProcessRecord } from './processes';
import { SignalGuard } from './signals';

export interface RunFlags {
  name?: string;
  network?: string;
  net?: string;
  publish?: string[];
  publishAll?: boolean;
  expose?: string[];
  ip?: string;
  ip6?: string;
  macAddress?: string;
  alias?: string[];
  networkAlias?: string[];
  link?: string[];
  detach?: boolean;
}

/** `run` flags as Host.containers.create options. */
export function runOptions(f: RunFlags): ContainerCreateOptions {
  if (f.network !== undefined && f.net !== undefined && f.network !== f.net) throw new UsageError('--network and --net disagree', 'network');
  const network = f.network ?? f.net;
  const aliases = [...(f.alias ?? []), ...(f.networkAlias ?? [])];
  return {
    ...(network !== undefined ? { network } : {}),
    ...(f.publish?.length ? { ports: f.publish } : {}),
    // Like Docker: --expose alone is metadata; with -P the exposed ports get ephemeral host ports.
    ...(f.publishAll && f.expose?.length ? { publishAll: f.expose } : {}),
    ...(f.ip !== undefined ? { ip: f.ip } : {}),
    ...(f.ip6 !== undefined ? { ip6: f.ip6 } : {}),
    ...(f.macAddress !== undefined ? { mac: f.macAddress } : {}),
    ...(aliases.length ? { aliases } : {}),
    ...(f.link?.length ? { links: f.link } : {}),
  };
}

/** A name when --name is not given: 'run-' and 8 hex digits. */
export function generatedName(): string {
  return `run-${crypto.randomBytes(4).toString('hex')}`;
}

/** Removes a container, whether or not someone (rm -f) already did. */
async function removeQuietly(host: Host, id: string): Promise<void> {
  try {
    await host.containers.remove(id, { force: true });
  } catch (err) {
    if (!(err instanceof NoSuchObjectError)) throw err;
  }
}

async function foreground(g: Globals, host: Host, processes: ProcessStore, guard: SignalGuard, rec: ContainerRecord, argv: string[]): Promise<number> {
  const record: ProcessRecord = { id: rec.id, name: rec.name, command: argv, detached: false, started: new Date().toISOString(), supervisor: processRef(process.pid)! };
  let started: Started | undefined;
  try {
    await processes.save(record);
    guard.check(`interrupted by ${guard.signal}: container ${rec.name} removed again`);
    started = await startCommand(rec, g.stateDir, argv[0]!, argv.slice(1), { stdio: 'inherit' });
    const { child } = started;
    guard.onSignal(forwarder(child));
    if (guard.signal) child.kill(guard.signal);
    const pid = processRef(child.pid!);
    if (pid) await processes.save({ ...record, process: pid });
    return await exitOf(child);
  } finally {
    guard.onSignal(undefined);
    started?.ns?.close();
    // Whatever happened, the container goes; signals from now on only wait for that.
    await removeQuietly(host, rec.id);
    processes.delete(rec.id);
  }
}

async function detached(ctx: CliContext, g: Globals, host: Host, processes: ProcessStore, guard: SignalGuard, rec: ContainerRecord, argv: string[]): Promise<number> {
  const log = processes.logFile(rec.id);
  const record: ProcessRecord = { id: rec.id, name: rec.name, command: argv, detached: true, started: new Date().toISOString(), supervisor: processRef(process.pid)!, log };
  let started: Started | undefined;
  let fd: number | undefined;
  try {
    await processes.save(record);
    fd = fs.openSync(log, 'a', 0o600);
    started = await startCommand(rec, g.stateDir, argv[0]!, argv.slice(1), { stdio: ['ignore', fd, fd], detached: true });
    const pid = processRef(started.child.pid!);
    const { supervisor: _me, ...rest } = record;
    if (pid) await processes.save({ ...rest, process: pid });
    if (!(await commandRunning(started))) {
      const code = await exitOf(started.child);
      const said = fs.readFileSync(log, 'utf8').trim().split('\n').pop() ?? '';
      // The exec helper's own failures (entering the namespace, exec) exit 126/127 with
      // its message. Any other exit means CMD ran and already finished: the container
      // stays, exited, as Docker's does (`gc` or `rm` tears it down).
      if ((code === 126 || code === 127) && said.startsWith('nsnet-exec: ')) {
        throw Object.assign(new Error(`${argv[0]} did not start (exit ${code}): ${said}`), { exitCode: code });
      }
    }
    guard.check(`interrupted by ${guard.signal}: ${argv[0]} killed and container ${rec.name} removed again`);
    started.child.unref();
  } catch (err) {
    if (started?.child.pid !== undefined) {
      const pid = processRef(started.child.pid);
      if (pid) await killProcess(pid, 'SIGKILL');
    }
    await removeQuietly(host, rec.id);
    processes.delete(rec.id);
    const code = (err as { exitCode?: unknown }).exitCode;
    if (typeof code === 'number') {
      ctx.out.stderr(`nsnet: error: ${(err as Error).message}\n`);
      return code;
    }
    throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
    started?.ns?.close();
  }
  if (g.format === 'json') printJson(ctx.out, { Id: rec.id, Name: rec.name, Pid: started.child.pid, LogPath: log });
  else ctx.out.stdout(`${rec.id}\n`);
  return 0;
}

export function registerRun(program: Command, ctx: CliContext): void {
  withCommonOptions(
    program
      .command('run')
      .description("set up a container's network and run a command in it; torn down when the command exits (unless -d)")
      .usage('[options] [--] <command> [args...]')
      .argument('<command>', 'the program to run inside the container')
      .argument('[args...]', 'its arguments')
      .option('--name <name>', 'container name (default: run-<8 hex>)')
      .option('--network <mode>', "'bridge' (default), 'host', 'none', 'container:<name|id>', or a network's name")
      .addOption(new Option('--net <mode>', 'same as --network').hideHelp())
      .option('-p, --publish <spec>', 'publish a port: [host-ip:][host-port:]container-port[/proto] (repeatable)', collect)
      .option('-P, --publish-all', 'publish every --expose port on an ephemeral host port')
      .option('--expose <port>', 'container port[/proto] to publish with -P (repeatable)', collect)
      .option('--ip <address>', 'IPv4 address')
      .option('--ip6 <address>', 'IPv6 address')
      .option('--mac-address <mac>', 'MAC address of eth0')
      .option('--alias <name>', 'network-scoped alias (repeatable)', collect)
      .addOption(new Option('--network-alias <name>', 'same as --alias (repeatable)').argParser(collect))
      .option('--link <name:alias>', 'legacy link on the default bridge (repeatable)', collect)
      .option('-d, --detach', 'leave the container running and print its ID')
      .passThroughOptions(),
  ).action(
    act(ctx, async (cmdName: string, args: string[], flags: RunFlags, cmd: Command) => {
      const g = globals(cmd);
      const options = runOptions(flags);
      const name = flags.name ?? generatedName();
      if (flags.publishAll && !flags.expose?.length) ctx.out.stderr('nsnet: warning: -P without --expose publishes nothing\n');
      const argv = [cmdName, ...args];
      const guard = new SignalGuard();
      try {
        const host = await Host.open({ stateDir: g.stateDir });
        try {
          const processes = new ProcessStore(g.stateDir);
          host.setFaults(guard.stepHook());
          const rec = await host.containers.create(name, options);
          host.setFaults(undefined);
          if (await guard.arrived()) {
            // The signal came after the setup's last step: undo it ourselves.
            await removeQuietly(host, rec.id);
            guard.check(`interrupted by ${guard.signal}: container ${name} removed again`);
          }
          if (rec.ignoredPorts?.length) ctx.out.stderr(`nsnet: warning: published ports are ignored in host network mode: ${rec.ignoredPorts.join(', ')}\n`);
          return flags.detach ? await detached(ctx, g, host, processes, guard, rec, argv) : await foreground(g, host, processes, guard, rec, argv);
        } finally {
          await host.close();
        }
      } finally {
        guard[Symbol.dispose]();
      }
    }),
  );
}
