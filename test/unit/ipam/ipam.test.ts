/**
 * IPAM's logic on the in-memory store: subnet choice, gateways, ranges, reservations,
 * static and dynamic allocation, round-robin, exhaustion, release and gc.
 */
import { expect } from 'chai';
import {
  AddressInUseError,
  EndpointHasLeaseError,
  Ipam,
  MemoryStore,
  NetworkExistsError,
  NetworkInUseError,
  NetworkNotFoundError,
  PoolExhaustedError,
  SubnetOverlapError,
} from '../../../lib/ipam';
import { isNotFound } from '../../../lib/errors';
import { rejection, rejectsValidation } from './helpers';

const fixedRandom = (n: number): Buffer => Buffer.alloc(n, 0xab);

describe('Ipam (memory store)', () => {
  let ipam: Ipam;
  beforeEach(() => {
    ipam = new Ipam(new MemoryStore(), { random: fixedRandom });
  });

  describe('networks', () => {
    it('gives the default bridge 172.17.0.0/16 and user networks 172.18, 172.19, …', async () => {
      const bridge = await ipam.createNetwork({ id: 'bridge', defaultBridge: true });
      expect(bridge.subnets).to.deep.equal([{ family: 4, subnet: '172.17.0.0/16', gateway: '172.17.0.1', auxAddresses: {}, auto: true }]);
      expect((await ipam.createNetwork({ id: 'a' })).subnets[0]!.subnet).to.equal('172.18.0.0/16');
      expect((await ipam.createNetwork({ id: 'b' })).subnets[0]!.subnet).to.equal('172.19.0.0/16');
    });

    it('moves on to 192.168.0.0/16 in /20s once 172.18–31 are used', async () => {
      for (let i = 0; i < 14; i++) await ipam.createNetwork({ id: `n${i}` });
      expect((await ipam.createNetwork({ id: 'x' })).subnets[0]).to.include({ subnet: '192.168.0.0/20', gateway: '192.168.0.1' });
      expect((await ipam.createNetwork({ id: 'y' })).subnets[0]).to.include({ subnet: '192.168.16.0/20' });
    });

    it('skips subnets that overlap a host route or an explicit network', async () => {
      await ipam.createNetwork({ id: 'mine', subnets: [{ subnet: '172.19.128.0/24' }] });
      const net = await ipam.createNetwork({ id: 'auto' }, { hostRoutes: ['172.18.0.0/16', '0.0.0.0/0', '10.0.0.0/8', 'fe80::/64'] });
      expect(net.subnets[0]!.subnet).to.equal('172.20.0.0/16');
    });

    it('asks the hostRoutes provider when the call passes no routes', async () => {
      const withRoutes = new Ipam(new MemoryStore(), { hostRoutes: async () => ['172.16.0.0/12'] });
      expect((await withRoutes.createNetwork({ id: 'a' })).subnets[0]!.subnet).to.equal('192.168.0.0/20');
      expect((await withRoutes.createNetwork({ id: 'b' }, { hostRoutes: [] })).subnets[0]!.subnet).to.equal('172.18.0.0/16');
    });

    it('uses configured pools', async () => {
      const custom = new Ipam(new MemoryStore(), { pools: [{ base: '10.10.0.0/16', size: 24 }, { base: 'fd99::/56', size: 64 }] });
      const net = await custom.createNetwork({ id: 'a', ipv6: true });
      expect(net.subnets.map((s) => s.subnet)).to.deep.equal(['10.10.0.0/24', 'fd99::/64']);
      expect((await custom.createNetwork({ id: 'b', ipv6: true })).subnets.map((s) => s.subnet)).to.deep.equal(['10.10.1.0/24', 'fd99:0:0:1::/64']);
    });

    it('gives IPv6 networks without a subnet /64s of one unique-local /48', async () => {
      const a = await ipam.createNetwork({ id: 'a', ipv6: true });
      const b = await ipam.createNetwork({ id: 'b', ipv4: false, ipv6: true });
      expect(a.subnets[1]).to.deep.equal({ family: 6, subnet: 'fdab:abab:abab::/64', gateway: 'fdab:abab:abab::1', auxAddresses: {}, auto: true });
      expect(b.subnets).to.deep.equal([{ family: 6, subnet: 'fdab:abab:abab:1::/64', gateway: 'fdab:abab:abab:1::1', auxAddresses: {}, auto: true }]);
    });

    it('refuses an explicit subnet that overlaps another network, and a duplicate id', async () => {
      await ipam.createNetwork({ id: 'a', subnets: [{ subnet: '10.0.0.0/16' }] });
      const err = await rejection(ipam.createNetwork({ id: 'b', subnets: [{ subnet: '10.0.128.0/24' }] }));
      expect(err).to.be.instanceOf(SubnetOverlapError);
      expect(err.message).to.contain('10.0.0.0/16').and.contain('network a');
      expect(await rejection(ipam.createNetwork({ id: 'a' }))).to.be.instanceOf(NetworkExistsError);
      expect((await ipam.listNetworks()).map((n) => n.id)).to.deep.equal(['a']);
    });

    it('reports an empty pool as PoolExhaustedError', async () => {
      const tiny = new Ipam(new MemoryStore(), { pools: [{ base: '10.0.0.0/23', size: 24 }] });
      await tiny.createNetwork({ id: 'a' });
      await tiny.createNetwork({ id: 'b' });
      const err = await rejection(tiny.createNetwork({ id: 'c' }));
      expect(err).to.be.instanceOf(PoolExhaustedError);
      expect(err.code).to.equal('ENOSPC');
    });

    it('keeps gateway, ip-range and auxiliary addresses, and deletes only empty networks unless forced', async () => {
      const net = await ipam.createNetwork({
        id: 'n',
        name: 'web',
        subnets: [{ subnet: '10.1.0.0/24', gateway: '10.1.0.254', ipRange: '10.1.0.0/29', auxAddresses: { router: '10.1.0.2' } }],
      });
      expect(net.subnets[0]).to.deep.equal({
        family: 4,
        subnet: '10.1.0.0/24',
        gateway: '10.1.0.254',
        ipRange: '10.1.0.0/29',
        auxAddresses: { router: '10.1.0.2' },
        auto: false,
      });
      const got: string[] = [];
      for (let i = 0; i < 6; i++) got.push((await ipam.allocate('n', { endpointId: `e${i}` })).ipv4!.address);
      // .0 is the subnet's network address; .2 is auxiliary; .7 ends the range, not the subnet.
      expect(got).to.deep.equal(['10.1.0.1', '10.1.0.3', '10.1.0.4', '10.1.0.5', '10.1.0.6', '10.1.0.7']);
      expect(await rejection(ipam.allocate('n', { endpointId: 'e9' }))).to.be.instanceOf(PoolExhaustedError);
      // Static addresses may lie outside the ip-range, and do not use it up.
      expect((await ipam.allocate('n', { endpointId: 's' }, { ip: '10.1.0.100' })).ipv4).to.include({ address: '10.1.0.100', static: true, inRange: false });
      expect(await rejection(ipam.deleteNetwork('n'))).to.be.instanceOf(NetworkInUseError);
      expect(await ipam.deleteNetwork('n', { force: true })).to.equal(true);
      expect(await ipam.deleteNetwork('n')).to.equal(false);
      const gone = await rejection(ipam.allocate('n', { endpointId: 'x' }));
      expect(gone).to.be.instanceOf(NetworkNotFoundError);
      expect(isNotFound(gone)).to.equal(true);
    });
  });

  describe('allocation', () => {
    it('allocates dual-stack in one step, with cidr and gateway, and records the owner and time', async () => {
      const at = new Date('2025-01-02T03:04:05.000Z');
      const timed = new Ipam(new MemoryStore(), { now: () => at });
      await timed.createNetwork({ id: 'd', subnets: [{ subnet: '10.2.0.0/24' }, { subnet: 'fd00:2::/64' }] });
      const owner = { endpointId: 'ep1', containerId: 'c1', netns: '4:4026532000' };
      const a = await timed.allocate('d', owner);
      expect(a.ipv4).to.deep.equal({ address: '10.2.0.2', family: 4, owner, time: at.toISOString(), inRange: true, cidr: '10.2.0.2/24', gateway: '10.2.0.1' });
      expect(a.ipv6).to.include({ address: 'fd00:2::2', cidr: 'fd00:2::2/64', gateway: 'fd00:2::1' });
      expect(await timed.allocate('d', owner)).to.deep.equal(a); // idempotent per endpoint
      expect((await timed.allocate('d', { endpointId: 'ep2' }, { families: [6] })).ipv4).to.equal(undefined);
      expect(await timed.leases('d')).to.have.length(3);
    });

    it('is all or nothing across families', async () => {
      await ipam.createNetwork({ id: 'd', subnets: [{ subnet: '10.2.0.0/24' }, { subnet: 'fd00:2::/126' }] });
      await ipam.allocate('d', { endpointId: 'a' }); // fd00:2::2
      await ipam.allocate('d', { endpointId: 'b' }); // fd00:2::3
      expect(await rejection(ipam.allocate('d', { endpointId: 'c' }))).to.be.instanceOf(PoolExhaustedError);
      expect((await ipam.leases('d')).map((l) => l.owner.endpointId).sort()).to.deep.equal(['a', 'a', 'b', 'b']);
    });

    it('hands out a static address once and names its owner to anyone else', async () => {
      await ipam.createNetwork({ id: 's', subnets: [{ subnet: '10.3.0.0/24', auxAddresses: { printer: '10.3.0.9' } }] });
      await ipam.allocate('s', { endpointId: 'first', containerId: 'c-first' }, { ip: '10.3.0.5' });
      const err = await rejection(ipam.allocate('s', { endpointId: 'second' }, { ip: '10.3.0.5' }));
      expect(err).to.be.instanceOf(AddressInUseError);
      expect(err.code).to.equal('EADDRINUSE');
      expect((err as AddressInUseError).owner).to.deep.equal({ endpointId: 'first', containerId: 'c-first' });
      expect(err.message).to.contain('first').and.contain('c-first');
      expect((await rejection(ipam.allocate('s', { endpointId: 'x' }, { ip: '10.3.0.1' }))).message).to.contain('gateway');
      expect((await rejection(ipam.allocate('s', { endpointId: 'x' }, { ip: '10.3.0.9' }))).message).to.contain("'printer'");
      expect(await rejection(ipam.allocate('s', { endpointId: 'first' }, { ip: '10.3.0.6' }))).to.be.instanceOf(EndpointHasLeaseError);
      // Dynamic allocation walks around the static one and the auxiliary address.
      const dyn: string[] = [];
      for (let i = 0; i < 7; i++) dyn.push((await ipam.allocate('s', { endpointId: `d${i}` })).ipv4!.address);
      expect(dyn).to.deep.equal(['10.3.0.2', '10.3.0.3', '10.3.0.4', '10.3.0.6', '10.3.0.7', '10.3.0.8', '10.3.0.10']);
    });

    it('is round-robin on a /27: allocate 8, release 8, allocate 29 — no freed address returns before the wrap', async () => {
      await ipam.createNetwork({ id: 'rr', subnets: [{ subnet: '10.4.0.0/27' }] });
      const first: string[] = [];
      for (let i = 0; i < 8; i++) first.push((await ipam.allocate('rr', { endpointId: `a${i}` })).ipv4!.address);
      for (const address of first) expect(await ipam.release('rr', address)).to.include({ address });
      const second: string[] = [];
      for (let i = 0; i < 29; i++) second.push((await ipam.allocate('rr', { endpointId: `b${i}` })).ipv4!.address);
      const host = (a: string): number => Number(a.split('.')[3]);
      expect(first.map(host)).to.deep.equal([2, 3, 4, 5, 6, 7, 8, 9]);
      // .10–.30 first (21 never-used addresses), then the wrap, then the freed .2–.9.
      expect(second.map(host)).to.deep.equal([...Array.from({ length: 21 }, (_, i) => 10 + i), 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(await rejection(ipam.allocate('rr', { endpointId: 'c' }))).to.be.instanceOf(PoolExhaustedError);
    });

    it('exhausts exactly at capacity, and frees capacity on release', async () => {
      for (const [subnet, capacity] of [['10.5.0.0/29', 5], ['10.6.0.0/30', 1], ['fd00:6::/125', 6]] as const) {
        const id = subnet.replace(/[^0-9a-z]/g, '');
        await ipam.createNetwork({ id, subnets: [{ subnet }], ipv4: subnet.includes(':') ? false : undefined });
        for (let i = 0; i < capacity; i++) await ipam.allocate(id, { endpointId: `e${i}` });
        const err = await rejection(ipam.allocate(id, { endpointId: 'over' }));
        expect(err, subnet).to.be.instanceOf(PoolExhaustedError);
        expect(err.message).to.contain(subnet);
        await ipam.releaseEndpoint(id, 'e0');
        await ipam.allocate(id, { endpointId: 'again' });
      }
    });

    it('releases idempotently, by address or by endpoint', async () => {
      await ipam.createNetwork({ id: 'r', ipv6: true });
      const a = await ipam.allocate('r', { endpointId: 'e' });
      expect(await ipam.release('r', a.ipv4!.address)).to.include({ address: '172.18.0.2' });
      expect(await ipam.release('r', a.ipv4!.address)).to.equal(undefined);
      expect((await ipam.releaseEndpoint('r', 'e')).map((l) => l.address)).to.deep.equal([a.ipv6!.address]);
      expect(await ipam.releaseEndpoint('r', 'e')).to.deep.equal([]);
      expect(await ipam.leases('r')).to.deep.equal([]);
    });

    it('gc frees the leases of owners that are not live, in every network', async () => {
      await ipam.createNetwork({ id: 'g1' });
      await ipam.createNetwork({ id: 'g2', ipv6: true });
      for (const ep of ['live1', 'dead1', 'live2']) await ipam.allocate('g1', { endpointId: ep });
      await ipam.allocate('g2', { endpointId: 'dead2', netns: '4:1' });
      const freed = await ipam.gc(['live1', 'live2']);
      expect(freed.map((l) => `${l.networkId}/${l.owner.endpointId}/${l.family}`).sort()).to.deep.equal(['g1/dead1/4', 'g2/dead2/4', 'g2/dead2/6']);
      expect(await ipam.gc(['live1', 'live2'])).to.deep.equal([]);
      expect((await ipam.leases('g1')).map((l) => l.owner.endpointId).sort()).to.deep.equal(['live1', 'live2']);
      // A predicate (async: it may look at namespaces) works too.
      const byNetns = await ipam.gc(async (o) => o.endpointId !== 'live2');
      expect(byNetns.map((l) => l.owner.endpointId)).to.deep.equal(['live2']);
    });

    it('returns copies: changing a result does not change the store', async () => {
      await ipam.createNetwork({ id: 'c' });
      const a = await ipam.allocate('c', { endpointId: 'e' });
      a.ipv4!.owner.endpointId = 'mallory';
      (await ipam.leases('c'))[0]!.owner.endpointId = 'mallory';
      expect((await ipam.leases('c'))[0]!.owner.endpointId).to.equal('e');
    });
  });

  describe('bad input: a ValidationError, and nothing stored', () => {
    const badNetworks: Array<[string, unknown]> = [
      ['subnets[0].subnet', { subnets: [{ subnet: '10.0.0.0/33' }] }],
      ['subnets[0].subnet', { subnets: [{ subnet: '10.0.0' }] }],
      ['subnets[0].subnet', { subnets: [{ subnet: '10.0.0.1/24' }] }],
      ['subnets[0].subnet', { subnets: [{ subnet: 'fd00::/200' }] }],
      ['subnets[0].subnet', { subnets: [{ subnet: '10.0.0.0/31' }] }],
      ['subnets[0].subnet', { subnets: [{ subnet: 'fd00::/127' }] }],
      ['subnets[0].subnet', { subnets: [{ gateway: '10.0.0.1' }] }],
      ['subnets[0].gateway', { subnets: [{ subnet: '10.0.0.0/24', gateway: '10.0.1.1' }] }],
      ['subnets[0].gateway', { subnets: [{ subnet: '10.0.0.0/24', gateway: '10.0.0.0' }] }],
      ['subnets[0].gateway', { subnets: [{ subnet: '10.0.0.0/24', gateway: '10.0.0.255' }] }],
      ['subnets[0].gateway', { subnets: [{ subnet: '10.0.0.0/24', gateway: 'fd00::1' }] }],
      ['subnets[0].ipRange', { subnets: [{ subnet: '10.0.0.0/24', ipRange: '10.0.0.0/23' }] }],
      ['subnets[0].ipRange', { subnets: [{ subnet: '10.0.0.0/24', ipRange: '10.0.1.0/25' }] }],
      ['subnets[0].ipRange', { subnets: [{ subnet: '10.0.0.0/24', ipRange: '10.0.0.255/32' }] }],
      ['subnets[0].ipRange', { subnets: [{ subnet: '10.0.0.0/24', ipRange: 'nope' }] }],
      ['subnets[0].auxAddresses.r', { subnets: [{ subnet: '10.0.0.0/24', auxAddresses: { r: '10.9.0.1' } }] }],
      ['subnets[0].auxAddresses.r', { subnets: [{ subnet: '10.0.0.0/24', auxAddresses: { r: '10.0.0.1' } }] }],
      ['subnets[1]', { subnets: [{ subnet: '10.0.0.0/24' }, { subnet: '10.1.0.0/24' }] }],
      ['ipv6', { ipv6: false, subnets: [{ subnet: 'fd00::/64' }] }],
      ['ipv4', { ipv4: false }],
      ['id', { id: '../etc' }],
      ['id', { id: '' }],
      ['hostRoutes[0]', { hostRoutes: ['bogus'] }],
    ];
    for (const [field, spec] of badNetworks) {
      it(`createNetwork ${JSON.stringify(spec)} → ${field}`, async () => {
        const { hostRoutes, ...rest } = spec as { hostRoutes?: string[] };
        await rejectsValidation(ipam.createNetwork({ id: 'bad', ...rest } as never, { hostRoutes }), field);
        expect(await ipam.listNetworks()).to.deep.equal([]);
      });
    }

    it('rejects pools whose subnets are too small when the Ipam is made', () => {
      expect(() => new Ipam(new MemoryStore(), { pools: [{ base: '10.0.0.0/8', size: 31 }] })).to.throw(/too small/);
      expect(() => new Ipam(new MemoryStore(), { defaultBridgePools: [{ base: '10.0.0.0/24', size: 16 }] })).to.throw(/defaultBridgePools\[0\]\.size/);
    });

    const badRequests: Array<[string, unknown, unknown]> = [
      ['ip', { endpointId: 'e' }, { ip: '10.7.1.5' }],
      ['ip', { endpointId: 'e' }, { ip: '10.7.0.0' }],
      ['ip', { endpointId: 'e' }, { ip: '10.7.0.255' }],
      ['ip', { endpointId: 'e' }, { ip: 'fd00::5' }],
      ['ip', { endpointId: 'e' }, { ip: '10.7.0' }],
      ['ip6', { endpointId: 'e' }, { ip6: 'fd00::5' }],
      ['families', { endpointId: 'e' }, { families: [6] }],
      ['families', { endpointId: 'e' }, { families: [4, 4] }],
      ['owner.endpointId', { endpointId: '' }, {}],
      ['owner', null, {}],
      ['owner.containerId', { endpointId: 'e', containerId: 5 }, {}],
    ];
    for (const [field, owner, request] of badRequests) {
      it(`allocate ${JSON.stringify(owner)} ${JSON.stringify(request)} → ${field}`, async () => {
        await ipam.createNetwork({ id: 'v', subnets: [{ subnet: '10.7.0.0/24' }] });
        await rejectsValidation(ipam.allocate('v', owner as never, request as never), field);
        expect(await ipam.leases('v')).to.deep.equal([]);
      });
    }

    it('rejects a malformed address on release, and a network id that is not a name', async () => {
      await ipam.createNetwork({ id: 'v' });
      await rejectsValidation(ipam.release('v', '10.0.0.300'), 'address');
      await rejectsValidation(ipam.allocate('../v', { endpointId: 'e' }), 'networkId');
      await rejectsValidation(ipam.leases('v/'), 'networkId');
    });
  });
});
