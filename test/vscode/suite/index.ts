// Entry the extension host loads (extensionTestsPath): runs every *.test.js next to it with mocha and
// writes per-test results to $NN_DEBUGGER_TEST_RESULTS for the harness. Rejecting makes VS Code exit 1.
import { readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

interface TestResult {
  title: string;
  state: 'passed' | 'failed';
  durationMs: number;
  error?: string;
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 120_000, color: false, reporter: Mocha.reporters.Base });
  // The host forwards console.log('%s', x) unformatted, so format before printing.
  const log = (...args: unknown[]) => console.log('%s', format(...args));
  for (const file of readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) mocha.addFile(path.join(__dirname, file));
  const results: TestResult[] = [];
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const file = process.env.NN_DEBUGGER_TEST_RESULTS;
      if (file) writeFileSync(file, JSON.stringify({ tests: results }, null, 2));
      if (failures > 0) reject(new Error(`${failures} tests failed`));
      else resolve();
    });
    runner.on('pass', (t) => {
      results.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration ?? 0 });
      log(`ok   ${t.fullTitle()} (${t.duration ?? 0} ms)`);
    });
    runner.on('fail', (t, err: Error) => {
      results.push({ title: t.fullTitle(), state: 'failed', durationMs: t.duration ?? 0, error: err.stack ?? String(err) });
      log(`FAIL ${t.fullTitle()}\n${err.stack ?? err}`);
    });
  });
}
