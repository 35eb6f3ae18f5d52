/**
 * `npm run bench`: every benchmark, inside the sandbox, each printing a markdown table
 * with nsnet's figures next to baselines measured in the same run. The comparison with
 * netavark and the CNI plugins (bench/compare) comes last and writes its raw figures to
 * bench/results/latest.json; scripts/bench-peers installs those tools beforehand.
 */
import { benchCompare, defaultCompareOptions, renderTable } from './compare';
import { benchDns } from './dns';
import { benchFirewall } from './firewall';
import { benchIpam } from './ipam';
import { benchLinks } from './links';
import { benchRuntime } from './runtime';
import { requireSandbox } from './support/floor';

async function main(): Promise<void> {
  requireSandbox();
  const quick = process.argv.includes('--quick');
  const sizes = quick ? [1, 100] : [1, 100, 1000];
  console.log(`### links: namespace + veth + address + route per object\n\n${await benchLinks(sizes, (n) => (n >= 1000 ? 1 : n >= 100 ? 3 : 11))}\n`);
  console.log(`### IPAM\n\n${await benchIpam(quick)}\n`);
  console.log(`### firewall: publishing one port, endpoint #1 vs #1,000, and nft -f\n\n${await benchFirewall(1000, quick ? 51 : 201)}\n`);
  console.log(`### runtime: containers with one published port on one bridge network\n\n${await benchRuntime(quick ? [1, 50] : [1, 50, 200, 500])}\n`);
  console.log(`### dns: embedded resolver vs aardvark-dns\n\n${await benchDns(quick ? 100 : 1000, quick ? 1000 : 3000)}\n`);
  const compare = await benchCompare(defaultCompareOptions(quick));
  console.log(`### compare: nsnet, netavark, CNI plugins, shell, C floor — bridge + published port + masquerade\n\n${renderTable(compare)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
