/**
 * A fake upstream DNS server for tests and the bench, run inside an "outside" namespace:
 *
 *   node fake-dns.js ADDRESS MODE
 *
 * MODE 'answer': every A query for a name under example.test gets 198.51.100.77 (TTL 60),
 * 'big.example.test' gets 100 A records (so it needs TCP), anything else NXDOMAIN; over UDP
 * and TCP on port 53. MODE 'silent': receives and never answers. Prints 'listening' once
 * both sockets are bound. Only documentation addresses, only inside the test's namespaces.
 */
import dnsPacket from 'dns-packet';
import dgram from 'node:dgram';
import net from 'node:net';

const [address = '127.0.0.1', mode = 'answer'] = process.argv.slice(2);

const FAKE_ANSWER = '198.51.100.77';

function reply(query: Buffer, maxUdp: number | undefined): Buffer | undefined {
  let q: dnsPacket.Packet;
  try {
    q = dnsPacket.decode(query);
  } catch {
    return undefined;
  }
  const question = q.questions?.[0];
  if (!question) return undefined;
  const name = question.name.toLowerCase();
  const answers: dnsPacket.Answer[] = [];
  let rcode = 0;
  if (name === 'big.example.test' && question.type === 'A') {
    for (let i = 1; i <= 100; i++) answers.push({ type: 'A', name: question.name, ttl: 60, data: `198.51.100.${i}` });
  } else if (name.endsWith('.example.test') && question.type === 'A') {
    answers.push({ type: 'A', name: question.name, ttl: 60, data: FAKE_ANSWER });
  } else if (!name.endsWith('.example.test')) {
    rcode = 3;
  }
  const flags = 0x0100 | 0x0080 | rcode; // RD, RA
  const out = dnsPacket.encode({ id: q.id, type: 'response', flags, questions: [question], answers });
  if (maxUdp !== undefined && out.length > maxUdp) {
    return dnsPacket.encode({ id: q.id, type: 'response', flags: flags | 0x0200, questions: [question] });
  }
  return out;
}

const udp = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
udp.on('message', (m, r) => {
  if (mode === 'silent') return;
  const out = reply(m, 512);
  if (out) udp.send(out, r.port, r.address);
});
const tcp = net.createServer((c) => {
  let buf = Buffer.alloc(0);
  c.on('error', () => undefined);
  c.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
      buf = buf.subarray(2 + msg.length);
      if (mode === 'silent') continue;
      const out = reply(msg, undefined);
      if (!out) continue;
      const head = Buffer.alloc(2);
      head.writeUInt16BE(out.length);
      c.write(Buffer.concat([head, out]));
    }
  });
});
udp.bind(53, address, () => tcp.listen(53, address, () => process.stdout.write('listening\n')));
process.on('SIGTERM', () => process.exit(0));
