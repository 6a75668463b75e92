/**
 * The insert-only kinds are written by COPY first (src/ingest/record-writer.ts). COPY has no
 * ON CONFLICT, so these tests pin down what the fast path must not change: a record already stored
 * is absorbed (COPY fails, the upsert writes the rest), a bad record still fails alone, every
 * character survives the text format, and two tenants may use the same idempotency key.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isShannonError } from '../../src/errors/errors.js';
import { createIngest, type Ingest } from '../../src/ingest/ingest.js';
import { ingestMetricsEvents } from '../../src/ingest/ingest-metrics.js';
import { PostgresRecordWriter } from '../../src/ingest/record-writer.js';
import { validateRecord } from '../../src/ingest/validate-record.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';

let t: TestDatabase;
let dir: string;
let tenant: string;

before(async () => {
  t = await createTestDatabase();
  tenant = await createTenant(t.db);
  dir = await mkdtemp(join(tmpdir(), 'ingest-copy-'));
});

after(async () => {
  await t.drop();
  await rm(dir, { recursive: true, force: true });
});

async function fallbacks(reason: string): Promise<number> {
  const metric = await t.metrics.ingestCopyFallbacks.get();
  return metric.values.filter((v) => v.labels['reason'] === reason).reduce((n, v) => n + v.value, 0);
}

async function copyStatements(outcome: string): Promise<number> {
  const metric = await t.metrics.dbQueryDuration.get();
  const count = metric.values.find(
    (v) =>
      v.metricName === 'shannon_db_query_duration_seconds_count' &&
      v.labels['operation'] === 'ingest.event_log.copy' &&
      v.labels['outcome'] === outcome,
  );
  return count?.value ?? 0;
}

const at = new Date().toISOString();

/** An event; its time is fixed, as a retrying client resends it (the partition key is part of the unique key). */
function event(workflow: string, seq: number, extra: Record<string, unknown> = {}) {
  return { tenant_id: tenant, workflow_id: workflow, type: 'AGENT_STEP', seq, timestamp: at, ...extra };
}

test('a batch is written by one COPY; a batch holding a stored key falls back to the upsert, once each', async () => {
  let clock = 1_000_000;
  const writer = new PostgresRecordWriter(t.db, { events: ingestMetricsEvents(t.metrics), now: () => clock });
  const wf = `wf-${randomUUID()}`;
  const first = Array.from({ length: 30 }, (_, i) => validateRecord('event_log', event(wf, i + 1)));
  const copiedBefore = await copyStatements('ok');
  assert.equal(await writer.write('event_log', first), 30);
  assert.equal(await copyStatements('ok'), copiedBefore + 1);

  // A replayed batch: 10 records already stored, 10 new. COPY fails whole; the upsert absorbs.
  const second = [
    ...first.slice(20),
    ...Array.from({ length: 10 }, (_, i) => validateRecord('event_log', event(wf, 31 + i))),
  ];
  const storedKeyBefore = await fallbacks('stored_key');
  assert.equal(await writer.write('event_log', second), 10);
  assert.equal(await fallbacks('stored_key'), storedKeyBefore + 1);

  // Within the window after a failure the kind goes straight to the upsert (no COPY attempt)…
  const failedCopies = await copyStatements('error');
  const third = [validateRecord('event_log', event(wf, 41))];
  assert.equal(await writer.write('event_log', third), 1);
  assert.equal(await copyStatements('error'), failedCopies);
  // …and after it, COPY again.
  clock += 60_000;
  const copiedAgain = await copyStatements('ok');
  assert.equal(await writer.write('event_log', [validateRecord('event_log', event(wf, 42))]), 1);
  assert.equal(await copyStatements('ok'), copiedAgain + 1);

  const { rows } = await t.db.query<{ n: string; distinct_seq: string }>(
    'SELECT count(*) AS n, count(DISTINCT seq) AS distinct_seq FROM public.event_logs WHERE workflow_id = $1',
    [wf],
  );
  assert.equal(Number(rows[0]!.n), 42);
  assert.equal(Number(rows[0]!.distinct_seq), 42);
});

test('through the write path: a resent batch is stored once, and a bad record still fails alone', async () => {
  const ingest: Ingest = await createIngest({ db: t.db, dataDir: join(dir, 'path'), metrics: t.metrics });
  try {
    const wf = `wf-${randomUUID()}`;
    const batch = Array.from({ length: 40 }, (_, i) => event(wf, i + 1));
    const first = await ingest.writeBatch('event_log', batch);
    assert.ok(first.every((r) => r.outcome === 'committed'));
    const again = await ingest.writeBatch('event_log', batch);
    assert.ok(again.every((r) => r.outcome === 'committed'));
    assert.equal(await countWorkflow(wf), 40);

    // A tenant that does not exist passes validation (it is a UUID) and only PostgreSQL's foreign
    // key refuses it: the COPY fails, the upsert fails, the bisection finds the one record.
    const other = `wf-${randomUUID()}`;
    const mixed = Array.from({ length: 9 }, (_, i) => event(other, i + 1));
    mixed.splice(4, 0, { ...event(other, 100), tenant_id: randomUUID() });
    const results = await ingest.writeBatch('event_log', mixed);
    assert.equal(results.filter((r) => r.outcome === 'committed').length, 9);
    const rejected = results[4]!;
    assert.equal(rejected.outcome, 'rejected');
    assert.ok(isShannonError(rejected.error));
    assert.equal(rejected.error.code, 'VALIDATION_FAILED');
    assert.equal(rejected.error.field, 'tenant_id');
    assert.match(rejected.error.message, /tenant_id does not name an existing row of tenants/);
    assert.equal(await countWorkflow(other), 9);
  } finally {
    await ingest.close();
  }
});

async function countWorkflow(workflow: string): Promise<number> {
  const { rows } = await t.db.query<{ n: string }>(
    'SELECT count(*) AS n FROM public.event_logs WHERE workflow_id = $1',
    [workflow],
  );
  return Number(rows[0]!.n);
}

test('every character survives the COPY text format: backslashes, tabs, newlines, \\N, quotes, non-ASCII', async () => {
  const writer = new PostgresRecordWriter(t.db, { events: ingestMetricsEvents(t.metrics) });
  const awkward = [
    'a\\b',
    'tab\there',
    'line\nbreak',
    'cr\rhere',
    '\\N',
    '\\.',
    '"quoted"',
    'ünï €',
    '🙂',
    '',
  ];
  const wf = `wf-${randomUUID()}`;
  const records = awkward.map((text, i) =>
    validateRecord(
      'event_log',
      event(wf, i + 1, { message: text, agent_id: text, payload: { text, [text]: [text, null, true, 1.5] } }),
    ),
  );
  const copiedBefore = await copyStatements('ok');
  assert.equal(await writer.write('event_log', records), awkward.length);
  assert.equal(await copyStatements('ok'), copiedBefore + 1);
  const { rows } = await t.db.query<{ seq: string; message: string; agent_id: string; payload: unknown }>(
    'SELECT seq, message, agent_id, payload FROM public.event_logs WHERE workflow_id = $1 ORDER BY seq',
    [wf],
  );
  assert.deepEqual(
    rows.map((r) => [r.message, r.agent_id, r.payload]),
    awkward.map((text) => [text, text, { text, [text]: [text, null, true, 1.5] }]),
  );
});

test('values a record leaves out are filled in the same way by COPY and by the upsert', async () => {
  const clock = 0;
  const writer = new PostgresRecordWriter(t.db, { events: ingestMetricsEvents(t.metrics), now: () => clock });
  const byCopy = validateRecord('tool_execution', { tenant_id: tenant, tool_name: 'copy', created_at: at });
  await writer.write('tool_execution', [byCopy]);
  // The same record again fails the COPY (stored key), which opens the upsert window…
  await writer.write('tool_execution', [byCopy]);
  // …so this one is written by the upsert.
  const byUpsert = validateRecord('tool_execution', {
    tenant_id: tenant,
    tool_name: 'upsert',
    created_at: at,
  });
  await writer.write('tool_execution', [byUpsert]);
  const { rows } = await t.db.query<Record<string, unknown>>(
    `SELECT tool_name, input_params, success, tokens_consumed, metadata, output
       FROM public.tool_executions WHERE tenant_id = $1 AND tool_name IN ('copy', 'upsert') ORDER BY tool_name`,
    [tenant],
  );
  const defaults = { input_params: {}, success: true, tokens_consumed: 0, metadata: {}, output: null };
  assert.deepEqual(rows, [
    { tool_name: 'copy', ...defaults },
    { tool_name: 'upsert', ...defaults },
  ]);
});

test('two tenants using the same idempotency key in one batch are two records', async () => {
  const second = await createTenant(t.db);
  const ingest: Ingest = await createIngest({ db: t.db, dataDir: join(dir, 'tenants'), metrics: t.metrics });
  try {
    const key = `shared-${randomUUID()}`;
    const results = await ingest.writeBatch('audit_log', [
      { tenant_id: tenant, idempotency_key: key, action: 'first', created_at: at },
      { tenant_id: second, idempotency_key: key, action: 'second', created_at: at },
      { tenant_id: tenant, idempotency_key: key, action: 'first again', created_at: at },
    ]);
    assert.deepEqual(
      results.map((r) => r.outcome),
      ['committed', 'committed', 'committed'],
    );
    const { rows } = await t.db.query<{ tenant_id: string; action: string }>(
      'SELECT tenant_id, action FROM public.audit_logs WHERE idempotency_key = $1 ORDER BY action',
      [key],
    );
    assert.deepEqual(rows, [
      { tenant_id: tenant, action: 'first' },
      { tenant_id: second, action: 'second' },
    ]);
  } finally {
    await ingest.close();
  }
});
