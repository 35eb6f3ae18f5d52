/**
 * bench/compare: nsnet side by side with netavark, the CNI plugins (bridge + host-local +
 * portmap), a shell script (ip -batch + nft -f) and the C floor, on one workload (see
 * workload.ts), in one run. Each trial — one tool, one N — runs in a child process
 * started inside a fresh namespace that plays the host, so no tool sees another's rules
 * or links; the harness waits for the machine to quiet down between trials. Several
 * repetitions; the table shows medians and ratios to nsnet from the same run, and the raw
 * figures go to bench/results/latest.json.
 *
 * Usage (inside the sandbox): node dist/bench/compare [--quick] [--reps R] [--single-reps R] [--sizes 1,50]
 *   [--tools nsnet,cni] [--peer-max-n N|none] [--peer-reps-from N:R|all] [--settle-ms MS] [--json FILE]
 * `--peer-max-n N|none` caps N for netavark and CNI, and `--peer-reps-from N:R|all` runs
 * them only R repetitions from N up (one process per container takes minutes at N = 200
 * on a small machine; both limits are printed under the table). Defaults: N = 1, 50, 200,
 * 500, 3 repetitions (9 at N = 1, `--single-reps`), peers up to N = 200 with 1 repetition
 * there; --quick: N = 1, 50, 3 repetitions.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Netns } from '../../lib';
import { execJson } from '../support/child';
import { buildFloor, median, requireSandbox, settle, SINGLE_CONTAINER_REPS } from '../support/floor';
import { makeTool } from './tools';
import { growthOf, TOOL_NAMES, type ToolName, type TrialResult } from './workload';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const PEERS: readonly ToolName[] = ['netavark', 'cni'];

export interface CompareOptions {
  sizes: number[];
  reps: number;
  tools?: readonly ToolName[];
  /** netavark and CNI run only up to this N. */
  peerMaxN?: number;
  /** From this N up, netavark and CNI run only `reps` repetitions (each takes minutes). */
  peerFewerReps?: { fromN: number; reps: number };
  /** At least this many repetitions at N = 1 (see SINGLE_CONTAINER_REPS). */
  singleReps?: number;
  /** At most this long, wait before each trial for the machine to quiet down (0: don't). */
  settleMs?: number;
  /** Where the raw figures go; undefined: nowhere. */
  jsonFile?: string;
  log?: (line: string) => void;
}

export interface SummaryRow {
  tool: ToolName;
  n: number;
  reps: number;
  setupMsPerContainer: number;
  setupMinMax: [number, number];
  teardownMsPerContainer: number;
  /** Median of last-10% over median of first-10% per-container setup; null when not measurable. */
  growth: number | null;
  setupVsNsnet: number | null;
  teardownVsNsnet: number | null;
  verified: boolean;
  nothingLeft: boolean;
  failures: string[];
}

export interface CompareReport {
  generated: string;
  machine: { kernel: string; cpus: number; cpuModel: string; node: string; loadAverage: number[] };
  options: { sizes: number[]; reps: number; singleReps: number | null; peerMaxN: number | null; peerFewerReps: { fromN: number; reps: number } | null };
  versions: Partial<Record<ToolName, string>>;
  descriptions: Partial<Record<ToolName, string>>;
  skipped: string[];
  summary: SummaryRow[];
  trials: TrialResult[];
}

/** Runs one trial in a fresh host namespace (and private mount namespace, own /sys). */
async function trialInChild(tool: ToolName, n: number, env: NodeJS.ProcessEnv): Promise<TrialResult> {
  const hostNs = await Netns.create(`cmph${process.pid}`);
  const etcDir = fs.mkdtempSync(path.join(process.env.NSNET_STATE_DIR ?? os.tmpdir(), 'cmp-etc-'));
  try {
    return await execJson<TrialResult>(hostNs, `trial ${tool} N=${n}`, process.execPath, [path.join(__dirname, 'trial.js'), tool, String(n)], {
      etcDir,
      env,
    });
  } finally {
    await hostNs.delete();
    fs.rmSync(etcDir, { recursive: true, force: true });
    // A trial that died leaves empty namespace files (its bind mounts died with it).
    for (const f of fs.readdirSync('/run/netns')) if (/^cmpc(\d+|lient)$/.test(f)) fs.rmSync(path.join('/run/netns', f), { force: true });
  }
}

function summarise(tool: ToolName, n: number, trials: TrialResult[], nsnet: SummaryRow | undefined): SummaryRow {
  const setups = trials.map((t) => t.setupMs / n);
  const growths = trials.map((t) => growthOf(t.setupEachMs)).filter((g): g is number => g !== null);
  const failures = trials.flatMap((t) => [...t.afterSetup.failed, ...t.leftovers]);
  const row: SummaryRow = {
    tool,
    n,
    reps: trials.length,
    setupMsPerContainer: median(setups),
    setupMinMax: [Math.min(...setups), Math.max(...setups)],
    teardownMsPerContainer: median(trials.map((t) => t.teardownMs / n)),
    growth: growths.length ? median(growths) : null,
    setupVsNsnet: null,
    teardownVsNsnet: null,
    verified: trials.every((t) => t.afterSetup.failed.length === 0 && t.afterSetup.passed.length > 0),
    nothingLeft: trials.every((t) => t.leftovers.length === 0),
    failures: [...new Set(failures)],
  };
  if (nsnet) {
    row.setupVsNsnet = row.setupMsPerContainer / nsnet.setupMsPerContainer;
    row.teardownVsNsnet = row.teardownMsPerContainer / nsnet.teardownMsPerContainer;
  }
  return row;
}

function fmt(x: number | null, digits = 2): string {
  if (x === null || !Number.isFinite(x)) return '–';
  if (x >= 100) return x.toFixed(0);
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(digits);
}

export function renderTable(report: CompareReport): string {
  const lines = [
    '| N | tool | reps | setup ms/container | spread (min–max) | growth last/first 10% | teardown ms/container | setup ÷ nsnet | teardown ÷ nsnet | verified | nothing left |',
    '|---:|:---|---:|---:|---:|---:|---:|---:|---:|:---:|:---:|',
  ];
  for (const r of report.summary) {
    lines.push(
      `| ${r.n} | ${r.tool} | ${r.reps} | ${fmt(r.setupMsPerContainer)} | ${fmt(r.setupMinMax[0])}–${fmt(r.setupMinMax[1])} | ${fmt(r.growth)} | ${fmt(r.teardownMsPerContainer)} | ${r.tool === 'nsnet' ? '1' : fmt(r.setupVsNsnet)} | ${r.tool === 'nsnet' ? '1' : fmt(r.teardownVsNsnet)} | ${r.verified ? 'yes' : 'NO'} | ${r.nothingLeft ? 'yes' : 'NO'} |`,
    );
  }
  const notes = [
    '',
    `Medians of the repetitions shown; ${report.machine.cpus} CPUs, kernel ${report.machine.kernel}, load average at start ${report.machine.loadAverage.map((l) => l.toFixed(1)).join(' ')}.`,
    ...report.skipped.map((s) => `Skipped: ${s}.`),
  ];
  const failed = report.summary.filter((r) => r.failures.length);
  for (const r of failed) notes.push(`${r.tool} N=${r.n}: ${r.failures.slice(0, 5).join('; ')}`);
  return [...lines, ...notes].join('\n');
}

export async function benchCompare(options: CompareOptions): Promise<CompareReport> {
  const log = options.log ?? ((line: string) => console.error(line));
  const skipped: string[] = [];
  const tools: ToolName[] = [];
  const versions: CompareReport['versions'] = {};
  const descriptions: CompareReport['descriptions'] = {};
  for (const name of options.tools ?? TOOL_NAMES) {
    const tool = makeTool(name);
    const missing = tool.missing();
    if (missing) {
      skipped.push(`${name} (${missing})`);
      continue;
    }
    tools.push(name);
    versions[name] = tool.version();
    descriptions[name] = tool.description;
  }
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (tools.includes('floor')) env.NSNET_BENCH_FLOOR = buildFloor('compare');
  const capped = (tool: ToolName, n: number): boolean => PEERS.includes(tool) && options.peerMaxN !== undefined && n > options.peerMaxN;
  const fewer = options.peerFewerReps;
  const repsAt = (n: number): number => (n === 1 ? Math.max(options.reps, options.singleReps ?? 0) : options.reps);
  const runs = (tool: ToolName, n: number, rep: number): boolean =>
    rep < repsAt(n) && !capped(tool, n) && !(PEERS.includes(tool) && fewer && n >= fewer.fromN && rep >= fewer.reps);
  for (const name of tools.filter((t) => PEERS.includes(t))) {
    const over = options.sizes.filter((n) => capped(name, n));
    if (over.length) skipped.push(`${name} at N=${over.join(', ')} (capped at N=${options.peerMaxN}: one process per container makes it take minutes)`);
    const less = fewer && fewer.reps < options.reps ? options.sizes.filter((n) => n >= fewer.fromN && !capped(name, n)) : [];
    if (less.length) skipped.push(`${name} at N=${less.join(', ')}: repetitions beyond ${fewer!.reps} (minutes each)`);
  }

  for (const s of skipped) log(`compare: skipping ${s}`);
  const trials: TrialResult[] = [];
  const loadAverage = os.loadavg();
  const mostReps = Math.max(...options.sizes.map(repsAt));
  for (let rep = 0; rep < mostReps; rep++) {
    for (const n of options.sizes) {
      // Rotate the order each repetition so no tool always runs right after another.
      const order = tools.map((_, k) => tools[(k + rep) % tools.length]!).filter((t) => runs(t, n, rep));
      for (const tool of order) {
        // Deleted namespaces are cleaned up by the kernel asynchronously for seconds after a
        // trial; on a machine others share it may never get quiet, hence the bound.
        if ((options.settleMs ?? 5000) > 0) await settle(options.settleMs ?? 5000);
        const t = await trialInChild(tool, n, env);
        trials.push(t);
        const bad = t.afterSetup.failed.length + t.leftovers.length;
        log(`compare rep ${rep + 1}/${repsAt(n)} N=${n} ${tool}: setup ${(t.setupMs / n).toFixed(2)} ms/container, teardown ${(t.teardownMs / n).toFixed(2)}${bad ? `, ${bad} CHECK(S) FAILED` : ''}`);
      }
    }
  }

  const summary: SummaryRow[] = [];
  for (const n of options.sizes) {
    const of = (tool: ToolName): TrialResult[] => trials.filter((t) => t.tool === tool && t.n === n);
    const nsnet = of('nsnet').length ? summarise('nsnet', n, of('nsnet'), undefined) : undefined;
    for (const tool of tools) {
      if (tool === 'nsnet' && nsnet) summary.push(nsnet);
      else if (of(tool).length) summary.push(summarise(tool, n, of(tool), nsnet));
    }
  }
  const cpus = os.cpus();
  const report: CompareReport = {
    generated: new Date().toISOString(),
    machine: { kernel: os.release(), cpus: cpus.length, cpuModel: cpus[0]?.model ?? '?', node: process.version, loadAverage },
    options: { sizes: options.sizes, reps: options.reps, singleReps: options.singleReps ?? null, peerMaxN: options.peerMaxN ?? null, peerFewerReps: options.peerFewerReps ?? null },
    versions,
    descriptions,
    skipped,
    summary,
    trials,
  };
  if (options.jsonFile) {
    fs.mkdirSync(path.dirname(options.jsonFile), { recursive: true });
    fs.writeFileSync(options.jsonFile, `${JSON.stringify(report, null, 1)}\n`);
  }
  return report;
}

/** `npm run bench`'s defaults: N = 1, 50, 200, 500 (1 and 50 with --quick). */
export function defaultCompareOptions(quick: boolean): CompareOptions {
  return {
    sizes: quick ? [1, 50] : [1, 50, 200, 500],
    reps: 3,
    singleReps: quick ? undefined : SINGLE_CONTAINER_REPS,
    peerMaxN: quick ? undefined : 200,
    peerFewerReps: quick ? undefined : { fromN: 200, reps: 1 },
    jsonFile: path.join(ROOT, 'bench', 'results', 'latest.json'),
  };
}

function parseArgs(argv: readonly string[]): CompareOptions {
  const opts = defaultCompareOptions(argv.includes('--quick'));
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const reps = value('--reps');
  if (reps) opts.reps = Number(reps);
  const singleReps = value('--single-reps');
  if (singleReps) opts.singleReps = Number(singleReps);
  const sizes = value('--sizes');
  if (sizes) opts.sizes = sizes.split(',').map(Number);
  const tools = value('--tools');
  if (tools) opts.tools = tools.split(',') as ToolName[];
  const cap = value('--peer-max-n');
  if (cap) opts.peerMaxN = cap === 'none' ? undefined : Number(cap);
  const peerReps = value('--peer-reps-from');
  if (peerReps) {
    // --peer-reps-from N:R (R repetitions for netavark and CNI from N up), or 'all'.
    const [fromN, r] = peerReps.split(':').map(Number);
    opts.peerFewerReps = peerReps === 'all' ? undefined : { fromN: fromN!, reps: r! };
  }
  const settleMs = value('--settle-ms');
  if (settleMs) opts.settleMs = Number(settleMs);
  const json = value('--json');
  if (json) opts.jsonFile = path.resolve(json);
  if (!opts.sizes.every((n) => Number.isInteger(n) && n >= 1) || !(opts.reps >= 1) || !(opts.singleReps === undefined || opts.singleReps >= 1)) throw new Error('bad --sizes, --reps or --single-reps');
  for (const t of opts.tools ?? []) if (!TOOL_NAMES.includes(t)) throw new Error(`unknown tool ${t} (${TOOL_NAMES.join(', ')})`);
  return opts;
}

if (require.main === module) {
  requireSandbox();
  Promise.resolve()
    .then(() => benchCompare(parseArgs(process.argv.slice(2))))
    .then(
      (report) => console.log(`\n### compare: N containers, bridge + published port + masquerade, per container\n\n${renderTable(report)}\n`),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
}
