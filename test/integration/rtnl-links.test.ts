/**
 * RtnlHandle's link verbs against the real kernel. The witness is `ip -j -d link` run
 * inside the test's own namespaces, never our own decoder.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { AggregateNsnetError, AlreadyExistsError, Netns, NotFoundError, RtnlHandle, ValidationError } from '../../lib';
import { ipJson, requireSandbox, uniqueName } from '../support/sandbox';

interface IpLink {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  address: string;
  master?: string;
  link_netnsid?: number;
  num_tx_queues?: number;
  num_rx_queues?: number;
  linkinfo?: {
    info_kind?: string;
    info_data?: Record<string, unknown>;
    info_slave_kind?: string;
    info_slave_data?: Record<string, unknown>;
  };
}

function ipLink(ns: Netns, name: string): IpLink {
  return ipJson<IpLink[]>('-n', ns.name!, '-d', 'link', 'show', 'dev', name)[0]!;
}

function ipLinkNames(ns: Netns): string[] {
  return ipJson<IpLink[]>('-n', ns.name!, 'link').map((l) => l.ifname);
}

/** Counts the requests a handle sends, to prove that rejected input sends none. */
function countRequests(h: RtnlHandle): () => number {
  const transport = (h as unknown as { transport: { transact: (...a: unknown[]) => unknown } }).transport;
  const original = transport.transact.bind(transport);
  let count = 0;
  transport.transact = (...args: unknown[]) => {
    count += 1;
    return original(...args);
  };
  return () => count;
}

describe('RtnlHandle links (integration)', function () {
  requireSandbox();
  let ns: Netns;
  let other: Netns;
  let h: RtnlHandle;

  beforeEach(async () => {
    ns = await Netns.create(uniqueName('lk'));
    other = await Netns.create(uniqueName('lko'));
    h = await ns.handle();
  });

  afterEach(async () => {
    await ns.delete();
    await other.delete();
  });

  it('creates a bridge that ip -d link reports as such', async () => {
    const created = await h.linkAdd({ kind: 'bridge', name: 'br0', mtu: 1400, mac: '02:00:00:00:01:01', up: true, bridge: { stpState: 0, ageingTime: 6000 } });
    const seen = ipLink(ns, 'br0');
    expect(created.index).to.equal(seen.ifindex);
    expect(created.name).to.equal('br0');
    expect(seen.linkinfo?.info_kind).to.equal('bridge');
    expect(seen.mtu).to.equal(1400);
    expect(seen.address).to.equal('02:00:00:00:01:01');
    expect(seen.flags).to.include('UP');
    expect(seen.linkinfo?.info_data?.ageing_time).to.equal(6000);
  });

  it('creates a veth whose peer is born inside another namespace under its final name', async () => {
    await h.linkAdd({ kind: 'veth', name: 'veth0', up: true, peer: { name: 'eth0', netns: other, mac: '02:00:00:00:02:02', mtu: 1450 } });
    const host = ipLink(ns, 'veth0');
    expect(host.linkinfo?.info_kind).to.equal('veth');
    expect(host.link_netnsid).to.be.a('number');
    expect(ipLinkNames(ns)).to.not.include('eth0');
    const peer = ipLink(other, 'eth0');
    expect(peer.linkinfo?.info_kind).to.equal('veth');
    expect(peer.address).to.equal('02:00:00:00:02:02');
    expect(peer.mtu).to.equal(1450);
  });

  it('gives each veth end one queue unless told otherwise (the kernel would give one per CPU, then trim)', async () => {
    await h.linkAdd({ kind: 'veth', name: 'vq0', peer: { name: 'eth0', netns: other } });
    await h.linkAdd({ kind: 'veth', name: 'vq1', queues: 3, peer: { name: 'vq2' } });
    const queues = (l: IpLink): number[] => [l.num_tx_queues!, l.num_rx_queues!];
    expect(queues(ipLink(ns, 'vq0'))).to.deep.equal([1, 1]);
    expect(queues(ipLink(other, 'eth0'))).to.deep.equal([1, 1]);
    expect(queues(ipLink(ns, 'vq1'))).to.deep.equal([3, 3]);
    expect(queues(ipLink(ns, 'vq2'))).to.deep.equal([3, 3]);
    // What `ip link add` makes, for contrast: the kernel's count, which the test needs more than one CPU to tell apart.
    execFileSync('ip', ['-n', ns.name!, 'link', 'add', 'vq3', 'type', 'veth', 'peer', 'name', 'vq4']);
    const possible = fs.readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
    if (possible !== '0') expect(ipLink(ns, 'vq3').num_tx_queues).to.be.above(1);
  });

  it('creates macvlan and vxlan links on a parent given by name', async () => {
    await h.linkAdd({ kind: 'veth', name: 'v0', peer: { name: 'v1' } });
    await h.linkAdd({ kind: 'macvlan', name: 'mv0', parent: 'v0', mode: 'bridge' });
    const mv = ipLink(ns, 'mv0');
    expect(mv.linkinfo?.info_kind).to.equal('macvlan');
    expect(mv.linkinfo?.info_data?.mode).to.equal('bridge');
    await h.linkAdd({ kind: 'vxlan', name: 'vx0', vni: 42, port: 4789, local: '10.0.0.1', dev: 'v0', learning: false });
    const vx = ipLink(ns, 'vx0');
    expect(vx.linkinfo?.info_kind).to.equal('vxlan');
    expect(vx.linkinfo?.info_data).to.include({ id: 42, port: 4789, local: '10.0.0.1', learning: false });
  });

  it('reads one link by name and by index, and lists them all', async () => {
    const br = await h.linkAdd({ kind: 'bridge', name: 'br1' });
    const byName = await h.linkGet('br1');
    const byIndex = await h.linkGet(br.index);
    expect(byName.index).to.equal(ipLink(ns, 'br1').ifindex);
    expect(byIndex.name).to.equal('br1');
    expect(byName.linkinfo?.kind).to.equal('bridge');
    const listed = await h.linkList();
    expect(listed.map((l) => l.name)).to.deep.equal(ipLinkNames(ns));
  });

  it('changes up/down, mtu, mac and name, as ip link set does', async () => {
    await h.linkAdd({ kind: 'veth', name: 'a0', peer: { name: 'b0' } });
    await h.linkSet('a0', { up: true, mtu: 1300, mac: '02:00:00:00:03:03' });
    let seen = ipLink(ns, 'a0');
    expect(seen.flags).to.include('UP');
    expect(seen).to.include({ mtu: 1300, address: '02:00:00:00:03:03' });
    await h.linkSet('a0', { up: false });
    await h.linkSet('a0', { name: 'renamed0' });
    seen = ipLink(ns, 'renamed0');
    expect(seen.flags).to.not.include('UP');
    expect(ipLinkNames(ns)).to.not.include('a0');
  });

  it('sets addrgenmode before bringing the link up, so none means no link-local address', async () => {
    await h.linkAdd({ kind: 'veth', name: 'g0', peer: { name: 'g1' } });
    await h.linkSet('g0', { addrGenMode: 'none', up: true });
    await h.linkSet('g1', { up: true });
    const details = ipJson<Array<{ inet6_addr_gen_mode?: string }>>('-n', ns.name!, '-d', 'link', 'show', 'dev', 'g0')[0]!;
    expect(details.inet6_addr_gen_mode).to.equal('none');
    const addrs = (dev: string) =>
      ipJson<Array<{ addr_info: Array<{ family: string; scope: string }> }>>('-n', ns.name!, 'addr', 'show', 'dev', dev)[0]!.addr_info;
    expect(addrs('g0')).to.deep.equal([]);
    // The other end, left at the default (eui64), does get one: the check can tell.
    expect(addrs('g1').map((a) => `${a.family}/${a.scope}`)).to.deep.equal(['inet6/link']);
  });

  it('enslaves to a bridge with port flags, and releases with nomaster', async () => {
    await h.linkAdd({ kind: 'bridge', name: 'br2' });
    await h.linkAdd({ kind: 'veth', name: 'p0', peer: { name: 'p1' } });
    await h.linkSet('p0', { master: 'br2', hairpin: true, isolated: true, learning: false });
    const port = ipLink(ns, 'p0');
    expect(port.master).to.equal('br2');
    expect(port.linkinfo?.info_slave_kind).to.equal('bridge');
    expect(port.linkinfo?.info_slave_data).to.include({ hairpin: true, isolated: true, learning: false });
    await h.linkSet('p0', { hairpin: false });
    expect(ipLink(ns, 'p0').linkinfo?.info_slave_data).to.include({ hairpin: false, isolated: true });
    await h.linkSet('p0', { master: null });
    expect(ipLink(ns, 'p0').master).to.equal(undefined);
  });

  it('creates a veth already enslaved to a bridge and up, in one request', async () => {
    const br = await h.linkAdd({ kind: 'bridge', name: 'br3', up: true });
    await h.linkAdd({ kind: 'veth', name: 'e0', master: br.index, up: true, peer: { name: 'eth0', netns: other } });
    const port = ipLink(ns, 'e0');
    expect(port.master).to.equal('br3');
    expect(port.flags).to.include('UP');
    expect(port.linkinfo?.info_slave_kind).to.equal('bridge');
  });

  it('moves a link into another namespace', async () => {
    await h.linkAdd({ kind: 'veth', name: 'm0', peer: { name: 'm1' } });
    await h.linkSet('m1', { netns: other });
    expect(ipLinkNames(ns)).to.not.include('m1');
    expect(ipLinkNames(other)).to.include('m1');
  });

  it('deletes links; a veth takes its peer; deleting many at once reports the missing', async () => {
    await h.linkAdd({ kind: 'veth', name: 'd0', peer: { name: 'd1' } });
    await h.linkDel('d0');
    expect(ipLinkNames(ns)).to.not.include.members(['d0', 'd1']);
    await h.linkAdd({ kind: 'bridge', name: 'bulk0' });
    const b1 = await h.linkAdd({ kind: 'bridge', name: 'bulk1' });
    // Bystanders: one in the default group, one in a group of the user's own.
    await h.linkAdd({ kind: 'bridge', name: 'keep0' });
    execFileSync('ip', ['-n', ns.name!, 'link', 'add', 'keep1', 'group', '7', 'type', 'bridge']);
    const result = await h.linkDelMany(['bulk0', b1.index, 'gone0']);
    expect(result).to.deep.equal({ deleted: 2, missing: ['gone0'] });
    expect(ipLinkNames(ns).sort()).to.deep.equal(['keep0', 'keep1', 'lo']);
    // Many veths (their peers with them) in one group deletion; nothing else touched.
    for (let i = 0; i < 20; i++) await h.linkAdd({ kind: 'veth', name: `m${i}`, peer: { name: `p${i}` } });
    expect(await h.linkDelMany(Array.from({ length: 20 }, (_, i) => `m${i}`))).to.deep.equal({ deleted: 20, missing: [] });
    expect(ipLinkNames(ns).sort()).to.deep.equal(['keep0', 'keep1', 'lo']);
    const groups = ipJson<Array<{ ifname: string; group: string }>>('-n', ns.name!, 'link').map((l) => `${l.ifname}:${l.group}`);
    expect(groups).to.include.members(['keep0:default', 'keep1:7']);
    // lo cannot be deleted, which fails a group deletion as a whole: the others still go,
    // lo's refusal is reported, and lo is back in its own group.
    const err = await h.linkDelMany(['keep0', 'lo']).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(AggregateNsnetError);
    expect((err as AggregateNsnetError).errors).to.have.length(1);
    expect(ipLinkNames(ns).sort()).to.deep.equal(['keep1', 'lo']);
    expect(ipJson<Array<{ ifname: string; group: string }>>('-n', ns.name!, 'link').find((l) => l.ifname === 'lo')!.group).to.equal('default');
  });

  it('reports a duplicate as AlreadyExistsError with the kernel fields', async () => {
    await h.linkAdd({ kind: 'bridge', name: 'dup0' });
    const err = await h.linkAdd({ kind: 'bridge', name: 'dup0' }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(AlreadyExistsError);
    expect(err).to.include({ code: 'EEXIST', errno: -17, syscall: 'RTM_NEWLINK', op: 'linkAdd', target: 'dup0' });
  });

  it('reports a missing link as NotFoundError for get, set and delete', async () => {
    for (const attempt of [() => h.linkGet('nope0'), () => h.linkGet(99999), () => h.linkDel('nope0'), () => h.linkSet('nope0', { up: true })]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).to.be.instanceOf(NotFoundError);
      expect((err as NotFoundError).code).to.equal('ENODEV');
      expect((err as NotFoundError).errno).to.equal(-19);
    }
  });

  it('rejects each invalid input with ValidationError and sends nothing', async () => {
    const sent = countRequests(h);
    const bad: Array<() => Promise<unknown>> = [
      () => h.linkAdd({ kind: 'bridge', name: 'x'.repeat(16) }),
      () => h.linkAdd({ kind: 'bridge', name: 'a/b' }),
      () => h.linkAdd({ kind: 'bridge', name: 'a b' }),
      () => h.linkAdd({ kind: 'bridge', name: 'eth%d' }),
      () => h.linkAdd({ kind: 'bridge', name: 'ctl\u0007' }),
      () => h.linkAdd({ kind: 'bridge', name: 'br9', mtu: 67 }),
      () => h.linkAdd({ kind: 'bridge', name: 'br9', mtu: 70000 }),
      () => h.linkAdd({ kind: 'bridge', name: 'br9', mac: '02:00:00:00:00' }),
      () => h.linkAdd({ kind: 'bridge', name: 'br9', mac: '01:00:5e:00:00:01' }),
      () => h.linkAdd({ kind: 'veth', name: 'v9', peer: { name: '' } }),
      () => h.linkAdd({ kind: 'veth', name: 'v9', queues: 0, peer: { name: 'v8' } }),
      () => h.linkAdd({ kind: 'veth', name: 'v9', queues: 4097, peer: { name: 'v8' } }),
      () => h.linkAdd({ kind: 'veth', name: 'v9', queues: 1.5, peer: { name: 'v8' } }),
      () => h.linkAdd({ kind: 'nonsense', name: 'x9' } as never),
      () => h.linkSet('lo', { mtu: 10 }),
      () => h.linkSet('bad name', { up: true }),
      () => h.linkSet('lo', { addrGenMode: 'bogus' as never }),
      () => h.addrAdd('lo', '10.0.0.1'),
      () => h.addrAdd('lo', '10.0.0.1/33'),
      () => h.addrAdd('lo', '300.0.0.1/8'),
      () => h.routeAdd({ dst: '10.0.0.0/8', gateway: 'fd00::1' }),
      () => h.routeAdd({ dst: 'nowhere' }),
      () => h.neighAdd({ dev: 'lo', dst: '10.0.0.9', lladdr: 'zz:00:00:00:00:00' }),
    ];
    for (const attempt of bad) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err, attempt.toString()).to.be.instanceOf(ValidationError);
    }
    expect(sent()).to.equal(0);
    expect(ipLinkNames(ns)).to.deep.equal(['lo']);
    // The counter does count: one valid request is one transact.
    await h.linkGet('lo');
    expect(sent()).to.equal(1);
  });

  it('dumps 2,000 links and parses every one', async function () {
    this.timeout(120_000);
    const names: string[] = [];
    for (let i = 0; i < 1000; i++) names.push(`bv${i}`);
    // 1,000 veth pairs = 2,000 links; created concurrently, serialised on one socket.
    await Promise.all(names.map((name, i) => h.linkAdd({ kind: 'veth', name, peer: { name: `bp${i}` } })));
    const listed = await h.linkList();
    expect(listed).to.have.length(2001);
    const ipNames = ipLinkNames(ns);
    expect(listed.map((l) => l.name).sort()).to.deep.equal([...ipNames].sort());
    expect(listed.filter((l) => l.linkinfo?.kind === 'veth')).to.have.length(2000);
    // Deleting the namespace frees them in the kernel's batched netns cleanup.
  });
});
