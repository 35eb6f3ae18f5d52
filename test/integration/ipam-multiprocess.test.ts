/**
 * IPAM's file store shared by many processes at once: separate `node` processes
 * (test/support/ipam-worker.ts) started together, each with its own flock and cache. The
 * witnesses are the workers' own reports and a fresh reader of the store afterwards.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileStore, Ipam } from '../../lib/ipam';
import { runWorkers, type WorkerEvent } from '../support/ipam-worker';
import { requireSandbox } from '../support/sandbox';

function tempRoot(): string {
  return fs.mkdtempSync(path.join(process.env.NSNET_STATE_DIR ?? os.tmpdir(), 'ipam-'));
}

/** Splits `total` requests over `n` workers as evenly as possible. */
const share = (total: number, n: number, i: number): number => Math.floor(total / n) + (i < total % n ? 1 : 0);

describe('IPAM across processes (integration)', function () {
  requireSandbox();
  this.timeout(120_000);
  let root: string;
  beforeEach(() => {
    root = tempRoot();
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('16 processes × 60 allocations on a /22: 960 distinct leases, exactly those in the store, with the right owners', async () => {
    await new Ipam(new FileStore(root)).createNetwork({ id: 'n', subnets: [{ subnet: '10.20.0.0/22' }] });
    const events = await runWorkers(Array.from({ length: 16 }, (_, i) => ({ root, network: 'n', mode: 'alloc' as const, prefix: `w${i}`, count: 60 })));
    const all = events.flat();
    expect(all.filter((e) => e.err), JSON.stringify(all.find((e) => e.err))).to.deep.equal([]);
    const reported = new Map(all.filter((e) => e.ok).map((e) => [e.ep!, e.ok![0]!]));
    expect(reported.size).to.equal(960);
    expect(new Set(reported.values()).size).to.equal(960);

    const leases = await new Ipam(new FileStore(root)).leases('n');
    expect(leases).to.have.length(960);
    for (const lease of leases) {
      const ep = lease.owner.endpointId;
      expect(reported.get(ep), ep).to.equal(lease.address);
      expect(lease.owner.containerId).to.equal(`c-${ep.split('-')[0]}`);
      expect(lease.owner.netns).to.match(/^pid:\d+$/);
      expect(Date.parse(lease.time)).to.be.greaterThan(0);
    }
  });

  for (const [subnet, processes] of [['10.21.0.0/29', 2], ['10.22.0.0/25', 4], ['10.23.0.0/24', 8], ['10.24.0.0/21', 16]] as const) {
    const length = Number(subnet.split('/')[1]);
    const capacity = 2 ** (32 - length) - 3; // minus network, broadcast, gateway
    it(`exhaustion: ${processes} processes ask for ${capacity} + 10 addresses in a ${subnet.slice(-3)}: ${capacity} succeed, 10 get a pool-exhausted error`, async () => {
      await new Ipam(new FileStore(root)).createNetwork({ id: 'x', subnets: [{ subnet }] });
      const events = await runWorkers(
        Array.from({ length: processes }, (_, i) => ({ root, network: 'x', mode: 'alloc' as const, prefix: `w${i}`, count: share(capacity + 10, processes, i) })),
      );
      const all = events.flat();
      const ok = all.filter((e) => e.ok);
      const failed = all.filter((e) => e.err);
      expect(ok).to.have.length(capacity);
      expect(new Set(ok.map((e) => e.ok![0])).size).to.equal(capacity);
      expect(failed).to.have.length(10);
      for (const f of failed) {
        expect(f).to.include({ err: 'ENOSPC', name: 'PoolExhaustedError' });
        expect(f.message).to.contain(subnet);
      }
      expect(await new Ipam(new FileStore(root)).leases('x')).to.have.length(capacity);
    });
  }

  it('16 processes ask for the same static address at once: one wins, the others are told who owns it', async () => {
    await new Ipam(new FileStore(root)).createNetwork({ id: 's', subnets: [{ subnet: '10.25.0.0/24' }] });
    const events = await runWorkers(Array.from({ length: 16 }, (_, i) => ({ root, network: 's', mode: 'static' as const, prefix: `w${i}`, ip: '10.25.0.77' })));
    const all = events.flat();
    const winners = all.filter((e) => e.ok);
    expect(winners).to.have.length(1);
    const winner = winners[0]!.ep!;
    const losers: WorkerEvent[] = all.filter((e) => e.err);
    expect(losers).to.have.length(15);
    for (const l of losers) {
      expect(l).to.include({ err: 'EADDRINUSE', name: 'AddressInUseError' });
      expect(l.owner).to.deep.include({ endpointId: winner, containerId: `c-${winner}` });
      expect(l.message).to.contain(winner);
    }
    const leases = await new Ipam(new FileStore(root)).leases('s');
    expect(leases.map((l) => [l.address, l.owner.endpointId, l.static])).to.deep.equal([['10.25.0.77', winner, true]]);
  });
});
