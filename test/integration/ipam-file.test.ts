/**
 * IPAM on the file store with the real flock: round-robin across fresh instances (the
 * cursor is state, not memory), the host's routes read through rtnetlink, bad input.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Netns, ValidationError } from '../../lib';
import { FileStore, hostRoutes, Ipam, PoolExhaustedError } from '../../lib/ipam';
import { ipJson, requireSandbox, uniqueName } from '../support/sandbox';

describe('IPAM file store (integration)', function () {
  requireSandbox();
  this.timeout(60_000);
  let root: string;
  const fresh = (): Ipam => new Ipam(new FileStore(root));
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(process.env.NSNET_STATE_DIR ?? os.tmpdir(), 'ipam-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('round-robin on a /27 through fresh instances: allocate 8, release 8, allocate 29 — no freed address returns before the wrap', async () => {
    await fresh().createNetwork({ id: 'rr', subnets: [{ subnet: '10.26.0.0/27' }] });
    const first: string[] = [];
    for (let i = 0; i < 8; i++) first.push((await fresh().allocate('rr', { endpointId: `a${i}` })).ipv4!.address);
    for (const a of first) await fresh().release('rr', a);
    const second: string[] = [];
    for (let i = 0; i < 29; i++) second.push((await fresh().allocate('rr', { endpointId: `b${i}` })).ipv4!.address);
    const firstUse = second.findIndex((a) => first.includes(a));
    expect(firstUse).to.equal(21); // after every never-used address (.10–.30)
    expect(second.slice(0, 21).map((a) => Number(a.split('.')[3]))).to.deep.equal(Array.from({ length: 21 }, (_, i) => 10 + i));
    expect(second.slice(21)).to.deep.equal(first);
    expect(await fresh().allocate('rr', { endpointId: 'c' }).catch((e: unknown) => e)).to.be.instanceOf(PoolExhaustedError);
  });

  it('with a route to 172.18.0.0/16 in the host namespace, the first automatic user network gets 172.19.0.0/16', async () => {
    const ns = await Netns.create(uniqueName('ipam'));
    try {
      const h = await ns.handle();
      await h.linkSet('lo', { up: true });
      const before = await hostRoutes(ns);
      expect(before.some((r) => r.startsWith('172.18.'))).to.equal(false);
      await h.routeAdd({ dst: '172.18.0.0/16', dev: 'lo' });
      // The oracle: iproute2 sees the route we then read through rtnetlink.
      expect(ipJson<Array<{ dst: string }>>('-n', ns.name!, 'route', 'show', '172.18.0.0/16').map((r) => r.dst)).to.deep.equal(['172.18.0.0/16']);
      const routes = await hostRoutes(ns);
      expect(routes).to.include('172.18.0.0/16');
      expect(routes).to.include('127.0.0.0/8'); // from the local table: every table counts

      const ipam = Ipam.file(root, { hostRoutes: () => hostRoutes(ns) });
      expect((await ipam.createNetwork({ id: 'first' })).subnets[0]).to.include({ subnet: '172.19.0.0/16', gateway: '172.19.0.1' });
      expect((await ipam.createNetwork({ id: 'second' })).subnets[0]).to.include({ subnet: '172.20.0.0/16' });
      // And without the route the pool starts at 172.18.0.0/16.
      const other = fs.mkdtempSync(path.join(root, 'other-'));
      expect((await Ipam.file(other).createNetwork({ id: 'x' }, { hostRoutes: before })).subnets[0]!.subnet).to.equal('172.18.0.0/16');
    } finally {
      await ns.delete();
    }
  });

  it('stores nothing for bad input', async () => {
    await fresh().createNetwork({ id: 'ok', subnets: [{ subnet: '10.27.0.0/24' }] });
    const snapshot = (): string[] => fs.readdirSync(root, { recursive: true }).map(String).sort().concat(fs.readFileSync(path.join(root, 'networks/ok/journal.log'), 'utf8'));
    const before = snapshot();
    const bad: Array<() => Promise<unknown>> = [
      () => fresh().createNetwork({ id: 'b', subnets: [{ subnet: '10.28.0.0/24x' }] }),
      () => fresh().createNetwork({ id: 'b', subnets: [{ subnet: '10.28.0.0/24', gateway: '10.29.0.1' }] }),
      () => fresh().createNetwork({ id: 'b', subnets: [{ subnet: '10.28.0.0/24', ipRange: '10.28.0.0/16' }] }),
      () => fresh().createNetwork({ id: 'b', subnets: [{ subnet: '10.28.0.0/31' }] }),
      () => fresh().allocate('ok', { endpointId: 'e' }, { ip: '10.27.0.0' }),
      () => fresh().allocate('ok', { endpointId: 'e' }, { ip: '10.27.0.255' }),
      () => fresh().allocate('ok', { endpointId: 'e' }, { ip: '10.28.0.5' }),
      async () => Ipam.file(root, { pools: [{ base: '10.0.0.0/8', size: 31 }] }),
    ];
    for (const fn of bad) expect(await fn().then(() => 'resolved', (e: unknown) => e), fn.toString()).to.be.instanceOf(ValidationError);
    expect(snapshot()).to.deep.equal(before);
  });
});
