/**
 * decodeLink against the kernel: RTM_NEWLINK replies captured from `ip -j -d -s link
 * show` and `ip -j -d link show dev v0`, checked value by value against what that same
 * `ip` invocation printed.
 */
import { expect } from 'chai';
import { AF_BRIDGE, DecodedLink, IFLA_INFO_DATA, LinkStats64 } from '../../../lib/netlink';
import { linksIn, loadFixture } from './fixtures';
import { BR_PORT_STATES, ipLinkFlags, LINK_TYPES, OPERSTATES } from './ip-json';

type Json = Record<string, any>;

const bool = (v: unknown): boolean => v === true || v === 1;

function checkStats(stats: LinkStats64 | undefined, j: Json): void {
  expect(stats, 'stats64').to.not.equal(undefined);
  const s = stats ?? {};
  expect([s.rxBytes, s.rxPackets, s.rxErrors, s.rxDropped, s.rxOverErrors, s.multicast]).to.deep.equal(
    [j.rx.bytes, j.rx.packets, j.rx.errors, j.rx.dropped, j.rx.over_errors, j.rx.multicast].map(BigInt),
  );
  expect([s.txBytes, s.txPackets, s.txErrors, s.txDropped, s.txCarrierErrors, s.collisions]).to.deep.equal(
    [j.tx.bytes, j.tx.packets, j.tx.errors, j.tx.dropped, j.tx.carrier_errors, j.tx.collisions].map(BigInt),
  );
}

function checkKindData(l: DecodedLink, j: Json): void {
  const data = l.linkinfo?.data;
  const jd: Json | undefined = j.linkinfo?.info_data;
  if (jd === undefined) {
    expect(data, `${l.name} info_data`).to.equal(undefined);
    return;
  }
  switch (data?.kind) {
    case 'bridge':
      expect([data.forwardDelay, data.helloTime, data.maxAge, data.ageingTime, data.stpState, data.priority]).to.deep.equal([
        jd.forward_delay,
        jd.hello_time,
        jd.max_age,
        jd.ageing_time,
        jd.stp_state,
        jd.priority,
      ]);
      expect([data.vlanFiltering, data.mcastSnooping, data.mcastQuerier, data.mcastStatsEnabled]).to.deep.equal(
        [jd.vlan_filtering, jd.mcast_snooping, jd.mcast_querier, jd.mcast_stats_enabled].map(bool),
      );
      expect([data.mcastRouter, data.mcastIgmpVersion, data.mcastMldVersion, data.groupAddr]).to.deep.equal([
        jd.mcast_router,
        jd.mcast_igmp_version,
        jd.mcast_mld_version,
        jd.group_addr,
      ]);
      expect([data.nfCallIptables, data.nfCallIp6tables, data.nfCallArptables]).to.deep.equal(
        [jd.nf_call_iptables, jd.nf_call_ip6tables, jd.nf_call_arptables].map(bool),
      );
      // Read-only IFLA_BR_* (timers, ids…) are kept raw, not dropped.
      expect(data.unknown?.length).to.be.greaterThan(0);
      break;
    case 'macvlan':
      expect([data.mode, data.bcQueueLen]).to.deep.equal([jd.mode, jd.bcqueuelen]);
      break;
    case 'vxlan':
      expect([data.id, data.local, data.port, data.learning, data.ttl, data.ageing, data.udpCsum]).to.deep.equal([
        jd.id,
        jd.local,
        jd.port,
        jd.learning,
        jd.ttl,
        jd.ageing,
        jd.udp_csum,
      ]);
      expect(data.group).to.equal(jd.group ?? jd.remote);
      break;
    case 'raw':
      // A kind without a module (macvtap here): the nest is kept byte for byte.
      expect(data.bytes.length).to.be.greaterThan(0);
      break;
    default:
      throw new Error(`${l.name}: unexpected data ${JSON.stringify(data)}`);
  }
}

function checkSlaveData(l: DecodedLink, j: Json): void {
  const js: Json | undefined = j.linkinfo?.info_slave_data;
  expect(l.linkinfo?.slaveKind).to.equal(j.linkinfo?.info_slave_kind);
  if (js === undefined) return;
  const s = l.linkinfo?.slaveData;
  if (s?.kind !== 'bridge_slave') throw new Error(`${l.name}: slave data ${JSON.stringify(s)}`);
  expect([BR_PORT_STATES[s.state ?? -1], s.priority, s.cost, s.multicastRouter]).to.deep.equal([
    js.state,
    js.priority,
    js.cost,
    js.multicast_router,
  ]);
  expect([
    s.hairpin,
    s.guard,
    s.protect,
    s.fastLeave,
    s.learning,
    s.unicastFlood,
    s.proxyarp,
    s.proxyarpWifi,
    s.mcastFlood,
    s.broadcastFlood,
    s.mcastToUcast,
    s.neighSuppress,
    s.vlanTunnel,
    s.isolated,
    s.locked,
  ]).to.deep.equal([
    js.hairpin,
    js.guard,
    js.root_block,
    js.fastleave,
    js.learning,
    js.flood,
    js.proxy_arp,
    js.proxy_arp_wifi,
    js.mcast_flood,
    js.bcast_flood,
    js.mcast_to_unicast,
    js.neigh_suppress,
    js.vlan_tunnel,
    js.isolated,
    js.locked,
  ]);
}

function checkLink(l: DecodedLink, j: Json, nameToIndex: Map<string, number>): void {
  expect([l.index, l.name, l.mtu, l.qdisc, l.txqlen]).to.deep.equal([j.ifindex, j.ifname, j.mtu, j.qdisc, j.txqlen]);
  expect(l.type).to.equal(LINK_TYPES[j.link_type]);
  expect([l.address, l.broadcast]).to.deep.equal([j.address, j.broadcast]);
  expect(ipLinkFlags(l.flags)).to.deep.equal([...j.flags].filter((f: string) => f !== 'M-DOWN').sort());
  expect(OPERSTATES[l.operstate ?? -1]).to.equal(j.operstate);
  expect(l.group).to.equal(j.group === 'default' ? 0 : Number(j.group));
  if (j.linkmode !== undefined) expect(l.linkmode).to.equal(j.linkmode === 'DEFAULT' ? 0 : 1);
  if (j.promiscuity !== undefined) {
    expect([l.promiscuity, l.allmulti, l.minMtu, l.maxMtu]).to.deep.equal([j.promiscuity, j.allmulti, j.min_mtu, j.max_mtu]);
    expect([l.numTxQueues, l.numRxQueues]).to.deep.equal([j.num_tx_queues, j.num_rx_queues]);
  }
  expect(l.master).to.equal(j.master === undefined ? undefined : nameToIndex.get(j.master));
  // `ip` prints the lower device by name, or link_index when it lives in another netns.
  const lower = j.link === undefined ? j.link_index : nameToIndex.get(j.link);
  expect(l.link).to.equal(lower);
  expect(l.linkNetnsid).to.equal(j.link_netnsid);
  expect(l.altnames).to.deep.equal(j.altnames);
  expect(l.linkinfo?.kind).to.equal(j.linkinfo?.info_kind);
  if (j.linkinfo !== undefined) {
    checkKindData(l, j);
    checkSlaveData(l, j);
  }
  if (j.stats64 !== undefined) checkStats(l.stats64, j.stats64);
}

describe('decodeLink vs `ip -j -d` (kernel replies)', () => {
  const fx = loadFixture('link-dump');
  const links = linksIn(fx);
  const printed = fx.stdout as Json[];
  const nameToIndex = new Map(printed.map((j) => [j.ifname as string, j.ifindex as number]));

  it('decodes one link per printed entry', () => {
    expect(links.map((l) => l.index)).to.deep.equal(printed.map((j) => j.ifindex));
  });

  for (const j of printed) {
    it(`${j.ifname}: ${j.linkinfo?.info_kind ?? 'no kind'}${j.linkinfo?.info_slave_kind ? ` (port of a ${j.linkinfo.info_slave_kind})` : ''}`, () => {
      const l = links.find((x) => x.index === j.ifindex);
      if (l === undefined) throw new Error(`no decoded link ${j.ifindex}`);
      checkLink(l, j, nameToIndex);
    });
  }

  it('keeps attributes newer than this codec raw (the kernel is newer than the headers)', () => {
    const all = links.flatMap((l) => l.unknown.map((a) => a.type));
    expect(all.length).to.be.greaterThan(0);
    expect(links.every((l) => l.unknown.every((a) => Buffer.isBuffer(a.data)))).to.equal(true);
  });

  it('the doit reply of `ip -j -d link show dev v0` matches its output', () => {
    const get = loadFixture('link-get');
    const j = (get.stdout as Json[])[0] as Json;
    const l = linksIn(get).find((x) => x.name === 'v0');
    if (l === undefined) throw new Error('no reply for v0');
    const names = new Map(linksIn(get).map((x) => [x.name ?? '', x.index]));
    checkLink(l, j, names);
  });

  it('veth links report no IFLA_INFO_DATA (the peer is never echoed back)', () => {
    const veths = links.filter((l) => l.linkinfo?.kind === 'veth');
    expect(veths.length).to.be.greaterThan(0);
    for (const v of veths) {
      expect(v.linkinfo?.data).to.equal(undefined);
      expect(v.linkinfo?.unknown?.some((a) => a.type === IFLA_INFO_DATA)).to.equal(false);
    }
  });
});

describe('decodeLink vs `bridge -j -d link show` (AF_BRIDGE port dump, IFLA_PROTINFO)', () => {
  const fx = loadFixture('bridge-link-dump');
  // The AF_BRIDGE dump is the last request; its replies are the AF_BRIDGE links.
  const ports = linksIn(fx).filter((l) => l.family === AF_BRIDGE);
  const printed = fx.stdout as Json[];
  const names = new Map(linksIn(fx).filter((l) => l.family !== AF_BRIDGE).map((l) => [l.name ?? '', l.index]));

  it('decodes the ports bridge printed, with their bridge-port settings', () => {
    expect(ports.map((p) => p.name)).to.deep.equal(printed.map((j) => j.ifname));
    ports.forEach((p, i) => {
      const j = printed[i] as Json;
      const pi = p.protinfo;
      if (pi === undefined) throw new Error(`${p.name}: no protinfo`);
      expect([p.index, p.mtu, p.master, ipLinkFlags(p.flags)]).to.deep.equal([j.ifindex, j.mtu, names.get(j.master), [...j.flags].sort()]);
      expect([BR_PORT_STATES[pi.state ?? -1], pi.priority, pi.cost, pi.multicastRouter]).to.deep.equal([
        j.state,
        j.priority,
        j.cost,
        j.mcast_router,
      ]);
      expect([pi.hairpin, pi.guard, pi.protect, pi.fastLeave, pi.learning, pi.unicastFlood, pi.mcastFlood]).to.deep.equal([
        j.hairpin,
        j.guard,
        j.root_block,
        j.fastleave,
        j.learning,
        j.flood,
        j.mcast_flood,
      ]);
      expect([pi.broadcastFlood, pi.mcastToUcast, pi.neighSuppress, pi.vlanTunnel, pi.isolated, pi.locked]).to.deep.equal([
        j.bcast_flood,
        j.mcast_to_unicast,
        j.neigh_suppress,
        j.vlan_tunnel,
        j.isolated,
        j.locked,
      ]);
    });
  });
});
