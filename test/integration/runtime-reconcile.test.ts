/**
 * reconcile() against drift made behind nsnet's back, witnessed by `nft -j`, `ip -j` and
 * real traffic.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Host, Netns, startTcpServer, tcpRequest } from '../../lib';
import { ipJson, requireSandbox } from '../support/sandbox';
import { nftIn, normalised, rulesetJson, Topology, UPLINK } from '../support/topology';

/**
 * The ruleset as a set of declarations: objects sorted by kind and name, rules kept in
 * their order within each chain (the only order the kernel's evaluation depends on).
 */
function canonicalRuleset(ns: Netns): string {
  const key = (o: Record<string, any>): string => {
    const [kind, body] = Object.entries(o)[0] as [string, Record<string, string>];
    return `${kind} ${body.family} ${body.table ?? ''} ${body.chain ?? body.name ?? ''}`;
  };
  const objs = normalised(rulesetJson(ns)).map((o, i) => ({ o, i }));
  objs.sort((a, b) => key(a.o).localeCompare(key(b.o)) || a.i - b.i);
  return JSON.stringify(objs.map((x) => x.o));
}

describe('runtime reconcile (integration)', function () {
  requireSandbox();
  this.timeout(60_000);
  let t: Topology;
  let host: Host;
  let stateDir: string;

  beforeEach(async () => {
    t = await Topology.create();
    stateDir = fs.mkdtempSync(path.join(process.env.NSNET_STATE_DIR ?? os.tmpdir(), 'rc-'));
    host = await Host.open({ netns: t.host.file!, stateDir });
  });

  afterEach(async () => {
    for (const c of await host.containers.list()) await host.containers.remove(c.id, { force: true });
    await host.close();
    await t.teardown();
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('after `nft flush ruleset`, restores a ruleset identical to the one before, and traffic flows again', async () => {
    await host.networks.create({ name: 'app', icc: false });
    const web = await host.containers.create('web', { network: 'app', ports: ['8080:80'] });
    await host.containers.create('db', { ports: ['5432:5432'] });
    const before = canonicalRuleset(t.host);
    expect(await host.reconcile()).to.deep.equal({ removedContainers: [], deletedLinks: [], freedLeases: [], firewallReinstalled: false });

    nftIn(t.host, ['flush', 'ruleset']);
    expect(rulesetJson(t.host)).to.deep.equal([]);
    const report = await host.reconcile();
    expect(report.firewallReinstalled).to.equal(true);
    expect(canonicalRuleset(t.host)).to.equal(before);

    const wns = await Netns.open(web.netnsPath);
    const server = await startTcpServer(wns, '0.0.0.0', 80, 'web');
    try {
      expect((await tcpRequest(t.outside, UPLINK.host4, 8080)).reply).to.equal('web:ping');
    } finally {
      await server.stop();
      wns.close();
    }
  });

  it('frees the lease and leaves no veth of a container whose namespace was deleted behind its back', async () => {
    const c = await host.containers.create('victim');
    const ep = c.endpoints[0]!;
    execFileSync('ip', ['netns', 'delete', path.basename(c.netnsPath)]);
    const report = await host.reconcile();
    expect(report.removedContainers).to.deep.equal(['victim']);
    expect(ipJson<Array<{ ifname: string }>>('-n', t.host.name!, 'link').map((l) => l.ifname)).to.not.include(ep.hostIfname);
    expect((await host.containers.list()).map((x) => x.name)).to.not.include('victim');
    // The address is free again: a static request for it succeeds.
    const again = await host.containers.create('heir', { ip: ep.ipv4!.split('/')[0] });
    expect(again.endpoints[0]!.ipv4).to.equal(ep.ipv4);
  });

  it('enslaves to a bridge someone else deleted and recreated under the same name (not to a remembered ifindex)', async () => {
    await host.containers.create('first'); // nsnet now knows nsnet0's ifindex
    const br = ipJson<Array<{ ifindex: number; address: string }>>('-n', t.host.name!, 'link', 'show', 'dev', 'nsnet0')[0]!;
    for (const args of [['link', 'del', 'nsnet0'], ['link', 'add', 'nsnet0', 'type', 'bridge'], ['addr', 'add', '172.17.0.1/16', 'dev', 'nsnet0'], ['link', 'set', 'nsnet0', 'up']]) {
      execFileSync('ip', ['-n', t.host.name!, ...args]);
    }
    const fresh = ipJson<Array<{ ifindex: number }>>('-n', t.host.name!, 'link', 'show', 'dev', 'nsnet0')[0]!;
    expect(fresh.ifindex).to.not.equal(br.ifindex);
    const second = await host.containers.create('second');
    const port = ipJson<Array<{ master?: string }>>('-n', t.host.name!, 'link', 'show', 'dev', second.endpoints[0]!.hostIfname)[0]!;
    expect(port.master).to.equal('nsnet0');
    const third = await host.containers.create('third'); // and the new ifindex is remembered
    expect(ipJson<Array<{ master?: string }>>('-n', t.host.name!, 'link', 'show', 'dev', third.endpoints[0]!.hostIfname)[0]!.master).to.equal('nsnet0');
  });

  it('removeMany tears many containers down at once and leaves nothing behind', async () => {
    await host.networks.create({ name: 'many' });
    const made = [];
    for (let i = 0; i < 6; i++) made.push(await host.containers.create(`m${i}`, { network: 'many', ports: [`${20000 + i}:80`] }));
    const net = await host.networks.get('many');
    await host.containers.removeMany(made.map((c) => c.name));
    const links = ipJson<Array<{ ifname: string }>>('-n', t.host.name!, 'link').map((l) => l.ifname);
    for (const c of made) {
      expect(links).to.not.include(c.endpoints[0]!.hostIfname);
      expect(fs.existsSync(c.netnsPath)).to.equal(false);
    }
    expect(await (await import('../../lib')).Ipam.file(stateDir).leases(net.id)).to.deep.equal([]);
    expect(await host.containers.list()).to.deep.equal([]);
    const ruleset = JSON.stringify(rulesetJson(t.host));
    for (const c of made) expect(ruleset).to.not.include(c.endpoints[0]!.ipv4!.split('/')[0]);
    await host.networks.remove('many');
  });

  it('deletes orphaned veths, frees orphaned leases, and tears down containers the runtime says are gone', async () => {
    const keep = await host.containers.create('keep');
    await host.containers.create('stale');
    execFileSync('ip', ['-n', t.host.name!, 'link', 'add', 'veth0abcdef', 'type', 'veth', 'peer', 'name', 'other0']);
    const net = await host.networks.get('bridge');
    const { Ipam } = await import('../../lib');
    const lease = await Ipam.file(stateDir).allocate(net.id, { endpointId: 'f'.repeat(64) });
    const report = await host.reconcile([keep.id]);
    expect(report.removedContainers).to.deep.equal(['stale']);
    expect(report.deletedLinks).to.deep.equal(['veth0abcdef']);
    expect(report.freedLeases).to.deep.equal([`bridge ${lease.ipv4!.address}`]);
    const links = ipJson<Array<{ ifname: string }>>('-n', t.host.name!, 'link').map((l) => l.ifname);
    expect(links).to.not.include('veth0abcdef');
    expect(links).to.include(keep.endpoints[0]!.hostIfname);
  });
});
