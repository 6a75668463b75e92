/**
 * Model-based test of the write path (fast-check commands): write events, write task updates,
 * flush, fail next flush, database down/up, crash and restart, close — against the real queue,
 * batcher, spool (temporary directory) and replayer, with a faithful in-memory writer that keeps
 * PostgreSQL's unique key semantics (tenant, idempotency key, time column) for events, applies task
 * updates in order (upserts by workflow), and fails the way PostgreSQL does (transient errors).
 * Invariants after every command: every acknowledged event is stored exactly once or spooled; no
 * key is stored twice; each workflow's updates are applied in the order they were written (a
 * repeat of the latest one after a failure is allowed, an older one after a newer one is not); the
 * queue never holds more than its bound. At the end every acknowledged task update was applied.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { DatabaseError } from '../../src/errors/errors.js';
import { createIngest, type Ingest } from '../../src/ingest/ingest.js';
import type { IngestRecord, RecordKind } from '../../src/ingest/record-kinds.js';
import type { RecordWriter } from '../../src/ingest/record-writer.js';
import { Spool } from '../../src/ingest/spool.js';

const TENANT = '00000000-0000-4000-8000-000000000001';
const QUEUE_MAX = 40;

/**
 * In-memory event table with UNIQUE (tenant_id, idempotency_key, created_at) and ON CONFLICT DO
 * NOTHING; task updates are logged per workflow, in the order they were applied.
 */
class MemoryWriter implements RecordWriter {
  readonly rows = new Map<string, number>();
  /** Sequence numbers of the applied updates, per workflow. */
  readonly taskUpdates = new Map<string, number[]>();
  down = false;
  failNext = false;
  async write(_kind: RecordKind, records: readonly IngestRecord[]): Promise<number> {
    await new Promise((r) => setImmediate(r));
    if (this.down || this.failNext) {
      this.failNext = false;
      throw new DatabaseError('DB_UNAVAILABLE', 'connect ECONNREFUSED (model)');
    }
    let inserted = 0;
    if (_kind === 'task_execution') {
      for (const r of records) {
        const workflow = String(r.row['workflow_id']);
        const applied = this.taskUpdates.get(workflow) ?? [];
        applied.push(Number((r.row['metadata'] as { n: number }).n));
        this.taskUpdates.set(workflow, applied);
      }
      return records.length;
    }
    for (const r of records) {
      const unique = `${r.tenantId}|${r.key}|${String(r.row['created_at'])}`;
      if (!this.rows.has(unique)) {
        this.rows.set(unique, 1);
        inserted += 1;
      }
    }
    return inserted;
  }
  async ping(): Promise<void> {
    if (this.down) throw new DatabaseError('DB_UNAVAILABLE', 'down (model)');
  }
  /** Rows per idempotency key. */
  countsByKey(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const unique of this.rows.keys()) {
      const key = unique.split('|')[1]!;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }
}

interface Real {
  dir: string;
  writer: MemoryWriter;
  ingest: Ingest;
  acked: Set<string>;
  /** Acknowledged task updates as `workflow n`; and the last number written per workflow. */
  ackedTasks: Set<string>;
  taskSeq: Map<string, number>;
  pending: Set<Promise<unknown>>;
  nextId: number;
  maxPending: number;
}

async function open(real: Pick<Real, 'dir' | 'writer'>): Promise<Ingest> {
  return createIngest({
    writer: real.writer,
    dataDir: real.dir,
    flushIntervalMs: 2,
    replayIntervalMs: 5,
    queue: { maxRecords: QUEUE_MAX, maxWaitMs: 20, batchMaxRecords: 8 },
  });
}

async function spooledKeys(dir: string): Promise<Set<string>> {
  const spool = await Spool.open({ dir: join(dir, 'spool') });
  const keys = new Set<string>();
  for (const name of spool.sealedSegments()) {
    // A segment the replayer removed meanwhile has its records stored already.
    const content = await spool.read(name).catch(() => ({ batches: [] as IngestRecord[][] }));
    for (const batch of content.batches) for (const r of batch) keys.add(r.key);
  }
  return keys;
}

async function checkInvariants(real: Real): Promise<void> {
  const stats = real.ingest.stats();
  real.maxPending = Math.max(real.maxPending, stats.queue.pendingRecords);
  assert.ok(
    stats.queue.pendingRecords <= QUEUE_MAX,
    `queue holds ${stats.queue.pendingRecords} > ${QUEUE_MAX}`,
  );
  // Order matters while acknowledgements and replay go on: acknowledged first, then the spool, then
  // the table (a record leaves the spool only after it is in the table).
  const acked = [...real.acked];
  const spooled = await spooledKeys(real.dir);
  const counts = real.writer.countsByKey();
  for (const [key, n] of counts) assert.equal(n, 1, `key ${key} stored ${n} times`);
  for (const key of acked) assert.ok(counts.has(key) || spooled.has(key), `acknowledged ${key} is lost`);
  for (const [workflow, applied] of real.writer.taskUpdates) {
    for (let i = 1; i < applied.length; i += 1)
      assert.ok(
        applied[i]! >= applied[i - 1]!,
        `workflow ${workflow}: update ${applied[i]} applied after ${applied[i - 1]} (${applied.join(', ')})`,
      );
  }
}

type Cmd = fc.AsyncCommand<object, Real>;

const write = (n: number, duplicate: boolean): Cmd => ({
  check: () => true,
  async run(_m, real) {
    const records = Array.from({ length: n }, (_, i) => ({
      tenant_id: TENANT,
      // A duplicate resends an earlier key with the same content (a client retry).
      idempotency_key: `k${duplicate && real.nextId > 0 ? real.nextId - 1 - i : real.nextId + i}`,
      created_at: '2026-11-26T00:00:00.000Z',
      workflow_id: 'w',
      type: 'T',
    }));
    if (!duplicate) real.nextId += n;
    const p = real.ingest.writeBatch('event_log', records).then(
      (results) => {
        for (const r of results) if (r.outcome !== 'rejected') real.acked.add(r.key);
      },
      () => undefined, // refused as a whole (backpressure, shutting down): never acknowledged
    );
    real.pending.add(p);
    void p.finally(() => real.pending.delete(p));
    await new Promise((r) => setImmediate(r));
    await checkInvariants(real);
  },
  toString: () => `write(${n}${duplicate ? ', dup' : ''})`,
});

const writeTask = (workflow: string): Cmd => ({
  check: () => true,
  async run(_m, real) {
    const n = (real.taskSeq.get(workflow) ?? 0) + 1;
    real.taskSeq.set(workflow, n);
    const p = real.ingest
      .write('task_execution', {
        tenant_id: TENANT,
        workflow_id: workflow,
        query: 'q',
        status: 'RUNNING',
        started_at: '2026-11-26T00:00:00.000Z',
        metadata: { n },
      })
      .then(
        () => void real.ackedTasks.add(`${workflow} ${n}`),
        () => undefined, // refused: never acknowledged
      );
    real.pending.add(p);
    void p.finally(() => real.pending.delete(p));
    await new Promise((r) => setImmediate(r));
    await checkInvariants(real);
  },
  toString: () => `writeTask(${workflow})`,
});

const flush: Cmd = {
  check: () => true,
  async run(_m, real) {
    await real.ingest.flush();
    await checkInvariants(real);
  },
  toString: () => 'flush',
};

const failNextFlush: Cmd = {
  check: () => true,
  async run(_m, real) {
    real.writer.failNext = true;
    await checkInvariants(real);
  },
  toString: () => 'failNextFlush',
};

const setDown = (down: boolean): Cmd => ({
  check: () => true,
  async run(_m, real) {
    real.writer.down = down;
    await checkInvariants(real);
  },
  toString: () => (down ? 'dbDown' : 'dbUp'),
});

const crashRestart: Cmd = {
  check: () => true,
  async run(_m, real) {
    // What was acknowledged is durable; the callers of everything else hear SHUTTING_DOWN.
    await real.ingest.abort();
    await Promise.all([...real.pending]);
    await checkInvariants(real);
    real.ingest = await open(real);
    await checkInvariants(real);
  },
  toString: () => 'crashRestart',
};

const closeReopen: Cmd = {
  check: () => true,
  async run(_m, real) {
    await real.ingest.close({ timeoutMs: 30 });
    await Promise.all([...real.pending]);
    await checkInvariants(real);
    real.ingest = await open(real);
  },
  toString: () => 'close',
};

test('model: acknowledged ⊆ stored exactly once ∪ spooled; the queue never exceeds its bound', async () => {
  const commands = [
    fc.tuple(fc.integer({ min: 1, max: 30 }), fc.boolean()).map(([n, d]) => write(n, d)),
    // Twice: task updates meet the spool often enough to test their order across it.
    fc.constantFrom('wa', 'wb').map(writeTask),
    fc.constantFrom('wa', 'wb').map(writeTask),
    fc.constant(flush),
    fc.constant(failNextFlush),
    fc.boolean().map(setDown),
    fc.constant(crashRestart),
    fc.constant(closeReopen),
  ];
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 25 }), async (cmds) => {
      runs += 1;
      const dir = await mkdtemp(join(tmpdir(), 'ingest-model-'));
      const writer = new MemoryWriter();
      const real: Real = {
        dir,
        writer,
        ingest: await open({ dir, writer }),
        acked: new Set(),
        ackedTasks: new Set(),
        taskSeq: new Map(),
        pending: new Set(),
        nextId: 0,
        maxPending: 0,
      };
      try {
        await fc.asyncModelRun(() => ({ model: {}, real }), cmds);
        // Recovery: the database comes back, everything drains, every acknowledged record is stored once.
        writer.down = false;
        writer.failNext = false;
        await real.ingest.flush();
        await Promise.all([...real.pending]);
        for (let i = 0; i < 200 && real.ingest.stats().spool.segments > 0; i += 1) {
          await real.ingest.replay();
          await new Promise((r) => setTimeout(r, 2));
        }
        assert.equal(real.ingest.stats().spool.records, 0);
        const counts = writer.countsByKey();
        for (const key of real.acked) assert.equal(counts.get(key), 1, `acknowledged ${key} not stored once`);
        await checkInvariants(real);
        for (const update of real.ackedTasks) {
          const [workflow, n] = update.split(' ');
          assert.ok(
            writer.taskUpdates.get(workflow!)?.includes(Number(n)),
            `acknowledged update ${update} not applied`,
          );
        }
      } finally {
        await real.ingest.close({ timeoutMs: 100 });
        await rm(dir, { recursive: true, force: true });
      }
    }),
    { numRuns: Number(process.env['INGEST_MODEL_RUNS'] ?? 100) },
  );
  assert.ok(runs >= 100 || process.env['INGEST_MODEL_RUNS'] !== undefined);
});
