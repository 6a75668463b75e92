/**
 * New writes while the spool is being replayed (src/ingest/ingest.ts, spool.ts, write-slots.ts): an
 * insert-only record, and a task update of a workflow that has nothing in the spool, are committed
 * directly instead of queuing behind the spool; a task update of a workflow that still has updates
 * in the spool goes behind them and lands after them; while the database fails, batches go to the
 * spool without a write attempt. The writer is an in-memory stand-in that logs every write and can
 * hold back the replay of chosen workflows; a real spool lives in a temporary directory.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DatabaseError } from '../../src/errors/errors.js';
import { createIngest } from '../../src/ingest/ingest.js';
import type { IngestRecord, RecordKind } from '../../src/ingest/record-kinds.js';
import type { RecordOf } from '../../src/ingest/record-schemas.js';
import type { RecordWriter } from '../../src/ingest/record-writer.js';
import { Spool } from '../../src/ingest/spool.js';
import { validateRecord } from '../../src/ingest/validate-record.js';
import { WriteSlots } from '../../src/ingest/write-slots.js';

const tenant_id = '00000000-0000-4000-8000-000000000001';

const event = (workflow_id: string, seq: number): RecordOf<'event_log'> => ({
  tenant_id,
  workflow_id,
  type: 't',
  seq,
});
const task = (
  workflow_id: string,
  status: RecordOf<'task_execution'>['status'],
): RecordOf<'task_execution'> => ({
  tenant_id,
  workflow_id,
  query: 'q',
  status,
});

/** Logs `kind workflow status` per record written; writes of `held` workflows wait for release(). */
class GatedWriter implements RecordWriter {
  readonly log: string[] = [];
  readonly held = new Set<string>();
  down = false;
  calls = 0;
  release: () => void = () => undefined;
  private readonly gate = new Promise<void>((resolve) => {
    this.release = resolve;
  });
  async write(kind: RecordKind, records: readonly IngestRecord[]): Promise<number> {
    this.calls += 1;
    if (this.down) throw new DatabaseError('DB_UNAVAILABLE', 'connection refused');
    if (records.some((r) => this.held.has(String(r.row['workflow_id'])))) await this.gate;
    for (const r of records)
      this.log.push(`${kind} ${String(r.row['workflow_id'])} ${String(r.row['status'] ?? '')}`);
    return records.length;
  }
  async ping(): Promise<void> {
    if (this.down) throw new DatabaseError('DB_UNAVAILABLE', 'connection refused');
  }
}

async function drain(ingest: Awaited<ReturnType<typeof createIngest>>): Promise<void> {
  for (let i = 0; i < 100 && ingest.stats().spool.segments > 0; i += 1) await ingest.replay();
  assert.equal(ingest.stats().spool.segments, 0);
}

test('while replay runs, insert-only records and unspooled workflows go direct; a spooled workflow queues behind its updates', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ingest-direct-'));
  // Left by an earlier process: events, then a task update of workflow "w-spooled".
  const left = await Spool.open({ dir: join(dir, 'spool') });
  await left.append([validateRecord('event_log', event('e-spooled', 1))]);
  await left.append([validateRecord('task_execution', task('w-spooled', 'RUNNING'))]);
  await left.close();
  const writer = new GatedWriter();
  writer.held.add('e-spooled');
  const ingest = await createIngest({
    writer,
    dataDir: dir,
    flushIntervalMs: 1,
    replayIntervalMs: 3_600_000,
  });
  try {
    // The replay of the spool is under way and held back at its first frame.
    assert.equal((await ingest.write('event_log', event('e-new', 1))).outcome, 'committed');
    assert.equal((await ingest.write('task_execution', task('w-other', 'RUNNING'))).outcome, 'committed');
    assert.equal(
      (await ingest.write('task_execution', task('w-spooled', 'COMPLETED'))).outcome,
      'spooled',
      'an update of a workflow with an update in the spool goes behind it',
    );
    assert.deepEqual(writer.log, ['event_log e-new ', 'task_execution w-other RUNNING']);
    writer.release();
    await drain(ingest);
    const spooledWorkflow = writer.log.filter((l) => l.includes('w-spooled'));
    assert.deepEqual(spooledWorkflow, [
      'task_execution w-spooled RUNNING',
      'task_execution w-spooled COMPLETED',
    ]);
    // Its updates are all committed now: the next one goes direct.
    assert.equal((await ingest.write('task_execution', task('w-spooled', 'COMPLETED'))).outcome, 'committed');
  } finally {
    writer.release();
    await ingest.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('while the database fails, batches go to the spool without a write attempt, and direct again once it answers', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ingest-direct-'));
  const writer = new GatedWriter();
  const ingest = await createIngest({
    writer,
    dataDir: dir,
    flushIntervalMs: 1,
    replayIntervalMs: 3_600_000,
  });
  try {
    writer.down = true;
    assert.equal((await ingest.write('event_log', event('e1', 1))).outcome, 'spooled');
    const calls = writer.calls;
    assert.equal((await ingest.write('event_log', event('e2', 1))).outcome, 'spooled');
    assert.equal(writer.calls, calls, 'no write is tried while the database is known to fail');
    writer.down = false;
    await drain(ingest);
    assert.equal((await ingest.write('event_log', event('e3', 1))).outcome, 'committed');
    assert.deepEqual(writer.log.sort(), ['event_log e1 ', 'event_log e2 ', 'event_log e3 ']);
  } finally {
    await ingest.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('write slots: when both sides wait, a freed slot goes to the side that did not get the last one', async () => {
  const slots = new WriteSlots(1);
  const order: string[] = [];
  const first = await slots.acquire('direct');
  const waiting = [
    ...['d1', 'd2', 'd3'].map((name) => slots.acquire('direct').then((release) => ({ name, release }))),
    slots.acquire('replay').then((release) => ({ name: 'r1', release })),
  ];
  const granted = waiting.map((p) =>
    p.then(({ name, release }) => {
      order.push(name);
      setImmediate(release);
    }),
  );
  first();
  await Promise.all(granted);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, ['r1', 'd1', 'd2', 'd3'], 'replay is not starved by a queue of direct writes');
  assert.equal(slots.stats().busy, 0);
});
