/**
 * lib/firewall against real traffic. One topology (test/support/topology.ts): a host with
 * three networks — A (icc on, IPv4 + IPv6), B (icc off), I (internal) — an outside
 * namespace behind the host's uplink and an attacker namespace on a link of its own.
 * Every claim is checked by packets between namespaces; where a claim is "X is blocked",
 * a control shows the same probe getting through once the rule that blocks it is gone
 * (a deliberately naive ruleset), so the test can fail.
 *
 * br_netfilter is off in the host: icc and isolation hold without it.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { startTcpServer, tcpRequest, type TcpServer } from '../../lib';
import { enableForwarding, Firewall } from '../../lib/firewall';
import { requireSandbox } from '../support/sandbox';
import {
  ATTACK,
  Container,
  HOST_IF,
  ipIn,
  nftIn,
  routeLoopbackVia,
  rulesetJson,
  startUdpServer,
  Topology,
  udpRequest,
  UPLINK,
  type UdpServer,
} from '../support/topology';

const BLOCKED_MS = 1000;

describe('Firewall: real traffic (integration)', function () {
  requireSandbox();
  this.timeout(60_000);
  let t: Topology;
  let fw: Firewall;
  const servers: Array<TcpServer | UdpServer> = [];
  let a1: Container, a2: Container, a3: Container, b1: Container, b2: Container, i1: Container;

  /** The reply line of a TCP probe, or its error. */
  async function tcp(from: Container | Topology['host'], host: string, port: number, timeoutMs = 3000): Promise<string> {
    const ns = 'ns' in from ? from.ns : from;
    const r = await tcpRequest(ns, host, port, { timeoutMs });
    return r.reply ?? `error:${r.error}`;
  }

  const blocked = (from: Container | Topology['host'], host: string, port: number): Promise<string> => tcp(from, host, port, BLOCKED_MS);

  const ep = (c: Container, network: string) => ({
    id: c.name,
    network,
    port: c.port,
    ...(c.ipv4 ? { ipv4: c.ipv4 } : {}),
    ...(c.ipv6 ? { ipv6: c.ipv6 } : {}),
  });

  before(async function () {
    this.timeout(120_000);
    t = await Topology.create();
    const brA = await t.addBridge('br-a', { ipv4: '198.51.100.1/26', ipv6: '2001:db8:1::1/64' });
    const brB = await t.addBridge('br-b', { ipv4: '198.51.100.65/26' });
    const brI = await t.addBridge('br-i', { ipv4: '198.51.100.129/26' });
    a1 = await t.addContainer('a1', brA, { ipv4: '198.51.100.2', ipv6: '2001:db8:1::2' });
    a2 = await t.addContainer('a2', brA, { ipv4: '198.51.100.3', ipv6: '2001:db8:1::3' });
    a3 = await t.addContainer('a3', brA, { ipv4: '198.51.100.4' });
    b1 = await t.addContainer('b1', brB, { ipv4: '198.51.100.66' });
    b2 = await t.addContainer('b2', brB, { ipv4: '198.51.100.67' });
    i1 = await t.addContainer('i1', brI, { ipv4: '198.51.100.130' });
    for (const c of [a1, a2]) servers.push(await startTcpServer(c.ns, '::', 80, c.name));
    for (const c of [a3, b1, b2, i1]) servers.push(await startTcpServer(c.ns, '0.0.0.0', 80, c.name));
    servers.push(await startTcpServer(a1.ns, '0.0.0.0', 8080, 'a1-direct'));
    for (const c of [a1, a2]) servers.push(await startUdpServer(c.ns, '0.0.0.0', 5353, c.name));
    servers.push(await startTcpServer(t.outside, '0.0.0.0', 7000, 'outside'));
    servers.push(await startUdpServer(t.outside, '0.0.0.0', 7001, 'outside'));
    servers.push(await startUdpServer(t.outside, UPLINK.outside6, 7002, 'outside6'));

    fw = await Firewall.open(t.host);
    await enableForwarding(t.host, { ipv6: true });
    await fw.ensureBase();
    await fw.addNetwork({ id: 'a', bridge: brA.name, subnets: brA.subnets });
    await fw.addNetwork({ id: 'b', bridge: brB.name, subnets: brB.subnets, icc: false });
    await fw.addNetwork({ id: 'i', bridge: brI.name, subnets: brI.subnets, internal: true });
    await fw.publish(ep(a1, 'a'), ['8080:80']);
    await fw.publish(ep(a2, 'a'), ['127.0.0.1:9090:80']);
    await fw.publish(ep(b1, 'b'));
    await fw.publish(ep(b2, 'b'));
  });

  after(async () => {
    for (const s of servers) await s.stop();
    fw?.close();
    await t?.teardown();
  });

  it('installs what it says (witness: nft -j list ruleset)', () => {
    const objs = rulesetJson(t.host);
    const map = objs.find((o) => o.map?.name === 'dnat4_any')!.map;
    expect(map.elem).to.deep.equal([[{ elem: { val: { concat: ['tcp', 8080] }, comment: 'ep=a1 nw=a' } }, { concat: ['198.51.100.2', 80] }]]);
    const icc = objs.find((o) => o.set?.family === 'bridge' && o.set?.name === 'icc_off')!.set;
    expect(icc.elem.map((e: any) => e.elem.val).sort()).to.deep.equal([b1.port, b2.port].sort());
    const proc = (key: string): string => execFileSync('ip', ['netns', 'exec', t.host.name!, 'cat', `/proc/sys/${key}`], { encoding: 'utf8' }).trim();
    expect(proc('net/bridge/bridge-nf-call-iptables')).to.equal('0');
    expect(proc('net/ipv4/ip_forward')).to.equal('1');
    expect(proc('net/ipv6/conf/all/forwarding')).to.equal('1');
  });

  it('a published port is reached from outside (IPv4, IPv6) and from the host itself', async () => {
    expect(await tcp(t.outside, UPLINK.host4, 8080)).to.equal('a1:ping');
    expect(await tcp(t.outside, UPLINK.host6, 8080)).to.equal('a1:ping');
    expect(await tcp(t.host, UPLINK.host4, 8080)).to.equal('a1:ping');
    expect(await tcp(t.host, '198.51.100.1', 8080)).to.equal('a1:ping');
    expect(await tcp(t.host, '127.0.0.1', 8080)).to.equal('a1:ping');
    expect(await tcp(t.host, UPLINK.host6, 8080)).to.equal('a1:ping');
    // Control: a port nobody published is not forwarded anywhere.
    expect(await blocked(t.outside, UPLINK.host4, 8081)).to.match(/^error:/);
  });

  it("outbound traffic from a container reaches the outside with the host's address", async () => {
    expect(await udpRequest(a1.ns, UPLINK.outside4, 7001)).to.include({ ok: true, tag: 'outside', peer: UPLINK.host4 });
    expect(await udpRequest(a1.ns, UPLINK.outside6, 7002)).to.include({ ok: true, tag: 'outside6', peer: UPLINK.host6 });
    expect(await tcp(a1, UPLINK.outside4, 7000)).to.equal('outside:ping');
  });

  it("hairpin: a container reaches its own and a neighbour's published port through a host address", async () => {
    expect(await tcp(a1, UPLINK.host4, 8080)).to.equal('a1:ping');
    expect(await tcp(a2, UPLINK.host4, 8080)).to.equal('a1:ping');
    expect(await tcp(a2, '198.51.100.1', 8080)).to.equal('a1:ping');
    expect(await tcp(a2, UPLINK.host6, 8080)).to.equal('a1:ping');
    // Control: without the hairpin masquerade, a1 answers a2 directly from its own
    // address, which a2 never asked for — the connection fails. reapply() restores it.
    nftIn(t.host, ['flush', 'chain', 'inet', 'nsnet', 'nw-a-post']);
    try {
      expect(await blocked(a2, UPLINK.host4, 8080)).to.match(/^error:/);
    } finally {
      await fw.reapply(fw.state());
    }
    expect(await tcp(a2, UPLINK.host4, 8080)).to.equal('a1:ping');
  });

  it('two networks cannot reach each other; one network can', async () => {
    expect(await tcp(a1, a2.ipv4!, 80)).to.equal('a2:ping');
    expect(await blocked(a1, b1.ipv4!, 80)).to.match(/^error:/);
    expect(await blocked(b1, a1.ipv4!, 80)).to.match(/^error:/);
    expect(await blocked(a1, i1.ipv4!, 80)).to.match(/^error:/);
    expect(await blocked(i1, a1.ipv4!, 80)).to.match(/^error:/);
  });

  it('icc off: two containers on one bridge cannot talk, each reaches the outside', async () => {
    expect(await blocked(b1, b2.ipv4!, 80)).to.match(/^error:/);
    expect(await blocked(b2, b1.ipv4!, 80)).to.match(/^error:/);
    expect(await udpRequest(b1.ns, UPLINK.outside4, 7001)).to.include({ ok: true, peer: UPLINK.host4 });
    expect(await udpRequest(b2.ns, UPLINK.outside4, 7001)).to.include({ ok: true, peer: UPLINK.host4 });
    // Control: their ports out of the bridge table's drop set, and they talk (layer 2,
    // nothing of inet sees it with br_netfilter off); back in, and they do not.
    await fw.unpublish(b1.name);
    await fw.unpublish(b2.name);
    // (Their ARP attempts from the blocked probes may still be running out: start afresh.)
    for (const c of [b1, b2]) ipIn(c.ns, 'neigh', 'flush', 'dev', 'eth0');
    expect(await tcp(b1, b2.ipv4!, 80)).to.equal('b2:ping');
    await fw.publish(ep(b1, 'b'));
    await fw.publish(ep(b2, 'b'));
    expect(await blocked(b1, b2.ipv4!, 80)).to.match(/^error:/);
  });

  it("an internal network's containers reach nothing outside, and nothing outside reaches them", async () => {
    expect(await blocked(i1, UPLINK.outside4, 7000)).to.match(/^error:/);
    expect((await udpRequest(i1.ns, UPLINK.outside4, 7001, { timeoutMs: BLOCKED_MS })).ok).to.equal(false);
    // Not through a published port of another network either.
    expect(await blocked(i1, UPLINK.host4, 8080)).to.match(/^error:/);
    ipIn(t.outside, 'route', 'add', '198.51.100.0/24', 'via', UPLINK.host4);
    try {
      expect(await blocked(t.outside, i1.ipv4!, 80)).to.match(/^error:/);
    } finally {
      ipIn(t.outside, 'route', 'del', '198.51.100.0/24', 'via', UPLINK.host4);
    }
  });

  it('DNAT only for packets addressed to the host, never for traffic routed through it', async () => {
    // The administrator routes the container subnet to the outside (rule in the user chain);
    // an outside client sends to the container's own address, on the published port.
    ipIn(t.outside, 'route', 'add', '198.51.100.0/24', 'via', UPLINK.host4);
    nftIn(t.host, ['add', 'rule', 'inet', 'nsnet', 'user', 'iifname', HOST_IF.uplink, 'ip', 'daddr', '198.51.100.0/26', 'tcp', 'dport', '8080', 'accept']);
    try {
      // Not DNATed: it reaches what listens on 8080 itself.
      expect(await tcp(t.outside, a1.ipv4!, 8080)).to.equal('a1-direct:ping');
      // Control: a naive prerouting chain without `fib daddr type local` DNATs it to :80.
      nftIn(t.host, ['-f', '-'], 'flush chain inet nsnet prerouting\nadd rule inet nsnet prerouting jump publish\n');
      expect(await tcp(t.outside, a1.ipv4!, 8080)).to.equal('a1:ping');
      await fw.ensureBase();
      expect(await tcp(t.outside, a1.ipv4!, 8080)).to.equal('a1-direct:ping');
      // ensureBase rewrote nsnet's chains and left the administrator's rule alone.
      const user = rulesetJson(t.host).filter((o) => o.rule?.chain === 'user');
      expect(user).to.have.length(1);
    } finally {
      nftIn(t.host, ['flush', 'chain', 'inet', 'nsnet', 'user']);
      ipIn(t.outside, 'route', 'del', '198.51.100.0/24', 'via', UPLINK.host4);
    }
  });

  it('a port published on 127.0.0.1 is reached from the host, not from an attacker routing 127.0.0.0/8 to it', async () => {
    const sysctl = (k: string): Promise<string> => t.host.getSysctl(`net/ipv4/conf/${k}/route_localnet`);
    expect(await sysctl('br-a')).to.equal('1');
    for (const k of ['all', 'default', HOST_IF.uplink, HOST_IF.attack, 'br-b']) expect(await sysctl(k)).to.equal('0');
    expect(await tcp(t.host, '127.0.0.1', 9090)).to.equal('a2:ping');
    await routeLoopbackVia(t.attacker, ATTACK.host4);
    await routeLoopbackVia(a3.ns, '198.51.100.1');
    // The attacker next to the host, and a container on the very bridge with route_localnet.
    expect(await blocked(t.attacker, '127.0.0.1', 9090)).to.match(/^error:/);
    expect(await blocked(a3, '127.0.0.1', 9090)).to.match(/^error:/);
    // Control: the naive ruleset — the same DNAT without the 127.0.0.0/8 drop, and
    // route_localnet on all — lets both in.
    nftIn(t.host, ['flush', 'chain', 'inet', 'nsnet', 'guard']);
    await t.host.setSysctl('net/ipv4/conf/all/route_localnet', 1);
    try {
      expect(await tcp(t.attacker, '127.0.0.1', 9090)).to.equal('a2:ping');
      expect(await tcp(a3, '127.0.0.1', 9090)).to.equal('a2:ping');
    } finally {
      await t.host.setSysctl('net/ipv4/conf/all/route_localnet', 0);
      await fw.ensureBase();
    }
    expect(await blocked(t.attacker, '127.0.0.1', 9090)).to.match(/^error:/);
    expect(await tcp(t.host, '127.0.0.1', 9090)).to.equal('a2:ping');
  });

  it('a UDP mapping removed and re-added to another container serves the new one at once', async () => {
    const probe = (): Promise<string | undefined> => udpRequest(t.outside, UPLINK.host4, 5353, { localPort: 40000 }).then((r) => r.tag ?? r.error);
    const entries = (): string[] =>
      execFileSync('ip', ['netns', 'exec', t.host.name!, 'conntrack', '-L', '-p', 'udp', '--dport', '5353'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .split('\n')
        .filter((l) => l.startsWith('udp'));
    await fw.publish(ep(a1, 'a'), ['8080:80', '5353:5353/udp']);
    expect(await probe()).to.equal('a1');
    expect(entries()).to.have.length(1);
    await fw.publish(ep(a1, 'a'), ['8080:80']);
    expect(entries()).to.deep.equal([]);
    await fw.publish(ep(a2, 'a'), ['127.0.0.1:9090:80', '5353:5353/udp']);
    expect(await probe()).to.equal('a2');

    // Control: the same move back without the conntrack flush — the flow (same source
    // port) keeps going to the old container.
    const naive = await Firewall.open(t.host, { flushConntrack: false });
    try {
      await naive.publish(ep(a2, 'a'), ['127.0.0.1:9090:80']);
      await naive.publish(ep(a1, 'a'), ['8080:80', '5353:5353/udp']);
      expect(await probe()).to.equal('a2');
      await fw.reapply(naive.state());
    } finally {
      naive.close();
    }
    // Publishing it again through the flushing firewall fixes the flow.
    await fw.publish(ep(a1, 'a'), ['8080:80', '5353:5353/udp']);
    expect(await probe()).to.equal('a1');
  });
});
