/**
 * RecordOf<K>, the TypeScript type of a record the write path accepts, is derived from the table
 * definitions: what it allows validates, and what it refuses (each `@ts-expect-error` below, checked
 * by `npm run typecheck`) is what validation refuses too. `ingest.write` and `ingest.writeBatch`
 * take RecordOf<K> of the kind they name, and still validate at run time what reaches them anyway.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isValidationError } from '../../src/errors/errors.js';
import { createIngest } from '../../src/ingest/ingest.js';
import type { RecordOf } from '../../src/ingest/record-schemas.js';
import type { RecordWriter } from '../../src/ingest/record-writer.js';
import { validateRecord } from '../../src/ingest/validate-record.js';

const tenant_id = '0b7f5a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';

test('a record typed RecordOf<K> validates as kind K', () => {
  const event: RecordOf<'event_log'> = { tenant_id, workflow_id: 'w-1', type: 'agent_started', seq: 1 };
  const task: RecordOf<'task_execution'> = {
    tenantId: tenant_id,
    workflow_id: 'w-1',
    query: 'q',
    status: 'RUNNING',
    metadata: { step: 1 },
    completed_at: null,
    started_at: new Date('2026-01-01T00:00:00Z'),
  };
  const usage: RecordOf<'token_usage'> = {
    tenant_id,
    idempotency_key: 'call-1',
    provider: 'openai',
    model: 'm',
    prompt_tokens: 1,
    completion_tokens: 2,
    total_tokens: 3,
    cost_usd: 0.01,
  };
  assert.equal(validateRecord('event_log', event).row['seq'], 1);
  assert.equal(validateRecord('task_execution', task).row['started_at'], '2026-01-01T00:00:00.000Z');
  assert.equal(validateRecord('token_usage', usage).key, 'call-1');
});

test('what RecordOf<K> refuses, validation refuses', () => {
  const refused: Array<[string, unknown]> = [];
  // @ts-expect-error a required column (type) is missing
  const missing: RecordOf<'event_log'> = { tenant_id, workflow_id: 'w-1' };
  refused.push(['event_log', missing]);
  // @ts-expect-error not a column of the table
  const unknownColumn: RecordOf<'event_log'> = { tenant_id, workflow_id: 'w', type: 't', colour: 'red' };
  refused.push(['event_log', unknownColumn]);
  // @ts-expect-error a status the table does not accept
  const badStatus: RecordOf<'task_execution'> = { tenant_id, workflow_id: 'w', query: 'q', status: 'DONE' };
  refused.push(['task_execution', badStatus]);
  // @ts-expect-error a required column may not be null
  const nullRequired: RecordOf<'audit_log'> = { tenant_id, action: null };
  refused.push(['audit_log', nullRequired]);
  // @ts-expect-error no tenant
  const noTenant: RecordOf<'audit_log'> = { action: 'login' };
  refused.push(['audit_log', noTenant]);
  for (const [kind, record] of refused)
    assert.throws(() => validateRecord(kind, record), isValidationError, `${kind} ${JSON.stringify(record)}`);
});

test('ingest.write and writeBatch accept only a record of the kind they name', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'record-types-'));
  const writer: RecordWriter = {
    write: async (_kind, records) => records.length,
    ping: async () => undefined,
  };
  const ingest = await createIngest({ writer, dataDir: dir, flushIntervalMs: 1 });
  try {
    const event: RecordOf<'event_log'> = { tenant_id, workflow_id: 'w-1', type: 't', seq: 1 };
    assert.equal((await ingest.write('event_log', event)).outcome, 'committed');
    assert.equal((await ingest.writeBatch('event_log', [event, { ...event, seq: 2 }])).length, 2);

    await assert.rejects(
      // @ts-expect-error seq is a number, not a string
      ingest.write('event_log', { tenant_id, workflow_id: 'w-1', type: 't', seq: '1' }),
      isValidationError,
    );
    await assert.rejects(
      // @ts-expect-error a misspelt kind
      ingest.write('event_logs', event),
      isValidationError,
    );
    await assert.rejects(
      // @ts-expect-error an event is not a task record
      ingest.writeBatch('task_execution', [event]),
      isValidationError,
    );
    await assert.rejects(
      // @ts-expect-error a status the table does not accept, in a batch
      ingest.writeBatch('task_execution', [{ tenant_id, workflow_id: 'w-2', query: 'q', status: 'DONE' }]),
      isValidationError,
    );
  } finally {
    await ingest.close();
    await rm(dir, { recursive: true, force: true });
  }
});
