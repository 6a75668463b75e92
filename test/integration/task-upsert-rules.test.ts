/**
 * One rule set for task updates (TASK_CONFLICT_UPDATE in src/stores/sql/tasks.ts): any sequence of
 * updates of a workflow leaves the same row whether it goes through the task store one call at a
 * time, through the write path one record at a time (separate batched upserts), or through the write
 * path in one batch (applied in rounds inside one transaction, record-writer.ts). Generated
 * sequences; the last two used to differ (a merge in Node could not see the stored row).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { createIngest, type Ingest } from '../../src/ingest/ingest.js';
import type { RecordOf } from '../../src/ingest/record-schemas.js';
import type { TaskStatus } from '../../src/schema/tables/task-executions.js';
import { createStores, type Stores } from '../../src/stores/index.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';

let t: TestDatabase;
let stores: Stores;
let ingest: Ingest;
let dir: string;
let tenant: string;

before(async () => {
  t = await createTestDatabase();
  stores = createStores(t.db);
  tenant = await createTenant(t.db);
  dir = await mkdtemp(join(tmpdir(), 'task-rules-'));
  ingest = await createIngest({ db: t.db, dataDir: dir });
});

after(async () => {
  await ingest.close();
  await t.drop();
  await rm(dir, { recursive: true, force: true });
});

interface Update {
  status: TaskStatus;
  query?: string;
  result?: string;
  errorMessage?: string;
  totalTokens?: number;
  metadata?: Record<string, number>;
  response?: Record<string, number>;
}

const update: fc.Arbitrary<Update> = fc.record(
  {
    status: fc.constantFrom('PENDING', 'RUNNING', 'PAUSED', 'COMPLETED', 'FAILED', 'CANCELLED'),
    query: fc.constantFrom('q1', 'q2'),
    result: fc.constantFrom('r1', 'r2'),
    errorMessage: fc.constantFrom('e1', 'e2'),
    totalTokens: fc.nat(100),
    metadata: fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.nat(9), { maxKeys: 2 }),
    response: fc.dictionary(fc.constantFrom('x', 'y'), fc.nat(9), { maxKeys: 2 }),
  },
  { requiredKeys: ['status'] },
);

/** The write path requires a query on every record; the first update of a sequence always has one. */
function asRecord(workflow: string, u: Update, query: string): RecordOf<'task_execution'> {
  return {
    tenant_id: tenant,
    workflow_id: workflow,
    status: u.status,
    query: u.query ?? query,
    started_at: '2026-11-20T10:00:00.000Z',
    ...(u.result === undefined ? {} : { result: u.result }),
    ...(u.errorMessage === undefined ? {} : { error_message: u.errorMessage }),
    ...(u.totalTokens === undefined ? {} : { total_tokens: u.totalTokens }),
    ...(u.metadata === undefined ? {} : { metadata: u.metadata }),
    ...(u.response === undefined ? {} : { response: u.response }),
  };
}

async function row(workflow: string) {
  const { rows } = await t.db.query(
    `SELECT status, query, result, error_message, total_tokens, metadata, response
       FROM public.task_executions WHERE tenant_id = $1 AND workflow_id = $2`,
    [tenant, workflow],
  );
  assert.equal(rows.length, 1);
  return rows[0];
}

test('the task store, the write path and one batch leave the same row', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(update, { minLength: 1, maxLength: 6 }), async (updates) => {
      const query = updates[0]!.query ?? 'q0';
      // The write path always carries a query; so does the store here, or the runs would differ
      // only by what "no query" means to each input format.
      const viaStore = `store-${randomUUID()}`;
      for (const u of updates) {
        await stores.tasks.upsert(tenant, {
          workflowId: viaStore,
          startedAt: '2026-11-20T10:00:00.000Z',
          ...u,
          query: u.query ?? query,
        });
      }
      const oneByOne = `single-${randomUUID()}`;
      for (const u of updates) await ingest.write('task_execution', asRecord(oneByOne, u, query));
      const batched = `batch-${randomUUID()}`;
      const results = await ingest.writeBatch(
        'task_execution',
        updates.map((u) => asRecord(batched, u, query)),
      );
      assert.ok(results.every((r) => r.outcome === 'committed'));
      const expected = await row(viaStore);
      assert.deepEqual(await row(oneByOne), expected, JSON.stringify(updates));
      assert.deepEqual(await row(batched), expected, JSON.stringify(updates));
    }),
    { numRuns: 40 },
  );
});
