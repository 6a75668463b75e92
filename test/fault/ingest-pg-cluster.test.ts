/** The test-owned cluster helper itself: kill -9 + restart keeps committed data; pause freezes, resume thaws. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { PgCluster } from '../helpers/pg-cluster.js';

let cluster: PgCluster;
before(async () => {
  cluster = await PgCluster.create();
});
after(async () => {
  await cluster?.destroy();
});

test('kill -9 stops every server process; a restart recovers committed rows', async () => {
  await cluster.query('CREATE TABLE t (id int PRIMARY KEY)');
  await cluster.query('INSERT INTO t SELECT generate_series(1, 100)');
  const pid = await cluster.postmasterPid();
  assert.ok(pid !== undefined);
  await cluster.kill9();
  assert.equal(await cluster.postmasterPid(), undefined);
  await assert.rejects(cluster.query('SELECT 1'));
  await cluster.start();
  const rows = await cluster.query<{ n: string }>('SELECT count(*) AS n FROM t');
  assert.equal(Number(rows[0]!.n), 100);
});

test('pause (SIGSTOP) freezes the server without refusing connections; resume thaws it', async () => {
  const client = new pg.Client({ connectionString: cluster.url(), query_timeout: 500 });
  await client.connect();
  try {
    await cluster.pause();
    await assert.rejects(client.query('SELECT 1'), /timeout/i);
    await cluster.resume();
    const fresh = new pg.Client({ connectionString: cluster.url() });
    await fresh.connect();
    assert.equal((await fresh.query('SELECT 1 AS one')).rows[0].one, 1);
    await fresh.end();
  } finally {
    await cluster.resume();
    await client.end().catch(() => undefined);
  }
});
