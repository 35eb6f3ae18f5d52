/**
 * Podman's netavark in bench/compare, driven the way Podman drives it: one
 * `netavark --config DIR setup NSPATH` per container with the network options JSON on
 * stdin, `… teardown NSPATH` with the same JSON to undo it. Podman does IPAM itself and
 * hands netavark static addresses, so the JSON (generated before timing) carries
 * 10.88.0.2 + i. Netavark 1.4 programs the firewall through the iptables binary (the
 * nf_tables-backed iptables here); its only state is the --config directory, a temporary
 * one. Netavark creates the bridge at the first setup and deletes it, with the network's
 * rules, at the last teardown; those costs fall on the first and last container.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CONTAINER_PORT, containerId, hostPort, NETWORK, netnsPath, plannedAddress, type Timing, type Tool, type TrialContext } from './workload';
import { commandPath, PEER_ENV } from './peers';

const CANDIDATES = ['/usr/lib/podman/netavark', '/usr/libexec/podman/netavark'];

export function netavarkBinary(): string | undefined {
  const env = process.env.NSNET_BENCH_NETAVARK;
  if (env) return fs.existsSync(env) ? env : undefined;
  return CANDIDATES.find((p) => fs.existsSync(p));
}

/** Podman's network options for container i on the one network (netavark 1.4's format). */
export function networkOptions(i: number): object {
  return {
    container_id: containerId(i),
    container_name: `c${i}`,
    port_mappings: [{ host_ip: '', container_port: CONTAINER_PORT, host_port: hostPort(i), range: 1, protocol: 'tcp' }],
    networks: { [NETWORK.name]: { interface_name: 'eth0', static_ips: [plannedAddress(i)] } },
    network_info: {
      [NETWORK.name]: {
        name: NETWORK.name,
        id: 'cafe'.padEnd(64, '0'),
        driver: 'bridge',
        network_interface: NETWORK.bridge,
        subnets: [{ subnet: NETWORK.subnet, gateway: NETWORK.gateway }],
        ipv6_enabled: false,
        internal: false,
        dns_enabled: false,
        ipam_options: { driver: 'host-local' },
      },
    },
  };
}

export class NetavarkTool implements Tool {
  readonly name = 'netavark';
  readonly description = 'one `netavark --config DIR setup|teardown NSPATH` per container, network options JSON on stdin (iptables driver)';
  readonly firewall = 'iptables';
  private binary = '';
  private configDir = '';
  private inputs: string[] = [];

  missing(): string | undefined {
    const bin = netavarkBinary();
    if (!bin) return `netavark not found (${CANDIDATES.join(' or ')}; Debian package netavark)`;
    if (!commandPath('iptables')) return 'iptables not found (netavark 1.4 needs it; Debian package iptables)';
    this.binary = bin;
    return undefined;
  }

  version(): string {
    return execFileSync(netavarkBinary()!, ['--version'], { encoding: 'utf8' }).trim();
  }

  async prepare(ctx: TrialContext): Promise<void> {
    this.configDir = path.join(ctx.dir, 'netavark');
    fs.mkdirSync(this.configDir);
    this.inputs = Array.from({ length: ctx.n }, (_, i) => JSON.stringify(networkOptions(i)));
  }

  private invoke(verb: 'setup' | 'teardown', i: number): void {
    const r = spawnSync(this.binary, ['--config', this.configDir, verb, netnsPath(i)], { input: this.inputs[i], env: PEER_ENV, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`netavark ${verb} #${i} exited with ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim()}`);
  }

  private each(verb: 'setup' | 'teardown', n: number): Timing {
    const eachMs: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const c0 = performance.now();
      this.invoke(verb, i);
      eachMs.push(performance.now() - c0);
    }
    return { totalMs: performance.now() - t0, eachMs };
  }

  async setup(ctx: TrialContext): Promise<Timing> {
    return this.each('setup', ctx.n);
  }

  address(i: number): string {
    return plannedAddress(i);
  }

  async teardown(ctx: TrialContext): Promise<Timing> {
    return this.each('teardown', ctx.n);
  }

  async leftovers(): Promise<string[]> {
    const files = fs.readdirSync(this.configDir, { recursive: true });
    return files.length ? [`netavark config dir holds ${files.length} file(s): ${files.slice(0, 3).join(', ')}`] : [];
  }

  async dispose(): Promise<void> {}
}
