/**
 * Mocha's spec reporter, plus one JSON line of totals appended to $NSNET_TEST_SUMMARY so
 * that scripts/run-tests can print one closing line for the unit and integration runs.
 */
import fs from 'node:fs';
import Mocha from 'mocha';

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const file = process.env.NSNET_TEST_SUMMARY;
      if (!file) return;
      const { passes, failures, pending } = this.stats;
      fs.appendFileSync(file, `${JSON.stringify({ passes, failures, pending })}\n`);
    });
  }
}

export = SummaryReporter;
