/**
 * The CNI reference plugins in bench/compare, driven the way a CRI runtime drives them
 * through a network configuration list: bridge (with host-local IPAM, which the bridge
 * plugin runs itself) then portmap, per container, CNI_COMMAND=ADD; DEL in reverse order
 * with the ADD result as prevResult. The chain executor below follows the CNI spec
 * (1.0): each plugin gets the list's name and cniVersion, the previous plugin's result
 * and the runtimeConfig keys its capabilities ask for (portMappings).
 * host-local keeps its leases in a temporary dataDir; the plugins program the firewall
 * through the iptables binary (nf_tables-backed here).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { commandPath, PEER_ENV } from './peers';
import { CONTAINER_PORT, containerId, hostPort, NETWORK, netnsPath, type Timing, type Tool, type TrialContext } from './workload';

const PLUGINS = ['bridge', 'host-local', 'portmap'];
const CANDIDATES = ['/usr/lib/cni', '/opt/cni/bin', '/usr/libexec/cni'];

export function cniPath(): string | undefined {
  const env = process.env.NSNET_BENCH_CNI_PATH;
  const dirs = env ? [env] : CANDIDATES;
  return dirs.find((d) => PLUGINS.every((p) => fs.existsSync(path.join(d, p))));
}

// ── a minimal CNI chain executor ───────────────────────────────────────────────────────

export interface CniPluginConf {
  type: string;
  capabilities?: Record<string, boolean>;
  [key: string]: unknown;
}

export interface CniConfList {
  cniVersion: string;
  name: string;
  plugins: CniPluginConf[];
}

/** What the runtime knows about one attachment. */
export interface CniRuntime {
  containerId: string;
  netns: string;
  ifname: string;
  /** Capability arguments (portMappings, …); each plugin sees the ones it declares. */
  capabilityArgs: Record<string, unknown>;
}

export class CniError extends Error {
  constructor(
    message: string,
    readonly code: number | undefined,
  ) {
    super(message);
  }
}

/** The config one plugin gets on stdin (spec: "Deriving execution configuration from the network configuration"). */
export function cniPluginInput(list: CniConfList, plugin: CniPluginConf, rt: CniRuntime, prevResult: unknown): string {
  const { capabilities, ...rest } = plugin;
  const conf: Record<string, unknown> = { ...rest, name: list.name, cniVersion: list.cniVersion };
  const runtimeConfig: Record<string, unknown> = {};
  for (const [cap, on] of Object.entries(capabilities ?? {})) {
    if (on && rt.capabilityArgs[cap] !== undefined) runtimeConfig[cap] = rt.capabilityArgs[cap];
  }
  if (Object.keys(runtimeConfig).length) conf.runtimeConfig = runtimeConfig;
  if (prevResult !== undefined) conf.prevResult = prevResult;
  return JSON.stringify(conf);
}

function execPlugin(binDir: string, command: 'ADD' | 'DEL', list: CniConfList, plugin: CniPluginConf, rt: CniRuntime, prevResult: unknown): unknown {
  const env = {
    ...PEER_ENV,
    CNI_COMMAND: command,
    CNI_CONTAINERID: rt.containerId,
    CNI_NETNS: rt.netns,
    CNI_IFNAME: rt.ifname,
    CNI_PATH: binDir,
  };
  const r = spawnSync(path.join(binDir, plugin.type), [], { input: cniPluginInput(list, plugin, rt, prevResult), env, encoding: 'utf8' });
  if (r.status !== 0) {
    // Spec: on failure the plugin prints {"code", "msg", "details"} on stdout.
    let detail = (r.stderr || r.stdout || '').trim();
    let code: number | undefined;
    try {
      const e = JSON.parse(r.stdout) as { code?: number; msg?: string; details?: string };
      code = e.code;
      detail = [e.msg, e.details].filter(Boolean).join(': ');
    } catch {
      /* not JSON */
    }
    throw new CniError(`CNI ${command} ${plugin.type} (${rt.containerId.slice(0, 12)}) failed: ${detail || `exit ${r.status ?? r.signal}`}`, code);
  }
  return command === 'ADD' ? JSON.parse(r.stdout) : undefined;
}

/** ADD through the chain; the last plugin's result is the attachment's result. */
export function cniAdd(binDir: string, list: CniConfList, rt: CniRuntime): unknown {
  let result: unknown;
  for (const plugin of list.plugins) result = execPlugin(binDir, 'ADD', list, plugin, rt, result);
  return result;
}

/** DEL through the chain in reverse, each plugin given the cached ADD result. */
export function cniDel(binDir: string, list: CniConfList, rt: CniRuntime, cached: unknown): void {
  for (const plugin of [...list.plugins].reverse()) execPlugin(binDir, 'DEL', list, plugin, rt, cached);
}

// ── the tool ───────────────────────────────────────────────────────────────────────────

export function confList(dataDir: string): CniConfList {
  return {
    cniVersion: '1.0.0',
    name: NETWORK.name,
    plugins: [
      {
        type: 'bridge',
        bridge: NETWORK.bridge,
        isGateway: true,
        ipMasq: true,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: NETWORK.subnet, gateway: NETWORK.gateway }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir,
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
}

interface Cni100Result {
  ips?: Array<{ address: string }>;
}

export class CniTool implements Tool {
  readonly name = 'cni';
  readonly description = 'conflist bridge (+ host-local) → portmap, one ADD/DEL chain per container (bench/compare/cni.ts executes it)';
  readonly firewall = 'iptables';
  private binDir = '';
  private dataDir = '';
  private list: CniConfList | undefined;
  private runtimes: CniRuntime[] = [];
  private results: unknown[] = [];

  missing(): string | undefined {
    const dir = cniPath();
    if (!dir) return `CNI plugins ${PLUGINS.join(', ')} not found (${CANDIDATES.join(' or ')}; Debian package containernetworking-plugins)`;
    if (!commandPath('iptables')) return 'iptables not found (the bridge and portmap plugins need it; Debian package iptables)';
    this.binDir = dir;
    return undefined;
  }

  version(): string {
    // The plugins print "CNI bridge plugin vX" when run without a command; Debian's
    // build says "version unknown", so ask the package manager then.
    const about = spawnSync(path.join(cniPath()!, 'bridge'), [], { env: PEER_ENV, input: '', encoding: 'utf8' }).stderr.split('\n')[0]?.trim() ?? '';
    if (about && !about.includes('unknown')) return about;
    const dpkg = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'containernetworking-plugins'], { env: PEER_ENV, encoding: 'utf8' });
    return dpkg.status === 0 && dpkg.stdout ? `containernetworking-plugins ${dpkg.stdout.trim()}` : about || 'CNI plugins (version unknown)';
  }

  async prepare(ctx: TrialContext): Promise<void> {
    this.dataDir = path.join(ctx.dir, 'cni-data');
    fs.mkdirSync(this.dataDir);
    this.list = confList(this.dataDir);
    this.runtimes = Array.from({ length: ctx.n }, (_, i) => ({
      containerId: containerId(i),
      netns: netnsPath(i),
      ifname: 'eth0',
      capabilityArgs: { portMappings: [{ hostPort: hostPort(i), containerPort: CONTAINER_PORT, protocol: 'tcp' }] },
    }));
  }

  async setup(ctx: TrialContext): Promise<Timing> {
    const eachMs: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < ctx.n; i++) {
      const c0 = performance.now();
      this.results.push(cniAdd(this.binDir, this.list!, this.runtimes[i]!));
      eachMs.push(performance.now() - c0);
    }
    return { totalMs: performance.now() - t0, eachMs };
  }

  address(i: number): string {
    const ip = (this.results[i] as Cni100Result | undefined)?.ips?.[0]?.address;
    return ip ? ip.split('/')[0]! : '?';
  }

  async teardown(ctx: TrialContext): Promise<Timing> {
    const eachMs: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < ctx.n; i++) {
      const c0 = performance.now();
      cniDel(this.binDir, this.list!, this.runtimes[i]!, this.results[i]);
      eachMs.push(performance.now() - c0);
    }
    return { totalMs: performance.now() - t0, eachMs };
  }

  async leftovers(): Promise<string[]> {
    // host-local keeps one file per leased address (named by it) plus its bookkeeping.
    const dir = path.join(this.dataDir, NETWORK.name);
    const leases = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f !== 'lock' && !f.startsWith('last_reserved_ip')) : [];
    return leases.length ? [`host-local dataDir still holds ${leases.length} lease(s): ${leases.slice(0, 3).join(', ')}`] : [];
  }

  async dispose(): Promise<void> {}
}
