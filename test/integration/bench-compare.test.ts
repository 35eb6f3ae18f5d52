/**
 * Smoke test of bench/compare: every tool runs the comparison's workload at N = 2 and
 * the harness's own checks must hold — the sample verified (address, default route,
 * DNAT, TCP through the published port, masquerade) and nothing left after teardown.
 * Timings are not asserted (they belong to `npm run bench`). A peer that is not
 * installed is skipped with the reason, except under CI=true, where .ci/run installs it.
 */
import { expect } from 'chai';
import { benchCompare } from '../../bench/compare';
import { makeTool } from '../../bench/compare/tools';
import { TOOL_NAMES } from '../../bench/compare/workload';
import { requireSandbox } from '../support/sandbox';

describe('bench/compare smoke (integration, N = 2 per tool)', function () {
  requireSandbox();
  this.timeout(60_000);

  for (const name of TOOL_NAMES) {
    it(`${name}: sets up two containers that verify, tears them down leaving nothing`, async function () {
      const missing = makeTool(name).missing();
      if (missing) {
        if (process.env.CI === 'true') throw new Error(`${name} must be installed under CI=true: ${missing}`);
        console.log(`      skipped ${name}: ${missing}`);
        this.skip();
      }
      const report = await benchCompare({ sizes: [2], reps: 1, tools: [name], settleMs: 0, log: () => undefined });
      const [row] = report.summary;
      expect(report.skipped).to.deep.equal([]);
      expect(row, 'one summary row').to.not.equal(undefined);
      expect(row!.failures, 'failed checks and leftovers').to.deep.equal([]);
      expect(row!.verified).to.equal(true);
      expect(row!.nothingLeft).to.equal(true);
      const [trial] = report.trials;
      // The checks actually ran: two containers, each with its address, route and traffic.
      expect(trial!.afterSetup.sample).to.deep.equal([0, 1]);
      expect(trial!.afterSetup.passed.filter((p) => p.includes('TCP client'))).to.have.length(2);
    });
  }

  it('runs N = 1 singleReps times and other sizes reps times, summarising each size over its own trials', async () => {
    const report = await benchCompare({ sizes: [1, 2], reps: 1, singleReps: 3, tools: ['floor'], settleMs: 0, log: () => undefined });
    expect(report.trials.map((t) => t.n).sort()).to.deep.equal([1, 1, 1, 2]);
    expect(report.summary.map((r) => [r.n, r.reps])).to.deep.equal([
      [1, 3],
      [2, 1],
    ]);
    expect(report.options.singleReps).to.equal(3);
    expect(report.summary.every((r) => r.verified && r.nothingLeft)).to.equal(true);
  });
});
