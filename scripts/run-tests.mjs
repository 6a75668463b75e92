// Runs the test suites with node's own test runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs [unit|integration|fault|reliability ...]   (default: all suites)
// Integration and fault tests need PostgreSQL and Redis; see README "Running the tests".
// The reliability suite (test/reliability, docs/reliability.md) drives the built service
// (`npm run build` first) and owns its PostgreSQL, Redis and proxies; its files kill, freeze and
// overload what they start, so they run one at a time, after the other suites.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const suites = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const selected = suites.length > 0 ? suites : ['unit', 'integration', 'fault', 'reliability'];

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

const files = selected
  .filter((suite) => suite !== 'reliability')
  .flatMap((suite) => findTests(join('test', suite)));
const reliabilityFiles = selected.includes('reliability') ? findTests(join('test', 'reliability')) : [];
if (files.length === 0 && reliabilityFiles.length === 0) {
  console.error(`no test files found for: ${selected.join(', ')}`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const env = { ...process.env, NODE_ENV: 'test' };

function run(testFiles, testConcurrency) {
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${testConcurrency}`,
      '--test-reporter=spec',
      ...testFiles,
    ],
    { stdio: 'inherit', env },
  );
  return result.status ?? 1;
}

let status = 0;
if (files.length > 0) status = run(files, concurrency);
if (reliabilityFiles.length > 0) status = Math.max(status, run(reliabilityFiles, '1'));
process.exit(status);
