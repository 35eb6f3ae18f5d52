/**
 * `nsnet network create|ls|inspect|rm|connect|disconnect|prune`: Docker's network
 * commands with Docker's flag names, over Host.networks and Host.containers.
 */
import { Command, Option } from 'commander';
import { ConflictError } from '../runtime/errors';
import type { Network, NetworkCreateOptions } from '../runtime/networks';
import { act, eachRef, globals, withCommonOptions, withHost, type CliContext } from './context';
import { printJson, renderTable, short } from './output';
import { byFamily, collect, keyValues } from './parse';
import { SignalGuard } from './signals';

interface CreateFlags {
  driver?: string;
  subnet?: string[];
  gateway?: string[];
  ipRange?: string[];
  auxAddress?: string[];
  ipv6?: boolean;
  internal?: boolean;
  opt?: string[];
  label?: string[];
}

/** `network create` flags as Host.networks.create options. */
export function createOptions(name: string, f: CreateFlags): NetworkCreateOptions {
  const subnet = byFamily(f.subnet, '--subnet');
  const gateway = byFamily(f.gateway, '--gateway');
  const ipRange = byFamily(f.ipRange, '--ip-range');
  const labels = keyValues(f.label, '--label', { allowBare: true });
  const options = keyValues(f.opt, '--opt');
  const aux = keyValues(f.auxAddress, '--aux-address');
  return {
    name,
    ...(f.driver !== undefined ? { driver: f.driver as 'bridge' } : {}),
    ...(subnet.v4 !== undefined ? { subnet: subnet.v4 } : {}),
    ...(gateway.v4 !== undefined ? { gateway: gateway.v4 } : {}),
    ...(ipRange.v4 !== undefined ? { ipRange: ipRange.v4 } : {}),
    ...(aux ? { auxAddresses: aux } : {}),
    ...(f.ipv6 ? { ipv6: true } : {}),
    ...(subnet.v6 !== undefined ? { subnet6: subnet.v6 } : {}),
    ...(gateway.v6 !== undefined ? { gateway6: gateway.v6 } : {}),
    ...(ipRange.v6 !== undefined ? { ipRange6: ipRange.v6 } : {}),
    ...(f.internal ? { internal: true } : {}),
    ...(labels ? { labels } : {}),
    ...(options ? { options } : {}),
  };
}

function subnets(n: Network): string {
  return n.subnets.map((s) => s.subnet).join(',');
}

export function registerNetwork(program: Command, ctx: CliContext): void {
  const network = program.command('network').description('manage networks');
  const { out } = ctx;

  withCommonOptions(
    network
      .command('create')
      .description('create a bridge network')
      .argument('<name>', 'network name')
      .addOption(new Option('-d, --driver <driver>', "network driver (only 'bridge')"))
      .option('--subnet <cidr>', 'subnet, one IPv4 and/or one IPv6 (repeatable)', collect)
      .option('--gateway <ip>', 'gateway of the subnet of its family (repeatable)', collect)
      .option('--ip-range <cidr>', 'allocate container addresses from this range (repeatable)', collect)
      .option('--aux-address <name=ip>', 'an IPv4 address the IPAM must not hand out (repeatable)', collect)
      .option('--ipv6', 'enable IPv6 (a ULA /64 unless --subnet gives one)')
      .option('--internal', 'no traffic leaves or enters the network from outside')
      .option('-o, --opt <key=value>', 'driver option, e.g. com.docker.network.bridge.enable_icc=false (repeatable)', collect)
      .option('--label <key=value>', 'label (repeatable)', collect),
  ).action(
    act(ctx, async (name: string, flags: CreateFlags, cmd: Command) => {
      const g = globals(cmd);
      const options = createOptions(name, flags);
      const guard = new SignalGuard();
      try {
        const net = await withHost(g, async (host) => {
          host.setFaults(guard.stepHook());
          const created = await host.networks.create(options);
          host.setFaults(undefined);
          if (await guard.arrived()) {
            // The signal came after the last step: undo the whole thing ourselves.
            await host.networks.remove(created.id);
            guard.check(`interrupted by ${guard.signal}: network ${name} removed again`);
          }
          return created;
        });
        if (g.format === 'json') printJson(out, { Id: net.id, Name: net.name });
        else out.stdout(`${net.id}\n`);
      } finally {
        guard[Symbol.dispose]();
      }
    }),
  );

  withCommonOptions(
    network
      .command('ls')
      .alias('list')
      .description('list networks')
      .option('-q, --quiet', 'only IDs')
      .option('--no-trunc', 'full IDs'),
  ).action(
    act(ctx, async (flags: { quiet?: boolean; trunc: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const nets = await withHost(g, (host) => host.networks.list());
      const id = (n: Network): string => (flags.trunc ? short(n.id) : n.id);
      if (g.format === 'json') {
        printJson(
          out,
          nets.map((n) => ({ ID: n.id, Name: n.name, Driver: n.driver, Scope: 'local', IPv6: n.enableIPv6, Internal: n.internal, Subnets: n.subnets.map((s) => s.subnet), Labels: n.labels, Created: n.created })),
        );
      } else if (flags.quiet) {
        for (const n of nets) out.stdout(`${id(n)}\n`);
      } else {
        out.stdout(renderTable(['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE', 'SUBNET'], nets.map((n) => [id(n), n.name, n.driver, 'local', subnets(n)])));
      }
    }),
  );

  withCommonOptions(
    network
      .command('inspect')
      .description("show networks as `docker network inspect` does (JSON, whatever --format)")
      .argument('<name...>', 'network names or IDs'),
  ).action(
    act(ctx, async (refs: string[], _flags: unknown, cmd: Command) => {
      const g = globals(cmd);
      const found: unknown[] = [];
      const code = await withHost(g, (host) => eachRef(ctx, refs, async (ref) => void found.push(await host.networks.inspect(ref))));
      printJson(out, found);
      return code;
    }),
  );

  withCommonOptions(
    network
      .command('rm')
      .alias('remove')
      .description('remove networks')
      .argument('<name...>', 'network names or IDs')
      .option('-f, --force', 'disconnect attached containers first'),
  ).action(
    act(ctx, async (refs: string[], flags: { force?: boolean }, cmd: Command) => {
      const g = globals(cmd);
      const guard = new SignalGuard();
      const removed: string[] = [];
      try {
        return await withHost(g, (host) =>
          eachRef(ctx, refs, async (ref) => {
            await host.networks.remove(ref, { force: flags.force === true });
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
    network
      .command('connect')
      .description('connect a container to a network (it gets the next ethN)')
      .argument('<network>', 'network name or ID')
      .argument('<container>', 'container name or ID')
      .option('--ip <address>', 'IPv4 address')
      .option('--ip6 <address>', 'IPv6 address')
      .option('--alias <name>', 'network-scoped alias (repeatable)', collect),
  ).action(
    act(ctx, async (net: string, container: string, flags: { ip?: string; ip6?: string; alias?: string[] }, cmd: Command) => {
      const g = globals(cmd);
      const guard = new SignalGuard();
      try {
        const ep = await withHost(g, async (host) => {
          host.setFaults(guard.stepHook());
          const made = await host.containers.connect(container, net, {
            ...(flags.ip !== undefined ? { ip: flags.ip } : {}),
            ...(flags.ip6 !== undefined ? { ip6: flags.ip6 } : {}),
            ...(flags.alias ? { aliases: flags.alias } : {}),
          });
          host.setFaults(undefined);
          if (await guard.arrived()) {
            await host.containers.disconnect(container, net);
            guard.check(`interrupted by ${guard.signal}: ${container} disconnected again`);
          }
          return made;
        });
        if (g.format === 'json') printJson(out, { EndpointID: ep.id, Interface: ep.ifname, IPv4Address: ep.ipv4 ?? '', IPv6Address: ep.ipv6 ?? '' });
      } finally {
        guard[Symbol.dispose]();
      }
    }),
  );

  withCommonOptions(
    network
      .command('disconnect')
      .description('disconnect a container from a network')
      .argument('<network>', 'network name or ID')
      .argument('<container>', 'container name or ID')
      .option('-f, --force', 'accepted for Docker compatibility'),
  ).action(
    act(ctx, async (net: string, container: string, _flags: unknown, cmd: Command) => {
      const g = globals(cmd);
      const guard = new SignalGuard();
      try {
        await withHost(g, (host) => host.containers.disconnect(container, net));
        guard.check();
      } finally {
        guard[Symbol.dispose]();
      }
    }),
  );

  withCommonOptions(
    network
      .command('prune')
      .description('remove every user-defined network that no container uses')
      .option('-f, --force', 'accepted for Docker compatibility (nsnet never prompts)'),
  ).action(
    act(ctx, async (_flags: unknown, cmd: Command) => {
      const g = globals(cmd);
      const guard = new SignalGuard();
      const deleted: string[] = [];
      try {
        await withHost(g, async (host) => {
          const used = new Set((await host.containers.list()).flatMap((c) => c.endpoints.map((e) => e.networkId)));
          for (const n of await host.networks.list()) {
            if (n.isDefault || used.has(n.id)) continue;
            if (guard.signal) break;
            try {
              await host.networks.remove(n.id);
              deleted.push(n.name);
            } catch (err) {
              // Someone attached a container since we looked: that network stays.
              if (!(err instanceof ConflictError)) throw err;
            }
          }
        });
      } finally {
        guard[Symbol.dispose]();
      }
      if (g.format === 'json') printJson(out, { NetworksDeleted: deleted });
      else if (deleted.length) out.stdout(`Deleted Networks:\n${deleted.map((n) => `${n}\n`).join('')}`);
      guard.check();
    }),
  );
}
