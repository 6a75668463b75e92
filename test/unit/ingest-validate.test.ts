/** Record validation: typed errors naming the field, deterministic keys, time stamped at acceptance. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isShannonError } from '../../src/errors/errors.js';
import { RECORD_KINDS } from '../../src/ingest/record-kinds.js';
import { validateRecord } from '../../src/ingest/validate-record.js';

const tenant_id = '00000000-0000-4000-8000-000000000001';
const now = () => Date.parse('2026-11-26T12:00:00.000Z');

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    assert.ok(isShannonError(error));
    return error.field;
  }
  assert.fail('expected a validation error');
}

test('unknown kinds, missing tenants, unknown columns and bad values name the field', () => {
  assert.equal(
    fieldOf(() => validateRecord('nope', { tenant_id })),
    'kind',
  );
  assert.equal(
    fieldOf(() => validateRecord('audit_log', { action: 'a' })),
    'record.tenant_id',
  );
  assert.equal(
    fieldOf(() => validateRecord('audit_log', { tenant_id, action: 'a', bogus: 1 })),
    'record.bogus',
  );
  assert.equal(
    fieldOf(() => validateRecord('audit_log', { tenant_id })),
    'record.action',
  );
  assert.equal(
    fieldOf(() => validateRecord('audit_log', { tenant_id, action: 'a', ip_address: 'x' })),
    'record.ip_address',
  );
  assert.equal(
    fieldOf(() =>
      validateRecord('task_execution', { tenant_id, workflow_id: 'w', query: 'q', status: 'DONE' }),
    ),
    'record.status',
  );
  assert.equal(
    fieldOf(() => validateRecord('event_log', { tenant_id, workflow_id: 'w', type: 't', seq: 0 })),
    'record.seq',
  );
  assert.equal(
    fieldOf(() =>
      validateRecord('token_usage', {
        tenant_id,
        provider: 'p',
        model: 'm',
        prompt_tokens: 1,
        completion_tokens: 1,
        total_tokens: 2,
        cost_usd: Number.NaN,
      }),
    ),
    'record.cost_usd',
  );
  assert.equal(
    fieldOf(() =>
      validateRecord('tool_execution', { tenant_id, tool_name: 't', input_params: { x: Infinity } }),
    ),
    'record.input_params.x',
  );
  assert.equal(
    fieldOf(() =>
      validateRecord('agent_execution', { tenant_id, agent_id: 'a', input: 'i', created_at: 'yesterday' }),
    ),
    'record.created_at',
  );
});

test('errors name the whole path, the message starts with it, and a function path is only called on error', () => {
  let calls = 0;
  const path = () => {
    calls += 1;
    return 'records[7]';
  };
  const ok = validateRecord(
    'tool_execution',
    { tenant_id, tool_name: 't', input_params: { a: [1, { b: 2 }] } },
    { path },
  );
  assert.deepEqual(ok.row['input_params'], { a: [1, { b: 2 }] });
  assert.equal(calls, 0);
  try {
    validateRecord(
      'tool_execution',
      { tenant_id, tool_name: 't', input_params: { a: [1, { b: Number.NaN }] } },
      { path },
    );
    assert.fail('expected a validation error');
  } catch (error) {
    assert.ok(isShannonError(error));
    assert.equal(error.field, 'records[7].input_params.a[1].b');
    assert.ok(error.message.startsWith('records[7].input_params.a[1].b '), error.message);
  }
  assert.equal(calls, 1);
});

test('timestamps: toISOString() output is kept as is, anything else is normalised or refused as before', () => {
  // Every canonical string the fast path accepts must equal what new Date(s).toISOString() gives.
  fc.assert(
    fc.property(
      fc.date({ min: new Date('1970-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z') }),
      (d) => {
        if (Number.isNaN(d.getTime())) return;
        const iso = d.toISOString();
        const r = validateRecord('audit_log', { tenant_id, action: 'a', created_at: iso });
        assert.equal(r.row['created_at'], iso);
      },
    ),
    { numRuns: 2000 },
  );
  const stored = (created_at: string) =>
    validateRecord('audit_log', { tenant_id, action: 'a', created_at }).row['created_at'];
  assert.equal(stored('2026-11-26T12:00:00+02:00'), '2026-11-26T10:00:00.000Z');
  assert.equal(stored('2026-11-26T12:00:00Z'), '2026-11-26T12:00:00.000Z');
  assert.equal(stored('2024-02-29T00:00:00.000Z'), '2024-02-29T00:00:00.000Z');
  assert.equal(stored('2026-11-26T12:00+01:00'), '2026-11-26T11:00:00.000Z');
  // Days that do not exist are refused, not rolled over into the next month as new Date() does.
  for (const bad of [
    '2026-02-30T00:00:00.000Z',
    '2026-02-30T00:00:00Z',
    '2025-02-29T12:00:00+02:00',
    '2026-04-31T10:00:00.5+02:00',
    '2026-11-26T12:00:00+25:00',
    '2026-13-01T00:00:00.000Z',
    '1969-12-31T23:59:59.999Z',
    '2026-11-26T24:61:00.000Z',
    '2026-11-26 12:00',
  ]) {
    assert.equal(
      fieldOf(() => validateRecord('audit_log', { tenant_id, action: 'a', created_at: bad })),
      'record.created_at',
      bad,
    );
  }
});

test('the time column is stamped at acceptance when absent and kept when given', () => {
  const stamped = validateRecord('audit_log', { tenant_id, action: 'a' }, { now });
  assert.equal(stamped.row['created_at'], '2026-11-26T12:00:00.000Z');
  const given = validateRecord('audit_log', {
    tenant_id,
    action: 'a',
    created_at: '2026-01-01T00:00:00+02:00',
  });
  assert.equal(given.row['created_at'], '2025-12-31T22:00:00.000Z');
  const event = validateRecord('event_log', {
    tenant_id,
    workflow_id: 'w',
    type: 't',
    timestamp: '2026-02-01T00:00:00Z',
  });
  assert.equal(event.row['created_at'], '2026-02-01T00:00:00.000Z');
});

test('keys: supplied keys win; derived keys are deterministic and independent of the stamped time', () => {
  const a = validateRecord('audit_log', { tenant_id, action: 'x', idempotency_key: 'k-1' });
  assert.equal(a.key, 'k-1');
  const b1 = validateRecord('audit_log', { tenant_id, action: 'x' }, { now: () => 1 });
  const b2 = validateRecord('audit_log', { action: 'x', tenant_id }, { now: () => 2 });
  assert.equal(b1.key, b2.key);
  const c = validateRecord('audit_log', { tenant_id, action: 'y' });
  assert.notEqual(b1.key, c.key);
});

test('events: a sequence makes the natural key; without one the content decides (W5)', () => {
  const e = (extra: Record<string, unknown>) =>
    validateRecord('event_log', { tenant_id, workflow_id: 'w', type: 'T', ...extra }).key;
  assert.equal(e({ seq: 3, message: 'a' }), e({ seq: 3, message: 'b' }));
  assert.notEqual(e({ seq: 3 }), e({ seq: 4 }));
  assert.notEqual(e({ message: 'a' }), e({ message: 'b' }));
});

test('token usage: a call sequence with a task makes the natural key; otherwise content (W12)', () => {
  const base = {
    tenant_id,
    provider: 'p',
    model: 'm',
    prompt_tokens: 1,
    completion_tokens: 1,
    total_tokens: 2,
    cost_usd: 0,
  };
  const task_id = '00000000-0000-4000-8000-0000000000aa';
  const k = (extra: Record<string, unknown>) => validateRecord('token_usage', { ...base, ...extra }).key;
  assert.equal(k({ task_id, call_sequence: 1 }), k({ task_id, call_sequence: 1, prompt_tokens: 9 }));
  assert.notEqual(k({ task_id, call_sequence: 0 }), k({ task_id, call_sequence: 0, prompt_tokens: 9 }));
});

test('every kind accepts a minimal valid record', () => {
  const minimal: Record<string, Record<string, unknown>> = {
    task_execution: { workflow_id: 'w', query: 'q', status: 'RUNNING' },
    agent_execution: { agent_id: 'a', input: 'i' },
    tool_execution: { tool_name: 't' },
    token_usage: {
      provider: 'p',
      model: 'm',
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      cost_usd: 0,
    },
    event_log: { workflow_id: 'w', type: 't' },
    audit_log: { action: 'a' },
    auth_audit_log: { event_type: 'login' },
    session_archive: { session_id: 's' },
    learning_case: { input_hash: 'h', action_taken: {}, outcome: {} },
  };
  for (const kind of RECORD_KINDS) {
    const r = validateRecord(kind, { tenant_id, ...minimal[kind] });
    assert.equal(r.kind, kind);
    assert.match(r.key, /^[0-9a-f]{64}$/);
  }
});

test('an oversized record is refused with PAYLOAD_TOO_LARGE', () => {
  assert.throws(
    () =>
      validateRecord(
        'audit_log',
        { tenant_id, action: 'a', user_agent: 'x'.repeat(5000) },
        { maxRecordBytes: 1000 },
      ),
    (e: unknown) => isShannonError(e) && e.code === 'PAYLOAD_TOO_LARGE',
  );
});

test('the size limit applies to the exact UTF-8 size, also where the quick estimate is far below it', () => {
  // 300 characters of 3-byte UTF-8 each: about 300 bytes estimated, 900+ bytes exact.
  const text = '€'.repeat(300);
  assert.throws(
    () => validateRecord('audit_log', { tenant_id, action: 'a', user_agent: text }, { maxRecordBytes: 800 }),
    (e: unknown) => isShannonError(e) && e.code === 'PAYLOAD_TOO_LARGE',
  );
  // Control characters are escaped as \u00XX in JSON: 6 bytes each.
  assert.throws(
    () =>
      validateRecord(
        'audit_log',
        { tenant_id, action: 'a', new_value: { t: '\u0001'.repeat(200) } },
        { maxRecordBytes: 1000 },
      ),
    (e: unknown) => isShannonError(e) && e.code === 'PAYLOAD_TOO_LARGE',
  );
  assert.doesNotThrow(() =>
    validateRecord(
      'audit_log',
      { tenant_id, action: 'a', user_agent: '€'.repeat(100) },
      { maxRecordBytes: 800 },
    ),
  );
});
