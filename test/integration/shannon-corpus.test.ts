/**
 * Shannon's own statements against Shannon's own schema: every statement of the corpus runs on a
 * database built from Shannon's migrations, and only the ones marked brokenOnShannon (Shannon
 * bugs) fail. This proves the corpus itself is right before it is used against Shannon Data.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { SHANNON_STATEMENTS } from '../fixtures/shannon/statements.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import {
  applyShannonMigrations,
  runShannonStatements,
  type ShannonStatementResult,
  shannonMigrationFiles,
  splitSqlStatements,
} from '../helpers/shannon.js';

describe('Shannon statement corpus', () => {
  it('has unique ids, a source per statement, and notes on the broken ones', () => {
    const ids = SHANNON_STATEMENTS.map((s) => s.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const s of SHANNON_STATEMENTS) {
      assert.match(s.source, /^go\/orchestrator\/.+\.go:\d+$/, s.id);
      if (s.brokenOnShannon) assert.ok(s.note, `${s.id} is broken on Shannon but says not why`);
      // Placeholders used must match the parameters given, or the corpus is wrong, not the schema.
      const used = [...s.sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
      const highest = used.length === 0 ? 0 : Math.max(...used);
      assert.equal(highest, s.params.length, `${s.id}: $${highest} with ${s.params.length} params`);
    }
  });

  it('splits SQL like psql does', () => {
    assert.deepEqual(
      splitSqlStatements(
        "-- a; comment\nSELECT 'a;b'; /* c; */ CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n",
      ),
      [
        "-- a; comment\nSELECT 'a;b';",
        '/* c; */ CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;',
      ],
    );
    assert.equal(shannonMigrationFiles().length, 17);
  });

  describe("on Shannon's own schema", () => {
    let t: TestDatabase;
    let client: pg.Client;
    let results: ShannonStatementResult[];

    before(async () => {
      t = await createTestDatabase({ migrate: false });
      client = new pg.Client({ connectionString: t.url });
      await client.connect();
      await applyShannonMigrations(client);
      results = await runShannonStatements(client);
    });
    after(async () => {
      await client?.end();
      await t?.drop();
    });

    it('runs every statement except the ones Shannon gets wrong itself', () => {
      const expectedBroken = SHANNON_STATEMENTS.filter((s) => s.brokenOnShannon).map((s) => s.id);
      const failed = results.filter((r) => !r.ok);
      const unexpected = failed.filter((r) => !expectedBroken.includes(r.id));
      assert.deepEqual(
        unexpected.map((r) => `${r.id}: ${r.code} ${r.error}`),
        [],
        'statements that should succeed on Shannon',
      );
      assert.deepEqual(
        failed.map((r) => r.id),
        expectedBroken,
        'exactly the statements marked brokenOnShannon fail',
      );
      // All are column mistakes: undefined_column (a column the table lacks) or ambiguous_column.
      for (const r of failed) assert.ok(r.code === '42703' || r.code === '42702', `${r.id}: ${r.error}`);

      const reads = SHANNON_STATEMENTS.filter((s) => s.kind === 'read').length;
      const writes = SHANNON_STATEMENTS.length - reads;
      process.stdout.write(
        `shannon corpus: ${SHANNON_STATEMENTS.length} statements (${reads} reads, ${writes} writes), ` +
          `${expectedBroken.length} broken on Shannon's own schema\n`,
      );
    });

    it('finds the rows earlier statements wrote', async () => {
      // The fixed ids chain the corpus: the task upsert, token usage and event rows all landed.
      const { rows } = await client.query<{ tasks: number; usage: number; events: number; sessions: number }>(
        `SELECT (SELECT count(*)::int FROM task_executions) AS tasks,
                (SELECT count(*)::int FROM token_usage WHERE task_id IS NOT NULL) AS usage,
                (SELECT count(*)::int FROM event_logs) AS events,
                (SELECT count(*)::int FROM sessions WHERE deleted_at IS NOT NULL) AS sessions`,
      );
      assert.deepEqual(rows[0], { tasks: 2, usage: 1, events: 1, sessions: 1 });
    });
  });
});
