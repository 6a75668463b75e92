/**
 * Replay scheduling (src/ingest/replayer.ts) on a real spool in a temporary directory: frames of
 * insert-only kinds are replayed several at once, a frame of task updates waits for the frames
 * before it and holds back the ones after it, and a pass stopped by an outage — or a process
 * restarted — resumes after the frames already committed. The writer is a recording stand-in for
 * the PostgreSQL one, whose replay runs against real servers in test/fault/ingest-*.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DatabaseError } from '../../src/errors/errors.js';
import type { IngestRecord, RecordKind } from '../../src/ingest/record-kinds.js';
import type { RecordWriter } from '../../src/ingest/record-writer.js';
import { Replayer } from '../../src/ingest/replayer.js';
import { Spool } from '../../src/ingest/spool.js';
import { validateRecord } from '../../src/ingest/validate-record.js';

const tenant_id = '00000000-0000-4000-8000-000000000001';

function frame(name: string, kind: 'event_log' | 'task_execution'): IngestRecord[] {
  return Array.from({ length: 3 }, (_, i) =>
    kind === 'event_log'
      ? validateRecord(kind, { tenant_id, workflow_id: name, type: 't', seq: i + 1 })
      : validateRecord(kind, { tenant_id, workflow_id: name, query: 'q', status: 'RUNNING' }),
  );
}

/** Records what was written when, and fails the frames it is told to, once each. */
class RecordingWriter implements RecordWriter {
  readonly events: string[] = [];
  active = 0;
  maxActive = 0;
  readonly failOnce = new Set<string>();
  async write(_kind: RecordKind, records: readonly IngestRecord[]): Promise<number> {
    const name = String(records[0]!.row['workflow_id']);
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    this.events.push(`start ${name}`);
    try {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (this.failOnce.delete(name)) throw new DatabaseError('DB_UNAVAILABLE', 'connection refused');
      this.events.push(`end ${name}`);
      return records.length;
    } finally {
      this.active -= 1;
    }
  }
  async ping(): Promise<void> {}
}

async function spoolWith(frames: IngestRecord[][]): Promise<{ spool: Spool; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'replayer-'));
  const spool = await Spool.open({ dir });
  for (const f of frames) await spool.append(f);
  return { spool, dir };
}

test('insert-only frames replay several at once; a task frame waits for earlier frames and holds back later ones', async () => {
  const { spool, dir } = await spoolWith([
    frame('e1', 'event_log'),
    frame('e2', 'event_log'),
    frame('t1', 'task_execution'),
    frame('e3', 'event_log'),
    frame('e4', 'event_log'),
  ]);
  const writer = new RecordingWriter();
  const replayer = new Replayer({ spool, writer, intervalMs: 3_600_000, concurrency: 2 });
  try {
    await replayer.runOnce();
    const at = (event: string) => writer.events.indexOf(event);
    assert.equal(writer.maxActive, 2);
    assert.ok(at('start t1') > at('end e1') && at('start t1') > at('end e2'), writer.events.join(', '));
    assert.ok(at('start e3') > at('end t1') && at('start e4') > at('end t1'), writer.events.join(', '));
    assert.equal(spool.stats().records, 0);
  } finally {
    await replayer.stop();
    await spool.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a pass stopped by an outage resumes after the frames already committed', async () => {
  const { spool, dir } = await spoolWith([
    frame('e1', 'event_log'),
    frame('e2', 'event_log'),
    frame('e3', 'event_log'),
  ]);
  const writer = new RecordingWriter();
  writer.failOnce.add('e2');
  const replayer = new Replayer({ spool, writer, intervalMs: 3_600_000, concurrency: 1 });
  try {
    await replayer.runOnce();
    assert.equal(spool.stats().records, 9, 'nothing is removed while a frame is not committed');
    await replayer.runOnce();
    assert.deepEqual(
      writer.events.filter((e) => e.startsWith('end')),
      ['end e1', 'end e2', 'end e3'],
      'e1 is not written again',
    );
    assert.equal(spool.stats().records, 0);
  } finally {
    await replayer.stop();
    await spool.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a restarted process resumes after the frames committed before it stopped', async () => {
  const { spool, dir } = await spoolWith([
    frame('e1', 'event_log'),
    frame('t1', 'task_execution'),
    frame('e2', 'event_log'),
    frame('e3', 'event_log'),
  ]);
  const first = new RecordingWriter();
  first.failOnce.add('e3');
  const replayer = new Replayer({ spool, writer: first, intervalMs: 3_600_000, concurrency: 1 });
  await replayer.runOnce();
  await replayer.stop();
  await spool.close();
  assert.deepEqual(
    first.events.filter((e) => e.startsWith('end')),
    ['end e1', 'end t1', 'end e2'],
  );
  // A new process: a new spool object and replayer on the same directory.
  const reopened = await Spool.open({ dir });
  const second = new RecordingWriter();
  const restarted = new Replayer({ spool: reopened, writer: second, intervalMs: 3_600_000, concurrency: 1 });
  try {
    await restarted.runOnce();
    assert.deepEqual(second.events, ['start e3', 'end e3'], 'no committed frame is written again');
    assert.equal(reopened.stats().segments, 0);
    assert.deepEqual(await readdir(dir), ['LOCK'], 'a removed segment takes its progress file with it');
  } finally {
    await restarted.stop();
    await reopened.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('a progress file left without its segment is never taken for a new segment of the same number', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'replayer-'));
  // As a crash between deleting a replayed segment and deleting its progress file leaves it.
  await writeFile(join(dir, 'segment-0000000000000001.progress'), '5\n');
  const spool = await Spool.open({ dir });
  for (const name of ['e1', 'e2']) await spool.append(frame(name, 'event_log'));
  const writer = new RecordingWriter();
  const replayer = new Replayer({ spool, writer, intervalMs: 3_600_000, concurrency: 1 });
  try {
    await replayer.runOnce();
    assert.deepEqual(
      writer.events.filter((e) => e.startsWith('end')),
      ['end e1', 'end e2'],
    );
    assert.deepEqual(await readdir(dir), ['LOCK'], 'the orphaned progress file is removed');
  } finally {
    await replayer.stop();
    await spool.close();
    await rm(dir, { recursive: true, force: true });
  }
});
