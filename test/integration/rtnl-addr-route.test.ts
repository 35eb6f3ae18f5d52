/**
 * Addresses, routes, neighbours and FDB entries through RtnlHandle, witnessed by
 * `ip -j addr|route|neigh` and `bridge -j fdb` inside the test's namespace.
 */
import { expect } from 'chai';
import { AlreadyExistsError, Netns, NotFoundError, RtnlHandle } from '../../lib';
import { ipJson, requireSandbox, run, uniqueName } from '../support/sandbox';

interface IpAddrInfo { family: string; local: string; prefixlen: number; broadcast?: string; label?: string }
interface IpRoute { dst: string; gateway?: string; dev?: string; metric?: number; scope?: string; protocol?: string; table?: string; prefsrc?: string; type?: string }

describe('RtnlHandle addresses, routes, neighbours (integration)', function () {
  requireSandbox();
  let ns: Netns;
  let h: RtnlHandle;

  beforeEach(async () => {
    ns = await Netns.create(uniqueName('ar'));
    h = await ns.handle();
    await h.linkAdd({ kind: 'veth', name: 'v0', up: true, peer: { name: 'v1' } });
    await h.linkSet('v1', { up: true });
  });

  afterEach(async () => {
    await ns.delete();
  });

  const addrs = (dev: string): IpAddrInfo[] => ipJson<Array<{ addr_info: IpAddrInfo[] }>>('-n', ns.name!, 'addr', 'show', 'dev', dev)[0]!.addr_info;
  const routes = (...args: string[]): IpRoute[] => ipJson<IpRoute[]>('-n', ns.name!, '-d', 'route', 'show', ...args);

  it('adds IPv4 and IPv6 addresses that ip addr shows, lists and deletes them', async () => {
    await h.addrAdd('v0', '10.1.2.3/24', { broadcast: '10.1.2.255', label: 'v0:web' });
    await h.addrAdd('v0', 'fd00::1/64', { noDad: true });
    const seen = addrs('v0');
    const v4 = seen.find((a) => a.family === 'inet')!;
    expect(v4).to.include({ local: '10.1.2.3', prefixlen: 24, broadcast: '10.1.2.255', label: 'v0:web' });
    expect(seen.find((a) => a.family === 'inet6' && a.local === 'fd00::1')).to.include({ prefixlen: 64 });

    const listed = await h.addrList({ dev: 'v0' });
    expect(listed.map((a) => `${a.local ?? a.address}/${a.prefixlen}`)).to.include.members(['10.1.2.3/24', 'fd00::1/64']);
    expect((await h.addrList({ dev: 'v0', family: 4 })).map((a) => a.local)).to.deep.equal(['10.1.2.3']);

    const dup = await h.addrAdd('v0', '10.1.2.3/24').catch((e: unknown) => e);
    expect(dup).to.be.instanceOf(AlreadyExistsError);
    await h.addrDel('v0', '10.1.2.3/24');
    await h.addrDel('v0', 'fd00::1/64');
    expect(addrs('v0').filter((a) => a.local === '10.1.2.3' || a.local === 'fd00::1')).to.deep.equal([]);
    const gone = await h.addrDel('v0', '10.1.2.3/24').catch((e: unknown) => e);
    expect(gone).to.be.instanceOf(NotFoundError);
  });

  it('adds a default route, a gateway route with metric and table, and a link-scope route', async () => {
    await h.addrAdd('v0', '10.1.2.3/24');
    await h.routeAdd({ dst: 'default', gateway: '10.1.2.1' });
    await h.routeAdd({ dst: '10.9.0.0/16', gateway: '10.1.2.1', metric: 100, table: 100 });
    await h.routeAdd({ dst: '192.0.2.0/24', dev: 'v0', src: '10.1.2.3' });
    const main = routes();
    expect(main.find((r) => r.dst === 'default')).to.include({ gateway: '10.1.2.1', dev: 'v0', protocol: 'boot', scope: 'global' });
    expect(main.find((r) => r.dst === '192.0.2.0/24')).to.include({ dev: 'v0', scope: 'link', prefsrc: '10.1.2.3' });
    const t100 = routes('table', '100');
    expect(t100.find((r) => r.dst === '10.9.0.0/16')).to.include({ gateway: '10.1.2.1', metric: 100 });

    const listed = await h.routeList({ family: 4 });
    expect(listed.map((r) => (r.dst ? `${r.dst}/${r.dstLen}` : 'default')).sort()).to.deep.equal(main.map((r) => r.dst).sort());
    const all = await h.routeList({ table: 'all', family: 4 });
    expect(all.some((r) => r.table === 100 && r.dst === '10.9.0.0' && r.dstLen === 16)).to.equal(true);

    await h.routeDel({ dst: '10.9.0.0/16', table: 100 });
    await h.routeDel({ dst: 'default' });
    expect(routes('table', '100')).to.deep.equal([]);
    expect(routes().some((r) => r.dst === 'default')).to.equal(false);
    expect(await h.routeDel({ dst: 'default' }).catch((e: unknown) => e)).to.be.instanceOf(NotFoundError);
  });

  it('adds an IPv6 default route', async () => {
    await h.addrAdd('v0', 'fd00:1::2/64', { noDad: true });
    await h.routeAdd({ dst: 'default', gateway: 'fd00:1::1', dev: 'v0', metric: 1024 });
    const r6 = ipJson<IpRoute[]>('-n', ns.name!, '-6', 'route', 'show', 'default');
    expect(r6[0]).to.include({ dst: 'default', gateway: 'fd00:1::1', dev: 'v0', metric: 1024 });
    expect((await h.routeList({ family: 6 })).some((r) => r.gateway === 'fd00:1::1')).to.equal(true);
  });

  it('adds and deletes neighbours and bridge FDB entries', async () => {
    await h.addrAdd('v0', '10.1.2.3/24');
    await h.neighAdd({ dev: 'v0', dst: '10.1.2.9', lladdr: '02:00:00:00:00:09' });
    const neigh = ipJson<Array<{ dst: string; lladdr: string; state: string[] }>>('-n', ns.name!, 'neigh', 'show', 'dev', 'v0');
    expect(neigh.find((n) => n.dst === '10.1.2.9')).to.deep.include({ lladdr: '02:00:00:00:00:09', state: ['PERMANENT'] });
    expect((await h.neighList({ dev: 'v0', family: 4 })).map((n) => n.lladdr)).to.include('02:00:00:00:00:09');
    await h.neighDel({ dev: 'v0', dst: '10.1.2.9' });
    expect(ipJson<unknown[]>('-n', ns.name!, 'neigh', 'show', 'dev', 'v0', 'to', '10.1.2.9')).to.deep.equal([]);

    await h.linkAdd({ kind: 'bridge', name: 'br0', up: true });
    await h.linkSet('v1', { master: 'br0' });
    await h.neighAdd({ dev: 'v1', lladdr: '02:00:00:00:00:0a', fdb: 'master' });
    const fdb = JSON.parse(run('bridge', '-n', ns.name!, '-j', 'fdb', 'show', 'dev', 'v1')) as Array<{ mac: string; master?: string; state: string }>;
    expect(fdb.find((f) => f.mac === '02:00:00:00:00:0a')).to.include({ master: 'br0', state: 'static' });
    const listed = await h.neighList({ family: 'bridge', master: 'br0' });
    expect(listed.map((n) => n.lladdr)).to.include('02:00:00:00:00:0a');
    await h.neighDel({ dev: 'v1', lladdr: '02:00:00:00:00:0a', fdb: 'master' });
    const after = JSON.parse(run('bridge', '-n', ns.name!, '-j', 'fdb', 'show', 'dev', 'v1')) as Array<{ mac: string }>;
    expect(after.map((f) => f.mac)).to.not.include('02:00:00:00:00:0a');
  });
});

describe('RtnlBatch (integration)', function () {
  requireSandbox();

  it('sends several requests in one round trip, in order, and reports the one that failed', async () => {
    const { RtnlBatch } = await import('../../lib');
    const ns = await Netns.create(uniqueName('bt'));
    try {
      const h = await ns.handle();
      const v0 = await h.linkAdd({ kind: 'veth', name: 'v0', peer: { name: 'v1' } });
      let sends = 0;
      const transport = (h as unknown as { transport: { transact: (...a: unknown[]) => unknown } }).transport;
      const original = transport.transact.bind(transport);
      transport.transact = (...args: unknown[]) => {
        sends += 1;
        return original(...args);
      };
      await h.apply(
        new RtnlBatch()
          .linkSet(1, { up: true })
          .linkSet(v0.index, { up: true })
          .addrAdd(v0.index, '10.3.0.2/24')
          .routeAdd({ dst: 'default', gateway: '10.3.0.1', dev: v0.index }),
      );
      expect(sends).to.equal(1);
      expect(ipJson<Array<{ flags: string[] }>>('-n', ns.name!, 'link', 'show', 'dev', 'v0')[0]!.flags).to.include('UP');
      expect(ipJson<Array<{ dst: string; gateway: string }>>('-n', ns.name!, 'route', 'show', 'default')[0]).to.include({ gateway: '10.3.0.1' });

      // The second request fails (the address exists); the third still runs.
      const err = await h
        .apply(new RtnlBatch().addrAdd(v0.index, '10.3.0.3/24').addrAdd(v0.index, '10.3.0.2/24').addrAdd(v0.index, '10.3.0.4/24'))
        .catch((e: unknown) => e);
      expect(err).to.be.instanceOf(AlreadyExistsError);
      expect(err).to.include({ op: 'addrAdd', syscall: 'RTM_NEWADDR', code: 'EEXIST' });
      const locals = ipJson<Array<{ addr_info: Array<{ local: string }> }>>('-n', ns.name!, 'addr', 'show', 'dev', 'v0')[0]!.addr_info.map((a) => a.local);
      expect(locals).to.include.members(['10.3.0.2', '10.3.0.3', '10.3.0.4']);
    } finally {
      await ns.delete();
    }
  });
});
