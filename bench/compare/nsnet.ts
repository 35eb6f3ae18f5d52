/**
 * nsnet in bench/compare: one process for all N containers, as a runtime embeds it.
 * Untimed: Host.open on the trial's host namespace with a private state directory, the
 * network, and a warm-up: containers created and removed through the timed path (a
 * pre-made namespace, a published port) until V8 has optimised it, as in a long-running
 * runtime. Timed: containers.create per container with the pre-made namespace and one
 * published port; then containers.removeMany for all.
 */
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Host, Ipam, Netns } from '../../lib';
import { settle } from '../support/floor';
import { describeWarmUp, warmUntilSteady } from '../support/warm-up';
import { CONTAINER_PORT, hostPort, NETWORK, netnsPath, type Timing, type Tool, type TrialContext } from './workload';

/**
 * The warm-up runs rounds of WARMUP_ROUND containers through the timed path until V8 has
 * stopped compiling it (see bench/support/warm-up.ts: after 300 containers it was still
 * compiling a function every ten containers, 5–35 ms of CPU each, on the two CPUs the
 * timed loop runs on). It must take the timed path: optimised code trained on namespaces
 * nsnet makes deoptimises on the first supplied one. Containers are removed between rounds
 * (a bridge takes at most 1,024 ports).
 */
const WARMUP_ROUND = 100;
/** At most this long waiting for the machine to be quiet after the warm-up. */
const WARMUP_SETTLE_MS = 5000;

export class NsnetTool implements Tool {
  readonly name = 'nsnet';
  readonly description = 'one process: Host.open, containers.create(…, { netns, ports }) per container, containers.removeMany';
  readonly firewall = 'nft';
  private host: Host | undefined;
  private stateDir = '';
  private networkId = '';
  private readonly addresses: string[] = [];
  private names: string[] = [];

  missing(): string | undefined {
    return undefined;
  }

  version(): string {
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
    return `nsnet ${pkg.version}`;
  }

  async prepare(ctx: TrialContext): Promise<void> {
    this.stateDir = path.join(ctx.dir, 'nsnet');
    fs.mkdirSync(this.stateDir);
    this.host = await Host.open({ stateDir: this.stateDir });
    const net = await this.host.networks.create({ name: NETWORK.name, subnet: NETWORK.subnet, gateway: NETWORK.gateway, bridgeName: NETWORK.bridge });
    this.networkId = net.id;
    // Warm-up in namespaces of its own, on ports outside the measured range.
    const spares: Netns[] = [];
    try {
      for (let i = 0; i < WARMUP_ROUND; i++) spares.push(await Netns.create(`cmpwarm${i}`));
      const report = await warmUntilSteady(async (round) => {
        const warm: string[] = [];
        for (let i = 0; i < WARMUP_ROUND; i++) {
          const ports = [`${30000 + i}:${CONTAINER_PORT}`];
          warm.push((await this.host!.containers.create(`warm${round * WARMUP_ROUND + i}`, { network: NETWORK.name, netns: spares[i]!.file!, ports })).id);
        }
        await this.host!.containers.removeMany(warm);
      });
      console.error(describeWarmUp('nsnet', report, WARMUP_ROUND, 'containers'));
    } finally {
      for (const ns of spares) await ns.delete().catch(() => undefined);
    }
    // The kernel cleans the warm-up's namespaces and veths up on a workqueue for a while:
    // the timed containers must not pay for that (the first tenth did, twice the last's cost).
    await settle(WARMUP_SETTLE_MS);
  }

  async setup(ctx: TrialContext): Promise<Timing> {
    const host = this.host!;
    const eachMs: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < ctx.n; i++) {
      const c0 = performance.now();
      const c = await host.containers.create(`c${i}`, { network: NETWORK.name, netns: netnsPath(i), ports: [`${hostPort(i)}:${CONTAINER_PORT}`] });
      eachMs.push(performance.now() - c0);
      this.names.push(c.id);
      this.addresses.push(c.endpoints[0]?.ipv4?.split('/')[0] ?? '?');
    }
    return { totalMs: performance.now() - t0, eachMs };
  }

  address(i: number): string {
    return this.addresses[i]!;
  }

  async teardown(): Promise<Timing> {
    const t0 = performance.now();
    await this.host!.containers.removeMany(this.names);
    return { totalMs: performance.now() - t0 };
  }

  async leftovers(): Promise<string[]> {
    const left: string[] = [];
    const records = await this.host!.containers.list();
    if (records.length) left.push(`${records.length} container record(s) in the state directory`);
    // A fresh reader of the lease files, not the Host's cache.
    const leases = (await Ipam.file(this.stateDir).leases(this.networkId)).filter((l) => l.owner.containerId !== undefined);
    if (leases.length) left.push(`${leases.length} lease(s) in the state directory: ${leases.slice(0, 3).map((l) => l.address).join(', ')}`);
    return left;
  }

  async dispose(): Promise<void> {
    if (!this.host) return;
    await this.host.networks.remove(NETWORK.name).catch(() => undefined);
    await this.host.close();
    this.host = undefined;
  }
}
