/**
 * Warm-up until V8 has finished optimising a path, measured rather than guessed.
 *
 * V8 hands a function to its optimising compiler once the function has used up an
 * execution budget; code that runs once per container uses it up slowly, so the functions
 * of a container setup reach TurboFan one after another over thousands of containers
 * (measured with --trace-opt on bench/compare's path: after 300 containers about ten
 * functions per hundred containers were still being compiled, 5–35 ms of compile-thread
 * CPU each, on the same two CPUs as the work measured; the stream dried up after 4,000 to
 * 5,000). A long-running runtime is past that point, so the timed runs start there.
 *
 * The signal, without V8 flags: the size of the heap's compiled code
 * (v8.getHeapCodeStatistics().code_and_metadata_size) stops growing between rounds.
 */
import v8 from 'node:v8';

export interface WarmUpOptions {
  /** Rounds at least (each: whatever `round` does, e.g. 100 containers made and removed). */
  minRounds?: number;
  /** Rounds at most, steady or not. */
  maxRounds?: number;
  /** Steady: what compiled code grew by in each of the last `window` rounds sums to less than this fraction of it. */
  growth?: number;
  window?: number;
}

export interface WarmUpReport {
  rounds: number;
  steady: boolean;
}

/** One line for the bench's log: how much warm-up it took, and whether V8 settled. */
export function describeWarmUp(what: string, report: WarmUpReport, perRound: number, unit: string): string {
  return `${what} warm-up: ${report.rounds * perRound} ${unit} (${report.steady ? 'compiled code held still' : 'still compiling at the cap'})`;
}

const codeSize = (): number => v8.getHeapCodeStatistics().code_and_metadata_size;

/** Runs `round` until compiled code held still (see the file comment). */
export async function warmUntilSteady(round: (index: number) => Promise<void>, options: WarmUpOptions = {}): Promise<WarmUpReport> {
  const { minRounds = 10, maxRounds = 80, growth = 0.005, window = 5 } = options;
  const sizes = [codeSize()];
  for (let i = 0; i < maxRounds; i++) {
    await round(i);
    sizes.push(codeSize());
    if (i + 1 >= minRounds && sizes.length > window) {
      // Code is also collected (a drop), which must not hide what was compiled meanwhile:
      // only the rises count.
      let grown = 0;
      for (let k = sizes.length - window; k < sizes.length; k++) grown += Math.max(0, sizes[k]! - sizes[k - 1]!);
      if (grown / sizes.at(-1)! < growth) return { rounds: i + 1, steady: true };
    }
  }
  return { rounds: maxRounds, steady: false };
}
