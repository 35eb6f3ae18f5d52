/**
 * Name resolution against real clients: dig, nslookup (dnsutils) and getent, started with
 * host.containers.exec — so they read the container's own resolv.conf and hosts, with no
 * server named on the command line — against nsnet's resolver listening in the test's
 * host namespace. Upstream is a fake DNS server in the topology's "outside" namespace; the
 * host's resolv.conf is a file of the test, never the machine's.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Host, Netns, type ContainerRecord, type DnsResolver } from '../../lib';
import { requireSandbox } from '../support/sandbox';
import { ipIn, Topology, UPLINK } from '../support/topology';

const FAKE_ANSWER = '198.51.100.77';
const SILENT = '192.0.2.3';
const ipOf = (cidr: string | undefined): string => (cidr ?? '').split('/')[0]!;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program as a process of container `ref` and collects its output. */
async function execIn(host: Host, ref: string, cmd: string, args: string[]): Promise<Run> {
  const child = host.containers.exec(ref, cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** dig's status word (NOERROR, NXDOMAIN, SERVFAIL…) and its answer lines' data. */
async function dig(host: Host, ref: string, ...args: string[]): Promise<{ status: string; answers: string[]; raw: string }> {
  const r = await execIn(host, ref, 'dig', ['+tries=1', ...args]);
  const status = /status: (\w+)/.exec(r.stdout)?.[1] ?? `none (exit ${r.code}): ${r.stdout}${r.stderr}`;
  const answers: string[] = [];
  let inAnswer = false;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith(';; ANSWER SECTION')) inAnswer = true;
    else if (inAnswer && line.trim() === '') inAnswer = false;
    else if (inAnswer) answers.push(line.split(/\s+/).pop()!);
  }
  return { status, answers, raw: r.stdout };
}

/** Starts the fake upstream in `ns` on `address`; resolves once it listens. */
async function fakeDns(ns: Netns, address: string, mode: 'answer' | 'silent'): Promise<() => Promise<void>> {
  const script = path.join(__dirname, '..', 'support', 'fake-dns.js');
  const child = ns.exec(process.execPath, [script, address, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  await once(child.stdout!, 'data');
  return async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  };
}

describe('dns: the embedded resolver with real clients (integration)', function () {
  requireSandbox();
  this.timeout(60_000);
  let t: Topology;
  let host: Host;
  let resolver: DnsResolver;
  let stateDir: string;
  const stops: Array<() => Promise<void>> = [];
  const records: Record<string, ContainerRecord> = {};

  before(async () => {
    t = await Topology.create();
    ipIn(t.outside, 'addr', 'add', `${SILENT}/24`, 'dev', 'eth0');
    stops.push(await fakeDns(t.outside, UPLINK.outside4, 'answer'));
    stops.push(await fakeDns(t.outside, SILENT, 'silent'));
    stateDir = fs.mkdtempSync(path.join(process.env.NSNET_STATE_DIR ?? os.tmpdir(), 'dns-'));
    const resolvConf = path.join(stateDir, 'host-resolv.conf');
    // A loopback resolver first (as systemd-resolved writes it): containers must never get it.
    fs.writeFileSync(resolvConf, `nameserver 127.0.0.53\nnameserver ${UPLINK.outside4}\nsearch corp.test\noptions edns0\n`);
    const hostsFile = path.join(stateDir, 'host-hosts');
    fs.writeFileSync(hostsFile, '127.0.0.1\tlocalhost\n192.0.2.1\ttesthost\n');
    host = await Host.open({ netns: t.host.file!, stateDir, resolvConf, hostsFile });
    resolver = await host.startDns();
    await host.networks.create({ name: 'app' });
    await host.networks.create({ name: 'other' });
    await host.networks.create({ name: 'vault', internal: true });
    records.web = await host.containers.create('web', { network: 'app', aliases: ['www', 'shared'] });
    records.api = await host.containers.create('api', { network: 'app', aliases: ['shared'] });
    records.client = await host.containers.create('client', { network: 'app' });
    records.secret = await host.containers.create('secret', { network: 'other' });
    records.lonely = await host.containers.create('lonely', { network: 'vault' });
    records.keeper = await host.containers.create('keeper', { network: 'vault' });
    records.plain = await host.containers.create('plain');
  });

  after(async () => {
    if (host) {
      for (const c of await host.containers.list()) await host.containers.remove(c.id, { force: true });
      for (const n of await host.networks.list()) if (!n.isDefault) await host.networks.remove(n.id);
      await host.close();
    }
    for (const stop of stops) await stop();
    await t?.teardown();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it("writes resolv.conf by Docker's rules: the network's gateway, host search/options, never a loopback server", async () => {
    const etc = await host.containers.etcDir('client');
    const gw = records.client!.endpoints[0]!.gateway!;
    expect(fs.readFileSync(path.join(etc, 'resolv.conf'), 'utf8')).to.match(new RegExp(`nameserver ${gw.replace(/\./g, '\\.')}\nsearch corp\\.test\noptions ndots:0 edns0\n$`));
    const plain = fs.readFileSync(path.join(await host.containers.etcDir('plain'), 'resolv.conf'), 'utf8');
    expect(plain).to.include(`nameserver ${UPLINK.outside4}`).and.not.include('127.0.0.53');
    const hosts = fs.readFileSync(path.join(etc, 'hosts'), 'utf8');
    expect(hosts).to.match(/^127\.0\.0\.1\tlocalhost$/m);
    expect(hosts).to.include(`${ipOf(records.client!.endpoints[0]!.ipv4)}\tclient ${records.client!.id.slice(0, 12)}`);
    // What a process of the container sees as /etc/resolv.conf.
    const seen = await execIn(host, 'client', 'cat', ['/etc/resolv.conf']);
    expect(seen.stdout).to.equal(fs.readFileSync(path.join(etc, 'resolv.conf'), 'utf8'));
    expect(resolver.addresses().map((a) => a.address)).to.include(gw);
  });

  it("a container created after the host's resolv.conf changed gets the new one", async () => {
    const resolvConf = path.join(stateDir, 'host-resolv.conf');
    const before = fs.readFileSync(resolvConf, 'utf8');
    try {
      // Same size as before would defeat a size-only check: rewritten with another search domain.
      fs.writeFileSync(resolvConf, before.replace('corp.test', 'corp.tset'));
      await host.containers.create('late', {});
      const late = fs.readFileSync(path.join(await host.containers.etcDir('late'), 'resolv.conf'), 'utf8');
      expect(late).to.include('search corp.tset').and.not.include('corp.test');
    } finally {
      fs.writeFileSync(resolvConf, before);
      await host.containers.remove('late');
    }
  });

  it('dig, nslookup and getent resolve peers by name and alias', async () => {
    const web = ipOf(records.web!.endpoints[0]!.ipv4);
    expect(await dig(host, 'client', 'web')).to.deep.include({ status: 'NOERROR', answers: [web] });
    expect((await dig(host, 'client', 'www')).answers).to.deep.equal([web]);
    expect((await dig(host, 'client', 'web.app')).answers).to.deep.equal([web]);
    const ns = await execIn(host, 'client', 'nslookup', ['www']);
    expect(ns.stdout).to.match(new RegExp(`Address: ${web.replace(/\./g, '\\.')}`));
    const getent = await execIn(host, 'client', 'getent', ['hosts', 'web']);
    expect(getent.code).to.equal(0);
    expect(getent.stdout.split(/\s+/)[0]).to.equal(web);
    const ahosts = await execIn(host, 'client', 'getent', ['ahostsv4', 'www']);
    expect(ahosts.stdout).to.include(web);
  });

  it('a shared alias answers every holder, rotated; AAAA of a v4-only name is NODATA', async () => {
    const both = [ipOf(records.web!.endpoints[0]!.ipv4), ipOf(records.api!.endpoints[0]!.ipv4)];
    const first = await dig(host, 'client', 'shared');
    const second = await dig(host, 'client', 'shared');
    expect(first.answers).to.have.members(both);
    expect(second.answers).to.have.members(both);
    expect(second.answers[0]).to.not.equal(first.answers[0]);
    expect(await dig(host, 'client', 'web', 'AAAA')).to.deep.include({ status: 'NOERROR', answers: [] });
  });

  it('PTR answers name.network; a name or address of another network is NXDOMAIN', async () => {
    const web = ipOf(records.web!.endpoints[0]!.ipv4);
    expect((await dig(host, 'client', '-x', web)).answers).to.deep.equal(['web.app.']);
    expect((await dig(host, 'client', 'secret')).status).to.equal('NXDOMAIN');
    expect((await dig(host, 'client', '-x', ipOf(records.secret!.endpoints[0]!.ipv4))).status).to.equal('NXDOMAIN');
    expect((await execIn(host, 'client', 'getent', ['hosts', 'secret'])).code).to.equal(2);
    // The other network's own members resolve it.
    expect((await dig(host, 'secret', 'secret')).status).to.equal('NOERROR');
  });

  it('an internal network resolves its peers but forwards nothing', async () => {
    expect((await dig(host, 'lonely', 'keeper')).answers).to.deep.equal([ipOf(records.keeper!.endpoints[0]!.ipv4)]);
    expect((await dig(host, 'lonely', 'www.example.test')).status).to.equal('REFUSED');
  });

  it("forwards other names to the host's upstream (UDP, and TCP for a truncated answer)", async () => {
    expect(await dig(host, 'client', 'www.example.test')).to.deep.include({ status: 'NOERROR', answers: [FAKE_ANSWER] });
    const big = await dig(host, 'client', 'big.example.test');
    expect(big.status).to.equal('NOERROR');
    expect(big.answers).to.have.length(100);
    expect((await dig(host, 'client', '+tcp', 'www.example.test')).answers).to.deep.equal([FAKE_ANSWER]);
    expect((await execIn(host, 'client', 'getent', ['hosts', 'db.example.test'])).stdout).to.include(FAKE_ANSWER);
  });

  it("an upstream that never answers gives SERVFAIL within the client's timeout", async () => {
    const c = await host.containers.create('mute', { network: 'app', dns: [SILENT] });
    try {
      // dig waits 5 s per try; the resolver gives up upstream after 4 s.
      expect((await dig(host, 'mute', '+time=5', 'www.example.test')).status).to.equal('SERVFAIL');
      // Its peers still resolve: container names are never forwarded.
      expect((await dig(host, 'mute', 'web')).status).to.equal('NOERROR');
      expect(c.dns).to.deep.equal([SILENT]);
    } finally {
      await host.containers.remove('mute');
    }
  });

  it('connect, alias and disconnect take effect on the next query', async () => {
    expect((await dig(host, 'client', 'secret')).status).to.equal('NXDOMAIN');
    await host.containers.connect('client', 'other');
    expect((await dig(host, 'client', 'secret')).answers).to.deep.equal([ipOf(records.secret!.endpoints[0]!.ipv4)]);
    await host.containers.disconnect('client', 'other');
    expect((await dig(host, 'client', 'secret')).status).to.equal('NXDOMAIN');
    await host.containers.connect('secret', 'app', { aliases: ['spy'] });
    const spy = await dig(host, 'client', 'spy');
    expect(spy.status, JSON.stringify(resolver.stats)).to.equal('NOERROR');
    await host.containers.disconnect('secret', 'app');
    expect((await dig(host, 'client', 'spy')).status).to.equal('NXDOMAIN');
    await host.containers.disconnect('api', 'app');
    expect((await dig(host, 'client', 'api')).status).to.equal('NXDOMAIN');
    expect((await dig(host, 'client', 'shared')).answers).to.deep.equal([ipOf(records.web!.endpoints[0]!.ipv4)]);
  });

  it('a network created after the resolver started is served at once; the default bridge is not', async () => {
    await host.networks.create({ name: 'late' });
    const a = await host.containers.create('late1', { network: 'late' });
    await host.containers.create('late2', { network: 'late' });
    expect((await dig(host, 'late2', 'late1')).answers).to.deep.equal([ipOf(a.endpoints[0]!.ipv4)]);
    // The default bridge has no embedded resolver: its resolv.conf names the host's servers.
    expect((await dig(host, 'plain', 'web')).status).to.equal('NXDOMAIN');
  });
});
