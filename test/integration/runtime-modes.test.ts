/**
 * The runtime's network modes against the real kernel. Each test gets its own "host"
 * namespace and state directory; witnesses are `ip -j` inside the namespaces and real
 * TCP between them.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Netns, startTcpServer, tcpRequest, ValidationError } from '../../lib';
import { containerNetnsName } from '../../lib/runtime/containers';
import { ConflictError, NoSuchObjectError } from '../../lib/runtime/errors';
import { Host } from '../../lib/runtime/host';
import { failAt } from '../../lib/runtime/transaction';
import { ipJson, requireSandbox, uniqueName } from '../support/sandbox';
import { normalised, rulesetJson } from '../support/topology';

interface World {
  hostNs: Netns;
  host: Host;
  stateDir: string;
}

async function makeWorld(): Promise<World> {
  const hostNs = await Netns.create(uniqueName('rth'));
  await (await hostNs.handle()).linkSet(1, { up: true });
  const stateDir = fs.mkdtempSync(path.join(process.env.NSNET_STATE_DIR ?? os.tmpdir(), 'rt-'));
  const host = await Host.open({ netns: hostNs.file!, stateDir });
  return { hostNs, host, stateDir };
}

async function destroyWorld(w: World): Promise<void> {
  for (const c of await w.host.containers.list()) await w.host.containers.remove(c.id, { force: true });
  await w.host.close();
  await w.hostNs.delete();
  fs.rmSync(w.stateDir, { recursive: true, force: true });
}

async function open(record: { netnsPath: string }): Promise<Netns> {
  return Netns.open(record.netnsPath);
}

/** Links of a namespace file, by iproute2 (run in that namespace through nsenter-free ip -n needs a name; use exec). */
function linksIn(nsName: string): Array<{ ifname: string; address: string; flags: string[] }> {
  return ipJson('-n', nsName, 'link');
}

function nsName(record: { netnsPath: string }): string {
  return path.basename(record.netnsPath);
}

/** The kernel state a failed setup must leave untouched: links of the host, netns files, records. */
function snapshot(w: World): string {
  const links = ipJson<Array<{ ifname: string }>>('-n', w.hostNs.name!, 'link').map((l) => l.ifname).sort();
  const addrs = ipJson<Array<{ ifname: string; addr_info: Array<{ local: string }> }>>('-n', w.hostNs.name!, 'addr')
    // Without the kernel's automatic IPv6 link-local addresses: a bridge gets one when a
    // port first gives it carrier (asynchronously, from linkwatch), nsnet neither makes
    // nor removes it, and it stays after the port is gone.
    .map((a) => `${a.ifname}:${a.addr_info.map((i) => i.local).filter((l) => !l.startsWith('fe80:')).join(',')}`)
    .sort();
  const netns = fs.readdirSync('/run/netns').filter((n) => n.startsWith('nsnet-')).sort();
  const files = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);
  const ruleset = normalised(rulesetJson(w.hostNs));
  return JSON.stringify({ links, addrs, netns, ruleset, networks: files(path.join(w.stateDir, 'networks')), containers: files(path.join(w.stateDir, 'containers')) });
}

describe('runtime: network modes (integration)', function () {
  requireSandbox();
  this.timeout(60_000);
  let w: World;

  beforeEach(async () => {
    w = await makeWorld();
  });

  afterEach(async () => {
    await destroyWorld(w);
  });

  it('bridge: the default bridge at 172.17.0.1/16, eth0 with an address and the gateway as default route', async () => {
    const a = await w.host.containers.create('a');
    const b = await w.host.containers.create('b');
    const br = ipJson<Array<{ ifname: string; addr_info: Array<{ local: string; prefixlen: number }> }>>('-n', w.hostNs.name!, '-4', 'addr', 'show', 'dev', 'nsnet0')[0]!;
    expect(br.addr_info.map((i) => `${i.local}/${i.prefixlen}`)).to.deep.equal(['172.17.0.1/16']);
    const eth0 = ipJson<Array<{ addr_info: Array<{ local: string; prefixlen: number }>; flags: string[] }>>(
      '-n', nsName(a), '-4', 'addr', 'show', 'dev', 'eth0',
    )[0]!;
    expect(eth0.flags).to.include('UP');
    expect(eth0.addr_info.map((i) => `${i.local}/${i.prefixlen}`)).to.deep.equal([a.endpoints[0]!.ipv4]);
    expect(a.endpoints[0]!.ipv4).to.match(/^172\.17\.0\.\d+\/16$/);
    // An IPv4-only network: eth0 has no IPv6 address at all, not even a link-local one.
    const eth0v6 = ipJson<Array<{ addr_info: unknown[] }>>('-n', nsName(a), '-6', 'addr', 'show', 'dev', 'eth0');
    expect(eth0v6.flatMap((l) => l.addr_info)).to.deep.equal([]);
    expect(linksIn(nsName(a)).find((l) => l.ifname === 'eth0')!.address).to.equal(a.endpoints[0]!.mac);
    const routes = ipJson<Array<{ dst: string; gateway?: string }>>('-n', nsName(a), 'route');
    expect(routes.find((r) => r.dst === 'default')).to.include({ gateway: '172.17.0.1' });
    expect(ipJson<Array<{ flags: string[] }>>('-n', nsName(a), 'link', 'show', 'dev', 'lo')[0]!.flags).to.include('UP');
    // The host end is a port of nsnet0.
    const port = ipJson<Array<{ master?: string }>>('-n', w.hostNs.name!, 'link', 'show', 'dev', a.endpoints[0]!.hostIfname)[0]!;
    expect(port.master).to.equal('nsnet0');

    // Real traffic: b reaches a by IP.
    const nsA = await open(a);
    const nsB = await open(b);
    const server = await startTcpServer(nsA, '0.0.0.0', 8080, 'a');
    try {
      const ipA = a.endpoints[0]!.ipv4!.split('/')[0]!;
      const r = await tcpRequest(nsB, ipA, 8080, { line: 'hi' });
      expect(r.reply).to.equal('a:hi');
      expect(r.local).to.equal(b.endpoints[0]!.ipv4!.split('/')[0]);
    } finally {
      await server.stop();
      nsA.close();
      nsB.close();
    }
  });

  it('none: its own namespace with loopback up and nothing else', async () => {
    const c = await w.host.containers.create('n', { network: 'none' });
    expect(linksIn(nsName(c)).map((l) => l.ifname)).to.deep.equal(['lo']);
    expect(linksIn(nsName(c))[0]!.flags).to.include('UP');
    expect(ipJson<unknown[]>('-n', nsName(c), 'route')).to.deep.equal([]);
    expect(c.endpoints).to.deep.equal([]);
  });

  it("host: the host's namespace, nothing created, ports reported as ignored", async () => {
    const before = snapshot(w);
    const c = await w.host.containers.create('h', { network: 'host', ports: ['8080:80'] });
    expect(c.netnsPath).to.equal(w.hostNs.file);
    expect(c.ignoredPorts).to.deep.equal(['8080:80']);
    const after = JSON.parse(snapshot(w)) as { containers: string[] };
    expect({ ...after, containers: [] }).to.deep.equal({ ...JSON.parse(before), containers: [] });
    const ns = await open(c);
    expect(ns.equals(w.hostNs)).to.equal(true);
    ns.close();
  });

  it("container:<x>: joins x's namespace and reaches x's server on localhost", async () => {
    const x = await w.host.containers.create('x');
    const y = await w.host.containers.create('y', { network: 'container:x' });
    expect(y.netnsPath).to.equal(x.netnsPath);
    const nsX = await open(x);
    const nsY = await open(y);
    expect(nsY.equals(nsX)).to.equal(true);
    const server = await startTcpServer(nsX, '127.0.0.1', 9000, 'x');
    try {
      expect((await tcpRequest(nsY, '127.0.0.1', 9000)).reply).to.equal('x:ping');
    } finally {
      await server.stop();
      nsX.close();
      nsY.close();
    }
    for (const bad of [{ ports: ['80:80'] }, { ip: '172.17.0.9' }, { mac: '02:42:ac:11:00:09' }, { aliases: ['a'] }]) {
      expect(await w.host.containers.create('z', { network: 'container:x', ...bad }).catch((e: unknown) => e)).to.be.instanceOf(ValidationError);
    }
    expect(await w.host.containers.create('z', { network: 'container:nope' }).catch((e: unknown) => e)).to.be.instanceOf(NoSuchObjectError);
    // x cannot go while y shares its namespace, unless forced; then the namespace lives on with y.
    expect(await w.host.containers.remove('x').catch((e: unknown) => e)).to.be.instanceOf(ConflictError).and.include({ code: 'EBUSY' });
    await w.host.containers.remove('x', { force: true });
    expect(fs.existsSync(y.netnsPath)).to.equal(true);
    expect(linksIn(nsName(y)).map((l) => l.ifname)).to.include('eth0');
    await w.host.containers.remove('y');
    expect(fs.existsSync(y.netnsPath)).to.equal(false);
  });

  it('user-defined network: own bridge and subnet; connect gives eth1, disconnect removes it and eth0 keeps working', async () => {
    const net = await w.host.networks.create({ name: 'app' });
    expect(net.bridge).to.equal(`br-${net.id.slice(0, 12)}`);
    expect(net.subnets[0]!.subnet).to.equal('172.18.0.0/16');
    const a = await w.host.containers.create('a', { network: 'app' });
    expect(a.endpoints[0]!.ipv4).to.match(/^172\.18\.0\.\d+\/16$/);
    const b = await w.host.containers.create('b');
    // connect gives the running container a working eth1; disconnect removes it, eth0 keeps working.
    const ep = await w.host.containers.connect('b', 'app');
    expect(ep.ifname).to.equal('eth1');
    const nsA = await open(a);
    const nsB = await open(b);
    const server = await startTcpServer(nsA, '0.0.0.0', 7000, 'a');
    const ipA = a.endpoints[0]!.ipv4!.split('/')[0]!;
    try {
      const r = await tcpRequest(nsB, ipA, 7000);
      expect(r.reply).to.equal('a:ping');
      expect(r.local).to.equal(ep.ipv4!.split('/')[0]);
      await w.host.containers.disconnect('b', 'app');
      expect(linksIn(nsName(b)).map((l) => l.ifname)).to.not.include('eth1');
      expect(ipJson<Array<{ ifname: string }>>('-n', w.hostNs.name!, 'link').map((l) => l.ifname)).to.not.include(ep.hostIfname);
      const gw = await startTcpServer(w.hostNs, '172.17.0.1', 7001, 'host');
      try {
        expect((await tcpRequest(nsB, '172.17.0.1', 7001)).reply).to.equal('host:ping');
      } finally {
        await gw.stop();
      }
    } finally {
      await server.stop();
      nsA.close();
      nsB.close();
    }
    expect(await w.host.networks.remove('app').catch((e: unknown) => e)).to.be.instanceOf(ConflictError).and.include({ code: 'EBUSY' });
    await w.host.containers.remove('a');
    await w.host.networks.remove('app');
    expect(ipJson<Array<{ ifname: string }>>('-n', w.hostNs.name!, 'link').map((l) => l.ifname)).to.not.include(net.bridge);
  });

  it("inspect returns Docker's shapes", async () => {
    const net = await w.host.networks.create({ name: 'insp', labels: { team: 'a' }, icc: false });
    const c = await w.host.containers.create('web', { network: 'insp', aliases: ['www'] });
    const ni = await w.host.networks.inspect('insp');
    expect(ni).to.include({ Name: 'insp', Id: net.id, Scope: 'local', Driver: 'bridge', EnableIPv6: false, Internal: false });
    expect(ni.IPAM.Config).to.deep.equal([{ Subnet: net.subnets[0]!.subnet, Gateway: net.subnets[0]!.gateway }]);
    expect(ni.Containers[c.id]).to.deep.equal({
      Name: 'web', EndpointID: c.endpoints[0]!.id, MacAddress: c.endpoints[0]!.mac, IPv4Address: c.endpoints[0]!.ipv4, IPv6Address: '',
    });
    expect(ni.Options['com.docker.network.bridge.enable_icc']).to.equal('false');
    expect(ni.Labels).to.deep.equal({ team: 'a' });
    const ci = await w.host.containers.inspect('web');
    expect(ci.SandboxKey).to.equal(c.netnsPath);
    expect(ci.Networks.insp).to.include({ NetworkID: net.id, EndpointID: c.endpoints[0]!.id, IPAddress: c.endpoints[0]!.ipv4!.split('/')[0], IPPrefixLen: 16 });
    expect(ci.Networks.insp!.Aliases).to.deep.equal(['www']);
    // The MAC the kernel reports is the one inspect shows.
    expect(linksIn(nsName(c)).find((l) => l.ifname === 'eth0')!.address).to.equal(ci.Networks.insp!.MacAddress);
  });

  it('a second process on the same state directory sees and removes what the first made', async () => {
    const net = await w.host.networks.create({ name: 'shared' });
    const c = await w.host.containers.create('c', { network: 'shared' });
    const other = await Host.open({ netns: w.hostNs.file!, stateDir: w.stateDir });
    try {
      expect((await other.networks.list()).map((n) => n.name)).to.include('shared');
      expect((await other.containers.get('c')).endpoints[0]!.ipv4).to.equal(c.endpoints[0]!.ipv4);
      await other.containers.remove('c');
      await other.networks.remove('shared');
    } finally {
      await other.close();
    }
    expect(fs.existsSync(c.netnsPath)).to.equal(false);
    expect(ipJson<Array<{ ifname: string }>>('-n', w.hostNs.name!, 'link').map((l) => l.ifname)).to.not.include.members([net.bridge, c.endpoints[0]!.hostIfname]);
  });

  it('a host never plans against a view another process changed since (no stale records under the lock)', async () => {
    const other = await Host.open({ netns: w.hostNs.file!, stateDir: w.stateDir });
    try {
      await w.host.containers.create('first', { network: 'none' }); // w.host now holds a listing
      await other.containers.create('taken', { network: 'none' });
      // w.host's listing predates 'taken': it must notice and refuse the duplicate name.
      const err = await w.host.containers.create('taken', { network: 'none' }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ConflictError);
      await other.containers.remove('first');
      // ...and must not see 'first' any more when it plans the next change.
      await w.host.containers.create('first', { network: 'none' });
      expect((await w.host.containers.list()).map((c) => c.name).sort()).to.deep.equal(['first', 'taken']);
    } finally {
      await other.close();
    }
  });

  it('a failure injected at each setup step leaves the kernel and the store as before', async () => {
    await w.host.networks.create({ name: 'inj', icc: false });
    await w.host.containers.create('warm'); // the default network exists from here on
    for (let step = 0; ; step++) {
      const before = snapshot(w);
      w.host.setFaults(failAt(step));
      const err = await w.host.containers.create(`c${step}`, { network: 'inj', ports: ['8080:80'] }).catch((e: unknown) => e);
      w.host.setFaults(undefined);
      if (!(err instanceof Error)) {
        // Past the last step: the setup succeeded; every earlier position was checked.
        expect(step).to.be.greaterThan(5);
        break;
      }
      expect((err as { code?: string }).code, `step ${step}`).to.equal('EFAULTINJECTED');
      expect(snapshot(w), `after a failure at step ${step}`).to.equal(before);
    }
    for (let step = 0; ; step++) {
      const before = snapshot(w);
      w.host.setFaults(failAt(step));
      const err = await w.host.networks.create({ name: `n${step}` }).catch((e: unknown) => e);
      w.host.setFaults(undefined);
      if (!(err instanceof Error)) break;
      expect(snapshot(w), `network, failure at step ${step}`).to.equal(before);
    }
  });

  it('rejects bad input with typed errors and changes nothing', async () => {
    await w.host.containers.create('dup');
    const before = snapshot(w);
    const cases: Array<[() => Promise<unknown>, Function]> = [
      [() => w.host.containers.create('x', { network: 'nonexistent' }), NoSuchObjectError],
      [() => w.host.containers.create('dup'), ConflictError],
      [() => w.host.containers.create('bad name'), ValidationError],
      [() => w.host.containers.create('x', { ip: '10.9.9.9' }), ValidationError],
      [() => w.host.networks.create({ name: 'bridge' }), ConflictError],
      [() => w.host.networks.create({ name: 'x', driver: 'overlay' as never }), ValidationError],
      [() => w.host.networks.create({ name: 'x', mtu: 10 }), ValidationError],
      [() => w.host.networks.remove('bridge'), ConflictError],
      [() => w.host.networks.remove('nope'), NoSuchObjectError],
      [() => w.host.containers.remove('nope'), NoSuchObjectError],
    ];
    for (const [attempt, type] of cases) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err, attempt.toString()).to.be.instanceOf(type);
    }
    expect(snapshot(w)).to.equal(before);
  });

  it('tears down idempotently in a fresh process, also when the namespace vanished', async () => {
    const c = await w.host.containers.create('gone');
    const name = containerNetnsName(c.id);
    await Netns.deleteByName(name);
    const fresh = await Host.open({ netns: w.hostNs.file!, stateDir: w.stateDir });
    try {
      await fresh.containers.remove('gone');
      expect(await fresh.containers.remove('gone').catch((e: unknown) => e)).to.be.instanceOf(NoSuchObjectError);
    } finally {
      await fresh.close();
    }
    expect(ipJson<Array<{ ifname: string }>>('-n', w.hostNs.name!, 'link').map((l) => l.ifname)).to.not.include(c.endpoints[0]!.hostIfname);
  });
});
