/**
 * Finding the peer tools and the environment they run with. Installing them is
 * scripts/bench-peers' job, before the sandbox (which has no network) is entered.
 */
import { execFileSync } from 'node:child_process';

/** PATH for the peers (the plugins and netavark run iptables by name); nothing else is passed on. */
export const PEER_ENV: NodeJS.ProcessEnv = {
  PATH: ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':'),
};

/** The command's path on PEER_ENV's PATH, or undefined. */
export function commandPath(cmd: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { encoding: 'utf8', env: PEER_ENV }).trim() || undefined;
  } catch {
    return undefined;
  }
}
