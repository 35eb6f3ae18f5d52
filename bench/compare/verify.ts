/**
 * Independent witnesses for bench/compare: iproute2's JSON, `nft -j`, `iptables-save`
 * and real TCP connections — never a tool's own account of what it did. Run inside the
 * trial's host namespace (the process's own), so plain `ip`/`nft` see the host.
 */
import { execFileSync } from 'node:child_process';
import { Netns, startTcpServer, tcpRequest } from '../../lib';
import { CLIENT, CONTAINER_PORT, hostPort, NETWORK, netnsName, type Tool, type TrialContext, type Verification } from './workload';

function run(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

function ipJson<T = any>(...args: string[]): T {
  const out = run('ip', ['-j', ...args]);
  return (out.trim() ? JSON.parse(out) : []) as T;
}

function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Every string and number anywhere in a JSON value, as strings. */
function tokens(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string' || typeof value === 'number') into.add(String(value));
  else if (Array.isArray(value)) for (const v of value) tokens(v, into);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) tokens(v, into);
  return into;
}

type NftObject = Record<string, any>;

function nftRuleset(): NftObject[] {
  const out = JSON.parse(run('nft', ['-j', 'list', 'ruleset'])) as { nftables: NftObject[] };
  return out.nftables.filter((o) => !('metainfo' in o));
}

/**
 * Does the nf_tables ruleset send host port `port` to `address`? Either a map element
 * (nsnet's and the shell's dnat maps) or a rule that names both.
 */
function nftHasDnat(ruleset: NftObject[], address: string, port: number): boolean {
  for (const o of ruleset) {
    const units: unknown[] = o.map?.elem ?? (o.rule ? [o.rule] : []);
    for (const u of units) {
      const t = tokens(u);
      if (t.has(address) && t.has(String(port))) return true;
    }
  }
  return false;
}

function iptablesNat(): string {
  return run('iptables-save', ['-t', 'nat']);
}

/** An iptables DNAT rule for the port that goes to address:80 (netavark's and the portmap plugin's). */
function iptablesHasDnat(save: string, address: string, port: number): boolean {
  return save
    .split('\n')
    .some((l) => new RegExp(`--dport ${port}\\b`).test(l) && l.includes(`--to-destination ${address}:${CONTAINER_PORT}`));
}

/** The sample of containers checked: first, middle, last. */
export function sampleOf(n: number): number[] {
  return [...new Set([0, Math.floor(n / 2), n - 1])];
}

/**
 * After setup: the sample's address and default route (ip -j in the container), the
 * bridge's ports, the DNAT in the firewall, a TCP connection from the client through the
 * published port to a server in the container, and the container reaching the client
 * masqueraded behind the host's address.
 */
export async function verifySetup(tool: Tool, n: number): Promise<Verification> {
  const v: Verification = { sample: sampleOf(n), passed: [], failed: [], notApplicable: [] };
  const check = (ok: boolean, what: string): void => {
    (ok ? v.passed : v.failed).push(what);
  };

  const ports = ipJson<Array<{ ifname: string }>>('link', 'show', 'master', NETWORK.bridge);
  check(ports.length === n, `${NETWORK.bridge} has ${n} ports (has ${ports.length})`);

  const ruleset = tool.firewall === 'nft' ? nftRuleset() : undefined;
  const save = tool.firewall === 'iptables' ? iptablesNat() : undefined;
  const client = await Netns.open(`/run/netns/${CLIENT.netns}`);
  // A server in the client namespace answers "out:<the address it saw>": masquerade check.
  const outside = await startTcpServer(client, CLIENT.client, 7000, 'out');
  try {
    for (const i of v.sample) {
      const name = netnsName(i);
      const address = tool.address(i);
      const addrs = ipJson<Array<{ addr_info: Array<{ family: string; local: string; prefixlen: number }> }>>('-n', name, 'addr', 'show', 'dev', 'eth0');
      const v4 = addrs[0]?.addr_info.find((a) => a.family === 'inet');
      check(v4?.local === address && v4.prefixlen === NETWORK.prefixLength, `#${i}: eth0 has ${address}/${NETWORK.prefixLength} (ip -j addr: ${v4 ? `${v4.local}/${v4.prefixlen}` : 'none'})`);
      const routes = ipJson<Array<{ dst: string; gateway?: string; dev: string }>>('-n', name, 'route', 'show', 'default');
      check(
        routes.some((r) => r.gateway === NETWORK.gateway && r.dev === 'eth0'),
        `#${i}: default via ${NETWORK.gateway} dev eth0 (ip -j route)`,
      );

      if (ruleset) check(nftHasDnat(ruleset, address, hostPort(i)), `#${i}: DNAT ${hostPort(i)} → ${address}:${CONTAINER_PORT} (nft -j list ruleset)`);
      else if (save !== undefined) check(iptablesHasDnat(save, address, hostPort(i)), `#${i}: DNAT ${hostPort(i)} → ${address}:${CONTAINER_PORT} (iptables-save -t nat)`);
      else v.notApplicable.push(`#${i}: DNAT (no firewall)`);

      const ns = await Netns.open(`/run/netns/${name}`);
      const server = await startTcpServer(ns, '0.0.0.0', CONTAINER_PORT, `c${i}`);
      try {
        if (tool.firewall !== 'none') {
          const r = await tcpRequest(client, CLIENT.host, hostPort(i), { timeoutMs: 3000 });
          check(r.reply === `c${i}:ping`, `#${i}: TCP client → ${CLIENT.host}:${hostPort(i)} reaches the container (${r.reply ?? r.error})`);
          const out = await tcpRequest(ns, CLIENT.client, 7000, { line: 'whoami', timeoutMs: 3000 });
          check(out.reply === `out:${CLIENT.host}`, `#${i}: container → client masqueraded as ${CLIENT.host} (${out.reply ?? out.error})`);
        } else {
          const r = await tcpRequest(client, address, CONTAINER_PORT, { timeoutMs: 3000 });
          check(r.reply === `c${i}:ping`, `#${i}: TCP client → ${address}:${CONTAINER_PORT} directly (${r.reply ?? r.error})`);
          v.notApplicable.push(`#${i}: published port and masquerade (no firewall)`);
        }
      } finally {
        await server.stop();
        ns.close();
      }
    }
  } finally {
    await outside.stop();
    client.close();
  }
  return v;
}

/**
 * After teardown, nothing may be left: no veth in the host but the client's, nothing but
 * lo in the sample's namespaces, no rule, map element or chain naming a container's
 * address or published port in nf_tables or iptables, and nothing in the tool's own state.
 */
export async function leftoversAfterTeardown(tool: Tool, ctx: TrialContext): Promise<string[]> {
  const { n } = ctx;
  const left: string[] = [];
  const veths = ipJson<Array<{ ifname: string }>>('link', 'show', 'type', 'veth').filter((l) => l.ifname !== CLIENT.hostIf);
  if (veths.length) left.push(`${veths.length} veth(s) in the host: ${veths.slice(0, 3).map((l) => l.ifname).join(', ')}…`);
  for (const i of sampleOf(n)) {
    const links = ipJson<Array<{ ifname: string }>>('-n', netnsName(i), 'link').filter((l) => l.ifname !== 'lo');
    if (links.length) left.push(`#${i}: links in the container: ${links.map((l) => l.ifname).join(', ')}`);
  }
  const wanted = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    wanted.set(tool.address(i), `address of #${i}`);
    wanted.set(String(hostPort(i)), `host port of #${i}`);
  }
  const nftTokens = tokens(nftRuleset());
  const hits = [...wanted].filter(([t]) => nftTokens.has(t)).map(([, what]) => what);
  if (hits.length) left.push(`nf_tables still names ${hits.length} container item(s): ${hits.slice(0, 3).join(', ')}…`);
  if (hasCommand('iptables-save')) {
    const words = new Set(iptablesNat().split(/[\s:/,"]+/));
    const ipt = [...wanted].filter(([t]) => words.has(t)).map(([, what]) => what);
    if (ipt.length) left.push(`iptables nat still names ${ipt.length} container item(s): ${ipt.slice(0, 3).join(', ')}…`);
  }
  left.push(...(await tool.leftovers(ctx)));
  return left;
}
