/**
 * bench/links' C floor in serve mode (bench/floor/links.c --serve), which the bench
 * interleaves with nsnet block by block: both of its kinds of setup ("direct" on its main
 * thread, "thread" handed to a thread per object) must make what nsnet's objects are —
 * a namespace with lo up and eth0 addressed, up, with a default route, and a host-side
 * veth — checked with iproute2; teardown must leave nothing. Timings are not asserted.
 */
import fs from 'node:fs';
import { expect } from 'chai';
import { Netns } from '../../lib';
import { buildFloor, FloorServer } from '../../bench/support/floor';
import { ipJson, requireSandbox, uniqueName } from '../support/sandbox';

describe('bench/links: the C floor in serve mode (integration)', function () {
  requireSandbox();
  this.timeout(60_000);
  let binary: string;
  before(() => {
    binary = buildFloor('links');
  });

  it('sets up objects directly and on threads, block by block, and tears all down', async () => {
    const floorNames = (): string[] => fs.readdirSync('/run/netns').filter((n) => n.startsWith('nsfloor-')).sort();
    expect(floorNames()).to.deep.equal([]);
    // Its own host namespace: the program refuses one holding links other than lo and "vb…".
    const hostNs = await Netns.create(uniqueName('blfh'));
    const server = new FloorServer(hostNs.exec(binary, ['--serve', '4'], { stdio: ['pipe', 'pipe', 'pipe'] }));
    try {
      const direct = await server.ask<{ ms: number }>('direct 2');
      const threaded = await server.ask<{ ms: number }>('thread 2');
      expect(direct.ms).to.be.a('number').greaterThan(0);
      expect(threaded.ms).to.be.a('number').greaterThan(0);
      expect(floorNames()).to.deep.equal(['nsfloor-0', 'nsfloor-1', 'nsfloor-2', 'nsfloor-3']);
      const hostEnds = ipJson<Array<{ ifname: string; link_netnsid?: number }>>('-n', hostNs.name!, 'link', 'show', 'type', 'veth');
      expect(hostEnds.map((l) => l.ifname).sort()).to.deep.equal(['vc0000000', 'vc0000001', 'vc0000002', 'vc0000003']);
      // Four distinct namespaces: each peer lives in a namespace of its own.
      expect(new Set(hostEnds.map((l) => l.link_netnsid)).size).to.equal(4);
      for (const ns of floorNames()) {
        const links = ipJson<Array<{ ifname: string; flags: string[]; addr_info: Array<{ local: string; prefixlen: number }> }>>('-n', ns, 'addr', 'show');
        const lo = links.find((l) => l.ifname === 'lo');
        const eth0 = links.find((l) => l.ifname === 'eth0');
        expect(lo?.flags, `${ns} lo`).to.include('UP');
        expect(eth0?.flags, `${ns} eth0`).to.include('UP');
        expect(eth0!.addr_info.map((a) => `${a.local}/${a.prefixlen}`)).to.deep.equal(['172.16.0.2/16']);
        const [route] = ipJson<Array<{ gateway?: string; dev?: string }>>('-n', ns, 'route', 'show', 'default');
        expect(route, `${ns} default route`).to.include({ gateway: '172.16.0.1', dev: 'eth0' });
      }
      const down = await server.ask<{ ms: number; n: number }>('teardown');
      expect(down.n).to.equal(2); // the direct ones are timed; the thread ones dropped untimed
      expect(floorNames()).to.deep.equal([]);
      // The thread ones' veths go with their namespaces, which the kernel dismantles later.
      const veths = (): unknown[] => ipJson<unknown[]>('-n', hostNs.name!, 'link', 'show', 'type', 'veth');
      for (let i = 0; i < 200 && veths().length > 0; i++) await new Promise((r) => setTimeout(r, 25));
      expect(veths()).to.deep.equal([]);
    } finally {
      server.close();
      for (const ns of floorNames()) await Netns.deleteByName(ns);
      await hostNs.delete();
    }
  });

  it('refuses a block beyond its MAX, with a message', async () => {
    const hostNs = await Netns.create(uniqueName('blfm'));
    const server = new FloorServer(hostNs.exec(binary, ['--serve', '1'], { stdio: ['pipe', 'pipe', 'pipe'] }));
    try {
      let error: unknown;
      await server.ask('direct 2').catch((e: unknown) => (error = e));
      expect(String(error)).to.match(/ended before answering 'direct 2'.*block beyond --serve MAX/);
    } finally {
      server.close();
      await hostNs.delete();
    }
  });
});
