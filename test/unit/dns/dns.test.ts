/**
 * lib/dns pure parts: resolv.conf parsing and Docker's rendering rules, hosts, reverse
 * names, query decoding of malformed input, truncation.
 */
import { expect } from 'chai';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isLoopback, parseLink, parseResolvConf, renderContainerFiles, writeContainerFiles, type RenderContext } from '../../../lib/dns/files';
import { decodeQuery, encodeAnswer, RCODE, reverseAddress, UDP_DEFAULT_MAX } from '../../../lib/dns/wire';
import type { ContainerRecord, NetworkConfig } from '../../../lib/runtime/records';

const net = (id: string, name: string, isDefault = false): NetworkConfig => ({
  id, name, driver: 'bridge', created: '', bridge: `br-${id}`, isDefault, internal: false, icc: true, masquerade: true, enableIPv6: false, labels: {}, options: {},
});
const BRIDGE = net('d', 'bridge', true);
const APP = net('a', 'app');
const container = (name: string, id: string, over: Partial<ContainerRecord> = {}): ContainerRecord => ({
  id, name, created: '', mode: 'bridge', netnsPath: '/run/netns/x', ownsNetns: true, endpoints: [], ports: [], publishAll: [], links: [], ...over,
});
const ep = (networkId: string, ip: string, gw: string, aliases: string[] = []) => ({
  id: `e${ip}`, networkId, ifname: 'eth0', hostIfname: 'veth1234567', mac: '02:42:00:00:00:00', ipv4: `${ip}/16`, gateway: gw, aliases,
});

describe('dns: container files and wire format (unit)', () => {
  const hostResolv = parseResolvConf('# comment\nnameserver 127.0.0.53\nnameserver 192.0.2.53 \nnameserver ::1\ndomain old.test\nsearch a.test b.test\noptions edns0\noptions trust-ad\n');

  it('parses resolv.conf as glibc does and knows loopback servers', () => {
    expect(hostResolv).to.deep.equal({ nameservers: ['127.0.0.53', '192.0.2.53', '::1'], search: ['a.test', 'b.test'], options: ['edns0', 'trust-ad'] });
    expect(['127.0.0.1', '127.9.9.9', '::1', '::ffff:127.0.0.1'].every(isLoopback)).to.equal(true);
    expect(isLoopback('192.0.2.1')).to.equal(false);
    expect(parseLink('db:database')).to.deep.equal({ name: 'db', alias: 'database' });
    expect(parseLink('db')).to.deep.equal({ name: 'db', alias: 'db' });
  });

  it('rewrites container files in place: same inode (a bind mount keeps seeing them), nothing left of a longer old text', () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nsnet-files-')), 'etc', 'c1');
    try {
      writeContainerFiles(dir, { 'resolv.conf': 'nameserver 192.0.2.1\nsearch long.example.test\n', hosts: '127.0.0.1\tlocalhost\n' });
      const before = fs.statSync(path.join(dir, 'resolv.conf')).ino;
      writeContainerFiles(dir, { 'resolv.conf': 'nameserver 192.0.2.2\n', hosts: '127.0.0.1\tlocalhost\n192.0.2.9\tc1\n' });
      expect(fs.statSync(path.join(dir, 'resolv.conf')).ino).to.equal(before);
      expect(fs.readFileSync(path.join(dir, 'resolv.conf'), 'utf8')).to.equal('nameserver 192.0.2.2\n');
      expect(fs.readFileSync(path.join(dir, 'hosts'), 'utf8')).to.equal('127.0.0.1\tlocalhost\n192.0.2.9\tc1\n');
      expect((fs.statSync(path.join(dir, 'hosts')).mode & 0o777).toString(8)).to.equal('644');
    } finally {
      fs.rmSync(path.dirname(path.dirname(dir)), { recursive: true, force: true });
    }
  });

  it("renders Docker's resolv.conf per mode and hosts with links and own names", () => {
    const db = container('db', 'b'.repeat(64), { endpoints: [ep('d', '172.17.0.2', '172.17.0.1')] });
    const web = container('web', 'c'.repeat(64), { mode: 'network', endpoints: [ep('a', '172.18.0.2', '172.18.0.1', ['www'])] });
    const linker = container('app', 'a'.repeat(64), { links: ['db:database'], endpoints: [ep('d', '172.17.0.3', '172.17.0.1')] });
    const ctx: RenderContext = { networks: new Map([['d', BRIDGE], ['a', APP]]), containers: [db, web, linker], hostResolv, hostHosts: '127.0.0.1 localhost\n10.0.0.1 h\n' };
    const w = renderContainerFiles(web, ctx);
    expect(w['resolv.conf']).to.match(/\nnameserver 172\.18\.0\.1\nsearch a\.test b\.test\noptions ndots:0 edns0 trust-ad\n$/);
    expect(w.hosts).to.include('172.18.0.2\tweb cccccccccccc www');
    const l = renderContainerFiles(linker, ctx);
    expect(l['resolv.conf']).to.include('nameserver 192.0.2.53').and.not.include('127.0.0.53').and.not.include('::1');
    expect(l.hosts).to.include('172.17.0.2\tdatabase db bbbbbbbbbbbb');
    expect(renderContainerFiles(container('h', 'e'.repeat(64), { mode: 'host' }), ctx).hosts).to.equal(ctx.hostHosts);
    expect(renderContainerFiles(container('n', 'f'.repeat(64), { mode: 'none' }), ctx)['resolv.conf']).to.not.include('nameserver');
    const own = renderContainerFiles(container('o', '1'.repeat(64), { dns: ['192.0.2.9'], dnsSearch: ['x.test'], endpoints: [ep('d', '172.17.0.9', '172.17.0.1')] }), ctx);
    expect(own['resolv.conf']).to.include('nameserver 192.0.2.9\nsearch x.test\n');
  });

  it('reverse names: only well-formed in-addr.arpa / ip6.arpa', () => {
    expect(reverseAddress('4.3.2.1.in-addr.arpa')).to.equal('1.2.3.4');
    expect(reverseAddress('4.3.2.1.IN-ADDR.ARPA.')).to.equal('1.2.3.4');
    expect(reverseAddress('256.3.2.1.in-addr.arpa')).to.equal(undefined);
    expect(reverseAddress('3.2.1.in-addr.arpa')).to.equal(undefined);
    const v6 = `${[...'fd000001000000000000000000000002'].reverse().join('.')}.ip6.arpa`;
    expect(reverseAddress(v6)).to.equal('fd00:1::2');
  });

  it('decodes queries; drops responses and runts; FORMERR/NOTIMP for the rest; never throws', () => {
    const q = dnsPacket.encode({ id: 7, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: 'web', type: 'A', class: 'IN' }] });
    const d = decodeQuery(q);
    expect(d.ok && d.query).to.include({ id: 7, name: 'web', type: 'A', rd: true });
    expect(decodeQuery(q.subarray(0, 11))).to.deep.equal({ ok: false });
    const resp = Buffer.from(q);
    resp[2]! |= 0x80;
    expect(decodeQuery(resp)).to.deep.equal({ ok: false });
    const trunc = decodeQuery(q.subarray(0, q.length - 3));
    expect(!trunc.ok && trunc.reply && trunc.reply.readUInt16BE(2) & 0xf).to.equal(RCODE.FORMERR);
    const notify = Buffer.from(q);
    notify[2] = (notify[2]! & 0x87) | (4 << 3);
    const n = decodeQuery(notify);
    expect(!n.ok && n.reply && n.reply.readUInt16BE(2) & 0xf).to.equal(RCODE.NOTIMP);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (u) => {
      decodeQuery(Buffer.from(u));
    }), { numRuns: 2000 });
  });

  it('truncates an answer that does not fit the UDP limit (TC, no answers), and not over TCP', () => {
    const d = decodeQuery(dnsPacket.encode({ id: 1, type: 'query', questions: [{ name: 'shared', type: 'A', class: 'IN' }] }));
    if (!d.ok) throw new Error('not decoded');
    const many = Array.from({ length: 60 }, (_, i) => ({ type: 'A' as const, name: 'shared', data: `10.0.0.${i}` }));
    const udp = encodeAnswer(d.query, RCODE.NOERROR, many, UDP_DEFAULT_MAX);
    expect(udp.length).to.be.at.most(UDP_DEFAULT_MAX);
    expect(udp.readUInt16BE(2) & 0x0200).to.equal(0x0200);
    const tcp = dnsPacket.decode(encodeAnswer(d.query, RCODE.NOERROR, many));
    expect(tcp.answers).to.have.length(60);
    expect(tcp.answers![0]).to.include({ ttl: 0 });
  });
});
