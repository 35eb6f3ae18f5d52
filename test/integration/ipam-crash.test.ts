/**
 * 200 writer processes killed with SIGKILL at random moments while they allocate and
 * release (dual-stack, so every change writes two leases in one record, and with a tiny
 * compaction threshold, so kills also land inside snapshot and journal rewrites).
 *
 * Workers run in waves. During a wave this process keeps reading the store (it must always
 * read back, and never show half a dual-stack allocation). After each wave, with every
 * writer dead, the store must equal what the workers reported as committed, give or take
 * each worker's one unfinished operation (old state or new state, nothing else), and the
 * raw files are checked independently of nsnet's reader: a snapshot that JSON.parse
 * accepts and journal lines whose CRC matches.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { FileStore, Ipam, type Lease } from '../../lib/ipam';
import { IpamWorker, type WorkerEvent } from '../support/ipam-worker';
import { requireSandbox } from '../support/sandbox';

const WORKERS = 200;
// Big waves keep both cores busy starting node (~0.2 s of CPU each, the bulk of this test's time).
const WAVE = 20;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What one worker's reports say the store must hold, and its one unfinished operation. */
function expectation(events: readonly WorkerEvent[]): { held: Map<string, string[]>; pending: WorkerEvent | undefined } {
  const held = new Map<string, string[]>();
  let pending: WorkerEvent | undefined;
  for (const e of events) {
    if (e.will) pending = e;
    else if (e.ok) {
      held.set(e.ep!, e.ok);
      pending = undefined;
    } else if (e.released) {
      expect(held.get(e.ep!), `released ${e.ep}`).to.deep.equal(e.released);
      held.delete(e.ep!);
      pending = undefined;
    }
  }
  return { held, pending };
}

/** Leases by endpoint; fails on a half dual-stack allocation. */
function byEndpoint(leases: readonly Lease[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const l of leases) out.set(l.owner.endpointId, [...(out.get(l.owner.endpointId) ?? []), l.address]);
  for (const [ep, addrs] of out) {
    expect(addrs, `${ep} holds only one family: a partial write is visible`).to.have.length(2);
    addrs.sort((a, b) => Number(a.includes(':')) - Number(b.includes(':')));
  }
  return out;
}

/** The files, read without nsnet: the snapshot parses, every complete journal line checks out. */
function rawCheck(dir: string): void {
  const snapshot = JSON.parse(fs.readFileSync(path.join(dir, 'snapshot.json'), 'utf8')) as { state: { leases: Lease[] } };
  const addrs = snapshot.state.leases.map((l) => l.address);
  expect(new Set(addrs).size, 'an address twice in the snapshot').to.equal(addrs.length);
  const journal = fs.readFileSync(path.join(dir, 'journal.log'));
  const lines = journal.toString('latin1').split('\n').slice(0, -1); // the part after the last newline may be torn
  for (const line of lines) {
    const body = Buffer.from(line.slice(9), 'latin1');
    expect(line.slice(0, 9), 'journal line framing').to.match(/^[0-9a-f]{8} $/);
    expect(crc32(body), `journal line crc: ${line.slice(0, 60)}`).to.equal(parseInt(line.slice(0, 8), 16));
  }
}

describe('IPAM survives SIGKILL of its writers (integration)', function () {
  requireSandbox();
  this.timeout(180_000);
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(process.env.NSNET_STATE_DIR ?? os.tmpdir(), 'ipam-crash-'));
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it(`${WORKERS} processes killed at random moments while writing: old or new state, never partial, never an address twice`, async () => {
    const reader = new Ipam(new FileStore(root));
    await reader.createNetwork({ id: 'k', subnets: [{ subnet: '10.30.0.0/20' }, { subnet: 'fd00:30::/64' }] });
    const dir = path.join(root, 'networks', 'k');
    let killedMidOperation = 0;
    let committed = 0;

    for (let wave = 0; wave < WORKERS / WAVE; wave++) {
      const workers = Array.from({ length: WAVE }, (_, i) => new IpamWorker({ root, network: 'k', mode: 'churn', prefix: `w${wave}x${i}`, hold: 2, compactMin: 4 }));
      // Each worker starts as soon as it is ready and, once it has committed its first
      // change, dies 0–40 ms later: kills land in appends, fsyncs, truncations, snapshot
      // writes, renames — wherever it happens to be.
      const deaths = workers.map(async (w) => {
        await Promise.race([w.ready, w.exited]);
        w.go();
        await Promise.race([w.working, w.exited]);
        await sleep(Math.random() * 40);
        w.kill();
        return w.exited;
      });
      let writersLeft = true;
      const reading = (async () => {
        while (writersLeft) {
          byEndpoint(await reader.leases('k'));
          await sleep(5); // leave the CPU to the workers starting up
        }
      })();
      reading.catch(() => undefined); // reported by the await below, once the wave is over
      try {
        for (const { signal } of await Promise.all(deaths)) expect(signal).to.equal('SIGKILL');
      } finally {
        for (const w of workers) w.kill(); // never leave a worker behind, whatever failed
        writersLeft = false;
      }
      await reading;

      // Every writer of this wave is dead: compare the store with what they reported.
      rawCheck(dir);
      const store = byEndpoint(await new Ipam(new FileStore(root)).leases('k'));
      const owners = new Map<string, string>();
      for (const w of workers) {
        const { held, pending } = expectation(w.events);
        committed += w.events.filter((e) => e.ok || e.released).length;
        if (pending) killedMidOperation += 1;
        const mine = [...store.keys()].filter((ep) => ep.startsWith(`${w.config.prefix}-`));
        for (const ep of new Set([...held.keys(), ...mine])) {
          const want = held.get(ep);
          const got = store.get(ep);
          const unfinished = pending?.ep === ep;
          if (want) want.sort((a, b) => Number(a.includes(':')) - Number(b.includes(':')));
          if (got && want) expect(got, ep).to.deep.equal(want);
          else if (got) expect(unfinished && pending?.will === 'alloc', `${ep} is stored but was never reported`).to.equal(true);
          else expect(unfinished && pending?.will === 'release', `${ep} was reported but is not stored`).to.equal(true);
          // What the workers believe they hold (reported, not being released): never one address twice.
          if (want && !(unfinished && pending?.will === 'release')) {
            for (const a of want) {
              expect(owners.get(a), `${a} held by ${owners.get(a)} and ${ep}`).to.equal(undefined);
              owners.set(a, ep);
            }
          }
        }
      }
      // Free the dead workers' leases (as reconcile would), keeping the state small so
      // that compaction keeps happening under the kills.
      await reader.gc([]);
      expect(await reader.leases('k')).to.deep.equal([]);
    }
    // Sanity of the experiment itself, not of IPAM: the kills did interrupt work.
    expect(killedMidOperation).to.be.greaterThan(WORKERS / 2);
    expect(committed).to.be.greaterThan(WORKERS);
  });
});
