/**
 * Three namespaces on one Linux bridge, the way a container host wires containers:
 * the bridge lives in a "host" namespace, each container gets a veth whose host end is
 * a bridge port and whose other end is eth0 inside the container. Every container then
 * reaches every other one over TCP.
 */
import { Netns, startTcpServer, tcpRequest, type TcpServer } from '../lib';
import { printChecks, runSandboxed, type Check } from './support/sandboxed';

export async function bridge(): Promise<boolean> {
  const host = await Netns.create('nsnet-example-host');
  const containers: Netns[] = [];
  const servers: TcpServer[] = [];
  try {
    const h = await host.handle();
    const br = await h.linkAdd({ kind: 'bridge', name: 'br0', up: true });
    await h.addrAdd(br.index, '10.201.0.1/24');
    const ips: string[] = [];
    for (let i = 1; i <= 3; i++) {
      const c = await Netns.create(`nsnet-example-c${i}`);
      containers.push(c);
      const hostEnd = await h.linkAdd({ kind: 'veth', name: `veth-c${i}`, peer: { name: 'eth0', netns: c } });
      await h.linkSet(hostEnd.index, { master: br.index, up: true });
      const hc = await c.handle();
      const ip = `10.201.0.${10 + i}`;
      await hc.linkSet('lo', { up: true });
      await hc.linkSet('eth0', { up: true });
      await hc.addrAdd('eth0', `${ip}/24`);
      await hc.routeAdd({ dst: 'default', gateway: '10.201.0.1' });
      ips.push(ip);
      servers.push(await startTcpServer(c, ip, 7000, `c${i}`));
    }
    const checks: Check[] = [];
    for (let from = 0; from < 3; from++) {
      for (let to = 0; to < 3; to++) {
        if (from === to) continue;
        const r = await tcpRequest(containers[from]!, ips[to]!, 7000, { line: `from c${from + 1}` });
        checks.push({
          what: `c${from + 1} -> c${to + 1} (${ips[to]}:7000)`,
          ok: r.reply === `c${to + 1}:from c${from + 1}` && r.local === ips[from],
          detail: r.reply ?? r.error ?? '',
        });
      }
    }
    return printChecks('three namespaces on one bridge', checks);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    for (const c of containers) await c.delete();
    await host.delete();
  }
}

if (require.main === module) runSandboxed(bridge);
