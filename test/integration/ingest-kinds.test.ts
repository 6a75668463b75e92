/**
 * Every record kind through the real write path into the real PostgreSQL: stored once, duplicates
 * absorbed, task upserts never regress from a terminal status, a bad row fails alone.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isShannonError } from '../../src/errors/errors.js';
import { createIngest, type Ingest } from '../../src/ingest/ingest.js';
import type { RecordKind } from '../../src/ingest/record-kinds.js';
import type { RecordColumnsOf, RecordOf } from '../../src/ingest/record-schemas.js';
import { PostgresRecordWriter } from '../../src/ingest/record-writer.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';

let t: TestDatabase;
let ingest: Ingest;
let dir: string;
let tenant: string;

before(async () => {
  t = await createTestDatabase();
  tenant = await createTenant(t.db);
  dir = await mkdtemp(join(tmpdir(), 'ingest-kinds-'));
  ingest = await createIngest({ writer: new PostgresRecordWriter(t.db), dataDir: dir, metrics: t.metrics });
});

after(async () => {
  await ingest.close();
  await t.drop();
  await rm(dir, { recursive: true, force: true });
});

const now = () => new Date().toISOString();

const SAMPLES: { [K in RecordKind]: () => RecordColumnsOf<K> } = {
  task_execution: () => ({ workflow_id: `wf-${randomUUID()}`, query: 'q', status: 'RUNNING' }),
  agent_execution: () => ({
    agent_id: 'agent-1',
    input: `in ${randomUUID()}`,
    state: 'COMPLETED',
    tokens_used: 5,
  }),
  tool_execution: () => ({ tool_name: 'search', input_params: { q: randomUUID() }, success: true }),
  token_usage: () => ({
    provider: 'openai',
    model: 'gpt',
    prompt_tokens: 1,
    completion_tokens: 2,
    total_tokens: 3,
    cost_usd: 0.01,
    task_id: randomUUID(),
    call_sequence: 1,
  }),
  event_log: () => ({ workflow_id: 'wf-e', type: 'AGENT_STARTED', seq: Math.floor(Math.random() * 1e9) + 1 }),
  audit_log: () => ({
    action: 'update',
    entity_type: 'task',
    entity_id: randomUUID(),
    ip_address: '10.0.0.1',
  }),
  auth_audit_log: () => ({ event_type: 'login', details: { id: randomUUID() }, ip_address: '::1' }),
  session_archive: () => ({ session_id: randomUUID(), snapshot_data: { m: 1 }, message_count: 2 }),
  learning_case: () => ({
    input_hash: randomUUID().replace(/-/g, ''),
    action_taken: { a: 1 },
    outcome: { ok: true },
  }),
};

const TABLES: Record<RecordKind, string> = {
  task_execution: 'public.task_executions',
  agent_execution: 'public.agent_executions',
  tool_execution: 'public.tool_executions',
  token_usage: 'public.token_usage',
  event_log: 'public.event_logs',
  audit_log: 'public.audit_logs',
  auth_audit_log: 'auth.audit_logs',
  session_archive: 'public.session_archives',
  learning_case: 'public.learning_cases',
};

async function count(table: string): Promise<number> {
  const { rows } = await t.db.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${table} WHERE tenant_id = $1`,
    [tenant],
  );
  return Number(rows[0]!.n);
}

describe('every kind is stored exactly once', () => {
  for (const kind of Object.keys(SAMPLES) as RecordKind[]) {
    test(kind, async () => {
      const before = await count(TABLES[kind]);
      const sample = { ...SAMPLES[kind](), tenant_id: tenant };
      // Tasks and session archives have no created_at column a record may set.
      const record =
        kind === 'task_execution' || kind === 'session_archive' ? sample : { ...sample, created_at: now() };
      const first = await ingest.write(kind, record);
      assert.equal(first.outcome, 'committed');
      // The same record again (a client retry) is absorbed by its idempotency key.
      const again = await ingest.write(kind, record);
      assert.equal(again.key, first.key);
      // A batch with 50 distinct records.
      const batch = Array.from({ length: 50 }, () => ({ ...SAMPLES[kind](), tenant_id: tenant }));
      const results = await ingest.writeBatch(kind, batch);
      assert.ok(results.every((r) => r.outcome === 'committed'));
      assert.equal(await count(TABLES[kind]), before + 51);
    });
  }
});

test('events without a sequence do not collapse (W5), with one do', async () => {
  const wf = `wf-${randomUUID()}`;
  const base = { tenant_id: tenant, workflow_id: wf, type: 'LLM_OUTPUT' };
  await ingest.writeBatch('event_log', [
    { ...base, message: 'a' },
    { ...base, message: 'b' },
    { ...base, seq: 7, message: 'x' },
    { ...base, seq: 7, message: 'x' },
  ]);
  const { rows } = await t.db.query<{ n: string }>(
    'SELECT count(*) AS n FROM public.event_logs WHERE workflow_id = $1',
    [wf],
  );
  assert.equal(Number(rows[0]!.n), 3);
});

test('task upserts: a terminal status is never replaced by a late RUNNING', async () => {
  const wf = `wf-${randomUUID()}`;
  const base = { tenant_id: tenant, workflow_id: wf, query: 'q' };
  await ingest.write('task_execution', { ...base, status: 'RUNNING', total_tokens: 5, metadata: { a: 1 } });
  await ingest.write('task_execution', { ...base, status: 'COMPLETED', result: 'done', total_tokens: 9 });
  await ingest.write('task_execution', { ...base, status: 'RUNNING', total_tokens: 1, metadata: {} });
  const { rows } = await t.db.query<{
    status: string;
    result: string;
    total_tokens: number;
    metadata: unknown;
  }>('SELECT status, result, total_tokens, metadata FROM public.task_executions WHERE workflow_id = $1', [
    wf,
  ]);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.status, 'COMPLETED');
  assert.equal(rows[0]!.result, 'done');
  assert.equal(rows[0]!.total_tokens, 9);
  assert.deepEqual(rows[0]!.metadata, { a: 1 });
  const agg = await t.db.query<{ total_tasks: number }>(
    'SELECT total_tasks FROM public.usage_daily_aggregates WHERE tenant_id = $1 AND user_id IS NULL',
    [tenant],
  );
  assert.ok(agg.rows[0]!.total_tasks >= 1);
});

test('coalesced updates in one batch land as sequential upserts would', async () => {
  const wf = `wf-${randomUUID()}`;
  const base = { tenant_id: tenant, workflow_id: wf, query: 'q' };
  const results = await ingest.writeBatch('task_execution', [
    { ...base, status: 'PENDING' },
    { ...base, status: 'RUNNING', session_id: 's1' },
    { ...base, status: 'PAUSED' },
  ]);
  assert.ok(results.every((r) => r.outcome === 'committed'));
  const { rows } = await t.db.query<{ status: string; session_id: string }>(
    'SELECT status, session_id FROM public.task_executions WHERE workflow_id = $1',
    [wf],
  );
  assert.deepEqual(rows, [{ status: 'PAUSED', session_id: 's1' }]);
});

test('one bad row fails alone and is reported to its caller', async () => {
  const missingUser = randomUUID();
  const good = Array.from(
    { length: 20 },
    (): RecordOf<'task_execution'> => ({
      tenant_id: tenant,
      workflow_id: `wf-${randomUUID()}`,
      query: 'q',
      status: 'RUNNING',
    }),
  );
  // The user does not exist: the (tenant_id, user_id) foreign key rejects this row only.
  const bad: RecordOf<'task_execution'> = {
    tenant_id: tenant,
    workflow_id: `wf-${randomUUID()}`,
    query: 'q',
    status: 'RUNNING',
    user_id: missingUser,
  };
  const results = await ingest.writeBatch('task_execution', [...good.slice(0, 10), bad, ...good.slice(10)]);
  assert.equal(results.filter((r) => r.outcome === 'committed').length, 20);
  const rejected = results[10]!;
  assert.equal(rejected.outcome, 'rejected');
  assert.ok(isShannonError(rejected.error));
  // The foreign key violation names the record's column, so the caller knows what to fix.
  assert.equal(rejected.error.code, 'VALIDATION_FAILED');
  assert.equal(rejected.error.field, 'user_id');
});

test('invalid input is refused before anything is queued, naming the field', async () => {
  await assert.rejects(
    // Deliberately invalid (required columns missing, a negative count): validation must refuse it.
    ingest.write('token_usage', { tenant_id: tenant, provider: 'x', model: 'm', prompt_tokens: -1 } as never),
    (e: unknown) => isShannonError(e) && e.code === 'VALIDATION_FAILED' && e.field === 'record.prompt_tokens',
  );
  await assert.rejects(
    ingest.writeBatch('event_log', [
      { tenant_id: tenant, workflow_id: 'w', type: 't' },
      { tenant_id: tenant } as unknown as RecordOf<'event_log'>, // deliberately invalid: no workflow_id, no type
    ]),
    (e: unknown) => isShannonError(e) && e.field === 'records[1].workflow_id',
  );
});

test('a retry of records sent without their time column gets the first stamp, so it is absorbed', async () => {
  const key = `retry-${randomUUID()}`;
  const first = await ingest.write('audit_log', { tenant_id: tenant, idempotency_key: key, action: 'a' });
  await new Promise((resolve) => setTimeout(resolve, 5));
  const again = await ingest.write('audit_log', { tenant_id: tenant, idempotency_key: key, action: 'a' });
  assert.equal(again.key, first.key);
  const audit = await t.db.query('SELECT 1 FROM public.audit_logs WHERE idempotency_key = $1', [key]);
  assert.equal(audit.rowCount, 1);

  // A client resends a whole batch after one record of it failed (the documented retry rule):
  // the records committed the first time are not stored again. Derived keys, no time column.
  const input = `retry ${randomUUID()}`;
  const batch = Array.from(
    { length: 5 },
    (_, i): RecordOf<'agent_execution'> => ({
      tenant_id: tenant,
      agent_id: 'agent-retry',
      input: `${input} ${i}`,
      state: 'COMPLETED',
    }),
  );
  batch[2] = { ...batch[2]!, tenant_id: randomUUID() }; // no such tenant: the foreign key refuses it
  const firstTry = await ingest.writeBatch('agent_execution', batch);
  assert.deepEqual(
    firstTry.map((r) => r.outcome),
    ['committed', 'committed', 'rejected', 'committed', 'committed'],
  );
  await new Promise((resolve) => setTimeout(resolve, 5));
  batch[2] = { ...batch[2], tenant_id: tenant };
  const secondTry = await ingest.writeBatch('agent_execution', batch);
  assert.ok(secondTry.every((r) => r.outcome === 'committed'));
  const stored = await t.db.query('SELECT 1 FROM public.agent_executions WHERE input LIKE $1', [`${input}%`]);
  assert.equal(stored.rowCount, 5);
});
