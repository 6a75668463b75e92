/**
 * The test helper keeps a file's databases only when one of its tests failed, and names them on
 * stderr; a passing file leaves none behind. Each case runs a fixture file in a child test runner.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { TEST_SERVER_URL } from '../helpers/database.js';

const FIXTURES = new URL('../fixtures/test-databases/', import.meta.url);

function runFixture(file: string, fail: boolean): { name: string; stderr: string; status: number | null } {
  const env: NodeJS.ProcessEnv = { ...process.env, FIXTURE_FAIL: fail ? '1' : '0' };
  delete env['KEEP_TEST_DB'];
  // The parent runner's context would make the child report to it instead of to its own output.
  delete env['NODE_TEST_CONTEXT'];
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=tap', fileURLToPath(new URL(file, FIXTURES))],
    { env, encoding: 'utf8', timeout: 60_000 },
  );
  const match = /database (shannon_test_[0-9a-f]+)/.exec(result.stdout);
  assert.ok(match, `the fixture printed its database name:\n${result.stdout}\n${result.stderr}`);
  return { name: match[1]!, stderr: result.stdout + result.stderr, status: result.status };
}

async function databaseExists(name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_SERVER_URL });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return rowCount === 1;
  } finally {
    await client.end();
  }
}

async function dropDatabase(name: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_SERVER_URL });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

for (const file of ['after-hook.fixture.ts', 'in-test.fixture.ts']) {
  test(`${file}: a passing file drops its database`, async () => {
    const run = runFixture(file, false);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(await databaseExists(run.name), false);
    assert.doesNotMatch(run.stderr, /kept test database/);
  });

  test(`${file}: a failing file keeps its database and names it`, async () => {
    const run = runFixture(file, true);
    try {
      assert.equal(run.status, 1, run.stderr);
      assert.equal(await databaseExists(run.name), true);
      assert.match(run.stderr, new RegExp(`kept test database ${run.name} \\(a test in this file failed\\)`));
    } finally {
      await dropDatabase(run.name);
    }
  });
}
