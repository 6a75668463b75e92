/**
 * The CLI's exit statuses (0 ok, 1 findings, 2 configuration or usage, 3 could not run) and what
 * it says when PostgreSQL cannot be reached or refuses the connection, run as a user runs it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, databaseUrl, TEST_SERVER_URL, type TestDatabase } from '../helpers/database.js';

/** Nothing listens on port 1; the password must never reach the output. */
const UNREACHABLE = 'postgres://postgres:s3cret-pw@127.0.0.1:1/none';

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('shannon-data exit statuses', () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase();
  });
  after(async () => {
    await t.drop();
  });

  it('exits 0 when the command ran and found nothing', async () => {
    const run = await runCli(['migrate', 'status', '--json'], { DATABASE_URL: t.url });
    assert.equal(run.code, 0, run.stderr);
  });

  it('exits 1 when the memory benchmark misses its targets', async () => {
    // How fast 40 points search is depends on the machine; a million-fold speed-up over scanning
    // 40 vectors does not, so the miss is certain.
    const small = [
      'bench',
      'memory',
      '--points',
      '40',
      '--dimension',
      '4',
      '--queries',
      '10',
      '--outbox-points',
      '0',
    ];
    const run = await runCli([...small, '--target-speedup', '1000000'], { LOG_LEVEL: 'silent' });
    assert.match(run.stdout, /→ [\d.]+× \(target ≥ 1000000×\)$/m);
    assert.match(run.stdout, /^targets NOT met$/m);
    assert.equal(run.code, 1, run.stderr);
    const met = await runCli([...small, '--target-speedup', '0.000001', '--target-recall', '0.000001'], {
      LOG_LEVEL: 'silent',
    });
    assert.match(met.stdout, /^targets met$/m);
    assert.equal(met.code, 0, met.stderr);
    const wrong = await runCli([...small, '--target-recall', '1.5']);
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /--target-recall must be at most 1/);
  });

  it('exits 2 for an invalid setting or a wrong flag', async () => {
    const setting = await runCli(['serve'], { PORT: 'abc', DATABASE_URL: t.url });
    assert.equal(setting.code, 2, setting.stderr);
    assert.match(setting.stderr, /^error \[CONFIG_INVALID\]: .*PORT/m);
    const flag = await runCli(['migrate', 'status', '--no-such-flag']);
    assert.equal(flag.code, 2, flag.stderr);
  });

  it('exits 3 when the database is unreachable, naming host, port and DATABASE_URL, never the password', async () => {
    for (const args of [['doctor'], ['migrate', 'status'], ['tenants', 'list']]) {
      const run = await runCli(args, { DATABASE_URL: UNREACHABLE, PG_CONNECT_TIMEOUT_MS: '2000' });
      assert.equal(run.code, 3, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(
        run.stderr,
        'error [DB_UNAVAILABLE]: cannot connect to PostgreSQL at 127.0.0.1:1 (database "none", user "postgres"): ' +
          'connect ECONNREFUSED 127.0.0.1:1; check DATABASE_URL\n',
        args.join(' '),
      );
      assert.equal(run.stdout, '', `${args.join(' ')} prints no report`);
    }
    const json = await runCli(['migrate', 'status', '--json'], { DATABASE_URL: UNREACHABLE });
    assert.equal(json.code, 3);
    assert.ok(!json.stderr.includes('s3cret-pw'), json.stderr);
    const body = JSON.parse(json.stderr) as { error: { code: string; details: Record<string, unknown> } };
    assert.equal(body.error.code, 'DB_UNAVAILABLE');
    assert.deepEqual(
      {
        host: body.error.details['host'],
        port: body.error.details['port'],
        setting: body.error.details['setting'],
      },
      { host: '127.0.0.1', port: '1', setting: 'DATABASE_URL' },
    );
  });

  it("passes on PostgreSQL's message for a database that does not exist", async () => {
    const name = `shannon_missing_${randomUUID().slice(0, 8)}`;
    const url = new URL(databaseUrl(name));
    url.password = 'pw';
    const run = await runCli(['tenants', 'list'], { DATABASE_URL: url.toString() });
    assert.equal(run.code, 3, run.stderr);
    assert.equal(
      run.stderr,
      `error [DB_UNAVAILABLE]: cannot connect to PostgreSQL at ${url.hostname}:${url.port || '5432'} ` +
        `(database "${name}", user "${url.username}"): database "${name}" does not exist (SQLSTATE 3D000); ` +
        'check DATABASE_URL\n',
    );
  });

  it("passes on PostgreSQL's DETAIL when the server refuses the connection", async () => {
    const suffix = randomUUID().slice(0, 8);
    const role = `shannon_noconnect_${suffix}`;
    const name = `shannon_noconnect_${suffix}`;
    await admin(`CREATE ROLE ${role} LOGIN`);
    await admin(`CREATE DATABASE ${name}`);
    try {
      await admin(`REVOKE CONNECT ON DATABASE ${name} FROM PUBLIC`);
      const url = new URL(databaseUrl(name));
      url.username = role;
      const run = await runCli(['migrate', 'status'], { DATABASE_URL: url.toString() });
      assert.equal(run.code, 3, run.stderr);
      assert.match(
        run.stderr,
        new RegExp(
          `^error \\[DB_UNAVAILABLE\\]: cannot connect to PostgreSQL at .+ \\(database "${name}", user "${role}"\\): ` +
            `permission denied for database "${name}" \\(SQLSTATE 42501\\); check DATABASE_URL\\n` +
            'DETAIL: {2}User does not have CONNECT privilege\\.\\n$',
        ),
      );
    } finally {
      await admin(`DROP DATABASE IF EXISTS ${name}`);
      await admin(`DROP ROLE IF EXISTS ${role}`);
    }
  });
});
