/**
 * bench/links: N namespaces, each with a veth pair (peer created inside as eth0), eth0
 * up, an address and a default route; then all torn down. The same work as
 * bench/floor/links.c, which runs in the same process tree right before, so the printed
 * ratio nsnet / C compares figures from one run.
 *
 * Usage (inside the sandbox): node dist/bench/links.js [N...]   (default 1 100 1000)
 */
import { performance } from 'node:perf_hooks';
import { Netns, RtnlBatch, RtnlHandle } from '../lib';
import { buildFloor, median, requireSandbox, runFloor, settle } from './support/floor';
import { describeWarmUp, warmUntilSteady } from './support/warm-up';

interface Figures {
  n: number;
  setupPerObjectMs: number;
  teardownPerObjectMs: number;
}

/**
 * nsnet doing what links.c does. `inFlight` objects are set up at once (1: one after the
 * other, like the C program; more: how a runtime starting several containers uses the
 * async API, which overlaps nsnet's thread hand-offs with the kernel's work).
 */
export async function nsnetLinks(n: number, inFlight = 1, teardown: 'each link' | 'namespaces only' = 'each link', first = 0): Promise<Figures> {
  const host = await RtnlHandle.open();
  const objects: Array<{ ns: Netns; veth: string }> = [];
  let next = 0;
  const setupOne = async (k: number): Promise<void> => {
    // Numbered from `first`: host-side veths of a 'namespaces only' teardown linger until
    // the kernel has dismantled their namespaces, so the next round takes other names.
    const i = first + k;
    const veth = `vb${i.toString(16).padStart(7, '0')}`;
    // Namespace, veth with its peer born inside as eth0, then lo up, eth0 up, address and
    // default route (one batch, eth0 by the index the same hand-off looked up): one
    // thread hand-off in all (Netns.createWithVeth).
    const ns = await Netns.createWithVeth(
      `nsbench-${i}`,
      host,
      { name: veth, peer: { name: 'eth0' } },
      new RtnlBatch()
        .linkSet(1, { up: true }) // lo is ifindex 1 in every namespace
        .linkSet(RtnlBatch.PEER, { up: true })
        .addrAdd(RtnlBatch.PEER, '172.16.0.2/16')
        .routeAdd({ dst: 'default', gateway: '172.16.0.1', dev: RtnlBatch.PEER }),
    );
    objects.push({ ns, veth });
  };
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(inFlight, n) }, async () => {
      while (next < n) await setupOne(next++);
    }),
  );
  const t1 = performance.now();
  for (const { ns, veth } of objects) {
    // 'namespaces only' (the warm-up): the veth goes with its namespace, whose dismantling
    // the kernel batches, instead of one RCU grace period per link deletion.
    if (teardown === 'each link') await host.linkDel(veth);
    await ns.delete();
  }
  const t2 = performance.now();
  host.close();
  return { n, setupPerObjectMs: (t1 - t0) / n, teardownPerObjectMs: (t2 - t1) / n };
}

/** Objects made and removed through the timed teardown before the first timed size (each removal waits out an RCU grace period: ~30 ms). */
const WARMUP_TEARDOWN = 200;

/** Repetitions per size: single objects are noisy, a thousand take minutes to tear down. */
export const linksReps = (n: number): number => (n >= 100 ? 3 : 11);

export async function benchLinks(ns: readonly number[], reps: (n: number) => number): Promise<string> {
  const floor = buildFloor('links');
  const rows: string[] = [
    '| N | C setup ms/obj | nsnet setup ms/obj | ratio | nsnet setup, 4 in flight | ratio | C teardown ms/obj | nsnet teardown ms/obj | ratio |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  // Warm-up: V8 optimises nsnet's hot paths before anything is timed (the C program needs
  // none), as in a long-running runtime: setups until compiled code holds still
  // (bench/support/warm-up.ts), then a few hundred through the timed teardown as well.
  const report = await warmUntilSteady(async (round) => {
    await nsnetLinks(100, 1, 'namespaces only', 0x1000000 + round * 100);
  });
  console.error(describeWarmUp('links', report, 100, 'objects'));
  await settle();
  await nsnetLinks(WARMUP_TEARDOWN);
  await settle();
  for (const n of ns) {
    const c: Figures[] = [];
    const js: Figures[] = [];
    const js4: Figures[] = [];
    // Alternate C and nsnet so both see the same machine state.
    for (let r = 0; r < reps(n); r++) {
      c.push(runFloor<Figures>(floor, [String(n)]));
      await settle();
      js.push(await nsnetLinks(n));
      await settle();
      js4.push(await nsnetLinks(n, 4));
      await settle();
    }
    const cs = median(c.map((f) => f.setupPerObjectMs));
    const ns_ = median(js.map((f) => f.setupPerObjectMs));
    const ct = median(c.map((f) => f.teardownPerObjectMs));
    const nt = median(js.map((f) => f.teardownPerObjectMs));
    const n4 = median(js4.map((f) => f.setupPerObjectMs));
    rows.push(
      `| ${n} | ${cs.toFixed(3)} | ${ns_.toFixed(3)} | ${(ns_ / cs).toFixed(2)} | ${n4.toFixed(3)} | ${(n4 / cs).toFixed(2)} | ${ct.toFixed(2)} | ${nt.toFixed(2)} | ${(nt / ct).toFixed(2)} |`,
    );
    console.error(`links N=${n}: done (${reps(n)} repetition(s))`);
  }
  return rows.join('\n');
}

if (require.main === module) {
  requireSandbox();
  const args = process.argv.slice(2).map(Number).filter((x) => x > 0);
  const sizes = args.length ? args : [1, 100, 1000];
  benchLinks(sizes, linksReps).then(
    (table) => console.log(`\n### links: namespace + veth + address + route per object\n\n${table}\n`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
