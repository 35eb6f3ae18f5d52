/**
 * `nsnet gc`: Host.reconcile, with the CLI's view of which containers are live. A
 * container the CLI started is live while its command (or the foreground `run`
 * supervising it) runs; one the CLI did not start (made by a runtime through the
 * library) counts as live. Everything else reconcile repairs too: vanished namespaces,
 * orphaned veths and leases, a flushed or altered ruleset. Records of processes whose
 * container is gone are forgotten.
 */
import { Command } from 'commander';
import { act, globals, withCommonOptions, withHost, type CliContext } from './context';
import { printJson } from './output';
import { isLive } from './processes';
import { SignalGuard } from './signals';

export function registerGc(program: Command, ctx: CliContext): void {
  withCommonOptions(
    program
      .command('gc')
      .description('repair drift between the records and the kernel, and tear down containers whose command has exited'),
  ).action(
    act(ctx, async (_flags: unknown, cmd: Command) => {
      const g = globals(cmd);
      const guard = new SignalGuard();
      try {
        const { report, forgotten } = await withHost(g, async (host, processes) => {
          // Asked of each record under the host lock: a container that a concurrent `run`
          // is creating has no process record yet, and counts as live.
          const report = await host.reconcile((c) => {
            const p = processes.get(c.id);
            return p === undefined || isLive(p);
          });
          const remaining = new Set((await host.containers.list()).map((c) => c.id));
          const forgotten: string[] = [];
          for (const p of processes.list()) {
            if (remaining.has(p.id)) continue;
            processes.delete(p.id);
            forgotten.push(p.name);
          }
          return { report, forgotten };
        });
        if (g.format === 'json') {
          printJson(ctx.out, { ...report, forgottenProcesses: forgotten });
        } else {
          const lines = [
            ...report.removedContainers.map((n) => `removed container ${n}`),
            ...report.deletedLinks.map((l) => `deleted link ${l}`),
            ...report.freedLeases.map((l) => `freed lease ${l}`),
            ...(report.firewallReinstalled ? ['re-installed the firewall ruleset'] : []),
          ];
          ctx.out.stdout(lines.length ? `${lines.join('\n')}\n` : 'nothing to repair\n');
        }
        guard.check();
      } finally {
        guard[Symbol.dispose]();
      }
    }),
  );
}
