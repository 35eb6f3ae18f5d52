/**
 * `npm run bench`: every benchmark, inside the sandbox, each printing a markdown table
 * with nsnet's figures next to baselines measured in the same run. The comparison with
 * netavark and the CNI plugins (bench/compare) comes last and writes its raw figures to
 * bench/results/latest.json; scripts/bench-peers installs those tools beforehand.
 */
import { spawnSync } from 'node:child_process';
import { benchCompare, defaultCompareOptions, renderTable } from './compare';
import { benchDns } from './dns';
import { benchFirewall } from './firewall';
import { benchIpam } from './ipam';
import { benchLinks, linksReps } from './links';
import { benchRuntime } from './runtime';
import { cpuTimes, describeCpuSince, requireSandbox } from './support/floor';

/** Each part prints its table; `quick` shortens it. */
const PARTS: Record<string, (quick: boolean) => Promise<string>> = {
  links: async (quick) =>
    `### links: namespace + veth + address + route per object\n\n${await benchLinks(quick ? [1, 100] : [1, 100, 1000], linksReps)}\n`,
  ipam: async (quick) => `### IPAM\n\n${await benchIpam(quick)}\n`,
  firewall: async (quick) => `### firewall: publishing one port, endpoint #1 vs #1,000, and nft -f\n\n${await benchFirewall(1000, quick ? 51 : 201)}\n`,
  runtime: async (quick) => `### runtime: containers with one published port on one bridge network\n\n${await benchRuntime(quick ? [1, 50] : [1, 50, 200, 500])}\n`,
  dns: async (quick) => `### dns: embedded resolver vs aardvark-dns\n\n${await benchDns(quick ? 100 : 1000, quick ? 1000 : 3000)}\n`,
  compare: async (quick) =>
    `### compare: nsnet, netavark, CNI plugins, shell, C floor — bridge + published port + masquerade\n\n${renderTable(await benchCompare(defaultCompareOptions(quick)))}\n`,
};

/**
 * Every part in a process of its own, one after the other, as a runtime is one process:
 * in a shared one, V8's code for the library would be trained (and its heap grown) by the
 * parts before — the IPAM part's 60,000 leases, the firewall's thousands of endpoints —
 * and each part would measure that mix rather than its own workload.
 */
async function main(): Promise<void> {
  requireSandbox();
  const quick = process.argv.includes('--quick');
  const at = process.argv.indexOf('--part');
  if (at >= 0) {
    const part = process.argv[at + 1];
    const run = part === undefined ? undefined : PARTS[part];
    if (!run) throw new Error(`--part: expected one of ${Object.keys(PARTS).join(', ')}`);
    console.log(await run(quick));
    return;
  }
  for (const name of Object.keys(PARTS)) {
    const args = [...process.execArgv, __filename, '--part', name, ...(quick ? ['--quick'] : [])];
    const [t0, cpu0] = [Date.now(), cpuTimes()];
    const status = spawnSync(process.execPath, args, { stdio: 'inherit' }).status;
    if (status !== 0) throw new Error(`bench part ${name} failed (exit status ${status})`);
    // Figures of one part move with the host's load: say what it was.
    console.log(`(${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s, ${describeCpuSince(cpu0)})\n`);
  }
}

main().then(
  // Exit explicitly: a part may leave handles open (sockets of servers it stopped).
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
