/**
 * A frozen server never fires its own statement_timeout: the client-side deadline must. Against a
 * test-owned PostgreSQL paused with SIGSTOP, queries fail with DB_TIMEOUT within the configured
 * timeout plus 100 ms — on a connection that was already open and on one still being opened — and
 * the pool works again once the server resumes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isShannonError } from '../../src/errors/errors.js';
import { Database } from '../../src/postgres/database.js';
import { testPoolConfig } from '../helpers/database.js';
import { PgCluster } from '../helpers/pg-cluster.js';

const QUERY_TIMEOUT_MS = 1_000;
const SLACK_MS = 100;

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; error: unknown }> {
  const started = performance.now();
  try {
    await fn();
    return { ms: performance.now() - started, error: undefined };
  } catch (error) {
    return { ms: performance.now() - started, error };
  }
}

describe('client-side query timeout against a paused server', () => {
  let cluster: PgCluster;
  before(async () => {
    cluster = await PgCluster.create();
  });
  after(() => cluster.destroy());

  it('fails with DB_TIMEOUT within the timeout plus 100 ms, then recovers after SIGCONT', async () => {
    const db = new Database({
      connectionString: cluster.url(),
      pool: testPoolConfig({ max: 2, queryTimeoutMs: QUERY_TIMEOUT_MS, connectTimeoutMs: QUERY_TIMEOUT_MS }),
      breakerFailureThreshold: 100,
    });
    try {
      await db.query('SELECT 1'); // one idle, open connection in the pool
      await cluster.pause();
      const onOpenConnection = await timed(() => db.query('SELECT 1'));
      const inTransaction = await timed(() => db.withTransaction((tx) => tx.query('SELECT 1')));
      for (const run of [onOpenConnection, inTransaction]) {
        assert.ok(isShannonError(run.error) && run.error.code === 'DB_TIMEOUT', String(run.error));
        assert.ok(run.ms <= QUERY_TIMEOUT_MS + SLACK_MS, `took ${run.ms.toFixed(0)} ms`);
      }
      await cluster.resume();
      const after = await db.query<{ one: number }>('SELECT 1 AS one');
      assert.equal(after.rows[0]!.one, 1);
      // A connection that was still being opened at the deadline is handed back once it arrives.
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(db.stats().inUse, 0, 'timed-out clients are not left checked out');
    } finally {
      await cluster.resume();
      await db.close();
    }
  });
});
