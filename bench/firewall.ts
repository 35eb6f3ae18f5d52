/**
 * bench/firewall: the cost of publishing (and unpublishing) one port for endpoint number 1
 * and for endpoint number N (1,000 by default) on one network — nsnet's Firewall (one
 * nf_tables batch over netlink, one map element) next to the baseline peers pay: the same
 * change made by spawning `nft -f` with the equivalent text, in the same run and the same
 * namespace. Each figure is the median of `reps` publish/unpublish cycles, taken in five
 * rounds that alternate between the two points.
 *
 * Usage (inside the sandbox): node dist/bench/firewall.js [N] [reps]   (default 1000 201)
 */
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Netns } from '../lib';
import { Firewall, type EndpointSpec } from '../lib/firewall';
import { median, requireSandbox, settle } from './support/floor';

const NETWORK = { id: 'bench', bridge: 'br-bench', subnets: ['198.18.0.0/15'] };
/** The endpoint whose port is published and unpublished at each point. */
const PROBE: EndpointSpec = { id: 'probe', network: 'bench', ipv4: '198.18.0.2' };
const PROBE_PORT = 8080;
const ROUNDS = 5;

export interface FirewallFigures {
  /** Endpoints published when the probe publishes (the probe is endpoint number present + 1). */
  present: number;
  publishMs: number;
  unpublishMs: number;
  nftPublishMs: number;
  nftUnpublishMs: number;
}

function filler(i: number): EndpointSpec {
  return { id: `ep${i}`, network: 'bench', ipv4: `198.18.${2 + (i >> 8)}.${i & 0xff}` };
}

/** `nft -f -` inside `ns` with `text` on stdin; resolves when it exits (0, else throws). */
async function nftFile(ns: Netns, text: string): Promise<void> {
  const child = ns.exec('nft', ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdin!.end(text);
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`nft -f failed (${code}): ${err.trim()}`);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

interface Samples {
  pub: number[];
  unpub: number[];
  nftPub: number[];
  nftUnpub: number[];
}

/** `reps` publish/unpublish cycles of the probe through nsnet, then through `nft -f`. */
async function sample(fw: Firewall, ns: Netns, reps: number, into: Samples): Promise<void> {
  for (let r = 0; r < reps; r++) {
    into.pub.push(await timed(() => fw.publish(PROBE, [`${PROBE_PORT}:80`])));
    into.unpub.push(await timed(() => fw.unpublish(PROBE.id)));
  }
  // The same element as nft text: what a runtime that spawns nft would run.
  const add = `add element inet nsnet dnat4_any { tcp . ${PROBE_PORT} comment "ep=${PROBE.id} nw=bench" : ${PROBE.ipv4} . 80 }\n`;
  const del = `delete element inet nsnet dnat4_any { tcp . ${PROBE_PORT} }\n`;
  for (let r = 0; r < reps; r++) {
    into.nftPub.push(await timed(() => nftFile(ns, add)));
    into.nftUnpub.push(await timed(() => nftFile(ns, del)));
  }
}

function figures(present: number, s: Samples): FirewallFigures {
  return { present, publishMs: median(s.pub), unpublishMs: median(s.unpub), nftPublishMs: median(s.nftPub), nftUnpublishMs: median(s.nftUnpub) };
}

/**
 * Runs the benchmark in a namespace of its own and returns a markdown table: the probe as
 * endpoint number 1 and as endpoint number `n`, nsnet and `nft -f`, and the ratios.
 */
export async function benchFirewall(n = 1000, reps = 201): Promise<string> {
  const ns = await Netns.create('nsnet-bench-fw');
  let fw: Firewall | undefined;
  try {
    await (await ns.handle()).linkAdd({ kind: 'bridge', name: NETWORK.bridge, up: true });
    fw = await Firewall.open(ns);
    await fw.ensureBase();
    await fw.addNetwork(NETWORK);
    // Warm-up: let V8 compile the publish path, and nft fill the page cache.
    for (let i = 0; i < 300; i++) {
      await fw.publish(PROBE, [`${PROBE_PORT}:80`]);
      await fw.unpublish(PROBE.id);
    }
    await nftFile(ns, 'list table inet nsnet\n');
    // Alternate the two points over several rounds (fill to n, then empty again), so that
    // warm-up and the machine's load drift weigh on both alike.
    const one: Samples = { pub: [], unpub: [], nftPub: [], nftUnpub: [] };
    const many: Samples = { pub: [], unpub: [], nftPub: [], nftUnpub: [] };
    for (let round = 0; round < ROUNDS; round++) {
      await settle(5_000);
      await sample(fw, ns, Math.ceil(reps / ROUNDS), one);
      for (let i = 1; i < n; i++) await fw.publish(filler(i), [`${10000 + i}:80`]);
      await settle(5_000);
      await sample(fw, ns, Math.ceil(reps / ROUNDS), many);
      for (let i = 1; i < n; i++) await fw.unpublish(filler(i).id);
    }
    const first = figures(0, one);
    const last = figures(n - 1, many);
    const f = (x: number): string => x.toFixed(3);
    const r = (a: number, b: number): string => (a / b).toFixed(2);
    return [
      `| probe is endpoint # | nsnet publish ms | nsnet unpublish ms | nft -f publish ms | nft -f unpublish ms | nft/nsnet publish | nft/nsnet unpublish |`,
      `|---:|---:|---:|---:|---:|---:|---:|`,
      ...[first, last].map(
        (x) =>
          `| ${x.present + 1} | ${f(x.publishMs)} | ${f(x.unpublishMs)} | ${f(x.nftPublishMs)} | ${f(x.nftUnpublishMs)} | ${r(x.nftPublishMs, x.publishMs)} | ${r(x.nftUnpublishMs, x.unpublishMs)} |`,
      ),
      `| ratio #${n}/#1 | ${r(last.publishMs, first.publishMs)} | ${r(last.unpublishMs, first.unpublishMs)} | ${r(last.nftPublishMs, first.nftPublishMs)} | ${r(last.nftUnpublishMs, first.nftUnpublishMs)} | | |`,
    ].join('\n');
  } finally {
    if (fw) {
      await fw.uninstall();
      fw.close();
    }
    await ns.delete();
  }
}

if (require.main === module) {
  requireSandbox();
  const [n, reps] = process.argv.slice(2).map(Number);
  benchFirewall(n || 1000, reps || 201).then(
    (table) => console.log(`\n### firewall: publish / unpublish one port (median of ${reps || 201})\n\n${table}\n`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
