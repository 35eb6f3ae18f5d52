/**
 * The runtime with its firewall: publishing, masquerade, isolation, icc and internal
 * networks, on the test topology (host ─ outside, host ─ attacker). Witnesses: real TCP,
 * and `nft -j list ruleset` inside the host namespace.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Host, Netns, startTcpServer, tcpRequest, type ContainerRecord, type TcpServer } from '../../lib';
import { PortConflictError } from '../../lib/firewall';
import { requireSandbox } from '../support/sandbox';
import { ipIn, normalised, rulesetJson, Topology, UPLINK } from '../support/topology';

const ipOf = (cidr: string | undefined): string => (cidr ?? '').split('/')[0]!;

describe('runtime with firewall (integration)', function () {
  requireSandbox();
  this.timeout(60_000);
  let t: Topology;
  let host: Host;
  let stateDir: string;
  const servers: TcpServer[] = [];
  const opened: Netns[] = [];

  async function ns(c: ContainerRecord): Promise<Netns> {
    const n = await Netns.open(c.netnsPath);
    opened.push(n);
    return n;
  }

  async function serve(c: ContainerRecord, port: number): Promise<void> {
    servers.push(await startTcpServer(await ns(c), '0.0.0.0', port, c.name));
  }

  beforeEach(async () => {
    t = await Topology.create();
    stateDir = fs.mkdtempSync(path.join(process.env.NSNET_STATE_DIR ?? os.tmpdir(), 'rtfw-'));
    host = await Host.open({ netns: t.host.file!, stateDir });
  });

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
    for (const n of opened.splice(0)) n.close();
    for (const c of await host.containers.list()) await host.containers.remove(c.id, { force: true });
    await host.close();
    await t.teardown();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('publishes -p 8080:80 to the outside and to the host, and masquerades outbound traffic', async () => {
    const web = await host.containers.create('web', { ports: ['8080:80'] });
    await serve(web, 80);
    const fromOutside = await tcpRequest(t.outside, UPLINK.host4, 8080);
    expect(fromOutside.reply).to.equal('web:ping');
    const fromHost = await tcpRequest(t.host, UPLINK.host4, 8080);
    expect(fromHost.reply).to.equal('web:ping');
    servers.push(await startTcpServer(t.outside, UPLINK.outside4, 9000, 'outside'));
    const out = await tcpRequest(await ns(web), UPLINK.outside4, 9000, { line: 'whoami' });
    expect(out.reply).to.equal(`outside:${UPLINK.host4}`);
    // The mapping is one element of a dnat map, as nft lists it.
    const maps = rulesetJson(t.host).filter((o) => o.map).map((o) => o.map);
    const elems = JSON.stringify(maps.flatMap((m: { elem?: unknown[] }) => m.elem ?? []));
    expect(elems).to.include(ipOf(web.endpoints[0]!.ipv4)).and.include('8080');
    expect((await host.containers.inspect('web')).Ports).to.deep.equal({ '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] });
  });

  it('-P publishes an exposed port on a host port from the ephemeral range', async () => {
    const web = await host.containers.create('web', { publishAll: ['80/tcp'] });
    await serve(web, 80);
    const [mapping] = web.endpoints[0]!.published!;
    const [lo, hi] = (await t.host.getSysctl('net/ipv4/ip_local_port_range')).split(/\s+/).map(Number);
    expect(mapping!.hostPort).to.be.within(lo!, hi!);
    expect((await tcpRequest(t.outside, UPLINK.host4, mapping!.hostPort)).reply).to.equal('web:ping');
  });

  it('refuses a host port already published, changing nothing', async () => {
    await host.containers.create('a', { ports: ['8080:80'] });
    const before = JSON.stringify(normalised(rulesetJson(t.host)));
    const links = (await (await t.host.handle()).linkList()).length;
    // Refused before any kernel call: the host's rtnetlink socket sends nothing.
    const transport = (host as unknown as { ctx: { rtnl: { transport: { transact: (...a: unknown[]) => unknown } } } }).ctx.rtnl.transport;
    const original = transport.transact.bind(transport);
    let sent = 0;
    transport.transact = (...args: unknown[]) => {
      sent += 1;
      return original(...args);
    };
    const err = await host.containers.create('b', { ports: ['8080:81'] }).catch((e: unknown) => e);
    transport.transact = original;
    expect(err).to.be.instanceOf(PortConflictError);
    expect(sent).to.equal(0);
    expect(fs.readdirSync('/run/netns').filter((n) => n.startsWith('nsnet-'))).to.have.length(1);
    expect(JSON.stringify(normalised(rulesetJson(t.host)))).to.equal(before);
    expect((await (await t.host.handle()).linkList()).length).to.equal(links);
    expect((await host.containers.list()).map((c) => c.name)).to.deep.equal(['a']);
  });

  it('isolates networks from each other; each reaches the outside', async () => {
    await host.networks.create({ name: 'n1' });
    await host.networks.create({ name: 'n2' });
    const a = await host.containers.create('a', { network: 'n1' });
    const b = await host.containers.create('b', { network: 'n2' });
    await serve(a, 7000);
    await serve(b, 7000);
    expect((await tcpRequest(await ns(a), ipOf(b.endpoints[0]!.ipv4), 7000, { timeoutMs: 800 })).ok).to.equal(false);
    expect((await tcpRequest(await ns(b), ipOf(a.endpoints[0]!.ipv4), 7000, { timeoutMs: 800 })).ok).to.equal(false);
    servers.push(await startTcpServer(t.outside, UPLINK.outside4, 9000, 'outside'));
    expect((await tcpRequest(await ns(a), UPLINK.outside4, 9000, { line: 'whoami' })).reply).to.equal(`outside:${UPLINK.host4}`);
    // A container on both networks reaches both.
    const c = await host.containers.create('c', { network: 'n1' });
    await host.containers.connect('c', 'n2');
    const cn = await ns(c);
    expect((await tcpRequest(cn, ipOf(a.endpoints[0]!.ipv4), 7000)).reply).to.equal('a:ping');
    expect((await tcpRequest(cn, ipOf(b.endpoints[0]!.ipv4), 7000)).reply).to.equal('b:ping');
  });

  it('dual-stack network: IPv4 and IPv6 addresses and default routes, traffic, publishing and masquerade on both', async () => {
    // No subnet6: IPAM picks a ULA /64 (RFC 4193), as Docker's default pools would.
    const net = await host.networks.create({ name: 'dual', ipv6: true });
    const v6 = net.subnets.find((s) => s.subnet.includes(':'))!;
    expect(v6.subnet).to.match(/^fd[0-9a-f]{2}:/);
    const a = await host.containers.create('a', { network: 'dual', ports: ['8080:80'] });
    const b = await host.containers.create('b', { network: 'dual' });
    const ep = a.endpoints[0]!;
    expect(ep.ipv6 && ep.gateway6).to.be.a('string');
    // The kernel's view, from `ip -j` inside the container.
    const addrs = JSON.parse(ipIn(await ns(a), '-j', 'addr', 'show', 'dev', 'eth0')) as Array<{ addr_info: Array<{ family: string; local: string; prefixlen: number; scope: string }> }>;
    const global = addrs[0]!.addr_info.filter((x) => x.scope === 'global').map((x) => `${x.local}/${x.prefixlen}`);
    expect(global).to.have.members([ep.ipv4, ep.ipv6]);
    // On an IPv6 network eth0 keeps its link-local address (only IPv4-only networks go without).
    expect(addrs[0]!.addr_info.filter((x) => x.scope === 'link').map((x) => x.local.slice(0, 5))).to.deep.equal(['fe80:']);
    const routes6 = JSON.parse(ipIn(await ns(a), '-j', '-6', 'route', 'show', 'default')) as Array<{ gateway: string; dev: string }>;
    expect(routes6).to.deep.equal([{ ...routes6[0], dst: 'default', gateway: ep.gateway6, dev: 'eth0' }]);
    servers.push(await startTcpServer(await ns(a), '::', 80, 'a'));
    // Container to container over IPv6, with the source address preserved.
    const direct = await tcpRequest(await ns(b), ipOf(ep.ipv6), 80, { line: 'whoami' });
    expect(direct.reply).to.equal(`a:${ipOf(b.endpoints[0]!.ipv6)}`);
    // Published on both families: reached from the outside over IPv4 and IPv6.
    expect((await tcpRequest(t.outside, UPLINK.host4, 8080)).reply).to.equal('a:ping');
    expect((await tcpRequest(t.outside, UPLINK.host6, 8080)).reply).to.equal('a:ping');
    // Outbound IPv6 is masqueraded to the host's address, like IPv4.
    servers.push(await startTcpServer(t.outside, UPLINK.outside6, 9000, 'outside'));
    expect((await tcpRequest(await ns(b), UPLINK.outside6, 9000, { line: 'whoami' })).reply).to.equal(`outside:${UPLINK.host6}`);
    const inspect = await host.networks.inspect('dual');
    expect(inspect.EnableIPv6).to.equal(true);
    expect(inspect.IPAM.Config.map((c) => c.Subnet)).to.have.members(net.subnets.map((s) => s.subnet));
  });

  it('icc=false: containers on one bridge cannot talk, but each reaches the outside', async () => {
    await host.networks.create({ name: 'quiet', icc: false });
    const a = await host.containers.create('a', { network: 'quiet' });
    const b = await host.containers.create('b', { network: 'quiet' });
    await serve(a, 7000);
    expect((await tcpRequest(await ns(b), ipOf(a.endpoints[0]!.ipv4), 7000, { timeoutMs: 800 })).ok).to.equal(false);
    servers.push(await startTcpServer(t.outside, UPLINK.outside4, 9000, 'outside'));
    for (const c of [a, b]) expect((await tcpRequest(await ns(c), UPLINK.outside4, 9000)).reply).to.equal('outside:ping');
    // Control: the same pair on an icc network talks.
    await host.networks.create({ name: 'chatty' });
    const x = await host.containers.create('x', { network: 'chatty' });
    const y = await host.containers.create('y', { network: 'chatty' });
    await serve(x, 7000);
    expect((await tcpRequest(await ns(y), ipOf(x.endpoints[0]!.ipv4), 7000)).reply).to.equal('x:ping');
  });

  it('internal: containers talk among themselves but reach nothing outside', async () => {
    await host.networks.create({ name: 'vault', internal: true });
    const a = await host.containers.create('a', { network: 'vault' });
    const b = await host.containers.create('b', { network: 'vault' });
    await serve(a, 7000);
    expect((await tcpRequest(await ns(b), ipOf(a.endpoints[0]!.ipv4), 7000)).reply).to.equal('a:ping');
    servers.push(await startTcpServer(t.outside, UPLINK.outside4, 9000, 'outside'));
    expect((await tcpRequest(await ns(a), UPLINK.outside4, 9000, { timeoutMs: 800 })).ok).to.equal(false);
  });

  it('disconnect and remove take the rules away with the endpoint', async () => {
    await host.networks.create({ name: 'app' });
    const web = await host.containers.create('web', { network: 'app', ports: ['8080:80'] });
    const ruleset = (): string => JSON.stringify(rulesetJson(t.host));
    expect(ruleset()).to.include(ipOf(web.endpoints[0]!.ipv4));
    await host.containers.disconnect('web', 'app');
    expect(ruleset()).to.not.include(ipOf(web.endpoints[0]!.ipv4));
    await host.containers.remove('web');
    const n = await host.networks.get('app');
    await host.networks.remove('app');
    expect(ruleset()).to.not.include(n.id);
  });
});
