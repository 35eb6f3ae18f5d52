/**
 * bench/ipam: the file store's allocation rate from 1 and from 8 processes, the cost of
 * the 1st and the 60,000th allocation in one /16 network, and the memory a 65,000-lease
 * network takes. Prints a markdown table.
 *
 * Usage: node dist/bench/ipam.js [--quick]
 * The state lives under $NSNET_STATE_DIR or the system temp dir; the table says which
 * file system that is, because every allocation ends in an fdatasync and that is most of
 * its cost on a real disk (tmpfs makes it free).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import readline from 'node:readline';
import v8 from 'node:v8';
import vm from 'node:vm';
import { FileStore } from '../lib/ipam/file-store';
import { Ipam } from '../lib/ipam/ipam';

const FS_TYPES: Record<number, string> = { 0x01021994: 'tmpfs', 0xef53: 'ext4', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x794c7630: 'overlayfs' };

v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;

/** Our environment minus NODE_EXTRA_CA_CERTS: workers do no TLS, and Node parses that bundle at every start. */
function workerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

const now = (): number => performance.timeOrigin + performance.now();
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const us = (ms: number): string => `${(ms * 1000).toFixed(0)} µs`;

async function allocateMany(ipam: Ipam, network: string, prefix: string, count: number, times?: number[]): Promise<void> {
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await ipam.allocate(network, { endpointId: `${prefix}-${i}`, containerId: `c-${prefix}-${i}` });
    times?.push(performance.now() - t0);
  }
}

/** Child mode: allocate `count` after a "go" line, print the wall-clock span. */
async function worker(config: { root: string; network: string; prefix: string; count: number }): Promise<void> {
  const ipam = new Ipam(new FileStore(config.root));
  // Warm up the JIT in a network of its own, and open and cache the measured one before
  // the start line, as a long-lived runtime would have.
  await allocateMany(ipam, `warm-${config.prefix}`, 'w', 300);
  await ipam.leases(config.network);
  process.stdout.write('ready\n');
  await new Promise((resolve) => readline.createInterface({ input: process.stdin }).once('line', resolve));
  const start = now();
  await allocateMany(ipam, config.network, config.prefix, config.count);
  process.stdout.write(`${JSON.stringify({ start, end: now() })}\n`);
}

async function fromProcesses(root: string, network: string, processes: number, each: number): Promise<number> {
  const setup = new Ipam(new FileStore(root));
  for (let i = 0; i < processes; i++) await setup.createNetwork({ id: `warm-p${i}`, subnets: [{ subnet: `10.${100 + i}.0.0/23` }] });
  const children = Array.from({ length: processes }, (_, i) =>
    spawn(process.execPath, [__filename, '--worker', JSON.stringify({ root, network, prefix: `p${i}`, count: each })], { stdio: ['pipe', 'pipe', 'inherit'], env: workerEnv() }),
  );
  const lines = children.map((c) => readline.createInterface({ input: c.stdout! })[Symbol.asyncIterator]());
  for (const l of lines) await l.next(); // ready
  for (const c of children) c.stdin!.write('go\n');
  const spans = await Promise.all(lines.map(async (l) => JSON.parse((await l.next()).value as string) as { start: number; end: number }));
  await Promise.all(children.map((c) => new Promise((r) => (c.exitCode === null ? c.once('exit', r) : r(null)))));
  const wall = Math.max(...spans.map((s) => s.end)) - Math.min(...spans.map((s) => s.start));
  return (processes * each) / (wall / 1000);
}

export async function benchIpam(quick = false): Promise<string> {
  const base = fs.mkdtempSync(path.join(process.env.NSNET_STATE_DIR ?? os.tmpdir(), 'ipam-bench-'));
  const fsType = FS_TYPES[fs.statfsSync(base).type] ?? `0x${fs.statfsSync(base).type.toString(16)}`;
  const rows: Array<[string, string]> = [];
  try {
    // 1 process.
    const single = quick ? 1000 : 3000;
    const ipam = new Ipam(new FileStore(path.join(base, 'a')));
    await ipam.createNetwork({ id: 'one', subnets: [{ subnet: '10.1.0.0/16' }] });
    await allocateMany(ipam, 'one', 'warm', 4000); // JIT warm-up: the rate climbs for the first few thousand
    const t0 = now();
    await allocateMany(ipam, 'one', 'x', single);
    rows.push(['allocations/s, 1 process', ((single / (now() - t0)) * 1000).toFixed(0)]);

    // 8 processes, one network.
    await ipam.createNetwork({ id: 'eight', subnets: [{ subnet: '10.2.0.0/16' }] });
    rows.push(['allocations/s, 8 processes (one network)', (await fromProcesses(path.join(base, 'a'), 'eight', 8, quick ? 200 : 500)).toFixed(0)]);

    // 1st vs 60,000th allocation. The two are measured in alternation — allocation i in a
    // new network, then allocation 59,000 + i in the big one — so that both windows see the
    // same machine (JIT state, load from other processes) and only the lease count differs.
    const total = 65_000;
    const window = 1000;
    const big = new Ipam(new FileStore(path.join(base, 'b')));
    await big.createNetwork({ id: 'big', subnets: [{ subnet: '10.3.0.0/16' }] });
    await big.createNetwork({ id: 'small', subnets: [{ subnet: '10.4.0.0/16' }] });
    const fill: number[] = [];
    const tFill = now();
    await allocateMany(big, 'big', 'e', 60_000 - window, fill);
    const fillWall = now() - tFill;
    const first: number[] = [];
    const at60k: number[] = [];
    for (let i = 0; i < window; i++) {
      await allocateMany(big, 'small', `s${i}`, 1, first);
      await allocateMany(big, 'big', `f${i}`, 1, at60k);
    }
    await allocateMany(big, 'big', 'g', total - 60_000);
    rows.push(['1st allocation in a network (single sample)', us(first[0]!)]);
    rows.push(['60,000th allocation in a network (single sample)', us(at60k[window - 1]!)]);
    rows.push([`allocations 1–${window}: median / mean`, `${us(median(first))} / ${us(mean(first))}`]);
    rows.push([`allocations ${(60_000 - window + 1).toLocaleString('en')}–60,000: median / mean`, `${us(median(at60k))} / ${us(mean(at60k))}`]);
    rows.push(['ratio 60,000th / 1st (window medians; target ≤ 1.2)', (median(at60k) / median(first)).toFixed(2)]);
    rows.push(['ratio 60,000th / 1st (window means)', (mean(at60k) / mean(first)).toFixed(2)]);
    rows.push([`mean of allocations 1–${fill.length.toLocaleString('en')} incl. compactions / slowest single (a compaction)`, `${us(fillWall / fill.length)} / ${us(Math.max(...fill))}`]);

    // Memory: a fresh process's view of the 65,000-lease network (its cached LeaseState).
    collect();
    const before = process.memoryUsage();
    const fresh = new FileStore(path.join(base, 'b'));
    const tLoad = now();
    const size = await fresh.readLeases('big', (v) => v.size);
    const loadMs = now() - tLoad;
    collect();
    const after = process.memoryUsage();
    const heap = after.heapUsed - before.heapUsed;
    rows.push([`memory of a ${size.toLocaleString('en')}-lease network (heapUsed Δ)`, `${(heap / 2 ** 20).toFixed(1)} MiB (${(heap / size).toFixed(0)} B/lease); rss Δ ${((after.rss - before.rss) / 2 ** 20).toFixed(1)} MiB`]);
    const dir = path.join(base, 'b', 'networks', 'big');
    const onDisk = fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    rows.push([`on disk / cold load by a fresh process`, `${(onDisk / 2 ** 20).toFixed(1)} MiB / ${loadMs.toFixed(0)} ms`]);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
  const header = `IPAM file store on ${fsType} (${os.cpus().length} CPUs, node ${process.version})\n\n| measure | value |\n| --- | --- |\n`;
  return header + rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n');
}

if (require.main === module) {
  const i = process.argv.indexOf('--worker');
  const run = i >= 0 ? worker(JSON.parse(process.argv[i + 1]!)) : benchIpam(process.argv.includes('--quick')).then((t) => console.log(t));
  // Exit explicitly: a worker's stdin stays open, and stdout (a pipe or tty) is already flushed.
  run.then(() => process.exit(0)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
