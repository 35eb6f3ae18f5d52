/**
 * The C floor in bench/compare: bench/floor/compare.c, the same links, addresses and
 * routes with raw rtnetlink from one process, no firewall. `compare setup` (per-container
 * timings) and `compare teardown` (one bulk delete by link group) are separate runs so
 * the setup can be verified in between. The harness compiles it once per run and passes
 * the binary in NSNET_BENCH_FLOOR.
 */
import { commandPath } from './peers';
import { runFloor } from '../support/floor';
import { NETNS_PREFIX, NETWORK, plannedAddress, type Timing, type Tool, type TrialContext } from './workload';

export class FloorTool implements Tool {
  readonly name = 'floor';
  readonly description = 'bench/floor/compare.c: raw rtnetlink from one C process (links, addresses, routes; no firewall)';
  readonly firewall = 'none';

  missing(): string | undefined {
    if (process.env.NSNET_BENCH_FLOOR) return undefined;
    return commandPath('cc') ? undefined : 'no C compiler (cc)';
  }

  version(): string {
    return 'bench/floor/compare.c';
  }

  private binary(): string {
    const bin = process.env.NSNET_BENCH_FLOOR;
    if (!bin) throw new Error('NSNET_BENCH_FLOOR is not set (the harness builds the floor and sets it)');
    return bin;
  }

  async prepare(): Promise<void> {}

  async setup(ctx: TrialContext): Promise<Timing> {
    const r = runFloor<{ setupMs: number; eachMs: number[] }>(this.binary(), [
      'setup',
      NETNS_PREFIX,
      NETWORK.bridge,
      `${NETWORK.gateway}/${NETWORK.prefixLength}`,
      plannedAddress(0),
      String(ctx.n),
    ]);
    return { totalMs: r.setupMs, eachMs: r.eachMs };
  }

  address(i: number): string {
    return plannedAddress(i);
  }

  async teardown(): Promise<Timing> {
    return { totalMs: runFloor<{ teardownMs: number }>(this.binary(), ['teardown']).teardownMs };
  }

  async leftovers(): Promise<string[]> {
    return [];
  }

  async dispose(): Promise<void> {}
}
