/**
 * `nsnet ps`, `nsnet rm [-f]`, `nsnet exec`, `nsnet inspect`: containers as the runtime
 * records them, with the state of the command the CLI started in each (see processes.ts).
 */
import { Command } from 'commander';
import type { PortMapping } from '../firewall';
import { NoSuchObjectError } from '../runtime/errors';
import type { Host } from '../runtime/host';
import type { ContainerRecord } from '../runtime/records';
import { act, eachRef, globals, withCommonOptions, withHost, type CliContext } from './context';
import { CliConflictError, UsageError } from './exit-codes';
import { exitOf, forwarder, startCommand } from './launch';
import { printJson, renderTable, short } from './output';
import { isLive, isRunning, killProcess, processStatus, type ProcessRecord } from './processes';
import { SignalGuard } from './signals';

/** Docker's PORTS column: 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp. */
export function formatPorts(mappings: readonly PortMapping[]): string {
  return mappings
    .map((m) => {
      const ip = m.hostIp ?? (m.family === 6 ? '::' : '0.0.0.0');
      return `${ip.includes(':') ? `[${ip}]` : ip}:${m.hostPort}->${m.containerPort}/${m.proto}`;
    })
    .join(', ');
}

/** The command as `ps` shows it: quoted, cut to 20 characters with an ellipsis. */
export function formatCommand(argv: readonly string[] | undefined, full = false): string {
  if (!argv?.length) return '';
  // One line whatever the arguments hold (a script passed with -e has newlines).
  const text = argv.join(' ').replace(/\s+/g, ' ').trim();
  return `"${full || text.length <= 20 ? text : `${text.slice(0, 19)}…`}"`;
}

interface Row {
  rec: ContainerRecord;
  proc: ProcessRecord | undefined;
  networks: string[];
}

/** Docker's HostConfig.NetworkMode for a container. */
function networkMode(r: Row, all: readonly ContainerRecord[]): string {
  const { rec } = r;
  if (rec.mode === 'container') return `container:${all.find((c) => c.id === rec.sharesWith)?.name ?? rec.sharesWith}`;
  if (rec.mode === 'bridge') return 'bridge';
  if (rec.mode === 'network') return r.networks[0] ?? '';
  return rec.mode;
}

async function rows(host: Host, processes: { get(id: string): ProcessRecord | undefined }): Promise<Row[]> {
  const names = new Map((await host.networks.list()).map((n) => [n.id, n.name]));
  return (await host.containers.list()).map((rec) => ({
    rec,
    proc: processes.get(rec.id),
    networks: rec.endpoints.map((e) => names.get(e.networkId) ?? e.networkId),
  }));
}

function statusText(proc: ProcessRecord | undefined): string {
  const s = processStatus(proc);
  return s.pid !== undefined ? `${s.status} (pid ${s.pid})` : s.status;
}

export function registerContainers(program: Command, ctx: CliContext): void {
  const { out } = ctx;

  withCommonOptions(
    program
      .command('ps')
      .description('list containers (all of them, as `docker ps -a`)')
      .option('-a, --all', 'accepted for Docker compatibility: ps always lists all')
      .option('-q, --quiet', 'only IDs')
      .option('--no-trunc', 'full IDs and commands'),
  ).action(
    act(ctx, async (flags: { quiet?: boolean; trunc: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const list = await withHost(g, async (host, processes) => {
        const rs = await rows(host, processes);
        const all = rs.map((r) => r.rec);
        return rs.map((r) => ({ ...r, mode: networkMode(r, all) }));
      });
      if (g.format === 'json') {
        printJson(
          out,
          list.map(({ rec, proc, networks, mode }) => {
            const s = processStatus(proc);
            return {
              ID: rec.id,
              Name: rec.name,
              Command: proc?.command ?? [],
              Created: rec.created,
              NetworkMode: mode,
              Networks: networks,
              IPAddresses: rec.endpoints.flatMap((e) => [e.ipv4, e.ipv6]).filter((a): a is string => a !== undefined).map((a) => a.split('/')[0]!),
              Ports: rec.endpoints.flatMap((e) => e.published ?? []),
              Status: s.status,
              Pid: s.pid ?? 0,
            };
          }),
        );
        return;
      }
      const id = (rec: ContainerRecord): string => (flags.trunc ? short(rec.id) : rec.id);
      if (flags.quiet) {
        for (const r of list) out.stdout(`${id(r.rec)}\n`);
        return;
      }
      out.stdout(
        renderTable(
          ['CONTAINER ID', 'NAME', 'COMMAND', 'NETWORK', 'IP ADDRESS', 'PORTS', 'STATUS'],
          list.map(({ rec, proc, networks, mode }) => [
            id(rec),
            rec.name,
            formatCommand(proc?.command, !flags.trunc),
            networks.length ? networks.join(',') : mode,
            rec.endpoints.map((e) => e.ipv4?.split('/')[0] ?? e.ipv6?.split('/')[0] ?? '').filter(Boolean).join(','),
            formatPorts(rec.endpoints.flatMap((e) => e.published ?? [])),
            statusText(proc),
          ]),
        ),
      );
    }),
  );

  withCommonOptions(
    program
      .command('rm')
      .description('remove containers: their interfaces, addresses, published ports and namespace')
      .argument('<container...>', 'container names or IDs')
      .option('-f, --force', "kill the container's command first (SIGKILL to the PID nsnet recorded)"),
  ).action(
    act(ctx, async (refs: string[], flags: { force?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const guard = new SignalGuard();
      const removed: string[] = [];
      try {
        return await withHost(g, (host, processes) =>
          eachRef(ctx, refs, async (ref) => {
            const rec = await host.containers.get(ref);
            const proc = processes.get(rec.id);
            let killed = false;
            if (proc && isLive(proc)) {
              if (!flags.force) {
                const what = isRunning(proc.process) ? `its command runs as pid ${proc.process!.pid}` : 'its `nsnet run` is still setting it up';
                throw new CliConflictError(`container ${rec.name} is running (${what}): stop it first or use 'rm -f'`, ref);
              }
              if (proc.process) killed = await killProcess(proc.process, 'SIGKILL');
            }
            try {
              await host.containers.remove(rec.id, { force: flags.force === true });
            } catch (err) {
              // A foreground `run` whose command we killed may have torn it down first.
              if (!(killed && err instanceof NoSuchObjectError)) throw err;
            }
            processes.delete(rec.id);
            removed.push(ref);
            if (g.format === 'table') out.stdout(`${ref}\n`);
          }, guard),
        );
      } finally {
        guard[Symbol.dispose]();
        if (g.format === 'json') printJson(out, removed);
      }
    }),
  );

  withCommonOptions(
    program
      .command('exec')
      .description("run a command inside a container's network namespace")
      .usage('[options] <container> [--] <command> [args...]')
      .argument('<container>', 'container name or ID')
      .argument('<command>', 'the program to run')
      .argument('[args...]', 'its arguments')
      .passThroughOptions(),
  ).action(
    act(ctx, async (ref: string, cmdName: string, args: string[], _flags: unknown, cmd: Command) => {
      const g = globals(cmd);
      // Options pass through after <container>, so a `--` there reaches us as an operand.
      if (cmdName === '--') {
        if (!args.length) throw new UsageError("exec: missing command after '--'", 'command');
        [cmdName, ...args] = args as [string, ...string[]];
      }
      const rec = await withHost(g, (host) => host.containers.get(ref));
      const guard = new SignalGuard();
      try {
        const started = await startCommand(rec, g.stateDir, cmdName, args, { stdio: 'inherit' });
        try {
          guard.onSignal(forwarder(started.child));
          if (guard.signal) started.child.kill(guard.signal);
          return await exitOf(started.child);
        } finally {
          started.ns?.close();
        }
      } finally {
        guard[Symbol.dispose]();
      }
    }),
  );

  withCommonOptions(
    program
      .command('inspect')
      .description('show containers as `docker inspect` does, network part and process (JSON, whatever --format)')
      .argument('<container...>', 'container names or IDs'),
  ).action(
    act(ctx, async (refs: string[], _flags: unknown, cmd: Command) => {
      const g = globals(cmd);
      const found: unknown[] = [];
      const code = await withHost(g, async (host, processes) => {
        const all = await rows(host, processes);
        return eachRef(ctx, refs, async (ref) => {
          const rec = await host.containers.get(ref);
          const row = all.find((r) => r.rec.id === rec.id) ?? { rec, proc: processes.get(rec.id), networks: [] };
          const s = processStatus(row.proc);
          found.push({
            Id: rec.id,
            Name: rec.name,
            Created: rec.created,
            Path: row.proc?.command[0] ?? '',
            Args: row.proc?.command.slice(1) ?? [],
            State: { Status: s.status, Running: s.status === 'running', Pid: s.pid ?? 0 },
            LogPath: row.proc?.log ?? '',
            HostConfig: { NetworkMode: networkMode(row, all.map((r) => r.rec)), PortBindings: rec.ports, Links: rec.links.length ? rec.links : null },
            NetworkSettings: await host.containers.inspect(rec.id),
          });
        });
      });
      printJson(out, found);
      return code;
    }),
  );
}
