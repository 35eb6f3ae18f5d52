/**
 * DnsResolver: the embedded DNS server of user-defined networks, one per host namespace
 * and one process for all networks and containers (like Docker's embedded DNS and
 * podman's aardvark-dns).
 *
 * Where it listens. On each user-defined network's gateway address(es), port 53, UDP and
 * TCP, in the Host's namespace; a container's resolv.conf names those gateways. Why not
 * Docker's 127.0.0.11: that address is the container's own loopback, so it needs either a
 * socket inside every container namespace (a socket per container, created and closed with
 * it, and a listener per container to reconcile) or a NAT rule in every container
 * namespace — both tie the resolver to each container's lifetime. The gateway is already
 * there, on the bridge, reachable from every container of the network, internal networks
 * included (the query is addressed to the host, so it goes through INPUT, not through
 * nsnet's forward rules, which is what makes internal networks internal). One UDP + one
 * TCP socket per network, and the count does not grow with containers.
 *
 * Who is asking. The querier is identified by its source address: every container
 * address is a lease, unique across nsnet's networks, and the bridge port's address is not
 * spoofable across networks without the host routing it. A source that is no container on
 * a user-defined network gets REFUSED: the resolver is no open resolver for whatever can
 * reach a gateway.
 *
 * What it answers (TTL 0, authoritative):
 * - A / AAAA for container names, short IDs, network aliases and `name.network` on the
 *   querier's user-defined networks (the first of its networks that knows the name, in
 *   the order it joined them); a name several containers share answers all of them,
 *   rotated per query. A name the querier's networks know only under the other address
 *   family is NODATA (NOERROR, no records), never forwarded.
 * - Links on user-defined networks: the link alias, for the linking container only.
 * - PTR for the addresses of those networks' containers (`name.network`).
 * - A name (or address) that exists only on networks the querier is not on: NXDOMAIN.
 * - Anything else is forwarded (upstream.ts): to the container's `dns` servers, else its
 *   network's, else the host's resolv.conf without loopback servers. A container only on
 *   internal networks gets no forwarding (REFUSED), as nothing leaves such a network.
 *
 * Freshness: every query reads the records through StoreView (two stat calls; rebuilt
 * when the state directory changed), so connect, disconnect, remove and alias changes
 * show on the next query. New and removed networks are picked up by sync(): called by
 * the Host in the same process, on a change of the networks directory (fs.watch), and
 * every `syncIntervalMs` as a safety net.
 *
 * Robustness: a message shorter than a header or with QR set is dropped; anything else
 * malformed gets FORMERR, an opcode other than QUERY NOTIMP; nothing a client sends can
 * throw out of the handler. UDP answers larger than the client's limit (512, or its EDNS
 * size up to 1232) are truncated (TC) so it retries over TCP. TCP connections are capped,
 * time out when idle, and a frame over the 16-bit limit closes the connection.
 */
import type dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import type net from 'node:net';
import { Ipam } from '../ipam';
import { Netns } from '../netns/netns';
import type { NsFd } from '../native';
import { RuntimeStore } from '../runtime/store';
import { isLoopback, parseLink, parseResolvConf, readHostFile } from './files';
import { tcpServer, udpSocket } from './sockets';
import { Forwarder, type UpstreamOptions } from './upstream';
import { NameIndex, normalAddress, StoreView, type Member, type NetworkNames } from './view';
import { decodeQuery, encodeAnswer, encodeError, RCODE, reverseAddress, udpLimit, type AnswerRecord, type Query } from './wire';

export interface DnsResolverOptions {
  /** The runtime's state directory (the Host's). */
  stateDir: string;
  /** The host namespace: a path, an open Netns, or the process's own (default). */
  netns?: string | Netns;
  /** The host's resolv.conf, for upstream servers (/etc/resolv.conf). */
  resolvConf?: string;
  /** Port to listen on (53; tests and benches may pick another). */
  port?: number;
  upstream?: UpstreamOptions;
  /** How often to look for networks created or removed elsewhere (default 1000 ms). */
  syncIntervalMs?: number;
  /** Open TCP connections per listener (default 256). */
  maxTcpConnections?: number;
  /** Forwarded queries in flight before new ones get SERVFAIL at once (default 4096). */
  maxInFlight?: number;
}

export interface DnsStats {
  queries: number;
  /** Answered from the records (incl. NXDOMAIN/NODATA). */
  local: number;
  forwarded: number;
  servfail: number;
  refused: number;
  /** FORMERR / NOTIMP replies. */
  malformed: number;
  /** Dropped without a reply (too short, a response). */
  dropped: number;
  truncated: number;
  /** Unexpected exceptions in the handler (each answered SERVFAIL or dropped). */
  errors: number;
}

interface Listener {
  networkId: string;
  address: string;
  udp: dgram.Socket;
  tcp: net.Server;
  connections: Set<net.Socket>;
}

/** The largest TCP frame (16-bit length). */
const TCP_MAX = 65535;
const TCP_IDLE_MS = 10_000;
/** Queries processed at once on one TCP connection before it is paused. */
const TCP_PIPELINE = 16;

export class DnsResolver {
  readonly stats: DnsStats = { queries: 0, local: 0, forwarded: 0, servfail: 0, refused: 0, malformed: 0, dropped: 0, truncated: 0, errors: 0 };
  /** The last error of sync() (a gateway that could not be bound), if any. */
  lastSyncError: Error | undefined;

  private readonly view: StoreView;
  private readonly forwarder: Forwarder;
  private readonly listeners = new Map<string, Listener>();
  private readonly gateways = new Map<string, string[]>();
  private readonly rotation = new Map<string, number>();
  private readonly ipam: Ipam;
  private readonly port: number;
  private readonly maxTcp: number;
  private readonly maxInFlight: number;
  private readonly resolvConf: string;
  private hostServers: { key: string; servers: string[] } = { key: '', servers: [] };
  private syncing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private watcher: fs.FSWatcher | undefined;
  private closed = false;

  private constructor(
    private readonly ns: Netns,
    private readonly ownsNs: boolean,
    stateDir: string,
    options: DnsResolverOptions,
  ) {
    const store = new RuntimeStore(stateDir);
    this.view = new StoreView(store);
    this.forwarder = new Forwarder(ns.fd as NsFd, options.upstream);
    this.ipam = Ipam.file(stateDir);
    this.port = options.port ?? 53;
    this.maxTcp = options.maxTcpConnections ?? 256;
    this.maxInFlight = options.maxInFlight ?? 4096;
    this.resolvConf = options.resolvConf ?? '/etc/resolv.conf';
  }

  /** Starts the resolver: listeners on every user-defined network's gateways, then keeps them in step. */
  static async start(options: DnsResolverOptions): Promise<DnsResolver> {
    const stateDir = path.resolve(options.stateDir);
    const given = options.netns;
    const ns = given instanceof Netns ? given : given === undefined ? await Netns.current() : await Netns.open(given);
    const r = new DnsResolver(ns, !(given instanceof Netns), stateDir, options);
    try {
      await new RuntimeStore(stateDir).init();
      await r.sync();
      if (r.lastSyncError) throw r.lastSyncError;
    } catch (err) {
      await r.close();
      throw err;
    }
    const interval = options.syncIntervalMs ?? 1000;
    r.timer = setInterval(() => void r.sync(), interval);
    r.timer.unref();
    try {
      r.watcher = fs.watch(path.join(stateDir, 'networks'), () => void r.sync());
      r.watcher.on('error', () => undefined);
      r.watcher.unref();
    } catch {
      /* no inotify: the interval still syncs */
    }
    return r;
  }

  /** The addresses listened on, by network id. */
  addresses(): Array<{ networkId: string; address: string; port: number }> {
    return [...this.listeners.values()].map((l) => ({ networkId: l.networkId, address: l.address, port: this.port }));
  }

  /**
   * Opens listeners for new user-defined networks and closes those of removed ones.
   * Serialised; never rejects (the error of a listener that could not open is kept in
   * lastSyncError and retried on the next sync).
   */
  sync(): Promise<void> {
    const run = this.syncing.then(() => this.syncNow());
    this.syncing = run.catch(() => undefined);
    return this.syncing;
  }

  private async syncNow(): Promise<void> {
    if (this.closed) return;
    let error: Error | undefined;
    const networks = this.view.current().networks;
    const want = new Map<string, string>();
    for (const { network } of networks.values()) {
      if (network.isDefault) continue;
      let gws = this.gateways.get(network.id);
      if (!gws) {
        try {
          gws = (await this.ipam.getNetwork(network.id)).subnets.map((s) => s.gateway).filter((g): g is string => !!g);
          this.gateways.set(network.id, gws);
        } catch (err) {
          error ??= err as Error;
          continue;
        }
      }
      for (const g of gws) want.set(normalAddress(g), network.id);
    }
    for (const id of [...this.gateways.keys()]) if (!networks.has(id)) this.gateways.delete(id);
    for (const [address, l] of [...this.listeners]) {
      if (want.get(address) === l.networkId) continue;
      this.listeners.delete(address);
      closeListener(l);
    }
    for (const [address, networkId] of want) {
      if (this.listeners.has(address) || this.closed) continue;
      try {
        this.listeners.set(address, await this.listen(networkId, address));
      } catch (err) {
        error ??= err as Error;
      }
    }
    this.lastSyncError = error;
  }

  private async listen(networkId: string, address: string): Promise<Listener> {
    const family = address.includes(':') ? 6 : 4;
    const udp = await udpSocket(this.ns.fd, family, address, this.port);
    udp.on('error', () => undefined);
    udp.on('message', (msg, rinfo) => {
      this.handle(msg, rinfo.address, 'udp').then(
        (reply) => {
          if (reply) udp.send(reply, rinfo.port, rinfo.address, () => undefined);
        },
        () => undefined,
      );
    });
    let tcp: net.Server;
    const connections = new Set<net.Socket>();
    try {
      tcp = await tcpServer(this.ns.fd, address, this.port, (c) => {
        connections.add(c);
        c.on('close', () => connections.delete(c));
        this.serveTcp(c);
      });
    } catch (err) {
      udp.close();
      throw err;
    }
    tcp.maxConnections = this.maxTcp;
    tcp.on('error', () => undefined);
    return { networkId, address, udp, tcp, connections };
  }

  private serveTcp(conn: net.Socket): void {
    let buf: Buffer = Buffer.alloc(0);
    let busy = 0;
    conn.setTimeout(TCP_IDLE_MS, () => conn.destroy());
    conn.on('error', () => undefined);
    const source = conn.remoteAddress ?? '';
    const pump = (): void => {
      while (buf.length >= 2 && busy < TCP_PIPELINE) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        const msg = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        busy += 1;
        this.handle(Buffer.from(msg), source, 'tcp')
          .then(
            (reply) => {
              if (!reply || conn.destroyed) return;
              const head = Buffer.alloc(2);
              head.writeUInt16BE(reply.length);
              conn.write(Buffer.concat([head, reply]));
            },
            () => undefined,
          )
          .finally(() => {
            busy -= 1;
            if (conn.isPaused()) conn.resume();
            pump();
          });
      }
      if (busy >= TCP_PIPELINE) conn.pause();
    };
    conn.on('data', (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      if (buf.length > 2 * (TCP_MAX + 2)) {
        conn.destroy();
        return;
      }
      pump();
    });
  }

  /**
   * One query from `source` over `transport`: the reply, or undefined to send nothing.
   * Never rejects. Public for tests and the bench, which drive it without sockets.
   */
  async handle(raw: Buffer, source: string, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    this.stats.queries += 1;
    const d = decodeQuery(raw);
    if (!d.ok) {
      if (d.reply) this.stats.malformed += 1;
      else this.stats.dropped += 1;
      return d.reply;
    }
    const q = d.query;
    try {
      return await this.answer(q, raw, source, transport);
    } catch {
      this.stats.errors += 1;
      try {
        return encodeError(q, RCODE.SERVFAIL);
      } catch {
        return undefined;
      }
    }
  }

  private async answer(q: Query, raw: Buffer, source: string, transport: 'udp' | 'tcp'): Promise<Buffer | undefined> {
    const index = this.view.current();
    const me = index.byAddress.get(normalAddress(source));
    const scope: NetworkNames[] = [];
    for (const ep of me?.container.endpoints ?? []) {
      const nn = index.networks.get(ep.networkId);
      if (nn && !nn.network.isDefault) scope.push(nn);
    }
    if (!me || scope.length === 0 || q.class !== 'IN') return this.refuse(q);
    const limit = transport === 'udp' ? udpLimit(q) : TCP_MAX;
    const name = q.name.toLowerCase().replace(/\.$/, '');

    if (q.type === 'PTR') {
      const address = reverseAddress(name);
      if (address !== undefined) {
        for (const nn of scope) {
          const m = nn.byAddress.get(address);
          if (m) return this.local(q, RCODE.NOERROR, [{ type: 'PTR', name: q.name, data: `${m.container.name}.${nn.network.name}` }], limit);
        }
        if (index.byAddress.has(address)) return this.local(q, RCODE.NXDOMAIN, [], limit);
      }
    } else {
      const found = this.lookup(index, me, scope, name);
      if (found) {
        const family = q.type === 'A' ? 'ipv4' : q.type === 'AAAA' ? 'ipv6' : undefined;
        const records: AnswerRecord[] = [];
        if (family) {
          for (const m of this.rotate(name, found)) {
            const a = m.endpoint[family]?.split('/')[0];
            if (a) records.push({ type: q.type as 'A' | 'AAAA', name: q.name, data: a });
          }
        }
        return this.local(q, RCODE.NOERROR, records, limit);
      }
      if (index.anywhere.has(name)) return this.local(q, RCODE.NXDOMAIN, [], limit);
    }
    return this.forward(q, raw, me, scope, transport);
  }

  /** The members answering `name` for `me`: its link aliases, then its networks in order. */
  private lookup(index: NameIndex, me: Member, scope: readonly NetworkNames[], name: string): Member[] | undefined {
    for (const link of me.container.links) {
      const { name: target, alias } = parseLink(link);
      if (alias.toLowerCase() !== name) continue;
      const c = index.byName.get(target);
      for (const nn of scope) {
        const ep = c?.endpoints.find((e) => e.networkId === nn.network.id);
        if (c && ep) return [{ container: c, endpoint: ep, network: nn.network }];
      }
    }
    for (const nn of scope) {
      const list = nn.names.get(name);
      if (list?.length) return list;
    }
    return undefined;
  }

  private rotate(name: string, list: Member[]): Member[] {
    if (list.length < 2) return list;
    const n = this.rotation.get(name) ?? 0;
    this.rotation.set(name, (n + 1) % list.length);
    if (this.rotation.size > 10_000) this.rotation.clear();
    const k = n % list.length;
    return [...list.slice(k), ...list.slice(0, k)];
  }

  private local(q: Query, rcode: typeof RCODE.NOERROR | typeof RCODE.NXDOMAIN, records: AnswerRecord[], limit: number): Buffer {
    this.stats.local += 1;
    const out = encodeAnswer(q, rcode, records, limit);
    if (out.readUInt16BE(2) & 0x0200) this.stats.truncated += 1;
    return out;
  }

  private refuse(q: Query): Buffer {
    this.stats.refused += 1;
    return encodeError(q, RCODE.REFUSED);
  }

  private async forward(q: Query, raw: Buffer, me: Member, scope: readonly NetworkNames[], transport: 'udp' | 'tcp'): Promise<Buffer> {
    if (scope.every((nn) => nn.network.internal)) return this.refuse(q);
    const servers = (me.container.dns ?? scope.find((nn) => nn.network.dns?.length)?.network.dns ?? this.upstreams()).filter((s) => !isLoopback(s));
    if (servers.length === 0 || this.forwarder.inFlight >= this.maxInFlight) {
      this.stats.servfail += 1;
      return encodeError(q, RCODE.SERVFAIL);
    }
    this.stats.forwarded += 1;
    const answer = await this.forwarder.forward(raw, servers, transport === 'tcp');
    if (answer) return answer;
    this.stats.servfail += 1;
    return encodeError(q, RCODE.SERVFAIL);
  }

  /** The host's nameservers without loopback ones, re-read when the file changes. */
  private upstreams(): string[] {
    const st = fs.statSync(this.resolvConf, { throwIfNoEntry: false });
    const key = st ? `${st.ino}/${st.mtimeMs}/${st.size}` : 'none';
    if (key !== this.hostServers.key) {
      const servers = parseResolvConf(readHostFile(this.resolvConf)).nameservers.filter((s) => !isLoopback(s));
      this.hostServers = { key, servers };
    }
    return this.hostServers.servers;
  }

  /** Stops listening and forwarding. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.watcher?.close();
    await this.syncing;
    for (const l of this.listeners.values()) closeListener(l);
    this.listeners.clear();
    this.forwarder.close();
    if (this.ownsNs) this.ns.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function closeListener(l: Listener): void {
  try {
    l.udp.close();
  } catch {
    /* already closed */
  }
  l.tcp.close();
  for (const c of l.connections) c.destroy();
}
