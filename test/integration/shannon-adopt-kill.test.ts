/**
 * `adopt shannon --apply` as an operator runs it, killed: the CLI in a child process, `kill -9`
 * twice mid-copy, then run again to the end. Every batch commits with its progress row, so after
 * each kill the rows copied equal the progress recorded, and the last run ends with every table's
 * count and checksum equal to Shannon's. A cut-over that finds a Shannon table locked by a reader
 * gives up its lock request within lock_timeout and retries, instead of queueing every later
 * reader behind it, and completes once the reader is done. Bad input is refused by name with
 * the usage exit status, before anything is changed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { adoptShannon } from '../../src/ops/adopt-shannon.js';
import { CLI_ENTRY, runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { applyShannonMigrations } from '../helpers/shannon.js';

const TASKS = 12_000;
const EVENTS = 24_000;

async function shannonDatabase(): Promise<{ t: TestDatabase; client: pg.Client }> {
  const t = await createTestDatabase({ migrate: false });
  const client = new pg.Client({ connectionString: t.url });
  await client.connect();
  await applyShannonMigrations(client);
  return { t, client };
}

async function seed(client: pg.Client, tasks: number, events: number): Promise<void> {
  await client.query(`
    INSERT INTO users (id, external_id) VALUES ('aaaaaaaa-0000-4000-8000-000000000001', 'kill-user');
    INSERT INTO task_executions (workflow_id, user_id, query, status, started_at)
      SELECT 'kill-wf-' || i, 'aaaaaaaa-0000-4000-8000-000000000001', 'query ' || i, 'COMPLETED',
             now() - (i % 400) * interval '1 day'
        FROM generate_series(1, ${tasks}) i;
    INSERT INTO token_usage (user_id, task_id, provider, model, prompt_tokens, completion_tokens, total_tokens, cost_usd, created_at)
      SELECT user_id, id, 'openai', 'gpt-4o', 10, 5, 15, 0.001, started_at FROM task_executions;
    INSERT INTO event_logs (workflow_id, type, message, seq, timestamp, created_at)
      SELECT 'kill-wf-' || (1 + i % ${tasks}), 'AGENT_THINKING', 'm' || i, i, now() - (i % 9000) * interval '1 hour',
             now() - (i % 9000) * interval '1 hour'
        FROM generate_series(1, ${events}) i;
  `);
}

describe('adopt shannon --apply killed mid-copy', () => {
  let t: TestDatabase;
  let client: pg.Client;

  before(async () => {
    ({ t, client } = await shannonDatabase());
    await seed(client, TASKS, EVENTS);
  });
  after(async () => {
    await client?.end();
    await t?.drop();
  });

  /** Rows copied according to the progress table, or 0 before the cut-over. */
  const progress = async () => {
    const { rows } = await client.query<{ n: string | null }>(
      `SELECT CASE WHEN to_regclass('shannon_legacy.adopt_progress') IS NULL THEN 0 END AS n`,
    );
    if (rows[0]!.n !== null) return 0;
    return Number(
      (
        await client.query<{ n: string }>(
          `SELECT coalesce(sum(copied), 0) AS n FROM shannon_legacy.adopt_progress`,
        )
      ).rows[0]!.n,
    );
  };
  const copiedRows = async () =>
    Number(
      (
        await client.query<{ n: string }>(
          `SELECT (SELECT count(*) FROM public.task_executions) + (SELECT count(*) FROM public.token_usage)
                + (SELECT count(*) FROM public.event_logs) + (SELECT count(*) FROM public.users)
                + (SELECT count(*) FROM auth.tenants) + (SELECT count(*) FROM auth.users)
                + (SELECT count(*) FROM public.failure_patterns) AS n`,
        )
      ).rows[0]!.n,
    );

  it('two kill -9 during the copy, then a run to the end: every row once, counts and checksums equal', async () => {
    const kills: Array<{ progress: number; copied: number }> = [];
    for (const threshold of [4_000, 20_000]) {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', CLI_ENTRY, 'adopt', 'shannon', '--apply', '--batch', '500', '--json'],
        {
          env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: t.url, LOG_LEVEL: 'silent' },
          stdio: 'ignore',
        },
      );
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const deadline = Date.now() + 60_000;
      let seen = 0;
      while (Date.now() < deadline && child.exitCode === null) {
        seen = await progress();
        if (seen >= threshold) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.ok(seen >= threshold, `the run reached ${seen} rows, not ${threshold}, before it ended`);
      child.kill('SIGKILL');
      await exited;
      // The batch and its progress row commit together: what is copied is what is recorded.
      kills.push({ progress: await progress(), copied: await copiedRows() });
      assert.equal(kills.at(-1)!.copied, kills.at(-1)!.progress, 'rows copied = progress recorded');
    }
    const run = await runCli(['adopt', 'shannon', '--apply', '--batch', '500', '--json'], {
      DATABASE_URL: t.url,
      LOG_LEVEL: 'silent',
    });
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as {
      state: string;
      tables: Array<{ target: string; shannonRows: number; adoptedRows: number; match: boolean }>;
    };
    assert.equal(report.state, 'adopted');
    for (const table of report.tables) assert.equal(table.match, true, JSON.stringify(table));
    const rows = (target: string) => report.tables.find((r) => r.target === target)?.adoptedRows;
    assert.equal(rows('public.task_executions'), TASKS);
    assert.equal(rows('public.token_usage'), TASKS);
    assert.equal(rows('public.event_logs'), EVENTS);
    console.log(
      `adopt killed at ${kills.map((k) => k.progress).join(' and ')} rows copied; the third run completed: ${TASKS} tasks, ${TASKS} token-usage rows, ${EVENTS} events, all checksums equal`,
    );
  });
});

describe('adopt shannon cut-over against a reader holding a lock', () => {
  let t: TestDatabase;
  let client: pg.Client;
  let reader: pg.Client;

  before(async () => {
    ({ t, client } = await shannonDatabase());
    await seed(client, 100, 100);
    reader = new pg.Client({ connectionString: t.url });
    await reader.connect();
  });
  after(async () => {
    await reader?.end();
    await client?.end();
    await t?.drop();
  });

  it('gives up each lock request within lock_timeout and retries, so later readers are not queued behind it', async () => {
    // An open transaction that read task_executions holds its ACCESS SHARE lock until it ends.
    await reader.query('BEGIN');
    await reader.query('SELECT count(*) FROM task_executions');
    const outcome = adoptShannon(t.db, { apply: true, lockTimeoutMs: 200 }).then(
      () => 'done',
      (e: Error) => e,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    // While the first reader still holds its lock, a new reader gets through: a cut-over waiting
    // without lock_timeout would queue it until the first reader ends, which is after this query
    // (its statement_timeout turns such a wait into a failure instead of a hang).
    const third = new pg.Client({ connectionString: t.url, statement_timeout: 10_000 });
    await third.connect();
    try {
      for (let i = 0; i < 5; i += 1) {
        const { rows } = await third.query<{ n: string }>('SELECT count(*) AS n FROM task_executions');
        assert.equal(Number(rows[0]!.n), 100);
      }
    } finally {
      await third.end();
    }
    await reader.query('COMMIT');
    assert.equal(await outcome, 'done');
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM public.task_executions`,
    );
    assert.equal(rows[0]!.n, 100);
  });
});

describe('adopt shannon refuses what it cannot do, by name, before changing anything', () => {
  let ours: TestDatabase;
  let shannon: TestDatabase;
  let client: pg.Client;

  before(async () => {
    ours = await createTestDatabase();
    ({ t: shannon, client } = await shannonDatabase());
    await seed(client, 10, 10);
  });
  after(async () => {
    await client?.end();
    await shannon?.drop();
    await ours?.drop();
  });

  it("a database that is not Shannon's, and a default tenant that is not a tenant id: exit 2, field named", async () => {
    const notShannon = await runCli(['adopt', 'shannon', '--apply', '--json'], {
      DATABASE_URL: ours.url,
      LOG_LEVEL: 'silent',
    });
    assert.equal(notShannon.code, 2, notShannon.stderr);
    assert.deepEqual(
      [JSON.parse(notShannon.stderr).error.code, JSON.parse(notShannon.stderr).error.field],
      ['VALIDATION_FAILED', 'database'],
    );
    const badTenant = await runCli(['adopt', 'shannon', '--apply', '--default-tenant', 'acme', '--json'], {
      DATABASE_URL: shannon.url,
      LOG_LEVEL: 'silent',
    });
    assert.equal(badTenant.code, 2, badTenant.stderr);
    assert.equal(JSON.parse(badTenant.stderr).error.field, 'default-tenant');
    // Nothing was moved: Shannon's tables are where Shannon left them.
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM public.task_executions`,
    );
    assert.equal(rows[0]!.n, 10);
    assert.equal(
      (await client.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'shannon_legacy'`)).rows.length,
      0,
    );
  });
});
