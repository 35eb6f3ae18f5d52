/**
 * bench/links: N namespaces, each with a veth pair (peer created inside as eth0), eth0
 * up, an address and a default route; then all torn down. The same work as
 * bench/floor/links.c, whose blocks are interleaved with nsnet's in one run, so each
 * printed ratio compares figures taken moments apart.
 *
 * Usage (inside the sandbox): node dist/bench/links.js [N...]   (default 1 100 1000)
 */
import { performance } from 'node:perf_hooks';
import { Netns, RtnlBatch, RtnlHandle } from '../lib';
import { buildFloor, FloorServer, median, requireSandbox, settle } from './support/floor';
import { describeWarmUp, warmUntilSteady } from './support/warm-up';

/** Numbers every object of the run: host-side veths of a 'namespaces only' teardown linger until the kernel has dismantled their namespaces, so names are never reused. */
let nextObject = 0;

/** nsnet's objects of one kind, set up block by block and torn down at the end. */
class NsnetObjects {
  private readonly objects: Array<{ ns: Netns; veth: string }> = [];

  constructor(private readonly host: RtnlHandle) {}

  /**
   * Sets up `count` more, `inFlight` at once (1: one after the other, like the C program;
   * more: how a runtime starting several containers uses the async API, which overlaps
   * nsnet's thread hand-offs with the kernel's work). Resolves with the milliseconds taken.
   */
  async setUp(count: number, inFlight = 1): Promise<number> {
    let left = count;
    const setupOne = async (): Promise<void> => {
      const i = nextObject++;
      const veth = `vb${i.toString(16).padStart(7, '0')}`;
      // Namespace, veth with its peer born inside as eth0, then lo up, eth0 up, address and
      // default route (one batch, eth0 by the index the same hand-off looked up): one
      // thread hand-off in all (Netns.createWithVeth).
      const ns = await Netns.createWithVeth(
        `nsbench-${i}`,
        this.host,
        { name: veth, peer: { name: 'eth0' } },
        new RtnlBatch()
          .linkSet(1, { up: true }) // lo is ifindex 1 in every namespace
          .linkSet(RtnlBatch.PEER, { up: true })
          .addrAdd(RtnlBatch.PEER, '172.16.0.2/16')
          .routeAdd({ dst: 'default', gateway: '172.16.0.1', dev: RtnlBatch.PEER }),
      );
      this.objects.push({ ns, veth });
    };
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: Math.min(inFlight, count) }, async () => {
        while (left > 0) {
          left--;
          await setupOne();
        }
      }),
    );
    return performance.now() - t0;
  }

  /**
   * Tears all down; resolves with the milliseconds taken. 'namespaces only' (untimed
   * kinds, the warm-up): the veth goes with its namespace, whose dismantling the kernel
   * batches, instead of one RCU grace period per link deletion.
   */
  async tearDown(how: 'each link' | 'namespaces only'): Promise<number> {
    const t0 = performance.now();
    for (const { ns, veth } of this.objects.splice(0)) {
      if (how === 'each link') await this.host.linkDel(veth);
      await ns.delete();
    }
    return performance.now() - t0;
  }
}

/** N objects set up one after the other, then torn down (the warm-up's unit). */
export async function nsnetLinks(n: number, teardown: 'each link' | 'namespaces only' = 'each link'): Promise<void> {
  const host = await RtnlHandle.open();
  const objects = new NsnetObjects(host);
  await objects.setUp(n);
  await objects.tearDown(teardown);
  host.close();
}

/** One repetition's figures, milliseconds per object. */
interface RepFigures {
  c: number;
  cThread: number;
  nsnet: number;
  nsnet4: number;
  cTeardown: number;
  nsnetTeardown: number;
}

/**
 * Objects per block: enough that the first object of a block, which runs with caches the
 * previous block evicted (nsnet's JavaScript more than the C program), weighs little.
 */
export const linksBlock = (n: number): number => Math.max(1, Math.min(100, Math.floor(n / 4)));

/**
 * One repetition at size n: the C program in serve mode and nsnet in one process tree, in
 * blocks of linksBlock(n) taken in turn (each kind leads a round in turn), until each kind
 * has n objects; then each tears its own down.
 */
async function linksRep(floor: string, n: number, rep: number): Promise<RepFigures> {
  const host = await RtnlHandle.open();
  const server = FloorServer.start(floor, ['--serve', String(2 * n)]);
  const one = new NsnetObjects(host);
  const four = new NsnetObjects(host);
  const ms = { c: 0, cThread: 0, nsnet: 0, nsnet4: 0 };
  const kinds: Array<[keyof typeof ms, (k: number) => Promise<number>]> = [
    ['c', async (k) => (await server.ask<{ ms: number }>(`direct ${k}`)).ms],
    ['cThread', async (k) => (await server.ask<{ ms: number }>(`thread ${k}`)).ms],
    ['nsnet', (k) => one.setUp(k)],
    ['nsnet4', (k) => four.setUp(k, 4)],
  ];
  const block = linksBlock(n);
  // A single object is timed after a quiet pause, as a lone container start is: right after
  // another kind's object it meets that object's deferred kernel work (link events,
  // namespace set-up), and single samples taken that way ranged from 1.7 to 7.4 ms.
  const pause = n === 1;
  for (let done = 0, round = 0; done < n; done += block, round++) {
    const k = Math.min(block, n - done);
    for (let j = 0; j < kinds.length; j++) {
      const [kind, run] = kinds[(j + round + rep) % kinds.length]!;
      if (pause) await settle();
      ms[kind] += await run(k);
    }
  }
  const cTeardown = (await server.ask<{ ms: number; n: number }>('teardown')).ms;
  server.close();
  const nsnetTeardown = await one.tearDown('each link');
  await four.tearDown('namespaces only');
  host.close();
  return { c: ms.c / n, cThread: ms.cThread / n, nsnet: ms.nsnet / n, nsnet4: ms.nsnet4 / n, cTeardown: cTeardown / n, nsnetTeardown: nsnetTeardown / n };
}

/** Objects made and removed through the timed teardown before the first timed size (each removal waits out an RCU grace period: ~30 ms). */
const WARMUP_TEARDOWN = 200;

/** Repetitions per size: single objects are noisy, a thousand take minutes to tear down. */
export const linksReps = (n: number): number => (n >= 1000 ? 3 : n >= 100 ? 5 : 11);

export async function benchLinks(ns: readonly number[], reps: (n: number) => number): Promise<string> {
  const floor = buildFloor('links');
  const rows: string[] = [
    '| N | C setup ms/obj | C, thread per object | nsnet setup ms/obj | ratio | nsnet, 4 in flight | ratio | C teardown ms/obj | nsnet teardown ms/obj | ratio |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  // Warm-up: V8 optimises nsnet's hot paths before anything is timed (the C program needs
  // none), as in a long-running runtime: setups until compiled code holds still
  // (bench/support/warm-up.ts), then a few hundred through the timed teardown as well.
  const report = await warmUntilSteady(async () => {
    await nsnetLinks(100, 'namespaces only');
  });
  console.error(describeWarmUp('links', report, 100, 'objects'));
  await settle();
  await nsnetLinks(WARMUP_TEARDOWN);
  await settle();
  for (const n of ns) {
    const figures: RepFigures[] = [];
    for (let r = 0; r < reps(n); r++) {
      figures.push(await linksRep(floor, n, r));
      await settle();
    }
    // Per-object figures: medians over repetitions. Ratios: the median of each
    // repetition's own ratio, both sides of which were measured in the same minutes.
    const med = (f: (x: RepFigures) => number): number => median(figures.map(f));
    const cell = (f: (x: RepFigures) => number): string => med(f).toFixed(3);
    const ratio = (f: (x: RepFigures) => number): string => med(f).toFixed(2);
    rows.push(
      `| ${n} | ${cell((x) => x.c)} | ${cell((x) => x.cThread)} | ${cell((x) => x.nsnet)} | ${ratio((x) => x.nsnet / x.c)} | ` +
        `${cell((x) => x.nsnet4)} | ${ratio((x) => x.nsnet4 / x.c)} | ${med((x) => x.cTeardown).toFixed(2)} | ` +
        `${med((x) => x.nsnetTeardown).toFixed(2)} | ${ratio((x) => x.nsnetTeardown / x.cTeardown)} |`,
    );
    console.error(`links N=${n}: done (${reps(n)} repetition(s), blocks of ${linksBlock(n)})`);
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
