/**
 * Ipam on the file store, in one process (testLock instead of flock): everything
 * persists, a fresh process sees it, and bad input leaves the directory untouched.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileStore, Ipam, NetworkNotFoundError } from '../../../lib/ipam';
import { StateCorruptError } from '../../../lib/state/errors';
import { encodeRecord } from '../../../lib/state/journal';
import { rejection, rejectsValidation, testLock } from './helpers';

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, 'utf8');
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

describe('Ipam (file store, one process)', () => {
  let dir: string;
  const open = (compactMin?: number): Ipam => new Ipam(new FileStore(dir, { lock: testLock, compactMin }));
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsnet-ipam-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('persists networks, leases and cursors for a fresh instance', async () => {
    const a = open(3);
    await a.createNetwork({ id: 'n', ipv6: true });
    for (let i = 0; i < 7; i++) await a.allocate('n', { endpointId: `e${i}`, containerId: 'c' });
    await a.release('n', '172.18.0.4');
    const b = open(3);
    expect((await b.listNetworks()).map((n) => n.subnets.map((s) => s.subnet))).to.deep.equal([[ '172.18.0.0/16', (await a.getNetwork('n')).subnets[1]!.subnet ]]);
    expect((await b.leases('n')).filter((l) => l.family === 4).map((l) => l.address).sort()).to.deep.equal(
      ['172.18.0.2', '172.18.0.3', '172.18.0.5', '172.18.0.6', '172.18.0.7', '172.18.0.8'],
    );
    expect((await b.allocate('n', { endpointId: 'next' })).ipv4!.address).to.equal('172.18.0.9');
    // The ULA global id is kept: a second IPv6 network is the next /64 of the same /48.
    const v6a = (await b.getNetwork('n')).subnets[1]!.subnet;
    const v6b = (await open().createNetwork({ id: 'm', ipv4: false, ipv6: true })).subnets[0]!.subnet;
    expect(v6b.split(':').slice(0, 3)).to.deep.equal(v6a.split(':').slice(0, 3));
    expect(v6b).not.to.equal(v6a);
  });

  it('allocateDeferred: the lease is in the journal and seen by a fresh instance before it is synced; synced resolves', async () => {
    const a = open();
    await a.createNetwork({ id: 'n' });
    const journal = path.join(dir, 'networks', 'n', 'journal.log');
    const before = fs.statSync(journal).size;
    const { allocation, synced } = await a.allocateDeferred('n', { endpointId: 'e1', containerId: 'c' });
    expect(allocation.ipv4!.address).to.equal('172.18.0.2');
    expect(fs.statSync(journal).size).to.be.above(before); // written, whether or not synced yet
    expect((await open().leases('n')).map((l) => l.owner.endpointId)).to.deep.equal(['e1']);
    await synced;
    // The same endpoint asking again gets what it holds; another gets the next address.
    expect((await a.allocate('n', { endpointId: 'e2' })).ipv4!.address).to.equal('172.18.0.3');
  });

  it('deletes a network with one rename, and a fresh instance agrees', async () => {
    const a = open();
    await a.createNetwork({ id: 'n' });
    await a.allocate('n', { endpointId: 'e' });
    expect(await a.deleteNetwork('n', { force: true })).to.equal(true);
    expect(await open().listNetworks()).to.deep.equal([]);
    expect(await rejection(open().allocate('n', { endpointId: 'e' }))).to.be.instanceOf(NetworkNotFoundError);
    expect(await rejection(a.allocate('n', { endpointId: 'e' }))).to.be.instanceOf(NetworkNotFoundError);
    expect(fs.readdirSync(path.join(dir, 'networks'))).to.deep.equal([]);
    // The id can be used again, and the old instance sees the new network, not a stale cache.
    await open().createNetwork({ id: 'n', subnets: [{ subnet: '10.9.0.0/24' }] });
    expect((await a.allocate('n', { endpointId: 'e' })).ipv4!.address).to.equal('10.9.0.2');
  });

  it('refuses to read a journal that hands one address to two endpoints', async () => {
    const a = open();
    await a.createNetwork({ id: 'n', subnets: [{ subnet: '10.8.0.0/24' }] });
    const { ipv4 } = await a.allocate('n', { endpointId: 'first' });
    const intruder = { ...ipv4!, owner: { endpointId: 'second' } };
    fs.appendFileSync(path.join(dir, 'networks/n/journal.log'), encodeRecord({ seq: 2, ops: [{ put: intruder }] }));
    const err = await rejection(open().leases('n'));
    expect(err).to.be.instanceOf(StateCorruptError);
    expect(err.message).to.contain('10.8.0.2').and.contain('first').and.contain('second');
  });

  it('stores nothing for bad input', async () => {
    const a = open();
    await a.createNetwork({ id: 'ok', subnets: [{ subnet: '10.0.0.0/24' }] });
    const before = tree(dir);
    await rejectsValidation(a.createNetwork({ id: 'x', subnets: [{ subnet: '10.1.0.0/24', gateway: '10.2.0.1' }] }), 'subnets[0].gateway');
    await rejectsValidation(a.createNetwork({ id: 'x', subnets: [{ subnet: '10.1.0.0/24', ipRange: '10.1.1.0/25' }] }), 'subnets[0].ipRange');
    await rejectsValidation(a.createNetwork({ id: 'x', subnets: [{ subnet: '10.1.0/24' }] }), 'subnets[0].subnet');
    await rejectsValidation(a.allocate('ok', { endpointId: 'e' }, { ip: '10.0.0.255' }), 'ip');
    await rejectsValidation(a.allocate('ok', { endpointId: 'e' }, { ip: '10.0.1.1' }), 'ip');
    expect(tree(dir)).to.deep.equal(before);
  });
});
