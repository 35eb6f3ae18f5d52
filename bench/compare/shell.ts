/**
 * The shell baseline in bench/compare: what a careful script does with iproute2 and nft,
 * generated before timing and run as one `sh` script:
 *   one `ip -batch` for the host side (every veth pair, the peer created inside its
 *   namespace as eth0, the host end on the bridge, up, in one link group);
 *   one `ip -n NS -batch` per container (lo and eth0 up, address, default route) —
 *   iproute2 has no way to address another namespace from inside a batch;
 *   one `nft -f` with a dnat map of every published port and the masquerade rule.
 * Teardown: `ip link delete group G` (one unregister batch) and one `nft delete table`.
 * The bridge is made before timing, as for nsnet and the floor. Only totals are known,
 * so there is no per-container growth figure.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { commandPath } from './peers';
import { CONTAINER_PORT, hostPort, NETWORK, netnsName, plannedAddress, type Timing, type Tool, type TrialContext } from './workload';

const GROUP = 4243;
const TABLE = 'cmpsh';

/** The nft script: one map of host port → address . port, dnat from local addresses, masquerade out. */
export function nftScript(n: number): string {
  const elements = Array.from({ length: n }, (_, i) => `${hostPort(i)} : ${plannedAddress(i)} . ${CONTAINER_PORT}`);
  return [
    `table ip ${TABLE} {`,
    '  map published {',
    '    type inet_service : ipv4_addr . inet_service',
    `    elements = { ${elements.join(', ')} }`,
    '  }',
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    '    fib daddr type local dnat ip to tcp dport map @published',
    '  }',
    '  chain output {',
    '    type nat hook output priority -100; policy accept;',
    '    fib daddr type local dnat ip to tcp dport map @published',
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    ip saddr ${NETWORK.subnet} ip daddr != ${NETWORK.subnet} masquerade`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export class ShellTool implements Tool {
  readonly name = 'shell';
  readonly description = 'one sh script: ip -batch (host side), ip -n NS -batch per container, one nft -f';
  readonly firewall = 'nft';
  private dir = '';

  missing(): string | undefined {
    for (const cmd of ['sh', 'ip', 'nft']) if (!commandPath(cmd)) return `${cmd} not found`;
    return undefined;
  }

  version(): string {
    const ip = execFileSync('ip', ['-V'], { encoding: 'utf8' }).trim();
    const nft = execFileSync('nft', ['--version'], { encoding: 'utf8' }).trim();
    return `${ip}; ${nft}`;
  }

  async prepare(ctx: TrialContext): Promise<void> {
    this.dir = path.join(ctx.dir, 'shell');
    fs.mkdirSync(this.dir);
    const f = (name: string): string => path.join(this.dir, name);
    const host = Array.from(
      { length: ctx.n },
      (_, i) => `link add cmps${i.toString(16).padStart(7, '0')} group ${GROUP} master ${NETWORK.bridge} up type veth peer name eth0 netns ${netnsName(i)}`,
    );
    fs.writeFileSync(f('host.batch'), `${host.join('\n')}\n`);
    const setup = ['set -e', 'echo 1 > /proc/sys/net/ipv4/ip_forward', `ip -batch ${f('host.batch')}`];
    for (let i = 0; i < ctx.n; i++) {
      const batch = ['link set lo up', 'link set eth0 up', `addr add ${plannedAddress(i)}/${NETWORK.prefixLength} dev eth0`, `route add default via ${NETWORK.gateway} dev eth0`];
      fs.writeFileSync(f(`ns${i}.batch`), `${batch.join('\n')}\n`);
      setup.push(`ip -n ${netnsName(i)} -batch ${f(`ns${i}.batch`)}`);
    }
    fs.writeFileSync(f('rules.nft'), nftScript(ctx.n));
    setup.push(`nft -f ${f('rules.nft')}`);
    fs.writeFileSync(f('setup.sh'), `${setup.join('\n')}\n`);
    fs.writeFileSync(f('teardown.sh'), ['set -e', `ip link delete group ${GROUP}`, `nft delete table ip ${TABLE}`, ''].join('\n'));
    // The bridge, untimed.
    execFileSync('ip', ['link', 'add', NETWORK.bridge, 'type', 'bridge']);
    execFileSync('ip', ['addr', 'add', `${NETWORK.gateway}/${NETWORK.prefixLength}`, 'dev', NETWORK.bridge]);
    execFileSync('ip', ['link', 'set', NETWORK.bridge, 'up']);
  }

  private script(name: string): Timing {
    const t0 = performance.now();
    execFileSync('sh', [path.join(this.dir, name)], { stdio: ['ignore', 'ignore', 'pipe'] });
    return { totalMs: performance.now() - t0 };
  }

  async setup(): Promise<Timing> {
    return this.script('setup.sh');
  }

  address(i: number): string {
    return plannedAddress(i);
  }

  async teardown(): Promise<Timing> {
    return this.script('teardown.sh');
  }

  async leftovers(): Promise<string[]> {
    return [];
  }

  async dispose(): Promise<void> {
    execFileSync('ip', ['link', 'delete', NETWORK.bridge]);
  }
}
