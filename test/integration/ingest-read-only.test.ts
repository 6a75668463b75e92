/**
 * A server that stops taking writes (a standby after a failover, a demoted primary, an operator's
 * default_transaction_read_only) answers SQLSTATE 25006. That is an outage for writes, not a bad
 * record: the batch is spooled and written once the server takes writes again, never rejected.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createIngest, type Ingest } from '../../src/ingest/ingest.js';
import { PostgresRecordWriter } from '../../src/ingest/record-writer.js';
import { Database } from '../../src/postgres/database.js';
import {
  createTenant,
  createTestDatabase,
  type TestDatabase,
  testPoolConfig,
  withAdmin,
} from '../helpers/database.js';

let t: TestDatabase;
let writerDb: Database;
let ingest: Ingest;
let dir: string;
let tenant: string;

before(async () => {
  t = await createTestDatabase();
  tenant = await createTenant(t.db);
  dir = await mkdtemp(join(tmpdir(), 'ingest-read-only-'));
});

after(async () => {
  await ingest?.close();
  await writerDb?.close();
  await t.drop();
  await rm(dir, { recursive: true, force: true });
});

async function stored(): Promise<number> {
  const { rows } = await t.db.query<{ n: string }>(
    `SELECT count(*) AS n FROM public.event_logs WHERE workflow_id = 'wf-read-only'`,
  );
  return Number(rows[0]!.n);
}

test('writes refused as read-only are spooled and land once the server takes writes again', async () => {
  await withAdmin((admin) => admin.query(`ALTER DATABASE ${t.name} SET default_transaction_read_only = on`));
  // A pool opened now: its connections start read-only.
  writerDb = new Database({ connectionString: t.url, pool: testPoolConfig(), name: 'writer' });
  ingest = await createIngest({
    writer: new PostgresRecordWriter(writerDb),
    dataDir: dir,
    metrics: t.metrics,
    replayIntervalMs: 50,
  });
  const records = Array.from({ length: 20 }, (_, i) => ({
    tenant_id: tenant,
    workflow_id: 'wf-read-only',
    type: 'AGENT_STARTED',
    seq: i + 1,
  }));
  // Every one is acknowledged (durably, in the spool): none is refused as if it were bad input.
  const results = await Promise.allSettled(records.map((r) => ingest.write('event_log', r)));
  const refused = results.filter((r) => r.status === 'rejected');
  assert.deepEqual(
    refused.map((r) => String((r as PromiseRejectedResult).reason)),
    [],
    'no record is refused because the server is read-only',
  );
  assert.equal(await stored(), 0);
  assert.ok(ingest.stats().spool.records > 0, 'the records wait in the spool');

  await withAdmin((admin) => admin.query(`ALTER DATABASE ${t.name} SET default_transaction_read_only = off`));
  const deadline = Date.now() + 30_000;
  while ((await stored()) < records.length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(await stored(), records.length, 'every acknowledged record is written once writes are back');
});
