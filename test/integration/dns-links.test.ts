/**
 * Docker's legacy links on the default bridge with icc off: the linked container is known
 * by name and alias through the linking container's hosts file (getent, through
 * host.containers.exec), and the pair talks on the linked container's exposed port and
 * nothing else; an unlinked pair cannot talk at all. Witnesses: real TCP and
 * `nft -j list ruleset`.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Host, Netns, startTcpServer, tcpRequest, type TcpServer } from '../../lib';
import { requireSandbox, uniqueName } from '../support/sandbox';
import { rulesetJson } from '../support/topology';

const ipOf = (cidr: string | undefined): string => (cidr ?? '').split('/')[0]!;

describe('dns: links on an icc=off default bridge (integration)', function () {
  requireSandbox();
  this.timeout(60_000);
  let hostNs: Netns;
  let host: Host;
  let stateDir: string;
  const servers: TcpServer[] = [];
  const opened: Netns[] = [];

  before(async () => {
    hostNs = await Netns.create(uniqueName('dlh'));
    await (await hostNs.handle()).linkSet(1, { up: true });
    stateDir = fs.mkdtempSync(path.join(process.env.NSNET_STATE_DIR ?? os.tmpdir(), 'dnsl-'));
    fs.writeFileSync(path.join(stateDir, 'resolv'), 'nameserver 192.0.2.53\n');
    host = await Host.open({ netns: hostNs.file!, stateDir, defaultBridge: { icc: false }, resolvConf: path.join(stateDir, 'resolv'), hostsFile: '/dev/null' });
  });

  after(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
    for (const n of opened.splice(0)) n.close();
    if (host) {
      for (const c of await host.containers.list()) await host.containers.remove(c.id, { force: true });
      await host.close();
    }
    await hostNs?.delete();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  it('the linked pair talks on the exposed port only, an unlinked pair not at all, and the alias resolves from hosts', async () => {
    const db = await host.containers.create('db', { expose: ['5432/tcp'] });
    const app = await host.containers.create('app', { links: ['db:database'] });
    const stranger = await host.containers.create('stranger');
    const dbNs = await Netns.open(db.netnsPath);
    opened.push(dbNs);
    const appNs = await Netns.open(app.netnsPath);
    opened.push(appNs);
    const strangerNs = await Netns.open(stranger.netnsPath);
    opened.push(strangerNs);
    servers.push(await startTcpServer(dbNs, '0.0.0.0', 5432, 'db'));
    servers.push(await startTcpServer(dbNs, '0.0.0.0', 6000, 'db'));
    servers.push(await startTcpServer(appNs, '0.0.0.0', 8080, 'app'));
    const dbIp = ipOf(db.endpoints[0]!.ipv4);

    // Hosts: the alias, the name and the short ID, with db's address.
    const hosts = fs.readFileSync(path.join(await host.containers.etcDir('app'), 'hosts'), 'utf8');
    expect(hosts).to.include(`${dbIp}\tdatabase db ${db.id.slice(0, 12)}`);
    for (const name of ['database', 'db']) {
      const child = host.containers.exec('app', 'getent', ['hosts', name], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await once(child, 'exit');
      expect(out.split(/\s+/)[0], name).to.equal(dbIp);
    }

    expect((await tcpRequest(appNs, dbIp, 5432)).reply).to.equal('db:ping');
    expect((await tcpRequest(appNs, dbIp, 6000, { timeoutMs: 1500 })).ok).to.equal(false);
    expect((await tcpRequest(dbNs, ipOf(app.endpoints[0]!.ipv4), 8080, { timeoutMs: 1500 })).ok).to.equal(false);
    expect((await tcpRequest(strangerNs, dbIp, 5432, { timeoutMs: 1500 })).ok).to.equal(false);

    // The allowance is two elements keyed on the bridge ports, tagged with app's endpoint.
    const sets = rulesetJson(hostNs).filter((o) => o.set?.family === 'bridge').map((o) => o.set);
    const fwd = sets.find((s: { name: string }) => s.name === 'link_fwd');
    expect(JSON.stringify(fwd.elem)).to.include(app.endpoints[0]!.hostIfname).and.include(db.endpoints[0]!.hostIfname).and.include('5432');
    expect(app.endpoints[0]!.links).to.deep.equal([{ peer: db.endpoints[0]!.hostIfname, proto: 'tcp', port: 5432, ipv4: dbIp }]);

    // Reconcile sees the allowance as the records say: nothing to repair.
    expect((await host.reconcile()).firewallReinstalled).to.equal(false);
    // Removing app takes its allowance with it.
    await host.containers.remove('app');
    const after = rulesetJson(hostNs).find((o) => o.set?.name === 'link_fwd')!.set;
    expect(after.elem ?? []).to.deep.equal([]);
  });

  it('refuses a link to a container that does not exist, changing nothing', async () => {
    const before = (await host.containers.list()).length;
    await host.containers.create('ghostly', { links: ['nobody:x'] }).then(
      () => expect.fail('created'),
      (err: { code?: string }) => expect(err.code).to.equal('ENOENT'),
    );
    expect((await host.containers.list()).length).to.equal(before);
  });
});
