/**
 * 100,000 random and mutated packets at the resolver, over real UDP from a container's
 * namespace (so they take the whole path: socket, decode, querier lookup), with a valid
 * query every 500 packets that must be answered correctly every time; then garbage over
 * TCP. The resolver must neither crash, stall nor throw inside its handler.
 */
import { expect } from 'chai';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Host, Netns, type DnsResolver } from '../../lib';
import { tcpConnect, udpSocket } from '../../lib/dns/sockets';
import { mutate, mutation } from '../support/mutation';
import { requireSandbox, uniqueName } from '../support/sandbox';

const TOTAL = Number(process.env.NSNET_DNS_FUZZ ?? 100_000);
const EVERY = 500;

function query(id: number, name: string, type: dnsPacket.RecordType = 'A', edns = false): Buffer {
  return dnsPacket.encode({
    id,
    type: 'query',
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type, class: 'IN' }],
    ...(edns ? { additionals: [{ name: '.', type: 'OPT', udpPayloadSize: 4096, flags: 0 } as dnsPacket.Answer] } : {}),
  });
}

describe('dns: fuzzing the resolver (integration)', function () {
  requireSandbox();
  this.timeout(180_000);
  let hostNs: Netns;
  let host: Host;
  let resolver: DnsResolver;
  let stateDir: string;

  before(async () => {
    hostNs = await Netns.create(uniqueName('dfz'));
    await (await hostNs.handle()).linkSet(1, { up: true });
    stateDir = fs.mkdtempSync(path.join(process.env.NSNET_STATE_DIR ?? os.tmpdir(), 'dnsf-'));
    // No upstream: every forwarded name is SERVFAIL at once, nothing leaves the sandbox.
    fs.writeFileSync(path.join(stateDir, 'resolv'), '# none\n');
    host = await Host.open({ netns: hostNs.file!, stateDir, resolvConf: path.join(stateDir, 'resolv'), hostsFile: '/dev/null' });
    resolver = await host.startDns();
  });

  after(async () => {
    if (host) {
      for (const c of await host.containers.list()) await host.containers.remove(c.id, { force: true });
      for (const n of await host.networks.list()) if (!n.isDefault) await host.networks.remove(n.id);
      await host.close();
    }
    await hostNs?.delete();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it(`keeps answering valid queries through ${TOTAL.toLocaleString('en')} random and mutated packets`, async () => {
    await host.networks.create({ name: 'fz' });
    const a = await host.containers.create('a', { network: 'fz' });
    const b = await host.containers.create('b', { network: 'fz', aliases: ['bee'] });
    const gateway = a.endpoints[0]!.gateway!;
    const bIp = b.endpoints[0]!.ipv4!.split('/')[0]!;
    const aNs = await Netns.open(a.netnsPath);
    const sock = await udpSocket(aNs.fd, 4);
    try {
    const waiting = new Map<number, (ip: string | undefined) => void>();
    sock.on('message', (msg) => {
      try {
        const p = dnsPacket.decode(msg);
        const done = waiting.get(p.id!);
        const ans = p.answers?.find((x) => x.type === 'A');
        if (done && p.questions?.[0]?.name === 'bee') done(ans ? String((ans as { data: unknown }).data) : undefined);
      } catch {
        /* a reply to a fuzz packet */
      }
    });
    const ask = (id: number): Promise<string | undefined> =>
      new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          resolve('timeout');
        }, 3000);
        waiting.set(id, (ip) => {
          clearTimeout(timer);
          waiting.delete(id);
          resolve(ip);
        });
        sock.send(query(id, 'bee'), 53, gateway);
      });

    // Seeds: valid queries of every shape the resolver handles.
    const seeds = [
      query(1, 'bee'),
      query(2, 'b', 'AAAA', true),
      query(3, `${bIp.split('.').reverse().join('.')}.in-addr.arpa`, 'PTR'),
      query(4, 'nowhere.example', 'MX', true),
      query(5, 'b.fz', 'TXT'),
    ];
    const packet = fc.oneof(
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 0, maxLength: 600 }).map((u) => Buffer.from(u)) },
      { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 6 })).map(([s, m]) => mutate(s, m)) },
    );
    const packets = fc.sample(packet, { numRuns: TOTAL, seed: 6 });
    let answered = 0;
    for (let i = 0; i < TOTAL; i += EVERY) {
      // In bursts the socket buffers hold: the point is what the resolver does with
      // them, not how many a full receive queue drops.
      for (let j = i; j < i + EVERY; j += 50) {
        for (const p of packets.slice(j, j + 50)) sock.send(p, 53, gateway);
        await new Promise((r) => setTimeout(r, 1));
      }
      const got = await ask(0x4000 + i / EVERY);
      expect(got, `valid query after ${i + EVERY} packets`).to.equal(bIp);
      answered += 1;
    }
    expect(answered).to.equal(TOTAL / EVERY);
    expect(resolver.stats.errors, JSON.stringify(resolver.stats)).to.equal(0);
    expect(resolver.stats.malformed + resolver.stats.dropped).to.be.greaterThan(TOTAL / 10);

    // Garbage over TCP: short frames, a frame that never completes, random bytes; then a
    // valid TCP query on a fresh connection still gets its answer.
    for (const junk of [Buffer.from([0, 3, 1, 2, 3]), Buffer.from([0xff, 0xff, 1]), Buffer.from(fc.sample(fc.uint8Array({ minLength: 1, maxLength: 300 }), { numRuns: 1, seed: 1 })[0]!)]) {
      const c = await tcpConnect(aNs.fd, gateway, 53);
      await new Promise<void>((resolve) => {
        c.on('error', () => resolve());
        c.on('connect', () => {
          c.write(junk);
          setTimeout(() => {
            c.destroy();
            resolve();
          }, 50);
        });
      });
    }
    const c: net.Socket = await tcpConnect(aNs.fd, gateway, 53);
    const reply = await new Promise<Buffer>((resolve, reject) => {
      let buf = Buffer.alloc(0);
      c.on('error', reject);
      c.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      });
      c.on('connect', () => {
        const q = query(77, 'bee');
        const head = Buffer.alloc(2);
        head.writeUInt16BE(q.length);
        c.write(Buffer.concat([head, q]));
      });
    });
    c.destroy();
    expect(dnsPacket.decode(reply).answers!.map((x) => (x as { data: unknown }).data)).to.deep.equal([bIp]);
    } finally {
      sock.close();
      aNs.close();
    }
  });
});
