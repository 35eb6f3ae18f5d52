/**
 * bench/dns: the embedded resolver under load. N real containers on one user-defined
 * network; a load generator (bench/support/dns-load) runs as a process of one of them and
 * keeps 32 UDP queries in flight for 3 s: container names (random among the N), then
 * forwarded names (answered by a fake upstream in an "outside" namespace). If aardvark-dns
 * (podman's resolver, the Debian package) is installed, it gets the same names in a config
 * of the same network, listening on the gateway at another port, and the same load.
 *
 * Usage (inside the sandbox): node dist/bench/dns.js [N] [--quick]   (default N = 1000)
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Host, Netns } from '../lib';
import { killProcess, processRef } from '../lib/cli/processes';
import { requireSandbox } from './support/floor';

interface Load {
  qps: number;
  p50: number;
  p99: number;
  answered: number;
  errors: number;
}

const AARDVARK = ['/usr/lib/podman/aardvark-dns', '/usr/libexec/podman/aardvark-dns'].find((p) => fs.existsSync(p));

async function load(host: Host, from: string, server: string, port: number, names: string[], ms: number): Promise<Load> {
  const script = path.join(__dirname, 'support', 'dns-load.js');
  const child = host.containers.exec(from, process.execPath, [script, server, String(port), String(ms), '32', ...names], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await once(child, 'exit');
  return JSON.parse(out) as Load;
}

/**
 * Stops the aardvark-dns daemon of `dir`: `aardvark-dns run` forks and its first process
 * exits, so the server is the PID it wrote to aardvark.pid, not the child we spawned.
 */
async function stopAardvark(dir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(dir, 'aardvark.pid'), 'utf8').trim());
  } catch {
    return; // never started
  }
  const daemon = Number.isInteger(pid) && pid > 1 ? processRef(pid) : undefined;
  // As before: a daemon that outlives 5 s is left, not an error of the benchmark.
  if (daemon) await killProcess(daemon, 'SIGTERM', 5000).catch(() => false);
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

function fmt(x: number, digits = 2): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '–';
}

export async function benchDns(n: number, ms: number): Promise<string> {
  const hostNs = await Netns.create(`nsbench-dnsh-${process.pid}`);
  const outside = await Netns.create(`nsbench-dnso-${process.pid}`);
  const stateDir = fs.mkdtempSync(path.join(process.env.NSNET_STATE_DIR ?? os.tmpdir(), 'bench-dns-'));
  const resolvConf = path.join(stateDir, 'host-resolv.conf');
  fs.writeFileSync(resolvConf, 'nameserver 192.0.2.2\n');
  const host = await Host.open({ netns: hostNs.file!, stateDir, resolvConf, hostsFile: '/dev/null' });
  let upstream: ChildProcess | undefined;
  let aardvark: ChildProcess | undefined;
  const aardDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-aardvark-'));
  try {
    const h = await hostNs.handle();
    await h.linkSet(1, { up: true });
    await h.linkAdd({ kind: 'veth', name: 'up0', up: true, peer: { name: 'eth0', netns: outside } });
    await h.addrAdd('up0', '192.0.2.1/24', { noDad: true });
    const o = await outside.handle();
    await o.linkSet(1, { up: true });
    await o.addrAdd('eth0', '192.0.2.2/24', { noDad: true });
    await o.linkSet('eth0', { up: true });
    upstream = outside.exec(process.execPath, [path.join(__dirname, '..', 'test', 'support', 'fake-dns.js'), '192.0.2.2', 'answer'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(upstream.stdout!, 'data');

    const resolver = await host.startDns();
    await host.networks.create({ name: 'bench' });
    const names: string[] = [];
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      const c = await host.containers.create(`c${i}`, { network: 'bench' });
      names.push(c.name);
      lines.push(`${c.id} ${c.endpoints[0]!.ipv4!.split('/')[0]}  ${c.name}`);
    }
    const gateway = (await host.containers.get('c0')).endpoints[0]!.gateway!;
    const forwarded = Array.from({ length: 100 }, (_, i) => `n${i}.example.test`);

    const rows: string[] = [];
    const local = await load(host, 'c0', gateway, 53, names, ms);
    const fwd = await load(host, 'c0', gateway, 53, forwarded, ms);
    let aLocal: Load | undefined;
    let aFwd: Load | undefined;
    let note = '';
    if (AARDVARK) {
      // aardvark's config: first line the listening IPs (and upstreams), then one line per container.
      fs.writeFileSync(path.join(aardDir, 'bench'), `${gateway} 192.0.2.2\n${lines.join('\n')}\n`);
      aardvark = hostNs.exec(AARDVARK, ['--config', aardDir, '-p', '5353', 'run'], { stdio: ['ignore', 'ignore', 'ignore'] });
      await new Promise((r) => setTimeout(r, 500));
      const probe = await load(host, 'c0', gateway, 5353, [names[0]!], 300);
      if (probe.answered > 0) {
        aLocal = await load(host, 'c0', gateway, 5353, names, ms);
        aFwd = await load(host, 'c0', gateway, 5353, forwarded, ms);
      } else {
        note = '\n\naardvark-dns did not answer (config not accepted?): no comparison.';
      }
    } else {
      note = '\n\naardvark-dns is not installed: no comparison.';
    }
    const row = (what: string, ours: Load, theirs: Load | undefined): string =>
      `| ${what} | ${fmt(ours.qps, 0)} | ${fmt(ours.p50, 3)} | ${fmt(ours.p99, 3)} | ${theirs ? fmt(theirs.qps, 0) : '–'} | ${theirs ? fmt(theirs.p50, 3) : '–'} | ${theirs ? fmt(theirs.p99, 3) : '–'} | ${theirs ? fmt(ours.qps / theirs.qps) : '–'} |`;
    rows.push(row(`container names (${n} on the network)`, local, aLocal));
    rows.push(row('forwarded names', fwd, aFwd));
    const errs = local.errors + fwd.errors;
    return [
      '| queries | nsnet qps | p50 ms | p99 ms | aardvark-dns qps | p50 ms | p99 ms | qps ratio nsnet/aardvark |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...rows,
    ].join('\n') + `\n\n32 UDP queries in flight for ${ms} ms from one container; nsnet errors (no answer / unanswered after 1 s): ${errs}; resolver stats: ${JSON.stringify(resolver.stats)}.${note}`;
  } finally {
    await stop(aardvark);
    await stopAardvark(aardDir);
    await stop(upstream);
    const all = await host.containers.list();
    await host.containers.removeMany(all.map((c) => c.id)).catch(() => undefined);
    await host.networks.remove('bench').catch(() => undefined);
    await host.close();
    await outside.delete();
    await hostNs.delete();
    fs.rmSync(stateDir, { recursive: true, force: true });
    fs.rmSync(aardDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  requireSandbox();
  const quick = process.argv.includes('--quick');
  const n = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? (quick ? 100 : 1000));
  console.log(`### dns: embedded resolver\n\n${await benchDns(n, quick ? 1000 : 3000)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
