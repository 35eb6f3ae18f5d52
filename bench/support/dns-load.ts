/**
 * DNS load generator, run as a process of a container (host.containers.exec) so that its
 * queries take the real path to the resolver:
 *
 *   node dns-load.js SERVER PORT DURATION_MS CONCURRENCY NAME…
 *
 * Keeps CONCURRENCY UDP queries in flight (A, random name of the list, fresh ID), each
 * re-sent after 1 s without answer; prints {"qps", "p50", "p99", "answered", "errors"}
 * (latencies in ms). A reply without an answer record counts as an error.
 */
import dnsPacket from 'dns-packet';
import dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';

const [server = '127.0.0.1', portText = '53', durationText = '3000', concText = '32', ...names] = process.argv.slice(2);
const port = Number(portText);
const duration = Number(durationText);
const concurrency = Number(concText);
const sock = dgram.createSocket(server.includes(':') ? 'udp6' : 'udp4');
const inflight = new Map<number, { t0: number; timer: NodeJS.Timeout }>();
const latencies: number[] = [];
let errors = 0;
let nextId = 1;
let stopping = false;
let start = 0;

function send(): void {
  if (stopping) return;
  let id = nextId;
  while (inflight.has(id)) id = (id % 65535) + 1;
  nextId = (id % 65535) + 1;
  const name = names[Math.floor(Math.random() * names.length)]!;
  const q = dnsPacket.encode({ id, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: 'A', class: 'IN' }] });
  const timer = setTimeout(() => {
    inflight.delete(id);
    errors += 1;
    send();
  }, 1000);
  inflight.set(id, { t0: performance.now(), timer });
  sock.send(q, port, server);
}

sock.on('message', (msg) => {
  const id = msg.readUInt16BE(0);
  const p = inflight.get(id);
  if (!p) return;
  clearTimeout(p.timer);
  inflight.delete(id);
  const ancount = msg.readUInt16BE(6);
  if (ancount === 0) errors += 1;
  else latencies.push(performance.now() - p.t0);
  send();
});

sock.bind(0, () => {
  start = performance.now();
  for (let i = 0; i < concurrency; i++) send();
  setTimeout(() => {
    stopping = true;
    const elapsed = (performance.now() - start) / 1000;
    latencies.sort((a, b) => a - b);
    const pct = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
    process.stdout.write(JSON.stringify({ qps: latencies.length / elapsed, p50: pct(0.5), p99: pct(0.99), answered: latencies.length, errors }));
    for (const p of inflight.values()) clearTimeout(p.timer);
    sock.close();
  }, duration);
});
