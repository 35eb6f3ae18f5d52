/**
 * Real-traffic probes: a TCP echo server and a TCP client, each a tiny Node program
 * started inside a namespace through the exec helper. The examples, the tests and the
 * benchmarks' correctness checks use them to show that packets actually flow, instead of
 * trusting our own view of the kernel state.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Netns } from './netns/netns';

/**
 * Echoes "<tag>:<line>" for each line, so a client can tell which server answered; the
 * line "whoami" gets "<tag>:<the client's address as the server saw it>", which shows
 * whether a connection was NATed on the way.
 */
const SERVER = `
const net = require('net');
const [host, port, tag] = process.argv.slice(1);
const srv = net.createServer((s) => {
  s.setEncoding('utf8');
  let buf = '';
  s.on('data', (d) => { buf += d; let i; while ((i = buf.indexOf('\\n')) >= 0) { const line = buf.slice(0, i); s.write(tag + ':' + (line === 'whoami' ? s.remoteAddress.replace(/^::ffff:/, '') : line) + '\\n'); buf = buf.slice(i + 1); } });
  s.on('error', () => {});
});
srv.listen(Number(port), host, () => process.stdout.write('listening\\n'));
`;

/** Sends one line, prints the reply line and the local/remote addresses it saw, as JSON. */
const CLIENT = `
const net = require('net');
const [host, port, line, timeoutMs, localAddress] = process.argv.slice(1);
const opts = { host, port: Number(port) };
if (localAddress) opts.localAddress = localAddress;
const s = net.connect(opts);
const timer = setTimeout(() => { process.stdout.write(JSON.stringify({ error: 'ETIMEDOUT' })); process.exit(2); }, Number(timeoutMs));
let buf = '';
s.setEncoding('utf8');
s.on('connect', () => s.write(line + '\\n'));
s.on('data', (d) => { buf += d; if (buf.includes('\\n')) { clearTimeout(timer); process.stdout.write(JSON.stringify({ reply: buf.trim(), local: s.localAddress })); s.end(); } });
s.on('error', (e) => { clearTimeout(timer); process.stdout.write(JSON.stringify({ error: e.code || String(e) })); process.exit(1); });
`;

export interface TcpServer {
  readonly process: ChildProcess;
  /** Stops the server (SIGTERM to the pid we started) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Starts an echo server on host:port inside `ns`; resolves once it listens. */
export async function startTcpServer(ns: Netns, host: string, port: number, tag = 'srv'): Promise<TcpServer> {
  const child = ns.exec(process.execPath, ['-e', SERVER, host, String(port), tag], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`tcp server ${host}:${port} exited with ${code}: ${stderr.trim()}`)));
    child.once('error', reject);
  });
  await ready;
  return {
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface TcpResult {
  ok: boolean;
  /** The server's answer, "<tag>:<line>". */
  reply?: string;
  /** The client's local address as its socket saw it. */
  local?: string;
  /** 'ECONNREFUSED', 'ETIMEDOUT', … */
  error?: string;
}

/** Connects from inside `ns` to host:port, sends `line`, returns what happened. */
export async function tcpRequest(
  ns: Netns,
  host: string,
  port: number,
  options: { line?: string; timeoutMs?: number; localAddress?: string } = {},
): Promise<TcpResult> {
  const args = ['-e', CLIENT, host, String(port), options.line ?? 'ping', String(options.timeoutMs ?? 3000), options.localAddress ?? ''];
  const child = ns.exec(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  try {
    const parsed = JSON.parse(out) as { reply?: string; local?: string; error?: string };
    return { ok: parsed.reply !== undefined, ...parsed };
  } catch {
    return { ok: false, error: `client exited with ${code}: ${err.trim() || out.trim()}` };
  }
}
