/**
 * Netns against the real kernel, witnessed by `ip netns`, `ip -n … -j link` and /proc.
 */
import { expect } from 'chai';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AlreadyExistsError, Netns, NotFoundError, RtnlBatch, RtnlHandle, ValidationError } from '../../lib';
import { ipJson, requireSandbox, run, uniqueName } from '../support/sandbox';

function netnsList(): string[] {
  return ipJson<Array<{ name: string }>>('netns', 'list').map((n) => n.name);
}

function threadNamespaces(): Set<string> {
  return new Set(fs.readdirSync('/proc/self/task').map((tid) => fs.readlinkSync(`/proc/self/task/${tid}/ns/net`)));
}

function openFdCount(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

describe('Netns (integration)', function () {
  requireSandbox();

  it('creates a namespace that `ip netns list` lists, and deletes it idempotently', async () => {
    const name = uniqueName('ns');
    const ns = await Netns.create(name);
    expect(netnsList()).to.include(name);
    expect(ns.name).to.equal(name);
    expect(ns.file).to.equal(`/run/netns/${name}`);
    // A fresh namespace: only a loopback, and it is not ours.
    const links = ipJson<Array<{ ifname: string }>>('-n', name, 'link');
    expect(links.map((l) => l.ifname)).to.deep.equal(['lo']);
    expect(ns.identity()).to.not.deep.equal((await Netns.current()).identity());
    await ns.delete();
    expect(netnsList()).to.not.include(name);
    await ns.delete();
    expect(await Netns.deleteByName(name)).to.equal(false);
  });

  it('createWithVeth: namespace, veth with its peer inside, and the peer configured by index, as ip sees them; a failure leaves nothing', async () => {
    const name = uniqueName('wv');
    const host = await RtnlHandle.open();
    try {
      const ns = await Netns.createWithVeth(
        name,
        host,
        { name: 'wvh0', up: true, peer: { name: 'eth0', mac: '02:00:00:00:01:02' } },
        new RtnlBatch()
          .linkSet(1, { up: true })
          .linkSet(RtnlBatch.PEER, { up: true })
          .addrAdd(RtnlBatch.PEER, '10.9.0.2/24')
          .routeAdd({ dst: 'default', gateway: '10.9.0.1', dev: RtnlBatch.PEER }),
      );
      try {
        expect(netnsList()).to.include(name);
        expect(ns.file).to.equal(`/run/netns/${name}`);
        const eth0 = ipJson<Array<{ ifname: string; address: string; flags: string[]; addr_info: Array<{ local: string; prefixlen: number }> }>>('-n', name, 'addr', 'show', 'dev', 'eth0')[0]!;
        expect(eth0.address).to.equal('02:00:00:00:01:02');
        expect(eth0.flags).to.include('UP');
        expect(eth0.addr_info.map((a) => `${a.local}/${a.prefixlen}`)).to.include('10.9.0.2/24');
        expect(ipJson<Array<{ dst: string; gateway: string; dev: string }>>('-n', name, 'route', 'show', 'default')).to.deep.equal([
          { dst: 'default', gateway: '10.9.0.1', dev: 'eth0', flags: [] },
        ]);
        expect(ipJson<Array<{ ifname: string }>>('link', 'show', 'dev', 'wvh0')[0]!.ifname).to.equal('wvh0');
        // One queue per end (VethSpec.queues), in the plan's request as in linkAdd's.
        type Queues = Array<{ num_tx_queues: number; num_rx_queues: number }>;
        for (const [l] of [ipJson<Queues>('-d', 'link', 'show', 'dev', 'wvh0'), ipJson<Queues>('-n', name, '-d', 'link', 'show', 'dev', 'eth0')]) {
          expect([l!.num_tx_queues, l!.num_rx_queues]).to.deep.equal([1, 1]);
        }
      } finally {
        await host.linkDel('wvh0');
        await ns.delete();
      }

      // The route's gateway is not on any subnet of eth0: the configure step fails, and
      // neither the veth nor the namespace stays.
      const failed = uniqueName('wvf');
      const err = await Netns.createWithVeth(
        failed,
        host,
        { name: 'wvh1', peer: { name: 'eth0' } },
        new RtnlBatch().linkSet(RtnlBatch.PEER, { up: true }).routeAdd({ dst: 'default', gateway: '10.99.0.1', dev: RtnlBatch.PEER }),
      ).catch((e: unknown) => e);
      expect(err).to.include({ code: 'ENETUNREACH', syscall: 'RTM_NEWROUTE' });
      expect(netnsList()).to.not.include(failed);
      expect(ipJson<Array<{ ifname: string }>>('link').map((l) => l.ifname)).to.not.include('wvh1');
    } finally {
      host.close();
    }
  });

  it('refuses a name that is taken with AlreadyExistsError, and leaves the first alone', async () => {
    const name = uniqueName('dup');
    const first = await Netns.create(name);
    const err = await Netns.create(name).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(AlreadyExistsError).and.include({ code: 'EEXIST', errno: -17 });
    expect(netnsList().filter((n) => n === name)).to.have.length(1);
    await first.delete();
  });

  it('opens a namespace made by `ip netns add` and sees what iproute2 put in it', async () => {
    const name = uniqueName('ipns');
    run('ip', 'netns', 'add', name);
    run('ip', '-n', name, 'link', 'add', 'marker0', 'type', 'bridge');
    const ns = await Netns.open(`/run/netns/${name}`);
    expect(ns.name).to.equal(name);
    const h = await ns.handle();
    expect((await h.linkList()).map((l) => l.name)).to.include('marker0');
    // The same namespace through two paths has one identity.
    const again = await Netns.open(`/run/netns/${name}`);
    expect(again.equals(ns)).to.equal(true);
    again.close();
    await ns.delete();
    expect(netnsList()).to.not.include(name);
  });

  it('opens the namespace of a process by pid', async () => {
    const name = uniqueName('pid');
    const ns = await Netns.create(name);
    const child = ns.exec('sleep', ['30']);
    await once(child, 'spawn');
    // The helper execs in place: give it a moment to have entered the namespace.
    for (let i = 0; i < 100 && fs.readlinkSync(`/proc/${child.pid}/ns/net`) === fs.readlinkSync('/proc/self/ns/net'); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const byPid = await Netns.fromPid(child.pid!);
    expect(byPid.equals(ns)).to.equal(true);
    child.kill('SIGTERM');
    await once(child, 'exit');
    byPid.close();
    await ns.delete();
    const missing = await Netns.open('/run/netns/does-not-exist').catch((e: unknown) => e);
    expect(missing).to.be.instanceOf(NotFoundError).and.include({ code: 'ENOENT' });
  });

  it('runs a command inside the namespace through the exec helper', async () => {
    const name = uniqueName('exec');
    const ns = await Netns.create(name);
    await (await ns.handle()).linkAdd({ kind: 'bridge', name: 'inside0' });
    const child = ns.exec('ip', ['-j', 'link'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const [code] = await once(child, 'exit');
    expect(code).to.equal(0);
    expect((JSON.parse(out) as Array<{ ifname: string }>).map((l) => l.ifname)).to.deep.equal(['lo', 'inside0']);
    await ns.delete();
  });

  it('writes and reads sysctls inside the namespace only', async () => {
    const ns = await Netns.create(uniqueName('sysctl'));
    const outside = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
    const want = outside === '1' ? '0' : '1';
    await ns.setSysctl('net/ipv4/ip_forward', want);
    expect(await ns.getSysctl('net/ipv4/ip_forward')).to.equal(want);
    expect(run('ip', 'netns', 'exec', ns.name!, 'cat', '/proc/sys/net/ipv4/ip_forward').trim()).to.equal(want);
    expect(fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()).to.equal(outside);
    await ns.delete();
  });

  it('makes its directory again when it was removed after a namespace was created there', async () => {
    const dir = fs.mkdtempSync(path.join(process.env.NSNET_STATE_DIR ?? os.tmpdir(), 'netns-dir-'));
    const netnsDir = `${dir}/netns`;
    try {
      const first = await Netns.create(uniqueName('dir'), { dir: netnsDir });
      await first.delete();
      // The process made netnsDir a shared mount point once; take the directory away.
      run('umount', netnsDir);
      fs.rmdirSync(netnsDir);
      const second = await Netns.create(uniqueName('dir'), { dir: netnsDir });
      expect(fs.readdirSync(netnsDir)).to.deep.equal([second.name]);
      // A namespace of its own behind the file: only lo, as nsenter (not nsnet) sees it.
      const links = JSON.parse(run('nsenter', `--net=${second.file}`, 'ip', '-j', 'link')) as Array<{ ifname: string }>;
      expect(links.map((l) => l.ifname)).to.deep.equal(['lo']);
      await second.delete();
      expect(fs.readdirSync(netnsDir)).to.deep.equal([]);
    } finally {
      try {
        run('umount', '-R', netnsDir);
      } catch {
        // not mounted: the test failed before the second create
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad names and paths before any syscall', async () => {
    for (const name of ['', '.', '..', 'a/b', 'a\0b']) {
      const err = await Netns.create(name).catch((e: unknown) => e);
      expect(err, JSON.stringify(name)).to.be.instanceOf(ValidationError);
    }
    expect(fs.readdirSync('/run/netns').filter((f) => f.includes('/'))).to.deep.equal([]);
    expect(await Netns.open('relative/path').catch((e: unknown) => e)).to.be.instanceOf(ValidationError);
    expect(await Netns.fromPid(0).catch((e: unknown) => e)).to.be.instanceOf(ValidationError);
  });

  it('leaves every thread in the original namespace after 10,000 concurrent namespace-scoped operations', async function () {
    this.timeout(300_000);
    const original = fs.readlinkSync('/proc/self/task/' + process.pid + '/ns/net');
    const a = await Netns.create(uniqueName('thr'));
    const b = await Netns.create(uniqueName('thr'));
    const ops: Array<Promise<unknown>> = [];
    for (let i = 0; i < 10_000; i++) {
      const ns = i % 2 ? a : b;
      switch (i % 4) {
        case 0:
          ops.push(ns.getSysctl('net/ipv4/ip_forward'));
          break;
        case 1:
          ops.push(ns.setSysctl('net/ipv4/conf/all/forwarding', i % 8 === 1 ? '1' : '0'));
          break;
        default:
          ops.push(RtnlHandle.open(ns.fd).then((h) => h.linkList().finally(() => h.close())));
      }
    }
    await Promise.all(ops);
    expect([...threadNamespaces()]).to.deep.equal([original]);
    await a.delete();
    await b.delete();
  });

  it('createWithVeth: 64 at once run (16 threads at a time), and leave no thread, in the original namespace or any other, behind', async function () {
    this.timeout(120_000);
    const original = fs.readlinkSync('/proc/self/task/' + process.pid + '/ns/net');
    const host = await RtnlHandle.open();
    const names = Array.from({ length: 64 }, () => uniqueName('burst'));
    const taskCount = (): number => fs.readdirSync('/proc/self/task').length;
    // A thread that reported its plan is joined before the promise settles; it may still be
    // finishing its exit in the kernel for a moment, and the spare for the next plan is made
    // once the last one reported, so the witness waits until the count holds still.
    const settledTasks = async (): Promise<{ count: number; namespaces: string[] }> => {
      let last = -1;
      for (let i = 0; ; i++) {
        const namespaces = [...threadNamespaces()];
        const count = taskCount();
        if ((namespaces.length === 1 && namespaces[0] === original && count === last) || i === 100) return { count, namespaces };
        last = count;
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    try {
      // A first plan starts the addon's plan threads (the spawner and its spare).
      const first = await Netns.createWithVeth(names[0]!, host, { name: 'bst0', peer: { name: 'eth0' } });
      const before = await settledTasks();
      const made = await Promise.all(
        names.slice(1).map((n, i) => Netns.createWithVeth(n, host, { name: `bst${i + 1}`, peer: { name: 'eth0' } }, new RtnlBatch().linkSet(RtnlBatch.PEER, { up: true }))),
      );
      const after = await settledTasks();
      expect(after.namespaces).to.deep.equal([original]);
      expect(after.count).to.be.at.most(before.count);
      const listed = new Set(netnsList());
      for (const n of names) expect(listed.has(n), n).to.equal(true);
      for (const [i, ns] of [first, ...made].entries()) {
        expect(ipJson<Array<{ flags: string[] }>>('-n', names[i]!, 'link', 'show', 'dev', 'eth0')[0]!.flags.includes('UP'), names[i]).to.equal(i > 0);
        await host.linkDel(`bst${i}`);
        await ns.delete();
      }
    } finally {
      host.close();
    }
  });

  it('createWithVeth refuses a bad veth before making anything', async () => {
    const host = await RtnlHandle.open();
    try {
      const name = uniqueName('badv');
      for (const veth of [{ name: 'has space', peer: { name: 'eth0' } }, { name: 'okname', peer: { name: 'x'.repeat(16) } }, { name: 'okname', mtu: 1, peer: { name: 'eth0' } }, { name: 'okname', queues: 0, peer: { name: 'eth0' } }]) {
        const err = await Netns.createWithVeth(name, host, veth).catch((e: unknown) => e);
        expect(err, JSON.stringify(veth)).to.be.instanceOf(ValidationError);
        expect(netnsList()).to.not.include(name);
        expect(fs.existsSync(`/run/netns/${name}`)).to.equal(false);
      }
      expect(ipJson<Array<{ ifname: string }>>('link').map((l) => l.ifname)).to.not.include('okname');
    } finally {
      host.close();
    }
  });

  it('leaks no fd over 1,024 open/close cycles of Netns.open and of a handle', async function () {
    this.timeout(120_000);
    const ns = await Netns.create(uniqueName('fds'));
    const before = openFdCount();
    for (let i = 0; i < 1024; i++) {
      const opened = await Netns.open(ns.file!);
      const h = await opened.handle();
      await h.linkGet('lo');
      opened.close();
      const direct = await RtnlHandle.open(ns.fd);
      direct.close();
    }
    expect(openFdCount()).to.equal(before);
    await ns.delete();
  });
});
