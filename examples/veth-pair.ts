/**
 * The classic `ip netns` + veth walkthrough, done through nsnet:
 *
 *   ip netns add a; ip netns add b
 *   ip -n a link add veth-a type veth peer name veth-b netns b
 *   ip -n a addr add 10.200.0.1/24 dev veth-a; ip -n b addr add 10.200.0.2/24 dev veth-b
 *   ip -n a link set veth-a up; ip -n b link set veth-b up
 *
 * then a real TCP exchange from a to a server in b.
 */
import { Netns, startTcpServer, tcpRequest, type TcpServer } from '../lib';
import { printChecks, runSandboxed, type Check } from './support/sandboxed';

export async function vethPair(): Promise<boolean> {
  const a = await Netns.create('nsnet-example-a');
  const b = await Netns.create('nsnet-example-b');
  let server: TcpServer | undefined;
  try {
    const ha = await a.handle();
    const hb = await b.handle();
    // One request: the peer is created inside b under its final name.
    await ha.linkAdd({ kind: 'veth', name: 'veth-a', up: true, peer: { name: 'veth-b', netns: b } });
    await ha.addrAdd('veth-a', '10.200.0.1/24');
    await hb.addrAdd('veth-b', '10.200.0.2/24');
    await hb.linkSet('veth-b', { up: true });

    server = await startTcpServer(b, '10.200.0.2', 7000, 'b');
    const reply = await tcpRequest(a, '10.200.0.2', 7000, { line: 'hello over veth' });
    const checks: Check[] = [
      { what: 'a -> b:7000 over the veth pair', ok: reply.reply === 'b:hello over veth', detail: reply.reply ?? reply.error ?? '' },
      { what: 'source address seen by a', ok: reply.local === '10.200.0.1', detail: reply.local ?? '' },
    ];
    return printChecks('veth pair between two namespaces', checks);
  } finally {
    await server?.stop();
    await a.delete();
    await b.delete();
  }
}

if (require.main === module) runSandboxed(vethPair);
