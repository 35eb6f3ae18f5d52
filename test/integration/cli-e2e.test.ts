/**
 * The CLI end to end, run as a user would (bin/nsnet in a test-made host namespace):
 * a network, two detached containers with published ports reached from an "outside"
 * namespace, inspect/ps/exec, then rm -f and network rm leaving nothing behind; a
 * foreground run torn down by SIGTERM; SIGINT during a setup rolled back. Witnesses:
 * real TCP, `ip -j`, `nft -j list ruleset`, the namespace files and the state directory.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tcpRequest, type TcpResult } from '../../lib';
import { finished, nsnet, nsnetOk, processGone, residue, startNsnet, waitForOutput, type CliWorld } from '../support/cli';
import { requireSandbox } from '../support/sandbox';
import { Topology, UPLINK } from '../support/topology';

/** A TCP server for inside a container: answers each connection with "<tag>:<peer address>". */
const SERVER = `
const net = require('net');
const [port, tag] = process.argv.slice(1);
net.createServer((s) => {
  s.on('error', () => {});
  s.once('data', () => s.end(tag + ':' + s.remoteAddress.replace(/^::ffff:/, '') + '\\n'));
}).listen(Number(port), '0.0.0.0', () => console.log('listening'));
`;

/** Connects from `outside` until the server answers (it may still be starting). */
async function reach(t: Topology, port: number): Promise<TcpResult> {
  let last: TcpResult = { ok: false, error: 'not tried' };
  for (let attempt = 0; attempt < 200; attempt++) {
    last = await tcpRequest(t.outside, UPLINK.host4, port, { line: 'whoami', timeoutMs: 2000 });
    if (last.ok || last.error !== 'ECONNREFUSED') return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  return last;
}

describe('cli: end to end (integration)', function () {
  requireSandbox();
  this.timeout(120_000);
  let t: Topology;
  let w: CliWorld;
  let baseline: Record<string, unknown>;

  before(async () => {
    t = await Topology.create();
    const stateDir = fs.mkdtempSync(path.join(process.env.NSNET_STATE_DIR ?? os.tmpdir(), 'cli-'));
    w = { host: t.host, stateDir };
    // nsnet's base tables stay once installed (as Docker's chains do): the baseline is
    // the host after one network came and went.
    await nsnetOk(w, ['network', 'create', 'warmup']);
    await nsnetOk(w, ['network', 'rm', 'warmup']);
    baseline = residue(w);
  });

  afterEach(async () => {
    // After a failure: whatever the test left, so the next one starts clean.
    const ids = (await nsnet(w, ['ps', '-q', '--no-trunc'])).stdout.split('\n').filter(Boolean);
    if (ids.length) await nsnet(w, ['rm', '-f', ...ids]);
    for (const n of ['app', 'half', 'back', 'unused']) await nsnet(w, ['network', 'rm', n]);
  });

  after(async () => {
    await t.teardown();
    fs.rmSync(w.stateDir, { recursive: true, force: true });
  });

  it('network create, run -d ×2 with published ports reached from outside, inspect, ps, exec, rm -f, network rm: nothing left', async () => {
    const netId = (await nsnetOk(w, ['network', 'create', '--subnet', '198.51.100.0/24', '--label', 'team=a', 'app'])).trim();
    expect(netId).to.match(/^[0-9a-f]{64}$/);

    const ids: string[] = [];
    for (const [name, port] of [['web1', 8081], ['web2', 8082]] as const) {
      const out = await nsnetOk(w, ['run', '-d', '--name', name, '--network', 'app', '-p', `${port}:80`, '--', process.execPath, '-e', SERVER, '80', name]);
      ids.push(out.trim());
    }
    expect(ids[0]).to.match(/^[0-9a-f]{64}$/);

    // From outside, through the host's published ports, to each server; no NAT on the way in.
    expect(await reach(t, 8081)).to.include({ ok: true, reply: `web1:${UPLINK.outside4}` });
    expect(await reach(t, 8082)).to.include({ ok: true, reply: `web2:${UPLINK.outside4}` });

    const [inspected] = JSON.parse(await nsnetOk(w, ['network', 'inspect', 'app'])) as Array<{ Id: string; Labels: Record<string, string>; Containers: Record<string, { Name: string; IPv4Address: string }> }>;
    expect(inspected!.Id).to.equal(netId);
    expect(inspected!.Labels).to.deep.equal({ team: 'a' });
    expect(Object.values(inspected!.Containers).map((c) => c.Name).sort()).to.deep.equal(['web1', 'web2']);
    expect(Object.keys(inspected!.Containers).sort()).to.deep.equal([...ids].sort());

    const table = await nsnetOk(w, ['ps']);
    const lines = table.trim().split('\n');
    expect(lines[0]).to.match(/^CONTAINER ID\s+NAME\s+COMMAND\s+NETWORK\s+IP ADDRESS\s+PORTS\s+STATUS$/);
    for (const [name, port] of [['web1', 8081], ['web2', 8082]] as const) {
      expect(lines.find((l) => l.includes(` ${name} `))).to.match(new RegExp(`0\\.0\\.0\\.0:${port}->80/tcp\\s+running \\(pid \\d+\\)$`));
    }
    const ps = JSON.parse(await nsnetOk(w, ['ps', '--format', 'json'])) as Array<{ Name: string; Status: string; Pid: number; IPAddresses: string[]; Networks: string[] }>;
    expect(ps.map((c) => [c.Name, c.Status, c.Networks]).sort()).to.deep.equal([['web1', 'running', ['app']], ['web2', 'running', ['app']]]);
    const pids = ps.map((c) => c.Pid);

    // exec runs inside the container's namespace: `ip` there sees the address inspect reports.
    const [web1] = JSON.parse(await nsnetOk(w, ['inspect', 'web1'])) as Array<{ State: { Running: boolean }; NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }>;
    expect(web1!.State.Running).to.equal(true);
    const ip = web1!.NetworkSettings.Networks.app!.IPAddress;
    const addrs = JSON.parse(await nsnetOk(w, ['exec', 'web1', '--', 'ip', '-j', '-4', 'addr', 'show', 'dev', 'eth0'])) as Array<{ addr_info: Array<{ local: string }> }>;
    expect(addrs[0]!.addr_info.map((a) => a.local)).to.deep.equal([ip]);
    expect((await nsnet(w, ['exec', 'web1', '--', 'sh', '-c', 'exit 7'])).code).to.equal(7);

    // A running container is not removed without -f; with -f its command is killed first.
    const refused = await nsnet(w, ['rm', 'web1']);
    expect(refused.code).to.equal(4);
    expect(refused.stderr).to.match(/^nsnet: error: container web1 is running \(its command runs as pid \d+\)/);
    expect(await nsnetOk(w, ['rm', '-f', 'web1', 'web2'])).to.equal('web1\nweb2\n');
    for (const pid of pids) expect(processGone(pid), `pid ${pid}`).to.equal(true);
    expect(await tcpRequest(t.outside, UPLINK.host4, 8081, { line: 'whoami', timeoutMs: 2000 })).to.include({ ok: false, error: 'ECONNREFUSED' });
    expect(await nsnetOk(w, ['ps', '-q'])).to.equal('');

    expect(await nsnetOk(w, ['network', 'rm', 'app'])).to.equal('app\n');
    expect(residue(w)).to.deep.equal(baseline);
  });

  it('run in the foreground: CMD reachable while it runs; SIGTERM is forwarded, everything torn down, exit 143', async () => {
    await nsnetOk(w, ['network', 'create', '--subnet', '198.51.100.0/24', 'app']);
    const before = residue(w);
    const run = startNsnet(w, ['run', '--name', 'fg', '--network', 'app', '-p', '8083:80', '--', process.execPath, '-e', SERVER, '80', 'fg']);
    const result = finished(run);
    await waitForOutput(run.stdout!, /listening/);
    expect(await reach(t, 8083)).to.include({ ok: true, reply: `fg:${UPLINK.outside4}` });
    const [fg] = JSON.parse(await nsnetOk(w, ['ps', '--format', 'json'])) as Array<{ Name: string; Status: string; Pid: number }>;
    expect(fg).to.include({ Name: 'fg', Status: 'running' });

    run.kill('SIGTERM');
    const r = await result;
    expect(r.code, r.stderr).to.equal(143);
    expect(processGone(fg!.Pid)).to.equal(true);
    expect(residue(w)).to.deep.equal(before);
    await nsnetOk(w, ['network', 'rm', 'app']);
    expect(residue(w)).to.deep.equal(baseline);
  });

  it("run in the foreground exits with CMD's code and leaves nothing", async () => {
    await nsnetOk(w, ['network', 'create', '--subnet', '198.51.100.0/24', 'app']);
    const before = residue(w);
    const r = await nsnet(w, ['run', '--network', 'app', '--', 'sh', '-c', 'ip -br -4 addr show dev eth0; exit 3']);
    expect(r.code, r.stderr).to.equal(3);
    expect(r.stdout).to.match(/^eth0@\S+\s+UP\s+198\.51\.100\.\d+\/24/);
    expect(residue(w)).to.deep.equal(before);
    await nsnetOk(w, ['network', 'rm', 'app']);
  });

  it('nsnet dns answers peers by name and alias on a user-defined network; exec sees the container files', async () => {
    await nsnetOk(w, ['network', 'create', '--subnet', '198.51.100.0/24', 'app']);
    await nsnetOk(w, ['run', '-d', '--name', 'db', '--network', 'app', '--alias', 'database', '--', 'sleep', '600']);
    await nsnetOk(w, ['run', '-d', '--name', 'client', '--network', 'app', '--', 'sleep', '600']);
    const [db] = JSON.parse(await nsnetOk(w, ['inspect', 'db'])) as Array<{ NetworkSettings: { Networks: Record<string, { IPAddress: string }> } }>;
    const dbIp = db!.NetworkSettings.Networks.app!.IPAddress;
    // Upstream: the outside namespace only (nothing is forwarded in this test anyway).
    const resolv = path.join(w.stateDir, 'upstream-resolv.conf');
    fs.writeFileSync(resolv, `nameserver ${UPLINK.outside4}\n`);
    const daemon = startNsnet(w, ['dns', '--resolv-conf', resolv]);
    try {
      await waitForOutput(daemon.stderr!, /answering/);
      expect(await nsnetOk(w, ['exec', 'client', '--', 'cat', '/etc/resolv.conf'])).to.match(/^nameserver 198\.51\.100\.1$/m);
      for (const name of ['db', 'database']) {
        expect((await nsnetOk(w, ['exec', 'client', '--', 'getent', 'hosts', name])).split(/\s+/)[0], name).to.equal(dbIp);
      }
      expect((await nsnet(w, ['exec', 'client', '--', 'getent', 'hosts', 'nosuchpeer'])).code).to.equal(2);
    } finally {
      daemon.kill('SIGTERM');
    }
    expect((await finished(daemon)).code).to.equal(0);
    await nsnetOk(w, ['rm', '-f', 'db', 'client']);
    await nsnetOk(w, ['network', 'rm', 'app']);
    fs.rmSync(resolv);
    expect(residue(w)).to.deep.equal(baseline);
  });

  it('network connect/disconnect/prune, and create with --ipv6, --internal, -o, --ip-range', async () => {
    await nsnetOk(w, ['network', 'create', '--subnet', '198.51.100.0/24', 'app']);
    const before = residue(w);
    await nsnetOk(w, ['network', 'create', '--ipv6', '--subnet', '203.0.113.0/24', '--ip-range', '203.0.113.64/26', '--subnet', 'fd00:c1::/64', '--internal', '-o', 'com.docker.network.bridge.enable_icc=false', 'back']);
    await nsnetOk(w, ['network', 'create', '--subnet', '192.0.2.128/25', 'unused']);
    await nsnetOk(w, ['run', '-d', '--name', 'c1', '--network', 'app', '--', 'sleep', '600']);
    const ep = JSON.parse(await nsnetOk(w, ['network', 'connect', '--alias', 'db', '--format', 'json', 'back', 'c1'])) as { Interface: string; IPv4Address: string; IPv6Address: string };
    expect(ep.Interface).to.equal('eth1');
    expect(ep.IPv4Address).to.match(/^203\.0\.113\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\/24$/);
    expect(ep.IPv6Address).to.match(/^fd00:c1::[0-9a-f:]+\/64$/);
    const addrs = JSON.parse(await nsnetOk(w, ['exec', 'c1', '--', 'ip', '-j', 'addr', 'show', 'dev', 'eth1'])) as Array<{ addr_info: Array<{ local: string; prefixlen: number; scope: string }> }>;
    expect(addrs[0]!.addr_info.filter((a) => a.scope === 'global').map((a) => `${a.local}/${a.prefixlen}`).sort()).to.deep.equal([ep.IPv4Address, ep.IPv6Address].sort());
    const [back] = JSON.parse(await nsnetOk(w, ['network', 'inspect', 'back'])) as Array<{ Internal: boolean; EnableIPv6: boolean; Options: Record<string, string>; IPAM: { Config: Array<{ Subnet: string; IPRange?: string }> } }>;
    expect(back).to.deep.include({ Internal: true, EnableIPv6: true });
    expect(back!.Options['com.docker.network.bridge.enable_icc']).to.equal('false');
    expect(back!.IPAM.Config.map((c) => [c.Subnet, c.IPRange])).to.deep.equal([['203.0.113.0/24', '203.0.113.64/26'], ['fd00:c1::/64', undefined]]);
    const [c1] = JSON.parse(await nsnetOk(w, ['inspect', 'c1'])) as Array<{ NetworkSettings: { Networks: Record<string, { Aliases: string[] | null }> } }>;
    expect(Object.keys(c1!.NetworkSettings.Networks).sort()).to.deep.equal(['app', 'back']);
    expect(c1!.NetworkSettings.Networks.back!.Aliases).to.deep.equal(['db']);

    // prune removes only networks nobody uses.
    expect(await nsnetOk(w, ['network', 'prune', '-f'])).to.equal('Deleted Networks:\nunused\n');
    expect(await nsnetOk(w, ['network', 'disconnect', 'back', 'c1'])).to.equal('');
    expect(JSON.parse(await nsnetOk(w, ['network', 'prune', '--format', 'json']))).to.deep.equal({ NetworksDeleted: ['back'] });
    expect(await nsnetOk(w, ['network', 'ls', '--format', 'json'])).to.not.include('"back"');
    await nsnetOk(w, ['rm', '-f', 'c1']);
    expect(residue(w)).to.deep.equal(before);
  });

  it('rm -f of a foreground run kills its command (137) and run finds its container already gone', async () => {
    await nsnetOk(w, ['network', 'create', '--subnet', '198.51.100.0/24', 'app']);
    const before = residue(w);
    const run = startNsnet(w, ['run', '--name', 'fg', '--network', 'app', '--', 'sh', '-c', 'echo ready; exec sleep 600']);
    const result = finished(run);
    await waitForOutput(run.stdout!, /ready/);
    expect(await nsnetOk(w, ['rm', '-f', 'fg'])).to.equal('fg\n');
    const r = await result;
    expect(r.code, r.stderr).to.equal(137);
    expect(r.stderr).to.equal('');
    expect(residue(w)).to.deep.equal(before);
  });

  it('gc tears down a detached container whose command has exited, and reports it', async () => {
    await nsnetOk(w, ['network', 'create', '--subnet', '198.51.100.0/24', 'app']);
    const before = residue(w);
    expect(await nsnetOk(w, ['run', '-d', '--name', 'quick', '--network', 'app', '-p', '8086:80', '--', 'sh', '-c', 'exit 0'])).to.match(/^[0-9a-f]{64}\n$/);
    await nsnetOk(w, ['run', '-d', '--name', 'slow', '--network', 'app', '--', 'sleep', '600']);
    // Wait until quick's command has gone (it may still be exiting).
    const [quick] = JSON.parse(await nsnetOk(w, ['inspect', 'quick'])) as Array<{ State: { Pid: number } }>;
    while (quick!.State.Pid && !processGone(quick!.State.Pid)) await new Promise((r) => setTimeout(r, 10));
    const ps = JSON.parse(await nsnetOk(w, ['ps', '--format', 'json'])) as Array<{ Name: string; Status: string }>;
    expect(ps.map((c) => [c.Name, c.Status]).sort()).to.deep.equal([['quick', 'exited'], ['slow', 'running']]);
    expect(await nsnetOk(w, ['gc'])).to.equal('removed container quick\n');
    expect(JSON.parse(await nsnetOk(w, ['gc', '--format', 'json']))).to.deep.equal({ removedContainers: [], deletedLinks: [], freedLeases: [], firewallReinstalled: false, forgottenProcesses: [] });
    expect(JSON.parse(await nsnetOk(w, ['rm', '-f', '--format', 'json', 'slow']))).to.deep.equal(['slow']);
    expect(residue(w)).to.deep.equal(before);
  });

  // Held before a step whose next step comes after an event-loop turn, the setup's own
  // transaction rolls back. The kernel's part of a container setup is one native call whose
  // steps are decided in two groups (namespace, veth, eth0's index; then configure and
  // publish), so a signal held before 'veth' is seen at the next turn: before 'configure'
  // (rolled back) or, if none came, after the setup, which run then removes again. Held
  // before the last step ('files'), the setup completes and run removes it again.
  const rolledBack = /nsnet: error: interrupted by SIGINT before step '[^']+': setup rolled back/;
  const removedAgain = /nsnet: error: interrupted by SIGINT: container half removed again/;
  const eitherWay = new RegExp(`${rolledBack.source}|${removedAgain.source}`);
  for (const [what, args, step, says] of [
    ['run', ['run', '--name', 'half', '--network', 'app', '-p', '8084:80', '--', 'true'], 'ipam', rolledBack],
    ['run -d', ['run', '-d', '--name', 'half', '--network', 'app', '-p', '8084:80', '--', 'sleep', '600'], 'veth', eitherWay],
    ['run', ['run', '--name', 'half', '--network', 'app', '-p', '8084:80', '--', 'true'], 'files', removedAgain],
    ['network create', ['network', 'create', '--subnet', '203.0.113.128/25', 'half'], 'bridge', rolledBack],
  ] as const) {
    it(`SIGINT during ${what}'s setup (held before step '${step}') rolls it back: exit 130, nothing left`, async () => {
      await nsnetOk(w, ['network', 'create', '--subnet', '198.51.100.0/24', 'app']);
      const before = residue(w);
      const child = startNsnet(w, args, { env: { NSNET_TEST_PAUSE_BEFORE_STEP: step } });
      const result = finished(child);
      await waitForOutput(child.stderr!, new RegExp(`test pause before step ${step}`));
      // The signal is queued while nsnet is held; the step after the held one sees it.
      child.kill('SIGINT');
      child.stdin!.end('go');
      const r = await result;
      expect(r.code, r.stderr).to.equal(130);
      expect(r.stderr, r.stderr).to.match(says);
      expect(r.stdout).to.equal('');
      expect(residue(w)).to.deep.equal(before);
      await nsnetOk(w, ['network', 'rm', 'app']);
      expect(residue(w)).to.deep.equal(baseline);
    });
  }
});
