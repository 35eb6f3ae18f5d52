/**
 * nsnet's ruleset as data: pure functions from the typed model (networks, publications)
 * to NftBatches. No I/O — the Firewall class sends what these return, one batch per intent.
 *
 * Layout (every object nsnet owns lives in two tables; nothing else is ever touched):
 *
 *   table inet nsnet                      one table for IPv4 and IPv6, filter and NAT
 *     chain user                          the administrator's rules: created once, never
 *                                         flushed or rewritten; jumped to first in forward
 *     chain guard    prerouting raw       iifname != "lo" ip daddr|saddr 127.0.0.0/8 drop
 *     chain prerouting  nat dstnat        fib daddr type local jump publish
 *     chain output      nat dstnat        fib daddr type local jump publish
 *     chain publish                       one map lookup per family and kind:
 *                                           dnat ip to ip daddr . meta l4proto . th dport map @dnat4
 *                                           dnat ip to meta l4proto . th dport map @dnat4_any …
 *     chain forward  filter               jump user; iifname vmap @fwd_in; oifname vmap @fwd_out
 *     chain postrouting nat srcnat        oifname @bridges ip saddr 127.0.0.0/8 masquerade;
 *                                         iifname vmap @post
 *     chain nw-<id>-in / -out / -post     one network's rules, reached through the vmaps
 *   table bridge nsnet
 *     chain forward  filter               iifname|oifname @icc_off drop (port to port)
 *
 * Why inet (not ip + ip6): inet has had NAT since Linux 5.2, so one table serves both
 * families, the dnat maps of both sit next to each other and one batch covers a dual-stack
 * change. The bridge table exists because icc must hold without br_netfilter: frames from
 * one port of a bridge to another never reach the inet forward hook, only the bridge
 * family's. It keys on the ports themselves (meta ibrname needs CONFIG_NFT_BRIDGE_META,
 * which kernels may lack), so an icc=false endpoint's port is an element of @icc_off.
 *
 * Hairpin (a container reaching its own or a neighbour's published port through a host
 * address) is routed through the host, not bridged back: the packet is addressed to the
 * host (the bridge's MAC), prerouting DNATs it, and the host routes it out of the bridge
 * again — the bridge port's hairpin flag is not needed. The network's post chain
 * masquerades such a flow (`oifname <bridge> ct status dnat masquerade`), so the reply
 * comes back through the host to be un-NATed instead of going straight to the client.
 *
 * Publishing on 127.0.0.1: the host's own connection is DNATed in the output hook; the
 * packet then leaves through the bridge with source 127.0.0.1, which the kernel allows only
 * with route_localnet=1 on that bridge (set per bridge, never on `all`), and postrouting
 * masquerades it. What that opens — packets to or from 127.0.0.0/8 arriving on any
 * interface but lo — is dropped by the guard chain before conntrack and NAT see them.
 *
 * Per-network rules live in chains of their own reached through verdict maps keyed on the
 * bridge name, so adding or removing a network never needs a rule handle: it is chains and
 * elements, created and deleted by name.
 */
import { NsnetError, ValidationError } from '../errors';
import { nft } from '../netlink';
import { NFT_REG_1 } from '../netlink/constants/nftables';
import { ipToBytes, bytesToIp } from '../netlink/addresses';
import { validateCidr, validateIfName, validateIp } from '../validate';
import type { EndpointSpec, LinkAllow, NetworkSpec, PortMapping, Publication, ResolvedNetwork } from './types';
import { PROTOS } from './types';

const { NftBatch, baseChain, chain, commentUdata, mapElements, masquerade, match, nat, rule, sel, set, table, verdict, verdictMap } = nft;

export const TABLE = 'nsnet';
export const INET = 'inet' as const;
export const BRIDGE = 'bridge' as const;

/** Chains of `inet nsnet`. */
export const CHAIN = {
  user: 'user',
  guard: 'guard',
  prerouting: 'prerouting',
  output: 'output',
  publish: 'publish',
  forward: 'forward',
  postrouting: 'postrouting',
} as const;

/** Sets and maps of `inet nsnet`. */
export const SET = {
  /** Every nsnet bridge (ifname). */
  bridges: 'bridges',
  /** Bridges of networks with isolation off (ifname). */
  open: 'open',
  /** Bridge → jump nw-<id>-in, for packets forwarded out of a network. */
  fwdIn: 'fwd_in',
  /** Bridge → jump nw-<id>-out, for packets forwarded into a network. */
  fwdOut: 'fwd_out',
  /** Bridge → jump nw-<id>-post, NAT of what a network sends. */
  post: 'post',
  dnat4: 'dnat4',
  dnat4Any: 'dnat4_any',
  dnat6: 'dnat6',
  dnat6Any: 'dnat6_any',
  /** Legacy links on icc=off networks as br_netfilter shows them: saddr . daddr . proto . dport. */
  link4: 'link4',
  link6: 'link6',
} as const;

/**
 * The bridge table's objects. `link_fwd` / `link_rev` hold Docker's legacy links on icc=off
 * networks: `from-port . to-port . proto . port` lets a linking container reach the linked
 * one's exposed port (matched on th dport) and the reply come back (th sport); the accepts
 * come before the icc drops.
 */
export const BR = { chain: 'forward', iccOff: 'icc_off', linkFwd: 'link_fwd', linkRev: 'link_rev' } as const;

/** Key of the link sets: iifname . oifname . meta l4proto . th dport|sport. */
const LINK_KEY: nft.DatatypeName[] = ['ifname', 'ifname', 'inet_proto', 'inet_service'];
const LINK4_KEY: nft.DatatypeName[] = ['ipv4_addr', 'ipv4_addr', 'inet_proto', 'inet_service'];
const LINK6_KEY: nft.DatatypeName[] = ['ipv6_addr', 'ipv6_addr', 'inet_proto', 'inet_service'];

/** nft's `priority filter` in the bridge family (NF_BR_PRI_FILTER_BRIDGED). */
const BRIDGE_PRIORITY_FILTER = -200;
/** NFTNL_UDATA_SET_ELEM_COMMENT. */
const ELEM_COMMENT = 0;
/** Elements per NEWSETELEM message: the element list is a nest with a 16-bit length. */
const ELEMENTS_PER_MESSAGE = 200;

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function validateId(id: unknown, field: string): string {
  if (typeof id !== 'string' || !ID_RE.test(id)) {
    throw new ValidationError(`${field}: '${String(id)}' must match [A-Za-z0-9][A-Za-z0-9_.-]{0,63}`, { field });
  }
  return id;
}

/** The three chains of a network. */
export function networkChains(id: string): { in: string; out: string; post: string } {
  return { in: `nw-${id}-in`, out: `nw-${id}-out`, post: `nw-${id}-post` };
}

/** The network id in a chain name made by networkChains (its `-out` chain), or undefined. */
export function networkIdOfChain(name: string): string | undefined {
  const m = /^nw-(.+)-out$/.exec(name);
  return m && ID_RE.test(m[1]!) ? m[1] : undefined;
}

// ── validation of the model ──────────────────────────────────────────────────────────

/** A network with defaults filled in; throws ValidationError on bad input. */
export function resolveNetwork(spec: NetworkSpec): ResolvedNetwork {
  if (spec === null || typeof spec !== 'object') throw new ValidationError('network: give a NetworkSpec', { field: 'network' });
  const id = validateId(spec.id, 'network.id');
  const bridge = validateIfName(spec.bridge, 'network.bridge');
  if (!Array.isArray(spec.subnets)) throw new ValidationError('network.subnets: give an array of prefixes', { field: 'network.subnets' });
  const subnets = spec.subnets.map((s, i) => {
    const c = validateCidr(s, `network.subnets[${i}]`);
    const p = nft.parsePrefix(`${c.address}/${c.prefixLength}`, c.family, `network.subnets[${i}]`);
    return `${bytesToIp(p.addr)}/${p.bits}`;
  });
  const flag = (v: unknown, def: boolean, field: string): boolean => {
    if (v === undefined) return def;
    if (typeof v !== 'boolean') throw new ValidationError(`network.${field}: must be a boolean`, { field: `network.${field}` });
    return v;
  };
  return {
    id,
    bridge,
    subnets,
    masquerade: flag(spec.masquerade, true, 'masquerade'),
    icc: flag(spec.icc, true, 'icc'),
    internal: flag(spec.internal, false, 'internal'),
    isolated: flag(spec.isolated, true, 'isolated'),
  };
}

/** An endpoint in normal form; throws ValidationError on bad input. */
export function resolveEndpoint(e: EndpointSpec): EndpointSpec {
  if (e === null || typeof e !== 'object') throw new ValidationError('endpoint: give an EndpointSpec', { field: 'endpoint' });
  const out: EndpointSpec = { id: validateId(e.id, 'endpoint.id'), network: validateId(e.network, 'endpoint.network') };
  if (e.ipv4 !== undefined) {
    const v = validateIp(e.ipv4, 'endpoint.ipv4');
    if (v.family !== 4) throw new ValidationError(`endpoint.ipv4: '${e.ipv4}' is not IPv4`, { field: 'endpoint.ipv4' });
    out.ipv4 = v.address;
  }
  if (e.ipv6 !== undefined) {
    const v = validateIp(e.ipv6, 'endpoint.ipv6');
    if (v.family !== 6) throw new ValidationError(`endpoint.ipv6: '${e.ipv6}' is not IPv6`, { field: 'endpoint.ipv6' });
    out.ipv6 = v.address;
  }
  if (e.port !== undefined) out.port = validateIfName(e.port, 'endpoint.port');
  if (e.links !== undefined) {
    if (!Array.isArray(e.links)) throw new ValidationError('endpoint.links: give an array', { field: 'endpoint.links' });
    if (e.links.length && out.port === undefined) throw new ValidationError('endpoint.links: the endpoint needs its bridge port', { field: 'endpoint.port' });
    const links = new Map<string, LinkAllow>();
    e.links.forEach((l, i) => {
      const f = `endpoint.links[${i}]`;
      if (l === null || typeof l !== 'object') throw new ValidationError(`${f}: give { peer, proto, port }`, { field: f });
      const peer = validateIfName(l.peer, `${f}.peer`);
      if (!PROTOS.includes(l.proto)) throw new ValidationError(`${f}.proto: '${String(l.proto)}' is not tcp, udp or sctp`, { field: `${f}.proto` });
      if (!Number.isInteger(l.port) || l.port < 1 || l.port > 65535) throw new ValidationError(`${f}.port: ${String(l.port)} is outside 1-65535`, { field: `${f}.port` });
      const out: LinkAllow = { peer, proto: l.proto, port: l.port };
      for (const fam of [4, 6] as const) {
        const a = fam === 4 ? l.ipv4 : l.ipv6;
        if (a === undefined) continue;
        const v = validateIp(a, `${f}.ipv${fam}`);
        if (v.family !== fam) throw new ValidationError(`${f}.ipv${fam}: '${a}' is not IPv${fam}`, { field: `${f}.ipv${fam}` });
        if (fam === 4) out.ipv4 = v.address;
        else out.ipv6 = v.address;
      }
      links.set(`${peer}/${l.proto}/${l.port}`, out);
    });
    if (links.size) out.links = [...links.values()];
  }
  return out;
}

/** True when `addr` lies in one of the network's subnets. */
export function inSubnets(addr: string, subnets: readonly string[]): boolean {
  const a = ipToBytes(addr);
  return subnets.some((s) => {
    const p = nft.parsePrefix(s, undefined);
    return p.addr.length === a.length && nft.maskBytes(a, p.bits).equals(p.addr);
  });
}

/** True when two prefixes share an address (the shorter one contains the other). */
export function subnetsOverlap(a: string, b: string): boolean {
  const pa = nft.parsePrefix(a, undefined);
  const pb = nft.parsePrefix(b, undefined);
  if (pa.addr.length !== pb.addr.length) return false;
  const bits = Math.min(pa.bits, pb.bits);
  return nft.maskBytes(pa.addr, bits).equals(nft.maskBytes(pb.addr, bits));
}

// ── the network comment: how a network is read back from the kernel ──────────────────

/** `nsnet network id=… bridge=… subnets=a,b masquerade=1 icc=1 internal=0 isolated=1`. */
export function networkComment(n: ResolvedNetwork): string {
  const b = (v: boolean): string => (v ? '1' : '0');
  return `nsnet network id=${n.id} bridge=${n.bridge} subnets=${n.subnets.join(',')} masquerade=${b(n.masquerade)} icc=${b(n.icc)} internal=${b(n.internal)} isolated=${b(n.isolated)}`;
}

/** The network a comment describes, or undefined if it is not one of ours. */
export function parseNetworkComment(text: string | undefined): ResolvedNetwork | undefined {
  if (text === undefined || !text.startsWith('nsnet network ')) return undefined;
  const kv = new Map(text.slice('nsnet network '.length).split(' ').map((p) => p.split('=', 2) as [string, string]));
  try {
    const subnets = kv.get('subnets');
    return resolveNetwork({
      id: kv.get('id') ?? '',
      bridge: kv.get('bridge') ?? '',
      subnets: subnets ? subnets.split(',') : [],
      masquerade: kv.get('masquerade') === '1',
      icc: kv.get('icc') === '1',
      internal: kv.get('internal') === '1',
      isolated: kv.get('isolated') === '1',
    });
  } catch {
    return undefined;
  }
}

/** `ep=<endpoint> nw=<network>`: the comment on every element of an endpoint. */
export function endpointComment(e: Pick<EndpointSpec, 'id' | 'network'>): string {
  return `ep=${e.id} nw=${e.network}`;
}

export function parseEndpointComment(text: string | undefined): { id: string; network: string } | undefined {
  const m = text === undefined ? null : /^ep=(\S+) nw=(\S+)$/.exec(text);
  if (!m || !ID_RE.test(m[1]!) || !ID_RE.test(m[2]!)) return undefined;
  return { id: m[1]!, network: m[2]! };
}

// ── selectors and objects ────────────────────────────────────────────────────────────

/** `th dport`: the destination port of any transport header (no protocol dependency). */
export const TH_DPORT: nft.Selector = {
  len: 2,
  datatype: 'inet_service',
  needs: [],
  load: (dreg) => [{ type: 'payload', dreg, base: 'transport_header', offset: 2, len: 2 }],
};

/** `th sport`: the source port of any transport header. */
export const TH_SPORT: nft.Selector = {
  len: 2,
  datatype: 'inet_service',
  needs: [],
  load: (dreg) => [{ type: 'payload', dreg, base: 'transport_header', offset: 0, len: 2 }],
};

type MapKind = 'dnat4' | 'dnat4_any' | 'dnat6' | 'dnat6_any';

const ADDR = { 4: 'ipv4_addr', 6: 'ipv6_addr' } as const;

/** The dnat map a mapping belongs in, with its key and data types. */
export function dnatMapOf(m: Pick<PortMapping, 'family' | 'hostIp'>): { name: MapKind; key: nft.DatatypeName[]; data: nft.DatatypeName[] } {
  const addr = ADDR[m.family];
  const data: nft.DatatypeName[] = [addr, 'inet_service'];
  if (m.hostIp === undefined) return { name: m.family === 4 ? 'dnat4_any' : 'dnat6_any', key: ['inet_proto', 'inet_service'], data };
  return { name: m.family === 4 ? 'dnat4' : 'dnat6', key: [addr, 'inet_proto', 'inet_service'], data };
}

const DNAT_MAPS: readonly { family: 4 | 6; hostIp?: string }[] = [{ family: 4, hostIp: '0.0.0.0' }, { family: 4 }, { family: 6, hostIp: '::' }, { family: 6 }];

function inetSets(): nft.NftSet[] {
  const I = { family: INET, table: TABLE };
  return [
    set({ ...I, name: SET.bridges, key: 'ifname' }),
    set({ ...I, name: SET.open, key: 'ifname' }),
    set({ ...I, name: SET.fwdIn, key: 'ifname', data: 'verdict' }),
    set({ ...I, name: SET.fwdOut, key: 'ifname', data: 'verdict' }),
    set({ ...I, name: SET.post, key: 'ifname', data: 'verdict' }),
    ...DNAT_MAPS.map((m) => {
      const d = dnatMapOf(m);
      return set({ ...I, name: d.name, key: d.key, data: d.data });
    }),
    set({ ...I, name: SET.link4, key: LINK4_KEY }),
    set({ ...I, name: SET.link6, key: LINK6_KEY }),
  ];
}

function inetBaseChains(): nft.NftChain[] {
  const I = { family: INET, table: TABLE };
  return [
    chain({ ...I, name: CHAIN.user }),
    baseChain({ ...I, name: CHAIN.guard, type: 'filter', hook: 'prerouting', priority: 'raw', policy: 'accept' }),
    baseChain({ ...I, name: CHAIN.prerouting, type: 'nat', hook: 'prerouting', priority: 'dstnat', policy: 'accept' }),
    baseChain({ ...I, name: CHAIN.output, type: 'nat', hook: 'output', priority: 'dstnat', policy: 'accept' }),
    chain({ ...I, name: CHAIN.publish }),
    baseChain({ ...I, name: CHAIN.forward, type: 'filter', hook: 'forward', priority: 'filter', policy: 'accept' }),
    baseChain({ ...I, name: CHAIN.postrouting, type: 'nat', hook: 'postrouting', priority: 'srcnat', policy: 'accept' }),
  ];
}

function inetRule(chainName: string, parts: nft.RulePart[]): nft.NftRule {
  return rule({ family: INET, table: TABLE, chain: chainName, parts });
}

/** The rules of nsnet's own base chains (everything but `user` and the network chains). */
function inetStaticRules(): nft.NftRule[] {
  const notLo = (): nft.RulePart => match.iifname('lo', { not: true });
  const dnat = (family: 4 | 6, specific: boolean): nft.RulePart[] => {
    const d = dnatMapOf(specific ? { family, hostIp: family === 4 ? '0.0.0.0' : '::' } : { family });
    const l3 = family === 4 ? sel.ip4.daddr : sel.ip6.daddr;
    const keys = specific ? [l3, sel.l4proto, TH_DPORT] : [sel.l4proto, TH_DPORT];
    const natPart = nat.dnatMap({ family: family === 4 ? 'ip' : 'ip6', map: d.name, keys, port: true });
    return specific ? [natPart] : [match.nfproto(family === 4 ? 'ipv4' : 'ipv6'), natPart];
  };
  return [
    // A packet to (or from) 127.0.0.0/8 that did not come from the host itself is an
    // attack (CVE-2020-8558 class): with route_localnet on a bridge, the kernel would
    // accept it, and a DNAT in prerouting would even rewrite it before routing could
    // call it a martian. Dropped before conntrack sees it.
    inetRule(CHAIN.guard, [notLo(), match.ip4.daddr('127.0.0.0/8'), verdict.drop()]),
    inetRule(CHAIN.guard, [notLo(), match.ip4.saddr('127.0.0.0/8'), verdict.drop()]),
    // DNAT only what is addressed to this host, never what merely passes through it.
    inetRule(CHAIN.prerouting, [match.fibDaddrLocal(), verdict.jump(CHAIN.publish)]),
    inetRule(CHAIN.output, [match.fibDaddrLocal(), verdict.jump(CHAIN.publish)]),
    inetRule(CHAIN.publish, dnat(4, true)),
    inetRule(CHAIN.publish, dnat(4, false)),
    // ::1 cannot be DNATed to a container (no route_localnet for IPv6): let it be refused.
    inetRule(CHAIN.publish, [match.ip6.daddr('::1'), verdict.return()]),
    inetRule(CHAIN.publish, dnat(6, true)),
    inetRule(CHAIN.publish, dnat(6, false)),
    inetRule(CHAIN.forward, [verdict.jump(CHAIN.user)]),
    // Legacy links through br_netfilter (see SET.link4); replies pass as established.
    inetRule(CHAIN.forward, [match.inSet(SET.link4, [sel.ip4.saddr, sel.ip4.daddr, sel.l4proto, TH_DPORT]), verdict.accept()]),
    inetRule(CHAIN.forward, [match.inSet(SET.link6, [sel.ip6.saddr, sel.ip6.daddr, sel.l4proto, TH_DPORT]), verdict.accept()]),
    inetRule(CHAIN.forward, [verdictMap(SET.fwdIn, sel.iifname)]),
    inetRule(CHAIN.forward, [verdictMap(SET.fwdOut, sel.oifname)]),
    // The host reaching a port published on 127.0.0.1: the DNATed packet leaves through
    // the bridge (route_localnet on it lets it) and must not carry 127.0.0.1 there.
    inetRule(CHAIN.postrouting, [match.inSet(SET.bridges, sel.oifname), match.ip4.saddr('127.0.0.0/8'), masquerade()]),
    inetRule(CHAIN.postrouting, [verdictMap(SET.post, sel.iifname)]),
  ];
}

function bridgeChain(): nft.NftChain {
  return baseChain({ family: BRIDGE, table: TABLE, name: BR.chain, type: 'filter', hook: 'forward', priority: BRIDGE_PRIORITY_FILTER, policy: 'accept' });
}

function bridgeRules(): nft.NftRule[] {
  const R = (parts: nft.RulePart[]): nft.NftRule => rule({ family: BRIDGE, table: TABLE, chain: BR.chain, parts });
  // ARP passes between icc=off ports, as it does under Docker's iptables rules (which never
  // see ARP): without it a linked pair could not resolve each other's MAC. No IP traffic
  // follows unless a link allows it.
  const arp: nft.RulePart = {
    needs: [],
    exprs: [
      { type: 'meta', key: 'protocol', dreg: NFT_REG_1 },
      { type: 'cmp', sreg: NFT_REG_1, op: 'eq', data: Buffer.from([0x08, 0x06]) },
    ],
  };
  return [
    R([arp, verdict.accept()]),
    R([match.inSet(BR.linkFwd, [sel.iifname, sel.oifname, sel.l4proto, TH_DPORT]), verdict.accept()]),
    R([match.inSet(BR.linkRev, [sel.iifname, sel.oifname, sel.l4proto, TH_SPORT]), verdict.accept()]),
    R([match.inSet(BR.iccOff, sel.iifname), verdict.drop()]),
    R([match.inSet(BR.iccOff, sel.oifname), verdict.drop()]),
  ];
}

function bridgeSets(): nft.NftSet[] {
  return [
    set({ family: BRIDGE, table: TABLE, name: BR.iccOff, key: 'ifname' }),
    set({ family: BRIDGE, table: TABLE, name: BR.linkFwd, key: LINK_KEY }),
    set({ family: BRIDGE, table: TABLE, name: BR.linkRev, key: LINK_KEY }),
  ];
}

/** Chains whose rules are all nsnet's and static (flushed and rewritten by ensureBase). */
export const STATIC_CHAINS: readonly string[] = [CHAIN.guard, CHAIN.prerouting, CHAIN.output, CHAIN.publish, CHAIN.forward, CHAIN.postrouting];

/** How many rules each static chain holds, for drift checks. */
export function staticRuleCounts(): { inet: Map<string, number>; bridge: number } {
  const inet = new Map<string, number>(STATIC_CHAINS.map((c) => [c, 0]));
  for (const r of inetStaticRules()) inet.set(r.chain!, (inet.get(r.chain!) ?? 0) + 1);
  return { inet, bridge: bridgeRules().length };
}

/** Names of every object the base consists of, as snapshot() reports missing ones. */
export function baseObjectNames(): { inetChains: string[]; inetSets: string[]; bridgeChains: string[]; bridgeSets: string[] } {
  return {
    inetChains: inetBaseChains().map((c) => c.name!),
    inetSets: inetSets().map((s) => s.name!),
    bridgeChains: [BR.chain],
    bridgeSets: bridgeSets().map((s) => s.name!),
  };
}

/**
 * Creates what is missing of the base and rewrites nsnet's static rules (flush + add, in
 * one transaction, so no packet sees the chains empty). Idempotent. Never flushes the
 * user chain, the sets or the network chains.
 */
function addBase(b: nft.NftBatch, opts: { flushSets: boolean }): void {
  b.addTable(table(INET, TABLE));
  for (const s of inetSets()) b.addSet(s);
  for (const c of inetBaseChains()) b.addChain(c);
  if (opts.flushSets) for (const s of inetSets()) b.delElements({ family: INET, table: TABLE, set: s.name! });
  for (const name of STATIC_CHAINS) b.flushChain({ family: INET, table: TABLE, name });
  b.addTable(table(BRIDGE, TABLE));
  for (const s of bridgeSets()) b.addSet(s);
  b.addChain(bridgeChain());
  if (opts.flushSets) for (const s of bridgeSets()) b.delElements({ family: BRIDGE, table: TABLE, set: s.name! });
  b.flushChain({ family: BRIDGE, table: TABLE, name: BR.chain });
}

function addStaticRules(b: nft.NftBatch): void {
  for (const r of inetStaticRules()) b.addRule(r);
  for (const r of bridgeRules()) b.addRule(r);
}

/** ensureBase(): the skeleton, idempotently. */
export function planBase(): nft.NftBatch {
  const b = new NftBatch();
  addBase(b, { flushSets: false });
  addStaticRules(b);
  return b;
}

// ── networks ─────────────────────────────────────────────────────────────────────────

function networkRules(n: ResolvedNetwork): nft.NftRule[] {
  const c = networkChains(n.id);
  const br = n.bridge;
  const out: nft.NftRule[] = [];
  // Leaving the network (forwarded out of its bridge): an internal network keeps all to itself.
  if (n.internal) out.push(inetRule(c.in, [match.oifname(br, { not: true }), verdict.drop()]));
  // Entering it (forwarded into its bridge).
  out.push(inetRule(c.out, [match.ctState(['established', 'related']), verdict.accept()]));
  // Container to container through the host (incl. hairpin via a published port).
  out.push(inetRule(c.out, [match.iifname(br), n.icc ? verdict.accept() : verdict.drop()]));
  if (!n.internal) {
    // A published port: DNATed in prerouting/output by nsnet's maps.
    out.push(inetRule(c.out, [match.ctStatus(['dnat']), verdict.accept()]));
    if (!n.isolated) out.push(inetRule(c.out, [match.inSet(SET.open, sel.iifname), verdict.accept()]));
  }
  out.push(inetRule(c.out, [verdict.drop()]));
  // NAT of what the network sends.
  if (!n.internal) {
    if (n.masquerade) {
      for (const s of n.subnets) {
        const from = s.includes(':') ? match.ip6.saddr(s) : match.ip4.saddr(s);
        out.push(inetRule(c.post, [match.oifname(br, { not: true }), from, masquerade()]));
      }
    }
    // Hairpin: a container reaching a published port of its own network through a host
    // address is routed back out of the bridge; masquerading it makes the reply come back
    // through the host (to be un-NATed) instead of straight from the neighbour.
    out.push(inetRule(c.post, [match.oifname(br), match.ctStatus(['dnat']), masquerade()]));
  }
  return out;
}

function networkChainObjects(n: ResolvedNetwork): nft.NftChain[] {
  const c = networkChains(n.id);
  const out = chain({ family: INET, table: TABLE, name: c.out });
  out.userdata = commentUdata(networkComment(n), nft.NFTNL_UDATA_CHAIN_COMMENT);
  return [chain({ family: INET, table: TABLE, name: c.in }), out, chain({ family: INET, table: TABLE, name: c.post })];
}

type ElemGroup = { family: typeof INET | typeof BRIDGE; set: string; elements: nft.NftSetElem[] };

function networkElements(n: ResolvedNetwork): ElemGroup[] {
  const c = networkChains(n.id);
  const jump = (chainName: string): nft.Verdict => ({ kind: 'jump', chain: chainName });
  const groups: ElemGroup[] = [
    { family: INET, set: SET.fwdIn, elements: nft.verdictElements('ifname', [[n.bridge, jump(c.in)]]) },
    { family: INET, set: SET.fwdOut, elements: nft.verdictElements('ifname', [[n.bridge, jump(c.out)]]) },
    { family: INET, set: SET.post, elements: nft.verdictElements('ifname', [[n.bridge, jump(c.post)]]) },
    { family: INET, set: SET.bridges, elements: nft.keyElements('ifname', [n.bridge]) },
  ];
  if (!n.isolated && !n.internal) groups.push({ family: INET, set: SET.open, elements: nft.keyElements('ifname', [n.bridge]) });
  return groups;
}

function addElementGroups(b: nft.NftBatch, groups: readonly ElemGroup[], how: 'add' | 'del'): void {
  for (const g of groups) {
    for (let i = 0; i < g.elements.length; i += ELEMENTS_PER_MESSAGE) {
      const elements = g.elements.slice(i, i + ELEMENTS_PER_MESSAGE);
      const list = { family: g.family, table: TABLE, set: g.set, elements };
      if (how === 'add') b.addElements(list, { excl: true });
      else b.delElements({ ...list, elements: elements.map((e) => ({ key: e.key!, ...(e.flags ? { flags: e.flags } : {}) })) });
    }
  }
}

function addNetworkTo(b: nft.NftBatch, n: ResolvedNetwork): void {
  for (const c of networkChainObjects(n)) b.addChain(c, { excl: true });
  for (const r of networkRules(n)) b.addRule(r);
  addElementGroups(b, networkElements(n), 'add');
}

/** addNetwork(): the network's chains, their rules and its vmap/set elements. */
export function planAddNetwork(n: ResolvedNetwork): nft.NftBatch {
  const b = new NftBatch();
  addNetworkTo(b, n);
  return b;
}

function deleteChains(b: nft.NftBatch, names: readonly string[]): void {
  for (const name of names) b.flushChain({ family: INET, table: TABLE, name });
  for (const name of names) b.delChain({ family: INET, table: TABLE, name });
}

/**
 * removeNetwork(): the publications of its endpoints, its elements (first: they hold
 * references to its chains), then its chains.
 */
export function planRemoveNetwork(n: ResolvedNetwork, publications: readonly Publication[]): nft.NftBatch {
  const b = new NftBatch();
  for (const p of publications) addElementGroups(b, publicationElements(p, n), 'del');
  addElementGroups(b, networkElements(n), 'del');
  const c = networkChains(n.id);
  deleteChains(b, [c.in, c.out, c.post]);
  return b;
}

// ── publications ─────────────────────────────────────────────────────────────────────

function mappingKey(m: PortMapping): (string | number)[] {
  return m.hostIp === undefined ? [m.proto, m.hostPort] : [m.hostIp, m.proto, m.hostPort];
}

/** The elements a publication consists of: one per mapping in a dnat map, plus its icc port. */
export function publicationElements(p: Publication, n: Pick<ResolvedNetwork, 'icc'>): ElemGroup[] {
  const userdata = commentUdata(endpointComment(p.endpoint), ELEM_COMMENT);
  const byMap = new Map<string, ElemGroup>();
  for (const m of p.mappings) {
    const d = dnatMapOf(m);
    const [e] = mapElements(d.key, d.data, [[mappingKey(m), [m.containerIp, m.containerPort]]]);
    e!.userdata = userdata;
    const g = byMap.get(d.name) ?? { family: INET, set: d.name, elements: [] };
    g.elements.push(e!);
    byMap.set(d.name, g);
  }
  const groups = [...byMap.values()];
  if (!n.icc && p.endpoint.port !== undefined) {
    const self = p.endpoint.port;
    const [e] = nft.keyElements('ifname', [self]);
    e!.userdata = userdata;
    groups.push({ family: BRIDGE, set: BR.iccOff, elements: [e!] });
    const links = p.endpoint.links ?? [];
    if (links.length) {
      const tag = (elems: nft.NftSetElem[]): nft.NftSetElem[] => elems.map((x) => ({ ...x, userdata }));
      groups.push({ family: BRIDGE, set: BR.linkFwd, elements: tag(nft.keyElements(LINK_KEY, links.map((l) => [self, l.peer, l.proto, l.port]))) });
      groups.push({ family: BRIDGE, set: BR.linkRev, elements: tag(nft.keyElements(LINK_KEY, links.map((l) => [l.peer, self, l.proto, l.port]))) });
      // The same allowances by address, for the inet forward hook under br_netfilter. The
      // comment names the peer so that a readback can put each back on its link.
      for (const fam of [4, 6] as const) {
        const mine = fam === 4 ? p.endpoint.ipv4 : p.endpoint.ipv6;
        const elems: nft.NftSetElem[] = [];
        for (const l of links) {
          const theirs = fam === 4 ? l.ipv4 : l.ipv6;
          if (mine === undefined || theirs === undefined) continue;
          const [e4] = nft.keyElements(fam === 4 ? LINK4_KEY : LINK6_KEY, [[mine, theirs, l.proto, l.port]]);
          e4!.userdata = commentUdata(`${endpointComment(p.endpoint)} peer=${l.peer}`, ELEM_COMMENT);
          elems.push(e4!);
        }
        if (elems.length) groups.push({ family: INET, set: fam === 4 ? SET.link4 : SET.link6, elements: elems });
      }
    }
  }
  return groups;
}

/**
 * publish(): the endpoint's previous elements out (if it had any), the new ones in — one
 * transaction, so a republish never leaves the endpoint half mapped.
 */
export function planPublish(p: Publication, n: ResolvedNetwork, previous: Publication | undefined, previousNetwork: Pick<ResolvedNetwork, 'icc'> = n): nft.NftBatch {
  const b = new NftBatch();
  if (previous !== undefined) addElementGroups(b, publicationElements(previous, previousNetwork), 'del');
  addElementGroups(b, publicationElements(p, n), 'add');
  return b;
}

/** unpublish(): the endpoint's elements out. */
export function planUnpublish(p: Publication, n: Pick<ResolvedNetwork, 'icc'>): nft.NftBatch {
  return planUnpublishMany([[p, n]]);
}

/**
 * unpublishMany(): the elements of every publication given, merged per set, so removing
 * N endpoints costs one batch of a few messages instead of N batches.
 */
export function planUnpublishMany(items: ReadonlyArray<readonly [Publication, Pick<ResolvedNetwork, 'icc'>]>): nft.NftBatch {
  const merged = new Map<string, ElemGroup>();
  for (const [p, n] of items) {
    for (const g of publicationElements(p, n)) {
      const key = `${g.family}/${g.set}`;
      const into = merged.get(key);
      if (into) into.elements.push(...g.elements);
      else merged.set(key, { ...g, elements: [...g.elements] });
    }
  }
  const b = new NftBatch();
  addElementGroups(b, [...merged.values()], 'del');
  return b;
}

/** uninstall(): both of nsnet's tables, with everything in them (the user chain too). */
export function planUninstall(present: { inet: boolean; bridge: boolean }): nft.NftBatch {
  const b = new NftBatch();
  if (present.inet) b.delTable(table(INET, TABLE));
  if (present.bridge) b.delTable(table(BRIDGE, TABLE));
  return b;
}

// ── reapply ──────────────────────────────────────────────────────────────────────────

/**
 * reapply(): everything from the records, in one transaction that works whatever the
 * kernel holds now (nothing, a partial ruleset, a stale one): create what is missing,
 * empty every set and nsnet-owned chain, delete network chains the kernel has (stale ones
 * and current ones alike: their comment may be out of date), then add it all again. The
 * user chain is created if missing and otherwise left exactly as it is.
 *
 * `existingNetworkChains` are the nw-* chains the kernel holds now (from a readback).
 */
export function planReapply(networks: readonly ResolvedNetwork[], publications: readonly Publication[], existingNetworkChains: readonly string[]): nft.NftBatch {
  const byId = new Map(networks.map((n) => [n.id, n]));
  const b = new NftBatch();
  addBase(b, { flushSets: true });
  deleteChains(b, existingNetworkChains);
  addStaticRules(b);
  for (const n of networks) addNetworkTo(b, n);
  for (const p of publications) {
    const n = byId.get(p.endpoint.network);
    if (n === undefined) throw new NsnetError(`reapply: endpoint ${p.endpoint.id} is on unknown network ${p.endpoint.network}`, { code: 'EINVAL', op: 'reapply' });
    addElementGroups(b, publicationElements(p, n), 'add');
  }
  return b;
}

/** The protocols nsnet publishes, as IPPROTO numbers (for decoding keys). */
export const PROTO_NUMBERS = new Map<number, (typeof PROTOS)[number]>(PROTOS.map((p) => [nft.l4protoNumber(p), p]));

/** `ep=<endpoint> nw=<network> peer=<port>`: the comment of a link4/link6 element. */
export function parseLinkComment(text: string | undefined): { id: string; network: string; peer: string } | undefined {
  const m = text === undefined ? null : /^ep=(\S+) nw=(\S+) peer=(\S+)$/.exec(text);
  if (!m || !ID_RE.test(m[1]!) || !ID_RE.test(m[2]!)) return undefined;
  return { id: m[1]!, network: m[2]!, peer: m[3]! };
}

/** Reads a link4/link6 element back: the peer's address, protocol and port. */
export function decodeLinkAddrElement(setName: string, e: nft.NftSetElem): { family: 4 | 6; peerIp: string; proto: (typeof PROTOS)[number]; port: number } | undefined {
  const k = e.key;
  const family = setName === SET.link4 ? 4 : setName === SET.link6 ? 6 : undefined;
  if (k === undefined || family === undefined) return undefined;
  const alen = family === 4 ? 4 : 16;
  if (k.length !== 2 * alen + 8) return undefined;
  const proto = PROTO_NUMBERS.get(k[2 * alen]!);
  if (proto === undefined) return undefined;
  return { family, peerIp: bytesToIp(k.subarray(alen, 2 * alen)), proto, port: k.readUInt16BE(2 * alen + 4) };
}

/** Reads a link_fwd element back (undefined if it is not one nsnet would write). */
export function decodeLinkElement(e: nft.NftSetElem): { port: string; link: { peer: string; proto: (typeof PROTOS)[number]; port: number } } | undefined {
  const k = e.key;
  if (k === undefined || k.length !== 40) return undefined;
  const name = (b: Buffer): string => {
    const nul = b.indexOf(0);
    return b.toString('utf8', 0, nul === -1 ? b.length : nul);
  };
  const proto = PROTO_NUMBERS.get(k[32]!);
  if (proto === undefined) return undefined;
  return { port: name(k.subarray(0, 16)), link: { peer: name(k.subarray(16, 32)), proto, port: k.readUInt16BE(36) } };
}

/** Reads a dnat map element back into a mapping (undefined if it is not one nsnet would write). */
export function decodeDnatElement(mapName: string, e: nft.NftSetElem): PortMapping | undefined {
  const value = e.data && 'value' in e.data ? e.data.value : undefined;
  if (e.key === undefined || value === undefined) return undefined;
  const family = mapName === SET.dnat4 || mapName === SET.dnat4Any ? 4 : mapName === SET.dnat6 || mapName === SET.dnat6Any ? 6 : undefined;
  if (family === undefined) return undefined;
  const alen = family === 4 ? 4 : 16;
  const specific = mapName === SET.dnat4 || mapName === SET.dnat6;
  const k = e.key;
  const off = specific ? alen : 0;
  if (k.length !== off + 8 || value.length !== alen + 4) return undefined;
  const proto = PROTO_NUMBERS.get(k[off]!);
  if (proto === undefined) return undefined;
  const m: PortMapping = {
    family,
    proto,
    hostPort: k.readUInt16BE(off + 4),
    containerIp: bytesToIp(value.subarray(0, alen)),
    containerPort: value.readUInt16BE(alen),
  };
  if (specific) m.hostIp = bytesToIp(k.subarray(0, alen));
  return m;
}

