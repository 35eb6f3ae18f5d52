/**
 * The workload every tool in bench/compare runs, and the contract a tool implements.
 *
 * N container namespaces (made before timing, as a runtime makes them before it asks for
 * networking), each attached in bridge mode to one bridge and one /16 with one published
 * TCP port (host 20000+i → 80) and outbound masquerade; then all torn down. Each trial
 * runs in a fresh namespace that plays the host, with a client namespace beside it:
 *
 *   client (192.0.2.2) ── cmpup0 (192.0.2.1) ── host ── cmpbr0 (10.88.0.1/16) ── eth0 in cmpc<i>
 *
 * Only TEST-NET-1 and 10.88/16 are used, only inside namespaces the harness made.
 */
import { median } from '../support/floor';

export type ToolName = 'nsnet' | 'netavark' | 'cni' | 'shell' | 'floor';

export const TOOL_NAMES: readonly ToolName[] = ['nsnet', 'netavark', 'cni', 'shell', 'floor'];

export const NETWORK = {
  name: 'cmp',
  bridge: 'cmpbr0',
  subnet: '10.88.0.0/16',
  gateway: '10.88.0.1',
  prefixLength: 16,
} as const;

/** Container i's namespace is /run/netns/cmpc<i>. */
export const NETNS_PREFIX = 'cmpc';
export const HOST_PORT_BASE = 20000;
export const CONTAINER_PORT = 80;

/** The client's side of the world (TEST-NET-1): a veth from the host to the client namespace. */
export const CLIENT = { netns: 'cmpclient', hostIf: 'cmpup0', host: '192.0.2.1', client: '192.0.2.2', prefixLength: 24 } as const;

export function netnsName(i: number): string {
  return `${NETNS_PREFIX}${i}`;
}

export function netnsPath(i: number): string {
  return `/run/netns/${netnsName(i)}`;
}

export function hostPort(i: number): number {
  return HOST_PORT_BASE + i;
}

/** 10.88.0.2 + i: what the baselines and netavark (static IPs, as Podman hands it) use. */
export function plannedAddress(i: number): string {
  const n = (10 << 24) + (88 << 16) + 2 + i;
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** A 64-hex container ID derived from the index (netavark and CNI want one). */
export function containerId(i: number): string {
  return `c0ffee${i.toString(16).padStart(10, '0')}`.padEnd(64, '0');
}

export interface Timing {
  totalMs: number;
  /** Per container, when the tool works one container at a time. */
  eachMs?: number[];
}

export interface TrialContext {
  n: number;
  /** A private temporary directory for this trial (configs, state, data dirs). */
  dir: string;
}

/**
 * One tool. prepare/dispose are untimed; setup and teardown are what the table shows.
 * A per-container tool reports each container's time, a bulk tool only the total.
 */
export interface Tool {
  readonly name: ToolName;
  /** How it is driven, for the report. */
  readonly description: string;
  /** Which firewall oracle shows its DNAT: nft's JSON, iptables-save, or none (the floor). */
  readonly firewall: 'nft' | 'iptables' | 'none';
  /** Undefined if it can run here, else what is missing. */
  missing(): string | undefined;
  /** Version string for the report (no paths). */
  version(): string;
  prepare(ctx: TrialContext): Promise<void>;
  setup(ctx: TrialContext): Promise<Timing>;
  /** Container i's address after setup. */
  address(i: number): string;
  teardown(ctx: TrialContext): Promise<Timing>;
  /** What the tool's own state still holds after teardown (leases, records), as messages. */
  leftovers(ctx: TrialContext): Promise<string[]>;
  dispose(ctx: TrialContext): Promise<void>;
}

export interface Verification {
  /** Container indices checked. */
  sample: number[];
  /** What was checked and held. */
  passed: string[];
  /** What was checked and did not hold. */
  failed: string[];
  /** Checks that do not apply to this tool. */
  notApplicable: string[];
}

export interface TrialResult {
  tool: ToolName;
  n: number;
  setupMs: number;
  teardownMs: number;
  setupEachMs?: number[];
  teardownEachMs?: number[];
  afterSetup: Verification;
  /** After teardown: what was left (empty = nothing). */
  leftovers: string[];
}

/**
 * Growth of the per-container cost: the median of the last 10% of per-container times
 * over that of the first 10%. Null below N = 10, where a tenth is one noisy sample.
 */
export function growthOf(each: readonly number[] | undefined): number | null {
  if (!each || each.length < 10) return null;
  const tenth = Math.floor(each.length / 10);
  return median(each.slice(-tenth)) / median(each.slice(0, tenth));
}
