/**
 * bench/runtime: N containers on one bridge network, each with one published TCP port
 * (host 20000+i → 80): setup per container and its growth from the first 10% to the
 * last 10%, teardown one by one (`remove`), teardown all at once (`removeMany`: its host-side
 * veths are gone when it resolves), and the process's RSS growth per 1,000 containers;
 * each figure the median of three repetitions (nine at N = 1). Beside each repetition, the kernel floor for
 * the same links: bench/floor/compare.c with `make-netns`, which also makes each container's
 * namespace in its timed loop, as nsnet does here (no firewall, lease or record).
 * The host is a private namespace; the state directory a temporary one.
 *
 * Usage (inside the sandbox): node dist/bench/runtime.js [N...]   (default 1 50 200 500)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Host, Netns } from '../lib';
import { execJson } from './support/child';
import { buildFloor, median, requireSandbox, settle, SINGLE_CONTAINER_REPS } from './support/floor';
import { describeWarmUp, warmUntilSteady } from './support/warm-up';

interface Row {
  n: number;
  setupMs: number;
  firstTenthMs: number;
  lastTenthMs: number;
  removeMs: number;
  removeManyMs: number;
  rssPer1000MB: number;
  floorMs: number;
}

/** The floor's container namespaces: /run/netns/rtfloor<i>. */
const FLOOR_NETNS_PREFIX = 'rtfloor';

/**
 * The C floor's setup per container at N, in a fresh namespace playing the host; its
 * container namespaces are deleted afterwards, untimed (also those of a floor that failed
 * half way: deleting a name that is not there is a no-op).
 */
export async function floorSetupMs(binary: string, n: number): Promise<number> {
  const hostNs = await Netns.create(`nsbench-floor-${process.pid}`);
  try {
    const r = await execJson<{ setupMs: number }>(hostNs, `floor N=${n}`, binary, [
      'setup', FLOOR_NETNS_PREFIX, 'cmpbr0', '10.88.0.1/16', '10.88.0.2', String(n), 'make-netns',
    ]);
    return r.setupMs / n;
  } finally {
    await hostNs.delete();
    for (let i = 0; i < n; i++) await Netns.deleteByName(`${FLOOR_NETNS_PREFIX}${i}`);
  }
}

async function world<T>(fn: (host: Host) => Promise<T>): Promise<T> {
  const hostNs = await Netns.create(`nsbench-host-${process.pid}`);
  const stateDir = fs.mkdtempSync(path.join(process.env.NSNET_STATE_DIR ?? os.tmpdir(), 'bench-rt-'));
  const host = await Host.open({ netns: hostNs.file!, stateDir });
  try {
    await (await hostNs.handle()).linkSet(1, { up: true });
    await host.networks.create({ name: 'bench' });
    return await fn(host);
  } finally {
    for (const c of await host.containers.list()) await host.containers.remove(c.id).catch(() => undefined);
    await host.networks.remove('bench').catch(() => undefined);
    await host.close();
    await hostNs.delete();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

async function setup(host: Host, n: number): Promise<{ names: string[]; each: number[] }> {
  const names: string[] = [];
  const each: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const c = await host.containers.create(`c${i}`, { network: 'bench', ports: [`${20000 + i}:80`] });
    each.push(performance.now() - t0);
    names.push(c.name);
  }
  return { names, each };
}

/**
 * Before anything is timed: rounds of 100 containers made and removed until V8 has
 * stopped compiling the create path, as in a long-running runtime (bench/support/warm-up.ts).
 */
async function warmUp(host: Host): Promise<void> {
  const report = await warmUntilSteady(async () => {
    const { names } = await setup(host, 100);
    await host.containers.removeMany(names);
  });
  console.error(describeWarmUp('runtime', report, 100, 'containers'));
}

/** Repetitions per size. */
const repsAt = (n: number): number => (n === 1 ? SINGLE_CONTAINER_REPS : 3);

export async function runtimeRow(host: Host, n: number, floor: string): Promise<Row> {
  // Setup, then one-by-one removal.
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const first = await setup(host, n);
  const rss1 = process.memoryUsage().rss;
  const t0 = performance.now();
  for (const name of first.names) await host.containers.remove(name);
  const removeMs = (performance.now() - t0) / n;
  const tenth = Math.max(1, Math.floor(n / 10));
  await settle();
  // Setup again, then everything at once.
  const again = await setup(host, n);
  const t1 = performance.now();
  await host.containers.removeMany(again.names);
  const removeManyMs = (performance.now() - t1) / n;
  await settle();
  const floorMs = await floorSetupMs(floor, n);
  await settle();
  return {
    n,
    setupMs: first.each.reduce((a, b) => a + b, 0) / n,
    firstTenthMs: median(first.each.slice(0, tenth)),
    lastTenthMs: median(first.each.slice(-tenth)),
    removeMs,
    removeManyMs,
    rssPer1000MB: ((rss1 - rss0) / n) * 1000 / 2 ** 20,
    floorMs,
  };
}

/**
 * One host for every size, as a runtime keeps one: V8's optimised code for the create
 * path is specialised to the Host's objects, so a fresh Host would start the warm-up over.
 */
export async function benchRuntime(sizes: readonly number[]): Promise<string> {
  const rows = [
    '| N | setup ms/container | first 10% | last 10% | C floor setup ms | setup ÷ floor | remove one by one ms/container | removeMany ms/container | RSS MB per 1,000 containers |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const floor = buildFloor('compare');
  await world(async (host) => {
    await warmUp(host);
    await settle();
    for (const n of sizes) {
      // Medians of the rows, each figure on its own: one run moves by ±30% on a small VM.
      const runs: Row[] = [];
      for (let rep = 0; rep < repsAt(n); rep++) runs.push(await runtimeRow(host, n, floor));
      const mid = (pick: (row: Row) => number): number => median(runs.map(pick));
      const r: Row = {
        n,
        setupMs: mid((x) => x.setupMs),
        firstTenthMs: mid((x) => x.firstTenthMs),
        lastTenthMs: mid((x) => x.lastTenthMs),
        removeMs: mid((x) => x.removeMs),
        removeManyMs: mid((x) => x.removeManyMs),
        rssPer1000MB: mid((x) => x.rssPer1000MB),
        floorMs: mid((x) => x.floorMs),
      };
      // The ratio of the medians, as bench/compare reports it.
      rows.push(
        `| ${n} | ${r.setupMs.toFixed(2)} | ${r.firstTenthMs.toFixed(2)} | ${r.lastTenthMs.toFixed(2)} | ${r.floorMs.toFixed(2)} | ${(r.setupMs / r.floorMs).toFixed(2)} | ${r.removeMs.toFixed(2)} | ${r.removeManyMs.toFixed(2)} | ${n >= 50 ? r.rssPer1000MB.toFixed(1) : '–'} |`,
      );
      console.error(`runtime N=${n}: done (${repsAt(n)} repetitions)`);
    }
  });
  return rows.join('\n');
}

if (require.main === module) {
  requireSandbox();
  const args = process.argv.slice(2).map(Number).filter((x) => x > 0);
  benchRuntime(args.length ? args : [1, 50, 200, 500]).then(
    (table) => console.log(`\n### runtime: containers with one published port on one bridge network\n\n${table}\n`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
