/**
 * Examples touch nothing outside namespaces they create. When started directly (not
 * through `npm run demo`), they re-run themselves inside scripts/sandbox: a private
 * network + mount namespace, so even their named namespaces vanish with them.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** Runs `main` inside the sandbox; exits with its result (0 ok, 1 failed). */
export function runSandboxed(main: () => Promise<boolean>): void {
  if (process.env.NSNET_SANDBOXED !== '1') {
    const sandbox = path.resolve(__dirname, '..', '..', '..', 'scripts', 'sandbox');
    const result = spawnSync(sandbox, [process.execPath, ...process.argv.slice(1)], { stdio: 'inherit' });
    process.exit(result.status ?? 1);
  }
  main().then(
    (ok) => process.exit(ok ? 0 : 1),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

/** One checked fact for the table an example prints. */
export interface Check {
  what: string;
  ok: boolean;
  detail: string;
}

export function printChecks(title: string, checks: readonly Check[]): boolean {
  console.log(`\n${title}`);
  const width = Math.max(...checks.map((c) => c.what.length));
  for (const c of checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.what.padEnd(width)}  ${c.detail}`);
  return checks.every((c) => c.ok);
}
