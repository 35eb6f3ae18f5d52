/**
 * fast-check generators of decoded-form objects (header fields present, `unknown`
 * lists present) for the round-trip properties. Addresses are generated as bytes and
 * printed, so their text is the canonical form the decoder produces.
 */
import fc from 'fast-check';
import {
  AF_BRIDGE,
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  Addr,
  BridgePort,
  bytesToIp,
  bytesToMac,
  IFLA_BRPORT_PAD,
  IFLA_BR_PAD,
  IFLA_PAD,
  Link,
  LinkData,
  LinkInfo,
  Neigh,
  NLA_F_NESTED,
  RawAttr,
  Route,
  STATS64_FIELDS,
  LinkStats64,
} from '../../../lib/netlink';

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const s32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const ifindex = fc.integer({ min: 0, max: 0x7fffffff });
const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((b) => Buffer.from(b));
const text = fc.string({ maxLength: 20 }).filter((s) => !s.includes('\0'));
const ifname = fc.stringMatching(/^[a-z][a-z0-9_.-]{0,14}$/);
const mac = fc.uint8Array({ minLength: 0, maxLength: 20 }).map(bytesToMac);
const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map(bytesToIp);
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(bytesToIp);
const anyIp = fc.oneof(ipv4, ipv6);

/**
 * Raw attributes of types the object's codec does not model, in order; `flags` only
 * when set, as the parser reports them.
 */
export function unknownAttrs(modelled: readonly number[]): fc.Arbitrary<RawAttr[]> {
  const known = new Set(modelled);
  const attr = fc.record(
    {
      type: fc.integer({ min: 0, max: 0x3fff }).filter((t) => !known.has(t)),
      data: bytes(24),
      flags: fc.constant(NLA_F_NESTED),
    },
    { requiredKeys: ['type', 'data'] },
  );
  return fc.array(attr, { maxLength: 3 });
}

/** A record whose listed keys are always there and the others sometimes absent (never `undefined`). */
function obj<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }, required: (keyof T)[]): fc.Arbitrary<T> {
  return fc.record(model, { requiredKeys: required }) as unknown as fc.Arbitrary<T>;
}

// Type numbers each codec models (or skips as padding); unknown attributes avoid them.
const IFLA_MODELLED = [1, 2, 3, 4, 5, 6, 10, 12, 13, 16, 17, 18, 19, 20, 23, 27, 28, 29, 30, 31, 32, 33, 35, 37, 39, 46, 50, 51, 52, 54, 61, IFLA_PAD];
const INFO_MODELLED = [1, 2, 4, 5];
const BR_MODELLED = [1, 2, 3, 4, 5, 6, 7, 8, 9, 20, 22, 23, 24, 25, 36, 37, 38, 39, 41, 42, 43, 44, IFLA_BR_PAD];
const BRPORT_MODELLED = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 25, 27, 28, 29, 30, 31, 32, 33, 34, 39, IFLA_BRPORT_PAD];
const MACVLAN_MODELLED = [1, 2, 7];
const VXLAN_MODELLED = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 14, 15, 16, 17, 18];
const VETH_MODELLED = [1];
const IFA_MODELLED = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const RTA_MODELLED = [1, 2, 3, 4, 5, 6, 7, 15, 16, 18, 20, 23, 30];
const NDA_MODELLED = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15];

const stats64: fc.Arbitrary<LinkStats64> = fc
  .array(fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }), { maxLength: STATS64_FIELDS.length })
  .map((vals) => Object.fromEntries(vals.map((v, i) => [STATS64_FIELDS[i], v])) as LinkStats64);

const bridgePortModel = {
  state: u8,
  priority: u16,
  cost: u32,
  hairpin: fc.boolean(),
  guard: fc.boolean(),
  protect: fc.boolean(),
  fastLeave: fc.boolean(),
  learning: fc.boolean(),
  unicastFlood: fc.boolean(),
  proxyarp: fc.boolean(),
  learningSync: fc.boolean(),
  proxyarpWifi: fc.boolean(),
  multicastRouter: u8,
  mcastFlood: fc.boolean(),
  mcastToUcast: fc.boolean(),
  vlanTunnel: fc.boolean(),
  broadcastFlood: fc.boolean(),
  groupFwdMask: u16,
  neighSuppress: fc.boolean(),
  isolated: fc.boolean(),
  backupPort: u32,
  locked: fc.boolean(),
  unknown: unknownAttrs(BRPORT_MODELLED),
};
const bridgePort: fc.Arbitrary<BridgePort> = obj<BridgePort>(bridgePortModel, ['unknown']);

const bridgeData = obj<Extract<LinkData, { kind: 'bridge' }>>(
  {
    kind: fc.constant('bridge' as const),
    stpState: u32,
    forwardDelay: u32,
    helloTime: u32,
    maxAge: u32,
    priority: u16,
    vlanFiltering: fc.boolean(),
    vlanProtocol: u16,
    vlanDefaultPvid: u16,
    vlanStatsEnabled: fc.boolean(),
    groupFwdMask: u16,
    groupAddr: mac,
    mcastSnooping: fc.boolean(),
    mcastRouter: u8,
    mcastQuerier: fc.boolean(),
    mcastQueryUseIfaddr: fc.boolean(),
    mcastStatsEnabled: fc.boolean(),
    mcastIgmpVersion: u8,
    mcastMldVersion: u8,
    ageingTime: u32,
    nfCallIptables: fc.boolean(),
    nfCallIp6tables: fc.boolean(),
    nfCallArptables: fc.boolean(),
    unknown: unknownAttrs(BR_MODELLED),
  },
  ['kind', 'unknown'],
);

const macvlanData = obj<Extract<LinkData, { kind: 'macvlan' }>>(
  {
    kind: fc.constant('macvlan' as const),
    mode: fc.constantFrom('private', 'vepa', 'bridge', 'passthru', 'source'),
    flags: u16,
    bcQueueLen: u32,
    unknown: unknownAttrs(MACVLAN_MODELLED),
  },
  ['kind', 'unknown'],
);

const vxlanData = obj<Extract<LinkData, { kind: 'vxlan' }>>(
  {
    kind: fc.constant('vxlan' as const),
    id: u32,
    group: anyIp,
    link: u32,
    local: anyIp,
    ttl: u8,
    tos: u8,
    learning: fc.boolean(),
    ageing: u32,
    limit: u32,
    proxy: fc.boolean(),
    l2miss: fc.boolean(),
    l3miss: fc.boolean(),
    port: u16,
    udpCsum: fc.boolean(),
    unknown: unknownAttrs(VXLAN_MODELLED),
  },
  ['kind', 'unknown'],
);

const rawData = fc.record({ kind: fc.constant('raw' as const), bytes: bytes(32) });

/** Link fields other than linkinfo/protinfo (shared by links and veth peers). */
function linkModel(family: fc.Arbitrary<number>) {
  return {
    family,
    type: u16,
    index: ifindex,
    flags: u32,
    change: u32,
    extMask: u32,
    mtu: u32,
    txqlen: u32,
    address: mac,
    broadcast: mac,
    netnsFd: u32,
    netnsPid: u32,
    targetNetnsid: s32,
    master: u32,
    operstate: u8,
    linkmode: u8,
    group: u32,
    alias: text,
    link: u32,
    linkNetnsid: s32,
    name: ifname,
    altnames: fc.array(ifname, { maxLength: 3 }),
    qdisc: text,
    promiscuity: u32,
    allmulti: u32,
    numTxQueues: u32,
    numRxQueues: u32,
    carrier: fc.boolean(),
    carrierChanges: u32,
    protoDown: fc.boolean(),
    minMtu: u32,
    maxMtu: u32,
    permAddress: mac,
    stats64,
    unknown: unknownAttrs(IFLA_MODELLED),
  };
}
const HEADER: (keyof Link)[] = ['family', 'type', 'index', 'flags', 'change', 'unknown'];

const peer: fc.Arbitrary<Link> = obj<Link>(linkModel(fc.constant(AF_UNSPEC)), HEADER);
const vethData = obj<Extract<LinkData, { kind: 'veth' }>>(
  { kind: fc.constant('veth' as const), peer, unknown: unknownAttrs(VETH_MODELLED) },
  ['kind', 'unknown'],
);

/** IFLA_LINKINFO: a modelled kind with its data, or another kind with raw data. */
const linkInfo: fc.Arbitrary<LinkInfo> = fc
  .tuple(
    fc.oneof(
      bridgeData.map((data) => ({ kind: 'bridge', data })),
      vethData.map((data) => ({ kind: 'veth', data })),
      macvlanData.map((data) => ({ kind: 'macvlan', data })),
      vxlanData.map((data) => ({ kind: 'vxlan', data })),
      fc.record({ kind: fc.constantFrom('ifb', 'dummy', 'vlan', 'wireguard'), data: rawData }, { requiredKeys: ['kind'] }),
    ),
    fc.option(
      fc.oneof(
        fc.record({ slaveKind: fc.constant('bridge'), slaveData: bridgePort.map((p) => ({ kind: 'bridge_slave' as const, ...p })) }),
        fc.record({ slaveKind: fc.constantFrom('bond', 'team'), slaveData: rawData }),
      ),
      { nil: undefined },
    ),
    unknownAttrs(INFO_MODELLED),
  )
  .map(([info, slave, unknown]) => ({ ...info, ...(slave ?? {}), unknown }) as LinkInfo);

export const link: fc.Arbitrary<Link> = fc.oneof(
  obj<Link>({ ...linkModel(fc.constantFrom(AF_UNSPEC, AF_INET6)), linkinfo: linkInfo }, HEADER),
  // IFLA_PROTINFO is bridge-port data only in AF_BRIDGE messages.
  obj<Link>({ ...linkModel(fc.constant(AF_BRIDGE)), linkinfo: linkInfo, protinfo: bridgePort }, HEADER),
);

const familyAndIp = fc.oneof(
  fc.record({ family: fc.constant(AF_INET), ip: fc.constant(ipv4) }),
  fc.record({ family: fc.constant(AF_INET6), ip: fc.constant(ipv6) }),
);

export const addr: fc.Arbitrary<Addr> = familyAndIp.chain(({ family, ip }) =>
  obj<Addr>(
    {
      family: fc.constant(family),
      prefixlen: u8,
      flags: u32,
      scope: u8,
      index: u32,
      local: ip,
      label: text,
      address: ip,
      broadcast: ip,
      anycast: ip,
      multicast: ip,
      cacheinfo: fc.record({ preferred: u32, valid: u32, cstamp: u32, tstamp: u32 }),
      rtPriority: u32,
      proto: u8,
      targetNetnsid: s32,
      unknown: unknownAttrs(IFA_MODELLED),
    },
    ['family', 'prefixlen', 'flags', 'scope', 'index', 'unknown'],
  ),
);

export const route: fc.Arbitrary<Route> = familyAndIp.chain(({ family, ip }) =>
  obj<Route>(
    {
      family: fc.constant(family),
      dstLen: u8,
      srcLen: u8,
      tos: u8,
      table: u32,
      protocol: u8,
      scope: u8,
      type: u8,
      flags: u32,
      dst: ip,
      src: ip,
      gateway: ip,
      via: anyIp,
      oif: u32,
      iif: u32,
      priority: u32,
      prefsrc: ip,
      pref: u8,
      mark: u32,
      expires: u32,
      nhId: u32,
      unknown: unknownAttrs(RTA_MODELLED),
    },
    ['family', 'dstLen', 'srcLen', 'tos', 'table', 'protocol', 'scope', 'type', 'flags', 'unknown'],
  ),
);

export const neigh: fc.Arbitrary<Neigh> = fc
  .oneof(familyAndIp, fc.record({ family: fc.constant(AF_BRIDGE), ip: fc.constant(anyIp) }))
  .chain(({ family, ip }) =>
    obj<Neigh>(
      {
        family: fc.constant(family),
        index: ifindex,
        state: u16,
        flags: u8,
        type: u8,
        dst: ip,
        lladdr: mac,
        cacheinfo: fc.record({ confirmed: u32, used: u32, updated: u32, refcnt: u32 }),
        probes: u32,
        vlan: u16,
        port: u16,
        vni: u32,
        ifindex: u32,
        master: u32,
        linkNetnsid: s32,
        srcVni: u32,
        protocol: u8,
        nhId: u32,
        flagsExt: u32,
        unknown: unknownAttrs(NDA_MODELLED),
      },
      ['family', 'index', 'state', 'flags', 'type', 'unknown'],
    ),
  );
