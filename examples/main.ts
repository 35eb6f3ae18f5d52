/**
 * README's main job (`npm run demo`): Docker's four network modes and a user-defined
 * network, each checked with real traffic. Exits non-zero if any check failed.
 */
import { fourModes } from './four-modes';
import { runSandboxed } from './support/sandboxed';

runSandboxed(async () => {
  const ok = await fourModes();
  console.log(`\n${ok ? 'all checks passed' : 'SOME CHECKS FAILED'}`);
  return ok;
});
