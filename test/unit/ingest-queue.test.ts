/** Write queue and batcher: size/time flushes, priorities, coalescing, bounded backpressure (fake timers). */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { isBackpressureError } from '../../src/errors/errors.js';
import { Batcher } from '../../src/ingest/batcher.js';
import type { BatchItem, WriteOutcome } from '../../src/ingest/coalesce.js';
import { type IngestRecord, type LaneName, laneOf, type RecordKind } from '../../src/ingest/record-kinds.js';
import { taskRounds } from '../../src/ingest/record-writer.js';
import { type Batch, WriteQueue } from '../../src/ingest/write-queue.js';

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 }));
afterEach(() => mock.timers.reset());

const TENANT = '00000000-0000-4000-8000-000000000001';

function item(kind: RecordKind, key: string, row: Record<string, unknown> = {}, outcomes?: unknown[]) {
  const record: IngestRecord = { kind, tenantId: TENANT, key, row };
  const entry: BatchItem = {
    record,
    bytes: 100,
    waiters: [
      {
        resolve: (o: WriteOutcome) => outcomes?.push(o),
        reject: (e: unknown) => outcomes?.push(e),
      },
    ],
  };
  return { lane: laneOf(record), item: entry };
}

async function tick(ms: number): Promise<void> {
  mock.timers.tick(ms);
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
}

test('a lane flushes when it holds a full batch, before the interval', async () => {
  const flushed: Batch[] = [];
  const { queue } = new Batcher({
    queue: { batchMaxRecords: 3 },
    flushIntervalMs: 1000,
    flush: async (b) => void flushed.push(b),
  });
  await queue.enqueue([item('event_log', 'a'), item('event_log', 'b')]);
  assert.equal(flushed.length, 0);
  await queue.enqueue([item('event_log', 'c')]);
  assert.equal(flushed.length, 1);
  assert.deepEqual(
    flushed[0]!.items.map((i) => i.record.key),
    ['a', 'b', 'c'],
  );
});

test('a partial lane flushes after the interval, not before', async () => {
  const flushed: Batch[] = [];
  const { queue } = new Batcher({
    queue: { batchMaxRecords: 100 },
    flushIntervalMs: 50,
    flush: async (b) => void flushed.push(b),
  });
  await queue.enqueue([item('token_usage', 'a')]);
  await tick(49);
  assert.equal(flushed.length, 0);
  await tick(1);
  assert.equal(flushed.length, 1);
});

test('terminal task updates go first, ahead of a flood of events', async () => {
  const order: LaneName[] = [];
  const batcher = new Batcher({
    queue: { batchMaxRecords: 10 },
    concurrency: 1,
    flushIntervalMs: 1000,
    flush: async (b) => void order.push(b.lane),
  });
  batcher.stop();
  const { queue } = batcher;
  const events = Array.from({ length: 30 }, (_, i) => item('event_log', `e${i}`));
  await queue.enqueue(events);
  await queue.enqueue([item('task_execution', 'w1', { status: 'RUNNING', workflow_id: 'w1' })]);
  await queue.enqueue([item('task_execution', 'w2', { status: 'COMPLETED', workflow_id: 'w2' })]);
  assert.equal(queue.nextLane(0), 'task_terminal');
  const first = queue.take(queue.nextLane(0)!)!;
  assert.equal(first.lane, 'task_terminal');
  // Task lanes share a serial group: the plain task lane waits until the terminal batch is released.
  assert.equal(queue.nextLane(0), 'event_log');
  queue.release(first);
  assert.equal(queue.nextLane(0), 'task_execution');
  assert.deepEqual(order, []);
});

test('several updates of one task in a batch all stay, in arrival order, each with its caller', async () => {
  // Merging them in Node could not honour the stored row (a finished task only gets its empty
  // fields filled); the writer applies them in order instead (record-writer.ts, taskRounds).
  const queue = new WriteQueue({ batchMaxRecords: 10 });
  const outcomes: unknown[] = [];
  const base = { workflow_id: 'w', query: 'q' };
  await queue.enqueue([
    item('task_execution', 'w', { ...base, status: 'PENDING', metadata: { a: 1 } }, outcomes),
    item('task_execution', 'w', { ...base, status: 'RUNNING', session_id: 's' }, outcomes),
    item('task_execution', 'w', { ...base, status: 'PAUSED', metadata: { b: 2 } }, outcomes),
  ]);
  const batch = queue.take('task_execution')!;
  assert.deepEqual(
    batch.items.map((i) => i.record.row['status']),
    ['PENDING', 'RUNNING', 'PAUSED'],
  );
  for (const i of batch.items) for (const w of i.waiters) w.resolve('committed');
  assert.deepEqual(outcomes, ['committed', 'committed', 'committed']);
});

test('a final status jumps the queue, but not ahead of an earlier update of its own task', async () => {
  const queue = new WriteQueue();
  await queue.enqueue([item('task_execution', 'w', { status: 'RUNNING' })]);
  await queue.enqueue([item('task_execution', 'w', { status: 'COMPLETED' })]);
  await queue.enqueue([item('task_execution', 'other', { status: 'COMPLETED' })]);
  // The other task's final status has its own lane, first; w's stays behind w's RUNNING.
  assert.deepEqual(
    queue.take('task_terminal')!.items.map((i) => i.record.key),
    ['other'],
  );
  assert.deepEqual(
    queue.take('task_execution')!.items.map((i) => [i.record.key, i.record.row['status']]),
    [
      ['w', 'RUNNING'],
      ['w', 'COMPLETED'],
    ],
  );
});

test('task rounds: the n-th update of each task goes to round n, in arrival order', () => {
  const r = (key: string, status: string) => item('task_execution', key, { status }).item.record;
  const rounds = taskRounds([r('a', 'PENDING'), r('b', 'RUNNING'), r('a', 'RUNNING'), r('a', 'COMPLETED')]);
  assert.deepEqual(
    rounds.map((round) => round.map((x) => `${x.key}:${x.row['status']}`)),
    [['a:PENDING', 'b:RUNNING'], ['a:RUNNING'], ['a:COMPLETED']],
  );
});

test('insert-only duplicates in a batch are written once', async () => {
  const queue = new WriteQueue();
  await queue.enqueue([item('event_log', 'k'), item('event_log', 'k'), item('event_log', 'j')]);
  const batch = queue.take('event_log')!;
  assert.deepEqual(
    batch.items.map((i) => [i.record.key, i.waiters.length]),
    [
      ['k', 2],
      ['j', 1],
    ],
  );
});

test('the same key under two tenants is two records; repeats under one tenant still coalesce', async () => {
  const other = '00000000-0000-4000-8000-000000000002';
  const forTenant = (tenantId: string, key: string) => {
    const entry = item('event_log', key);
    return { ...entry, item: { ...entry.item, record: { ...entry.item.record, tenantId } } };
  };
  const queue = new WriteQueue();
  await queue.enqueue([
    forTenant(TENANT, 'k'),
    forTenant(other, 'k'),
    forTenant(TENANT, 'k'),
    forTenant(other, 'k'),
  ]);
  const batch = queue.take('event_log')!;
  assert.deepEqual(
    batch.items.map((i) => [i.record.tenantId, i.record.key, i.waiters.length]),
    [
      [TENANT, 'k', 2],
      [other, 'k', 2],
    ],
  );
});

test('a full queue makes the caller wait, then admits it when room frees up', async () => {
  let waits = 0;
  const queue = new WriteQueue(
    { maxRecords: 2, maxWaitMs: 1000 },
    {
      waited: () => {
        waits += 1;
      },
    },
  );
  await queue.enqueue([item('event_log', 'a'), item('event_log', 'b')]);
  let admitted = false;
  const pending = queue.enqueue([item('event_log', 'c')]).then(() => {
    admitted = true;
  });
  await tick(500);
  assert.equal(admitted, false);
  assert.equal(waits, 1);
  const batch = queue.take('event_log')!;
  queue.release(batch);
  await pending;
  assert.equal(admitted, true);
  assert.ok(queue.stats().pendingRecords <= 2);
});

test('the bounded wait ends in a typed BackpressureError, and nothing is admitted', async () => {
  const queue = new WriteQueue({ maxRecords: 1, maxWaitMs: 200 });
  await queue.enqueue([item('event_log', 'a')]);
  const pending = queue.enqueue([item('event_log', 'b')]);
  const check = assert.rejects(pending, (e: unknown) => isBackpressureError(e) && e.retryAfterMs === 200);
  await tick(200);
  await check;
  assert.equal(queue.stats().pendingRecords, 1);
});

test('byte bound: a batch larger than the queue can never fit and fails at once', async () => {
  const queue = new WriteQueue({ maxBytes: 250 });
  await assert.rejects(
    queue.enqueue([item('event_log', 'a'), item('event_log', 'b'), item('event_log', 'c')]),
    (e: unknown) => (e as { code?: string }).code === 'PAYLOAD_TOO_LARGE',
  );
});

test('batches respect the byte limit per statement', async () => {
  const queue = new WriteQueue({ batchMaxBytes: 250 });
  await queue.enqueue([item('event_log', 'a'), item('event_log', 'b'), item('event_log', 'c')]);
  assert.equal(queue.take('event_log')!.items.length, 2);
  assert.equal(queue.take('event_log')!.items.length, 1);
});

test('waiting callers are admitted in arrival order', async () => {
  const queue = new WriteQueue({ maxRecords: 1, maxWaitMs: 10_000 });
  await queue.enqueue([item('event_log', 'a')]);
  const order: string[] = [];
  const p1 = queue.enqueue([item('event_log', 'b')]).then(() => order.push('b'));
  const p2 = queue.enqueue([item('event_log', 'c')]).then(() => order.push('c'));
  queue.release(queue.take('event_log')!);
  await p1;
  queue.release(queue.take('event_log')!);
  await p2;
  assert.deepEqual(order, ['b', 'c']);
});

test('drain() flushes everything at once and resolves when all is settled', async () => {
  const flushed: string[] = [];
  const batcher = new Batcher({
    flushIntervalMs: 60_000,
    flush: async (b) => void flushed.push(...b.items.map((i) => i.record.key)),
  });
  const { queue } = batcher;
  await queue.enqueue([item('event_log', 'a'), item('audit_log', 'b')]);
  await batcher.drain();
  assert.deepEqual(flushed.sort(), ['a', 'b']);
  assert.equal(queue.stats().pendingRecords, 0);
});
