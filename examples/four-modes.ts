/**
 * The main job: Docker's four network modes, and a user-defined network, on a private
 * "host" namespace wired to an "outside" namespace — each mode shown with real traffic
 * from real servers started inside the containers.
 *
 *   outside (198.51.100.2) ── uplink ── host (198.51.100.1)
 *                                         ├─ nsnet0 172.17.0.1/16: web1 (-p 8080:80), web2
 *                                         ├─ br-… (network "app"): api
 *                                         └─ host mode: hostsrv;  none: sealed;  container:web1: sidecar
 *
 * The outside knows only its own /24, so a container's reply reaches it only if the host
 * masquerades. Nothing outside the namespaces made here is touched.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Host, Netns, RtnlBatch, startTcpServer, tcpRequest, type TcpServer } from '../lib';
import { printChecks, runSandboxed, type Check } from './support/sandboxed';

const HOST_IP = '198.51.100.1';
const OUTSIDE_IP = '198.51.100.2';

/** Host and outside namespaces joined by a veth pair; the host routes out through it. */
async function makeWorld(): Promise<{ hostNs: Netns; outside: Netns }> {
  const hostNs = await Netns.create('nsnet-demo-host');
  const outside = await Netns.create('nsnet-demo-outside');
  const h = await hostNs.handle();
  const uplink = await h.linkAdd({ kind: 'veth', name: 'uplink0', up: true, peer: { name: 'eth0', netns: outside } });
  await h.apply(new RtnlBatch().linkSet(1, { up: true }).addrAdd(uplink.index, `${HOST_IP}/24`).routeAdd({ dst: 'default', gateway: OUTSIDE_IP }));
  const eth0 = uplink.link!;
  await (await outside.handle()).apply(new RtnlBatch().linkSet(1, { up: true }).linkSet(eth0, { up: true }).addrAdd(eth0, `${OUTSIDE_IP}/24`));
  return { hostNs, outside };
}

const ipOf = (cidr: string | undefined): string => (cidr ?? '').split('/')[0]!;

export async function fourModes(): Promise<boolean> {
  const { hostNs, outside } = await makeWorld();
  const stateDir = fs.mkdtempSync(path.join(process.env.NSNET_STATE_DIR ?? os.tmpdir(), 'demo-'));
  const host = await Host.open({ netns: hostNs.file!, stateDir });
  const servers: TcpServer[] = [];
  const opened: Netns[] = [];
  const ns = async (p: string): Promise<Netns> => {
    const n = await Netns.open(p);
    opened.push(n);
    return n;
  };
  const checks: Check[] = [];
  const check = (what: string, ok: boolean, detail: string): void => void checks.push({ what, ok, detail });
  try {
    // bridge: the default network, created on first use.
    const web1 = await host.containers.create('web1', { ports: ['8080:80'] });
    const web2 = await host.containers.create('web2');
    const web1ns = await ns(web1.netnsPath);
    servers.push(await startTcpServer(web1ns, '0.0.0.0', 80, 'web1'));
    const byIp = await tcpRequest(await ns(web2.netnsPath), ipOf(web1.endpoints[0]!.ipv4), 80);
    check('bridge: web2 -> web1 by IP', byIp.reply === 'web1:ping', `${ipOf(web2.endpoints[0]!.ipv4)} -> ${ipOf(web1.endpoints[0]!.ipv4)}:80 ${byIp.reply ?? byIp.error}`);

    const published = await tcpRequest(outside, HOST_IP, 8080);
    check('bridge: -p 8080:80 from outside', published.reply === 'web1:ping', `${OUTSIDE_IP} -> ${HOST_IP}:8080 ${published.reply ?? published.error}`);

    servers.push(await startTcpServer(outside, OUTSIDE_IP, 9000, 'outside'));
    const out = await tcpRequest(web1ns, OUTSIDE_IP, 9000, { line: 'whoami' });
    check('bridge: outbound is masqueraded', out.reply === `outside:${HOST_IP}`, `outside saw ${out.reply?.split(':')[1] ?? out.error}`);

    // host: the host's own namespace.
    const hostsrv = await host.containers.create('hostsrv', { network: 'host' });
    servers.push(await startTcpServer(await ns(hostsrv.netnsPath), '0.0.0.0', 8081, 'hostsrv'));
    const viaHost = await tcpRequest(outside, HOST_IP, 8081);
    check('host: server on the host address', viaHost.reply === 'hostsrv:ping', `${HOST_IP}:8081 ${viaHost.reply ?? viaHost.error}`);

    // none: loopback only.
    const sealed = await host.containers.create('sealed', { network: 'none' });
    const sealedNs = await ns(sealed.netnsPath);
    const sh = await sealedNs.handle();
    const links = (await sh.linkList()).map((l) => l.name);
    const routes = await sh.routeList({ table: 'all', family: 4 });
    const noRoute = await tcpRequest(sealedNs, OUTSIDE_IP, 9000, { timeoutMs: 1000 });
    check('none: only lo, no route out', links.join() === 'lo' && routes.every((r) => r.type !== 1 || r.dst?.startsWith('127.')) && !noRoute.ok, `links [${links.join()}], outside: ${noRoute.error}`);

    // container:web1: web1's namespace, so web1's server is on localhost.
    const sidecar = await host.containers.create('sidecar', { network: 'container:web1' });
    const local = await tcpRequest(await ns(sidecar.netnsPath), '127.0.0.1', 80);
    check('container:web1: web1 on localhost', local.reply === 'web1:ping', `127.0.0.1:80 ${local.reply ?? local.error}`);

    // A user-defined network is isolated from the default one.
    await host.networks.create({ name: 'app' });
    const api = await host.containers.create('api', { network: 'app' });
    const apiNs = await ns(api.netnsPath);
    const cross = await tcpRequest(apiNs, ipOf(web1.endpoints[0]!.ipv4), 80, { timeoutMs: 1000 });
    check('network app: isolated from bridge', !cross.ok, `${ipOf(api.endpoints[0]!.ipv4)} -> ${ipOf(web1.endpoints[0]!.ipv4)}:80 ${cross.error ?? cross.reply}`);
    const apiOut = await tcpRequest(apiNs, OUTSIDE_IP, 9000, { line: 'whoami' });
    check('network app: reaches the outside', apiOut.reply === `outside:${HOST_IP}`, `outside saw ${apiOut.reply?.split(':')[1] ?? apiOut.error}`);

    console.log('\n$ nsnet network inspect app');
    console.log(JSON.stringify([await host.networks.inspect('app')], null, 2));
    return printChecks('four network modes, checked with real traffic', checks);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    for (const n of opened) n.close();
    for (const c of await host.containers.list()) await host.containers.remove(c.id, { force: true }).catch(() => undefined);
    for (const n of await host.networks.list()) if (!n.isDefault) await host.networks.remove(n.id).catch(() => undefined);
    await host.close();
    await hostNs.delete();
    await outside.delete();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

if (require.main === module) runSandboxed(fourModes);
