// Prints "N passed, N failed" from vitest's JSON report, so a run that executed no test shows.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.reports/vitest.json';
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch {
  console.log('0 passed, 0 failed');
  console.error(`no vitest report at ${file}: the test run did not complete`);
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
const failed = report.numFailedTests ?? 0;
console.log(`${passed} passed, ${failed} failed`);
