// Runs the test suites with node's own test runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs [unit|integration|fault ...]   (default: all suites)
// Integration and fault tests need PostgreSQL and Redis; see README "Running the tests".
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const suites = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const selected = suites.length > 0 ? suites : ['unit', 'integration', 'fault'];

function findTests(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out.sort();
}

const files = selected.flatMap((suite) => findTests(join('test', suite)));
if (files.length === 0) {
  console.error(`no test files found for: ${selected.join(', ')}`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
