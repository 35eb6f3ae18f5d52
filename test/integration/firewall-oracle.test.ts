/**
 * lib/firewall's rule shapes against `nft -f`: for each shape, what Firewall installs in
 * one fresh namespace must list (`nft -j list ruleset`, handles dropped, elements sorted)
 * exactly like the equivalent nft text — written out here by hand — installs in another.
 * The network chains' comments (absent from nft 1.0.6's JSON) are compared in text form.
 */
import { expect } from 'chai';
import { Netns } from '../../lib';
import { Firewall, type FirewallState } from '../../lib/firewall';
import { requireSandbox, uniqueName } from '../support/sandbox';
import { nftIn, normalised, rulesetJson } from '../support/topology';

const BASE = `
add table inet nsnet
add set inet nsnet bridges { type ifname; }
add set inet nsnet open { type ifname; }
add map inet nsnet fwd_in { type ifname : verdict; }
add map inet nsnet fwd_out { type ifname : verdict; }
add map inet nsnet post { type ifname : verdict; }
add map inet nsnet dnat4 { type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }
add map inet nsnet dnat4_any { type inet_proto . inet_service : ipv4_addr . inet_service; }
add map inet nsnet dnat6 { type ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service; }
add map inet nsnet dnat6_any { type inet_proto . inet_service : ipv6_addr . inet_service; }
add set inet nsnet link4 { type ipv4_addr . ipv4_addr . inet_proto . inet_service; }
add set inet nsnet link6 { type ipv6_addr . ipv6_addr . inet_proto . inet_service; }
add chain inet nsnet user
add chain inet nsnet guard { type filter hook prerouting priority raw; policy accept; }
add chain inet nsnet prerouting { type nat hook prerouting priority dstnat; policy accept; }
add chain inet nsnet output { type nat hook output priority -100; policy accept; }
add chain inet nsnet publish
add chain inet nsnet forward { type filter hook forward priority filter; policy accept; }
add chain inet nsnet postrouting { type nat hook postrouting priority srcnat; policy accept; }
add table bridge nsnet
add set bridge nsnet icc_off { type ifname; }
add set bridge nsnet link_fwd { type ifname . ifname . inet_proto . inet_service; }
add set bridge nsnet link_rev { type ifname . ifname . inet_proto . inet_service; }
add chain bridge nsnet forward { type filter hook forward priority filter; policy accept; }
add rule inet nsnet guard iifname != "lo" ip daddr 127.0.0.0/8 drop
add rule inet nsnet guard iifname != "lo" ip saddr 127.0.0.0/8 drop
add rule inet nsnet prerouting fib daddr type local jump publish
add rule inet nsnet output fib daddr type local jump publish
add rule inet nsnet publish dnat ip to ip daddr . meta l4proto . th dport map @dnat4
add rule inet nsnet publish meta nfproto ipv4 dnat ip to meta l4proto . th dport map @dnat4_any
add rule inet nsnet publish ip6 daddr ::1 return
add rule inet nsnet publish dnat ip6 to ip6 daddr . meta l4proto . th dport map @dnat6
add rule inet nsnet publish meta nfproto ipv6 dnat ip6 to meta l4proto . th dport map @dnat6_any
add rule inet nsnet forward jump user
add rule inet nsnet forward ip saddr . ip daddr . meta l4proto . th dport @link4 accept
add rule inet nsnet forward ip6 saddr . ip6 daddr . meta l4proto . th dport @link6 accept
add rule inet nsnet forward iifname vmap @fwd_in
add rule inet nsnet forward oifname vmap @fwd_out
add rule inet nsnet postrouting oifname @bridges ip saddr 127.0.0.0/8 masquerade
add rule inet nsnet postrouting iifname vmap @post
add rule bridge nsnet forward meta protocol arp accept
add rule bridge nsnet forward iifname . oifname . meta l4proto . th dport @link_fwd accept
add rule bridge nsnet forward iifname . oifname . meta l4proto . th sport @link_rev accept
add rule bridge nsnet forward iifname @icc_off drop
add rule bridge nsnet forward oifname @icc_off drop
`;

const NET_A = {
  spec: { id: 'a', bridge: 'br-a', subnets: ['198.51.100.0/26', '2001:db8:1::/64'] },
  text: `
add chain inet nsnet nw-a-in
add chain inet nsnet nw-a-out { comment "nsnet network id=a bridge=br-a subnets=198.51.100.0/26,2001:db8:1::/64 masquerade=1 icc=1 internal=0 isolated=1"; }
add chain inet nsnet nw-a-post
add rule inet nsnet nw-a-out ct state established,related accept
add rule inet nsnet nw-a-out iifname "br-a" accept
add rule inet nsnet nw-a-out ct status dnat accept
add rule inet nsnet nw-a-out drop
add rule inet nsnet nw-a-post oifname != "br-a" ip saddr 198.51.100.0/26 masquerade
add rule inet nsnet nw-a-post oifname != "br-a" ip6 saddr 2001:db8:1::/64 masquerade
add rule inet nsnet nw-a-post oifname "br-a" ct status dnat masquerade
add element inet nsnet fwd_in { "br-a" : jump nw-a-in }
add element inet nsnet fwd_out { "br-a" : jump nw-a-out }
add element inet nsnet post { "br-a" : jump nw-a-post }
add element inet nsnet bridges { "br-a" }
`,
};

const NET_B = {
  spec: { id: 'b', bridge: 'br-b', subnets: ['198.51.100.64/26'], icc: false, isolated: false },
  text: `
add chain inet nsnet nw-b-in
add chain inet nsnet nw-b-out { comment "nsnet network id=b bridge=br-b subnets=198.51.100.64/26 masquerade=1 icc=0 internal=0 isolated=0"; }
add chain inet nsnet nw-b-post
add rule inet nsnet nw-b-out ct state established,related accept
add rule inet nsnet nw-b-out iifname "br-b" drop
add rule inet nsnet nw-b-out ct status dnat accept
add rule inet nsnet nw-b-out iifname @open accept
add rule inet nsnet nw-b-out drop
add rule inet nsnet nw-b-post oifname != "br-b" ip saddr 198.51.100.64/26 masquerade
add rule inet nsnet nw-b-post oifname "br-b" ct status dnat masquerade
add element inet nsnet fwd_in { "br-b" : jump nw-b-in }
add element inet nsnet fwd_out { "br-b" : jump nw-b-out }
add element inet nsnet post { "br-b" : jump nw-b-post }
add element inet nsnet bridges { "br-b" }
add element inet nsnet open { "br-b" }
`,
};

const NET_I = {
  spec: { id: 'i', bridge: 'br-i', subnets: ['198.51.100.128/26'], internal: true, masquerade: false },
  text: `
add chain inet nsnet nw-i-in
add chain inet nsnet nw-i-out { comment "nsnet network id=i bridge=br-i subnets=198.51.100.128/26 masquerade=0 icc=1 internal=1 isolated=1"; }
add chain inet nsnet nw-i-post
add rule inet nsnet nw-i-in oifname != "br-i" drop
add rule inet nsnet nw-i-out ct state established,related accept
add rule inet nsnet nw-i-out iifname "br-i" accept
add rule inet nsnet nw-i-out drop
add element inet nsnet fwd_in { "br-i" : jump nw-i-in }
add element inet nsnet fwd_out { "br-i" : jump nw-i-out }
add element inet nsnet post { "br-i" : jump nw-i-post }
add element inet nsnet bridges { "br-i" }
`,
};

const E1 = {
  endpoint: { id: 'e1', network: 'a', ipv4: '198.51.100.2', ipv6: '2001:db8:1::2' },
  ports: ['8080:80', '127.0.0.1:9090:90/udp', '[2001:db8::1]:8443:443', '7000-7001:70-71/sctp'],
  text: `
add element inet nsnet dnat4_any { tcp . 8080 comment "ep=e1 nw=a" : 198.51.100.2 . 80, sctp . 7000 comment "ep=e1 nw=a" : 198.51.100.2 . 70, sctp . 7001 comment "ep=e1 nw=a" : 198.51.100.2 . 71 }
add element inet nsnet dnat6_any { tcp . 8080 comment "ep=e1 nw=a" : 2001:db8:1::2 . 80, sctp . 7000 comment "ep=e1 nw=a" : 2001:db8:1::2 . 70, sctp . 7001 comment "ep=e1 nw=a" : 2001:db8:1::2 . 71 }
add element inet nsnet dnat4 { 127.0.0.1 . udp . 9090 comment "ep=e1 nw=a" : 198.51.100.2 . 90 }
add element inet nsnet dnat6 { 2001:db8::1 . tcp . 8443 comment "ep=e1 nw=a" : 2001:db8:1::2 . 443 }
`,
};

const E2 = {
  endpoint: { id: 'e2', network: 'b', ipv4: '198.51.100.66', port: 'vb2' },
  ports: ['53/udp'],
  /** The ephemeral host port is the first of ip_local_port_range, set below. */
  text: `
add element inet nsnet dnat4_any { udp . 40000 comment "ep=e2 nw=b" : 198.51.100.66 . 53 }
add element bridge nsnet icc_off { "vb2" comment "ep=e2 nw=b" }
`,
};

/** A legacy link on the icc=off network: e3 may reach e2's exposed 5432/tcp and 53/udp. */
const E3 = {
  endpoint: {
    id: 'e3',
    network: 'b',
    ipv4: '198.51.100.67',
    port: 'vb3',
    links: [
      { peer: 'vb2', proto: 'tcp' as const, port: 5432, ipv4: '198.51.100.66' },
      { peer: 'vb2', proto: 'udp' as const, port: 53, ipv4: '198.51.100.66' },
    ],
  },
  text: `
add element bridge nsnet icc_off { "vb3" comment "ep=e3 nw=b" }
add element bridge nsnet link_fwd { "vb3" . "vb2" . tcp . 5432 comment "ep=e3 nw=b", "vb3" . "vb2" . udp . 53 comment "ep=e3 nw=b" }
add element bridge nsnet link_rev { "vb2" . "vb3" . tcp . 5432 comment "ep=e3 nw=b", "vb2" . "vb3" . udp . 53 comment "ep=e3 nw=b" }
add element inet nsnet link4 { 198.51.100.67 . 198.51.100.66 . tcp . 5432 comment "ep=e3 nw=b peer=vb2", 198.51.100.67 . 198.51.100.66 . udp . 53 comment "ep=e3 nw=b peer=vb2" }
`,
};

describe('Firewall: rule shapes equal what nft -f installs (integration)', function () {
  requireSandbox();
  let ours: Netns;
  let theirs: Netns;
  let fw: Firewall;

  beforeEach(async () => {
    ours = await Netns.create(uniqueName('fwours'));
    theirs = await Netns.create(uniqueName('fwtheirs'));
    const h = await ours.handle();
    for (const br of ['br-a', 'br-b', 'br-i']) await h.linkAdd({ kind: 'bridge', name: br });
    await ours.setSysctl('net/ipv4/ip_local_port_range', '40000 40999');
    fw = await Firewall.open(ours);
  });

  afterEach(async () => {
    fw.close();
    await ours.delete();
    await theirs.delete();
  });

  function expectSameAs(text: string): void {
    nftIn(theirs, ['-f', '-'], text);
    expect(normalised(rulesetJson(ours))).to.deep.equal(normalised(rulesetJson(theirs)));
    for (const o of rulesetJson(theirs)) {
      if (!o.chain || !String(o.chain.name).startsWith('nw-')) continue;
      const args = ['list', 'chain', o.chain.family, 'nsnet', o.chain.name];
      expect(nftIn(ours, args), o.chain.name).to.equal(nftIn(theirs, args));
    }
  }

  it('the base: tables, chains, sets, maps and static rules', async () => {
    await fw.ensureBase();
    expectSameAs(BASE);
  });

  it('a network with the defaults (masquerade, icc, isolated), IPv4 + IPv6', async () => {
    await fw.ensureBase();
    await fw.addNetwork(NET_A.spec);
    expectSameAs(BASE + NET_A.text);
  });

  it('icc off + isolation off, and internal without masquerade', async () => {
    await fw.ensureBase();
    await fw.addNetwork(NET_B.spec);
    await fw.addNetwork(NET_I.spec);
    expectSameAs(BASE + NET_B.text + NET_I.text);
  });

  it('published ports: any address (v4 + v6), one address (127.0.0.1, an IPv6 one), ranges, udp, sctp, ephemeral, icc port', async () => {
    await fw.ensureBase();
    await fw.addNetwork(NET_A.spec);
    await fw.addNetwork(NET_B.spec);
    await fw.publish(E1.endpoint, E1.ports);
    expect(await fw.publish(E2.endpoint, E2.ports)).to.deep.equal([{ family: 4, proto: 'udp', hostPort: 40000, containerIp: '198.51.100.66', containerPort: 53 }]);
    expectSameAs(BASE + NET_A.text + NET_B.text + E1.text + E2.text);
    // Read back, by snapshot and by a fresh instance, the records are what was installed.
    const sorted = (s: FirewallState): FirewallState => ({
      networks: [...s.networks].sort((x, y) => x.id.localeCompare(y.id)),
      publications: s.publications
        .map((p) => ({ endpoint: p.endpoint, mappings: [...p.mappings].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))) }))
        .sort((x, y) => x.endpoint.id.localeCompare(y.endpoint.id)),
    });
    const snap = await fw.snapshot();
    expect(snap).to.include({ installed: true, complete: true });
    expect(sorted(snap)).to.deep.equal(sorted(fw.state()));
    const fresh = await Firewall.open(ours);
    try {
      expect(sorted(fresh.state())).to.deep.equal(sorted(fw.state()));
    } finally {
      fresh.close();
    }
  });

  it('links on an icc=off network: both directions keyed on the bridge ports, read back by snapshot, gone with unpublish', async () => {
    await fw.ensureBase();
    await fw.addNetwork(NET_B.spec);
    await fw.publish(E2.endpoint, E2.ports);
    await fw.publish(E3.endpoint, []);
    expectSameAs(BASE + NET_B.text + E2.text + E3.text);
    const snap = await fw.snapshot();
    expect(snap.complete).to.equal(true);
    expect(snap.publications.find((p) => p.endpoint.id === 'e3')!.endpoint.links).to.have.deep.members(E3.endpoint.links);
    expect(await fw.unpublish('e3')).to.equal(true);
    nftIn(theirs, ['flush', 'ruleset']);
    expectSameAs(BASE + NET_B.text + E2.text);
  });

  it('removals: unpublish, then removeNetwork (with its endpoints), leave exactly the rest', async () => {
    await fw.ensureBase();
    await fw.addNetwork(NET_A.spec);
    await fw.addNetwork(NET_B.spec);
    await fw.addNetwork(NET_I.spec);
    await fw.publish(E1.endpoint, E1.ports);
    await fw.publish(E2.endpoint, E2.ports);
    expect(await fw.unpublish('e1')).to.equal(true);
    expect(await fw.removeNetwork('b')).to.equal(true);
    expectSameAs(BASE + NET_A.text + NET_I.text);
  });

  it('reapply after `nft flush ruleset` re-installs all of it, twice over the same result, keeping an admin rule', async () => {
    await fw.ensureBase();
    await fw.addNetwork(NET_A.spec);
    await fw.addNetwork(NET_B.spec);
    await fw.publish(E1.endpoint, E1.ports);
    await fw.publish(E2.endpoint, E2.ports);
    const state = fw.state();
    nftIn(ours, ['flush', 'ruleset']);
    await fw.reapply(state);
    const admin = 'add rule inet nsnet user ip saddr 203.0.113.0/24 drop\n';
    nftIn(ours, ['-f', '-'], admin);
    await fw.reapply(state);
    await fw.reapply(state);
    expectSameAs(BASE + NET_A.text + NET_B.text + E1.text + E2.text + admin);
  });
});
