/**
 * The test world for firewall tests, built from nsnet's own verbs (Netns, RtnlHandle):
 *
 *            outside (192.0.2.2, 2001:db8::2)           attacker (203.0.113.2)
 *                 │ uplink veth                              │ veth
 *   host ── up0 (192.0.2.1, 2001:db8::1) ── att0 (203.0.113.1)
 *     ├── bridge A (gateway) ── veth ── container (eth0, address, default route via gateway)
 *     └── bridge B …
 *
 * The host's default routes point at the outside namespace; the outside knows only its
 * connected /24 and /64, so a container's traffic comes back only if the host SNATs it
 * (addRoute() gives it more when a test needs routed traffic). Only TEST-NET and
 * documentation addresses are used, and only inside the namespaces made here.
 * br_netfilter is switched off in the host (bridge-nf-call-*=0) unless asked for, so that
 * what the tests show does not rely on it.
 *
 * Also here: UDP probes (echo server and client, the UDP counterparts of lib/probe.ts),
 * the attacker's "route 127.0.0.0/8 to the host" trick, and `nft`/`ip` run inside a
 * namespace as independent witnesses.
 */
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { Netns } from '../../lib';
import { uniqueName } from './sandbox';

export const UPLINK = { host4: '192.0.2.1', outside4: '192.0.2.2', host6: '2001:db8::1', outside6: '2001:db8::2' } as const;
export const ATTACK = { host4: '203.0.113.1', attacker4: '203.0.113.2' } as const;
/** Interface names in the host namespace. */
export const HOST_IF = { uplink: 'up0', attack: 'att0' } as const;

export interface Bridge {
  name: string;
  /** Gateway addresses on the bridge ('198.51.100.1'), without prefix. */
  gateway4?: string;
  gateway6?: string;
  /** The prefixes ('198.51.100.0/26'). */
  subnets: string[];
}

export interface Container {
  name: string;
  ns: Netns;
  bridge: Bridge;
  /** The host end of its veth: the bridge port. */
  port: string;
  ipv4?: string;
  ipv6?: string;
}

export interface TopologyOptions {
  /** Leave br_netfilter's bridge-nf-call-ip(6)tables on in the host (default false). */
  brNetfilter?: boolean;
}

function prefixOf(cidr: string): string {
  const [addr, len] = cidr.split('/') as [string, string];
  if (addr.includes(':')) {
    // Tests use /64s on a :: boundary: the prefix is the first four groups.
    const groups = addr.split('::')[0]!.split(':');
    return `${groups.slice(0, 4).join(':')}::/${len}`;
  }
  const bits = Number(len);
  const n = addr.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const net = bits === 0 ? 0 : Math.floor(n / 2 ** (32 - bits)) * 2 ** (32 - bits);
  return `${[24, 16, 8, 0].map((s) => Math.floor(net / 2 ** s) % 256).join('.')}/${len}`;
}

/** Runs `nft ARGS…` inside a namespace (the independent witness). */
export function nftIn(ns: Netns, args: readonly string[], input?: string): string {
  return execFileSync('ip', ['netns', 'exec', ns.name!, 'nft', ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs `ip ARGS…` inside a namespace. */
export function ipIn(ns: Netns, ...args: string[]): string {
  return execFileSync('ip', ['-n', ns.name!, ...args], { encoding: 'utf8' });
}

export type NftJson = Record<string, any>[];

/** `nft -j list ruleset` without metainfo. */
export function rulesetJson(ns: Netns): NftJson {
  const out = JSON.parse(nftIn(ns, ['-j', 'list', 'ruleset'])) as { nftables: NftJson };
  return out.nftables.filter((o) => !('metainfo' in o));
}

/** Handles differ between two namespaces built in another order: drop them. */
export function withoutHandles(objs: NftJson): NftJson {
  return JSON.parse(JSON.stringify(objs, (k, v) => (k === 'handle' ? undefined : v)));
}

/**
 * Comparable listings: handles dropped (they differ between namespaces built in another
 * order) and set elements sorted (a hash set lists in an order that depends on a random
 * per-set seed).
 */
export function normalised(objs: NftJson): NftJson {
  return withoutHandles(objs).map((o) => {
    const s = o.set ?? o.map;
    if (s?.elem) s.elem = [...s.elem].sort((x: unknown, y: unknown) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
    return o;
  });
}

export class Topology {
  readonly bridges: Bridge[] = [];
  readonly containers: Container[] = [];
  private ports = 0;

  private constructor(
    readonly host: Netns,
    readonly outside: Netns,
    readonly attacker: Netns,
  ) {}

  /** Host, outside and attacker namespaces, linked and addressed (see the file comment). */
  static async create(options: TopologyOptions = {}): Promise<Topology> {
    const host = await Netns.create(uniqueName('fwh'));
    const made: Netns[] = [host];
    try {
      const outside = await Netns.create(uniqueName('fwo'));
      made.push(outside);
      const attacker = await Netns.create(uniqueName('fwa'));
      made.push(attacker);
      const t = new Topology(host, outside, attacker);
      const h = await host.handle();
      await h.linkSet('lo', { up: true });
      if (!options.brNetfilter) {
        for (const f of ['iptables', 'ip6tables', 'arptables']) await host.setSysctl(`net/bridge/bridge-nf-call-${f}`, 0);
      }
      await t.link(HOST_IF.uplink, outside, [`${UPLINK.host4}/24`, `${UPLINK.host6}/64`], [`${UPLINK.outside4}/24`, `${UPLINK.outside6}/64`]);
      await t.link(HOST_IF.attack, attacker, [`${ATTACK.host4}/24`], [`${ATTACK.attacker4}/24`]);
      await h.routeAdd({ dst: 'default', gateway: UPLINK.outside4 });
      await h.routeAdd({ dst: 'default', gateway: UPLINK.outside6 });
      await (await attacker.handle()).routeAdd({ dst: 'default', gateway: ATTACK.host4 });
      return t;
    } catch (err) {
      for (const ns of made) await ns.delete().catch(() => undefined);
      throw err;
    }
  }

  /** A veth from the host to `peer` (its end is eth0), addresses on both ends. */
  private async link(hostName: string, peer: Netns, hostAddrs: string[], peerAddrs: string[]): Promise<void> {
    const h = await this.host.handle();
    await h.linkAdd({ kind: 'veth', name: hostName, peer: { name: 'eth0', netns: peer } });
    for (const a of hostAddrs) await h.addrAdd(hostName, a, { noDad: true });
    await h.linkSet(hostName, { up: true });
    const p = await peer.handle();
    await p.linkSet('lo', { up: true });
    for (const a of peerAddrs) await p.addrAdd('eth0', a, { noDad: true });
    await p.linkSet('eth0', { up: true });
  }

  /** A bridge in the host with gateway addresses ('198.51.100.1/26', '2001:db8:1::1/64'). */
  async addBridge(name: string, gateways: { ipv4?: string; ipv6?: string }): Promise<Bridge> {
    const h = await this.host.handle();
    await h.linkAdd({ kind: 'bridge', name, up: true });
    const b: Bridge = { name, subnets: [] };
    for (const cidr of [gateways.ipv4, gateways.ipv6]) {
      if (cidr === undefined) continue;
      await h.addrAdd(name, cidr, { noDad: true });
      const addr = cidr.split('/')[0]!;
      if (addr.includes(':')) b.gateway6 = addr;
      else b.gateway4 = addr;
      b.subnets.push(prefixOf(cidr));
    }
    this.bridges.push(b);
    return b;
  }

  /** A container namespace on `bridge`: veth (eth0 inside), addresses, default routes. */
  async addContainer(name: string, bridge: Bridge, addrs: { ipv4?: string; ipv6?: string }): Promise<Container> {
    const ns = await Netns.create(uniqueName(`fwc${name}`));
    const h = await this.host.handle();
    this.ports += 1;
    const port = `vp${this.ports}`;
    await h.linkAdd({ kind: 'veth', name: port, peer: { name: 'eth0', netns: ns } });
    await h.linkSet(port, { master: bridge.name, up: true });
    const c = await ns.handle();
    await c.linkSet('lo', { up: true });
    const len = (family: 4 | 6): string => bridge.subnets.find((s) => s.includes(':') === (family === 6))!.split('/')[1]!;
    if (addrs.ipv4) await c.addrAdd('eth0', `${addrs.ipv4}/${len(4)}`);
    if (addrs.ipv6) await c.addrAdd('eth0', `${addrs.ipv6}/${len(6)}`, { noDad: true });
    await c.linkSet('eth0', { up: true });
    if (addrs.ipv4 && bridge.gateway4) await c.routeAdd({ dst: 'default', gateway: bridge.gateway4 });
    if (addrs.ipv6 && bridge.gateway6) await c.routeAdd({ dst: 'default', gateway: bridge.gateway6 });
    const out: Container = { name, ns, bridge, port, ...(addrs.ipv4 ? { ipv4: addrs.ipv4 } : {}), ...(addrs.ipv6 ? { ipv6: addrs.ipv6 } : {}) };
    this.containers.push(out);
    return out;
  }

  /** Deletes every namespace (their links go with them). */
  async teardown(): Promise<void> {
    for (const c of this.containers) await c.ns.delete().catch(() => undefined);
    for (const ns of [this.attacker, this.outside, this.host]) await ns.delete().catch(() => undefined);
  }
}

/**
 * Makes `ns` send 127.0.0.0/8 to `gateway` over `dev` instead of answering it itself: a
 * rule at pref 0 sends 127/8 to table 100 (route via the gateway), the `local` rule moves
 * behind it (pref 100), and route_localnet on `dev` lets the kernel send and receive
 * loopback addresses there. This is how an attacker next to a host reaches the host's
 * 127.0.0.1 (CVE-2020-8558, Docker issue 45610).
 */
export async function routeLoopbackVia(ns: Netns, gateway: string, dev = 'eth0'): Promise<void> {
  ipIn(ns, 'rule', 'add', 'pref', '0', 'to', '127.0.0.0/8', 'lookup', '100');
  ipIn(ns, 'rule', 'del', 'pref', '0', 'lookup', 'local');
  ipIn(ns, 'rule', 'add', 'pref', '100', 'lookup', 'local');
  ipIn(ns, 'route', 'add', '127.0.0.0/8', 'via', gateway, 'dev', dev, 'table', '100');
  await ns.setSysctl(`net/ipv4/conf/${dev}/route_localnet`, 1);
}

// ── UDP probes ─────────────────────────────────────────────────────────────────────────

/** Answers each datagram with "<tag> <peer address> <payload>". */
const UDP_SERVER = `
const dgram = require('dgram');
const [host, port, tag] = process.argv.slice(1);
const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
s.on('message', (m, r) => s.send(tag + ' ' + r.address + ' ' + m.toString(), r.port, r.address));
s.bind(Number(port), host, () => process.stdout.write('listening\\n'));
`;

/** Sends one datagram (from a fixed source port if given) and prints the answer as JSON. */
const UDP_CLIENT = `
const dgram = require('dgram');
const [host, port, line, timeoutMs, localPort] = process.argv.slice(1);
const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
const done = (o, code) => { process.stdout.write(JSON.stringify(o)); s.close(); process.exit(code); };
setTimeout(() => done({ error: 'ETIMEDOUT' }, 2), Number(timeoutMs));
s.on('message', (m) => done({ reply: m.toString() }, 0));
s.on('error', (e) => done({ error: e.code || String(e) }, 1));
s.bind(Number(localPort) || 0, () => s.send(line, Number(port), host));
`;

export interface UdpServer {
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** A UDP echo server on host:port inside `ns`; resolves once it is bound. */
export async function startUdpServer(ns: Netns, host: string, port: number, tag: string): Promise<UdpServer> {
  const child = ns.exec(process.execPath, ['-e', UDP_SERVER, host, String(port), tag], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  await Promise.race([
    once(child.stdout!, 'data'),
    exited.then(([code]) => {
      throw new Error(`udp server ${host}:${port} exited with ${String(code)}`);
    }),
  ]);
  return {
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface UdpResult {
  ok: boolean;
  /** The server's tag, the address it saw us come from, and our payload. */
  tag?: string;
  peer?: string;
  line?: string;
  error?: string;
}

/** One datagram from inside `ns` to host:port and its answer. */
export async function udpRequest(ns: Netns, host: string, port: number, options: { line?: string; timeoutMs?: number; localPort?: number } = {}): Promise<UdpResult> {
  const args = ['-e', UDP_CLIENT, host, String(port), options.line ?? 'ping', String(options.timeoutMs ?? 2000), String(options.localPort ?? 0)];
  const child = ns.exec(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await once(child, 'exit');
  try {
    const r = JSON.parse(out) as { reply?: string; error?: string };
    if (r.reply === undefined) return { ok: false, error: r.error ?? 'no reply' };
    const [tag, peer, ...rest] = r.reply.split(' ');
    return { ok: true, tag: tag!, peer: peer!, line: rest.join(' ') };
  } catch {
    return { ok: false, error: `client printed '${out}'` };
  }
}
