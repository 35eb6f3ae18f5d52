/**
 * README's main job (`npm run demo`): every example, each checked with real traffic.
 * Exits non-zero if any check failed.
 */
import { bridge } from './bridge';
import { runSandboxed } from './support/sandboxed';
import { vethPair } from './veth-pair';

runSandboxed(async () => {
  const results = [await vethPair(), await bridge()];
  const ok = results.every(Boolean);
  console.log(`\n${ok ? 'all checks passed' : 'SOME CHECKS FAILED'}`);
  return ok;
});
