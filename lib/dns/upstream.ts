/**
 * Forwarding to upstream resolvers, from the Host's namespace (the container's own view
 * of the network may not reach them; the host's does).
 *
 * UDP goes through one shared socket per address family with a fresh random ID per
 * forwarded query (the answer must come from the server asked, to the ID given). A query
 * that came over TCP is forwarded over TCP (a fresh connection), as is a UDP answer that
 * came back truncated for a TCP client. Each server gets `attemptMs`; the whole lookup
 * gives up after `deadlineMs` — shorter than a stub resolver's own timeout (glibc and dig
 * wait 5 s), so the client gets a SERVFAIL instead of timing out itself.
 */
import { randomInt } from 'node:crypto';
import type dgram from 'node:dgram';
import type { NsFd } from '../native';
import { tcpConnect, udpSocket } from './sockets';
import { normalAddress } from './view';
import { withId } from './wire';

export interface UpstreamOptions {
  /** One server's time to answer (default 2000 ms). */
  attemptMs?: number;
  /** The whole forwarded lookup (default 4000 ms). */
  deadlineMs?: number;
}

interface Pending {
  resolve: (msg: Buffer | undefined) => void;
}

/** Largest DNS message over TCP (16-bit length prefix). */
const TCP_MAX = 65535;

export class Forwarder {
  private readonly sockets = new Map<4 | 6, Promise<dgram.Socket>>();
  private readonly pending = new Map<string, Pending>();
  private readonly attemptMs: number;
  private readonly deadlineMs: number;
  private closed = false;

  constructor(
    private readonly ns: NsFd | null,
    options: UpstreamOptions = {},
  ) {
    this.attemptMs = options.attemptMs ?? 2000;
    this.deadlineMs = options.deadlineMs ?? 4000;
  }

  /** Queries in flight (tests and the bench). */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Asks `servers` in order until one answers; resolves with the answer (its ID set back
   * to the query's) or undefined when none did before the deadline.
   */
  async forward(query: Buffer, servers: readonly string[], overTcp: boolean): Promise<Buffer | undefined> {
    const deadline = Date.now() + this.deadlineMs;
    const id = query.readUInt16BE(0);
    for (const server of servers) {
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) break;
      const budget = Math.min(this.attemptMs, left);
      // A truncated UDP answer is passed on as it is: the client asks again over TCP.
      const answer = overTcp ? await this.tcp(server, query, budget) : await this.udp(server, query, budget);
      if (answer === undefined) continue;
      return withId(answer, id);
    }
    return undefined;
  }

  private socket(family: 4 | 6): Promise<dgram.Socket> {
    let s = this.sockets.get(family);
    if (!s) {
      s = udpSocket(this.ns, family).then((sock) => {
        sock.on('message', (msg, rinfo) => {
          if (msg.length < 12 || !(msg.readUInt16BE(2) & 0x8000)) return;
          const key = `${normalAddress(rinfo.address)}|${rinfo.port}|${msg.readUInt16BE(0)}`;
          const p = this.pending.get(key);
          if (p) p.resolve(msg);
        });
        sock.on('error', () => undefined);
        return sock;
      });
      s.catch(() => this.sockets.delete(family));
      this.sockets.set(family, s);
    }
    return s;
  }

  private async udp(server: string, query: Buffer, budget: number): Promise<Buffer | undefined> {
    const family = server.includes(':') ? 6 : 4;
    let sock: dgram.Socket;
    try {
      sock = await this.socket(family);
    } catch {
      return undefined;
    }
    const addr = normalAddress(server);
    let id = 0;
    let key = '';
    for (let i = 0; i < 8; i++) {
      id = randomInt(0, 65536);
      key = `${addr}|53|${id}`;
      if (!this.pending.has(key)) break;
    }
    if (this.pending.has(key)) return undefined;
    return new Promise<Buffer | undefined>((resolve) => {
      const timer = setTimeout(() => done(undefined), budget);
      const done = (msg: Buffer | undefined): void => {
        clearTimeout(timer);
        this.pending.delete(key);
        resolve(msg);
      };
      this.pending.set(key, { resolve: done });
      sock.send(withId(query, id), 53, server, (err) => {
        if (err) done(undefined);
      });
    });
  }

  private async tcp(server: string, query: Buffer, budget: number): Promise<Buffer | undefined> {
    let sock: import('node:net').Socket;
    try {
      sock = await tcpConnect(this.ns, server, 53);
    } catch {
      return undefined;
    }
    return new Promise<Buffer | undefined>((resolve) => {
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => done(undefined), budget);
      const done = (msg: Buffer | undefined): void => {
        clearTimeout(timer);
        sock.destroy();
        resolve(msg);
      };
      sock.on('error', () => done(undefined));
      sock.on('close', () => done(undefined));
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length > TCP_MAX + 2) return done(undefined);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) done(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      });
      sock.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(query.length);
        sock.write(Buffer.concat([len, query]));
      });
    });
  }

  close(): void {
    this.closed = true;
    for (const p of [...this.pending.values()]) p.resolve(undefined);
    for (const s of this.sockets.values()) s.then((sock) => sock.close()).catch(() => undefined);
    this.sockets.clear();
  }
}
