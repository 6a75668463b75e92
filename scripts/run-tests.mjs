// Runs the test suites with node's own test runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs [unit|integration|fault|reliability ...]   (default: all suites)
// Integration and fault tests need PostgreSQL and Redis; see README "Running the tests".
// The reliability suite (test/reliability, docs/reliability.md) drives the built service
// (`npm run build` first) and owns its PostgreSQL, Redis and proxies; its files kill, freeze and
// overload what they start, so they run one at a time, after the other suites.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/** Runs node's test runner: the spec report on stdout, a TAP copy for the combined count. */
function run(testFiles, testConcurrency) {
  const tap = join(mkdtempSync(join(tmpdir(), 'shannon-tests-')), 'report.tap');
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${testConcurrency}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...testFiles,
    ],
    { stdio: 'inherit', env },
  );
  const counts = { pass: 0, fail: 0, skipped: 0 };
  try {
    const text = readFileSync(tap, 'utf8');
    for (const key of Object.keys(counts)) {
      const match = new RegExp(`^# ${key} (\\d+)$`, 'm').exec(text);
      counts[key] = match === null ? 0 : Number(match[1]);
    }
  } catch {
    // No report: the runner itself failed; its status says so.
  }
  return { status: result.status ?? 1, counts };
}

const runs = [];
if (files.length > 0) runs.push(run(files, concurrency));
// The reliability battery starts servers and loads the machine: its files run one at a time. It
// runs the built service (dist/), so the build is brought up to date first (a few seconds).
if (reliabilityFiles.length > 0) {
  const build = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit', env });
  if (build.status !== 0) {
    console.error('the build failed; the reliability battery needs dist/');
    runs.push({ status: build.status ?? 1, counts: { pass: 0, fail: 1, skipped: 0 } });
  } else runs.push(run(reliabilityFiles, '1'));
}
const status = Math.max(...runs.map((r) => r.status));
const total = (key) => runs.reduce((n, r) => n + r.counts[key], 0);
// Two runs print two summaries; this line is the whole suite's.
console.log(`\ntotal: ${total('pass')} passed, ${total('fail')} failed, ${total('skipped')} skipped`);
process.exit(status);
