/**
 * `nsnet dns`: the embedded resolver of user-defined networks as a foreground daemon
 * (lib/dns/daemon.ts), for hosts where no process embeds the library. It answers on each
 * network's gateway, follows networks created and removed by other nsnet processes, and
 * stops on SIGINT/SIGTERM. Run it under a supervisor (systemd, runit) for a service.
 */
import { Command, Option } from 'commander';
import { runDnsDaemon } from '../dns';
import { act, globals, withCommonOptions, type CliContext } from './context';
import { ValidationError } from '../errors';

function port(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new ValidationError(`--port: '${text}' is not a port (1-65535)`, { field: 'port' });
  return n;
}

export function registerDns(program: Command, ctx: CliContext): void {
  withCommonOptions(
    program
      .command('dns')
      .description("run the resolver of user-defined networks on their gateways' port 53 until SIGINT/SIGTERM")
      .addOption(new Option('--resolv-conf <file>', "the host's resolv.conf, for upstream servers").default('/etc/resolv.conf'))
      .addOption(new Option('--port <port>', 'port to listen on').default('53')),
  ).action(
    act(ctx, async (flags: { resolvConf: string; port: string }, cmd: Command) => {
      const g = globals(cmd);
      const daemon = await runDnsDaemon({
        stateDir: g.stateDir,
        resolvConf: flags.resolvConf,
        port: port(flags.port),
        onError: (err) => ctx.out.stderr(`nsnet: dns: ${err.message}\n`),
      });
      ctx.out.stderr(`nsnet: dns: answering on the gateways of user-defined networks (port ${flags.port})\n`);
      await daemon.stopped;
    }),
  );
}
