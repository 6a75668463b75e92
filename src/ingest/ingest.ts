/**
 * The durable write path (SPEC §3 "Write flow", P2, P3): validate → bounded queue (lanes, priorities)
 * → batcher → bulk writer → COMMIT → acknowledge. When PostgreSQL is unreachable or its breaker is
 * open, a batch goes to the spool instead and is acknowledged once fsynced; the replayer drains the
 * spool in order once the database answers again. Meanwhile new batches go directly to PostgreSQL,
 * except task updates of a workflow that still has updates in the spool: those are appended behind
 * them, so replay keeps per-workflow order. A record is never acknowledged before its COMMIT or its
 * spool fsync; a failure is always reported to the caller, never dropped.
 */
import { join } from 'node:path';
import { DEFAULT_SPOOL_MAX_BYTES } from '../config/config.js';
import { ShannonError, toShannonError } from '../errors/errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { Database } from '../postgres/database.js';
import { Batcher, DEFAULT_FLUSH_CONCURRENCY, DEFAULT_FLUSH_INTERVAL_MS } from './batcher.js';
import type { BatchItem, Waiter, WriteOutcome } from './coalesce.js';
import { failureClass, writeIsolatingFailures } from './isolate-failures.js';
import { type IngestRecord, laneOf, type RecordKind } from './record-kinds.js';
import { PostgresRecordWriter, type RecordWriter } from './record-writer.js';
import { Replayer } from './replayer.js';
import { Spool } from './spool.js';
import { DEFAULT_STAMP_MEMORY_RECORDS, StampMemory } from './stamp-memory.js';
import { DEFAULT_MAX_RECORD_BYTES, validateRecordSized } from './validate-record.js';
import { type Batch, WriteQueue, type WriteQueueOptions } from './write-queue.js';
import { WriteSlots } from './write-slots.js';

export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
export const DEFAULT_REPLAY_INTERVAL_MS = 250;

export interface IngestOptions {
  /** The PostgreSQL pool to write through (a PostgresRecordWriter is built on it)… */
  db?: Database;
  /** …or any writer (tests use an in-memory one). One of the two is required. */
  writer?: RecordWriter;
  /** The spool lives in `<dataDir>/spool/`. */
  dataDir: string;
  metrics?: Metrics;
  queue?: WriteQueueOptions;
  flushIntervalMs?: number;
  /**
   * Database writes at once, shared by new batches and spool replay (default 3: with 2, a writer
   * connection idles while Node prepares its next batch; write-slots.ts).
   */
  concurrency?: number;
  spoolMaxBytes?: number;
  spoolSegmentMaxBytes?: number;
  replayIntervalMs?: number;
  maxRecordBytes?: number;
  /** Default deadline of close() (flush, then spool what is left). */
  closeTimeoutMs?: number;
  /** Stamped times remembered for retries of records sent without their time column (stamp-memory.ts). */
  stampMemoryRecords?: number;
  now?: () => number;
}

/** How one record of a batch call ended. */
export interface RecordResult {
  key: string;
  outcome: WriteOutcome | 'rejected';
  error?: ShannonError;
}

export interface IngestStats {
  queue: ReturnType<WriteQueue['stats']>;
  spool: ReturnType<Spool['stats']>;
  activeFlushes: number;
  state: 'open' | 'closing' | 'closed';
}

/** The write path's public face (`dataLayer.ingest`). */
export interface Ingest {
  /**
   * Accepts one record; resolves once it is committed or fsynced to the spool.
   * @throws ValidationError for invalid input; BackpressureError when the queue or spool is full;
   * ShannonError SHUTTING_DOWN after close(); DatabaseError when PostgreSQL rejects the record itself.
   */
  write(kind: RecordKind, record: unknown): Promise<{ key: string; outcome: WriteOutcome }>;
  /**
   * Accepts several records of one kind (all validated first: one invalid record rejects the call);
   * resolves with one result per record, in order, once each is durable or rejected.
   */
  writeBatch(kind: RecordKind, records: readonly unknown[]): Promise<RecordResult[]>;
  /** Flushes everything queued now. */
  flush(): Promise<void>;
  /** Runs one replay pass of the spool now (it also runs on its own timer). */
  replay(): Promise<void>;
  stats(): IngestStats;
  /** Stops accepting, flushes within the deadline, spools the rest, fsyncs, then resolves. */
  close(options?: { timeoutMs?: number }): Promise<void>;
  /**
   * Stops at once, as a crash would: queued records are refused (their callers get SHUTTING_DOWN
   * and were never acknowledged); batches already in flight finish; nothing else is flushed.
   * For tests and emergencies; the spool keeps what was acknowledged from it.
   */
  abort(): Promise<void>;
}

function deferred(): { promise: Promise<WriteOutcome>; waiter: Waiter } {
  let waiter!: Waiter;
  const promise = new Promise<WriteOutcome>((resolve, reject) => {
    waiter = { resolve, reject };
  });
  return { promise, waiter };
}

function settle(items: readonly BatchItem[], outcome: WriteOutcome): void {
  for (const item of items) for (const w of item.waiters) w.resolve(outcome);
}

function fail(items: readonly BatchItem[], error: unknown): void {
  for (const item of items) for (const w of item.waiters) w.reject(error);
}

/**
 * The results of one writeBatch call: one cheap waiter per record (no promise each) and one
 * promise that resolves once every record is settled.
 */
class BatchResults {
  readonly settled: Promise<RecordResult[]>;
  private readonly results: RecordResult[];
  private pending: number;
  private done!: (results: RecordResult[]) => void;

  constructor(keys: readonly string[]) {
    this.results = keys.map((key) => ({ key, outcome: 'rejected' as const }));
    this.pending = keys.length;
    this.settled = new Promise((resolve) => {
      this.done = resolve;
    });
    if (this.pending === 0) this.done(this.results);
  }

  waiter(index: number): Waiter {
    return new RecordWaiter(this, index);
  }

  settle(index: number, result: Omit<RecordResult, 'key'>): void {
    const entry = this.results[index]!;
    entry.outcome = result.outcome;
    if (result.error !== undefined) entry.error = result.error;
    this.pending -= 1;
    if (this.pending === 0) this.done(this.results);
  }
}

/** Settles one record of a BatchResults; like a promise, only the first settlement counts. */
class RecordWaiter implements Waiter {
  private settled = false;
  constructor(
    private readonly batch: BatchResults,
    private readonly index: number,
  ) {}
  resolve(outcome: WriteOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.batch.settle(this.index, { outcome });
  }
  reject(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.batch.settle(this.index, { outcome: 'rejected', error: toShannonError(error) });
  }
}

/** Opens the spool, replays what an earlier run left, and starts the write path. */
export async function createIngest(options: IngestOptions): Promise<Ingest> {
  const { metrics } = options;
  const given =
    options.writer ??
    (options.db === undefined
      ? undefined
      : new PostgresRecordWriter(options.db, metrics === undefined ? {} : { metrics }));
  if (given === undefined) throw new ShannonError('CONFIG_INVALID', 'createIngest needs a db or a writer');
  const writer: RecordWriter = given;
  const spool = await Spool.open({
    dir: join(options.dataDir, 'spool'),
    maxBytes: options.spoolMaxBytes ?? DEFAULT_SPOOL_MAX_BYTES,
    ...(options.spoolSegmentMaxBytes === undefined ? {} : { segmentMaxBytes: options.spoolSegmentMaxBytes }),
    onSealedByFailure: () => metrics?.ingestFailures.inc({ class: 'spool' }),
  });
  const queue = new WriteQueue({ ...options.queue, ...(options.now ? { now: options.now } : {}) });
  const concurrency = options.concurrency ?? DEFAULT_FLUSH_CONCURRENCY;
  const slots = new WriteSlots(concurrency);
  /**
   * False from a failed write until the database answers again (a replayed frame, a ping of the
   * replayer): meanwhile every batch goes to the spool at once, as a write would only wait for
   * the failure.
   */
  let databaseAnswers = true;
  const replayer = new Replayer({
    spool,
    writer,
    intervalMs: options.replayIntervalMs ?? DEFAULT_REPLAY_INTERVAL_MS,
    concurrency,
    slots,
    onDatabaseAnswer: (answers) => {
      databaseAnswers = answers;
    },
    wantsPing: () => !databaseAnswers,
    ...(metrics === undefined ? {} : { metrics }),
  });
  let state: IngestStats['state'] = 'open';
  /** Set by close() after its deadline: everything still to flush goes to the spool. */
  let spoolOnly = false;

  queue.onWait = () => metrics?.ingestBackpressureWaits.inc({ reason: 'queue' });

  async function toSpool(kind: RecordKind, items: readonly BatchItem[], startedAt: number): Promise<void> {
    if (items.length === 0) return;
    try {
      await spool.append(items.map((i) => i.record));
      settle(items, 'spooled');
      metrics?.ingestRecords.inc({ kind, outcome: 'spooled' }, items.length);
      metrics?.ingestFlushDuration.observe({ kind, outcome: 'spooled' }, (Date.now() - startedAt) / 1000);
      replayer.kick();
    } catch (error) {
      const shaped = toShannonError(error);
      if (shaped.code === 'BACKPRESSURE') metrics?.ingestBackpressureWaits.inc({ reason: 'spool_full' });
      else metrics?.ingestFailures.inc({ class: 'spool' });
      metrics?.ingestFlushDuration.observe({ kind, outcome: 'failed' }, (Date.now() - startedAt) / 1000);
      fail(items, shaped);
    }
  }

  /** Writes items to PostgreSQL in one of the shared slots; what the database failed goes to the spool. */
  async function writeDirect(
    kind: RecordKind,
    items: readonly BatchItem[],
    startedAt: number,
  ): Promise<void> {
    if (items.length === 0) return;
    const release = await slots.acquire('direct');
    let result: Awaited<ReturnType<typeof writeIsolatingFailures>>;
    try {
      result = await writeIsolatingFailures(writer, kind, items);
    } finally {
      release();
    }
    databaseAnswers = result.unwritten.length === 0;
    settle(result.committed, 'committed');
    metrics?.ingestRecords.inc({ kind, outcome: 'committed' }, result.committed.length);
    for (const { item, error } of result.rejected) {
      metrics?.ingestFailures.inc({ class: 'client' });
      metrics?.ingestRecords.inc({ kind, outcome: 'rejected' });
      fail([item], toShannonError(error));
    }
    if (result.unwritten.length > 0) {
      metrics?.ingestFailures.inc({ class: failureClass(result.error) });
      return await toSpool(kind, result.unwritten, startedAt);
    }
    metrics?.ingestFlushDuration.observe({ kind, outcome: 'committed' }, (Date.now() - startedAt) / 1000);
  }

  /**
   * Writes a batch directly, or spools it while the database fails. Insert-only records go direct
   * even while the spool holds records: each has its own idempotency key and ON CONFLICT absorbs a
   * repeat, so which of two copies lands first does not matter. A task update goes behind the
   * spooled updates of its workflow when there are any (Spool.holdsTaskUpdate), else direct.
   *
   * Why no update can overtake an older one of its workflow: task batches are one at a time (their
   * lanes share a serial group), and only a task batch appends task updates to the spool while the
   * write path is open. So between this batch's decision and the end of its flush nothing else can
   * spool an update of a workflow it decided to write directly; if its own direct write fails, its
   * updates are spooled before the next task batch is taken, and that one then finds them counted
   * (an append is counted when called, before its write). Replay releases a workflow only after the
   * frame's commit is recorded durably, so a restart never replays an update older than one written
   * directly. close() past its deadline spools what is queued only after the batches in flight
   * finished, so they cannot fail into the spool behind it.
   */
  async function flush(batch: Batch): Promise<void> {
    const kind = batch.items[0]!.record.kind;
    const startedAt = Date.now();
    metrics?.ingestBatchSize.observe({ kind }, batch.items.length);
    try {
      if (spoolOnly || !databaseAnswers) return await toSpool(kind, batch.items, startedAt);
      if (kind !== 'task_execution') return await writeDirect(kind, batch.items, startedAt);
      const behind: BatchItem[] = [];
      const direct: BatchItem[] = [];
      for (const item of batch.items) (spool.holdsTaskUpdate(item.record) ? behind : direct).push(item);
      // toSpool appends (and counts) synchronously, before the direct write starts.
      const spooling = toSpool(kind, behind, startedAt);
      await writeDirect(kind, direct, startedAt);
      await spooling;
    } catch (error) {
      // Only a bug gets here; the callers still hear about it.
      fail(batch.items, toShannonError(error));
    }
  }

  const batcher = new Batcher({
    queue,
    flush,
    flushIntervalMs: options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS,
    concurrency,
  });

  const unregister = metrics?.addCollector(() => {
    const q = queue.stats();
    metrics.ingestQueueRecords.set(q.pendingRecords);
    metrics.ingestQueueBytes.set(q.pendingBytes);
    metrics.ingestQueueOldestAge.set(q.oldestAgeMs / 1000);
    const s = spool.stats();
    metrics.ingestSpoolRecords.set(s.records);
    metrics.ingestSpoolBytes.set(s.bytes);
    metrics.ingestSpoolSegments.set(s.segments);
  });

  function assertOpen(): void {
    if (state !== 'open')
      throw new ShannonError('SHUTTING_DOWN', 'the write path is closing and accepts no new records');
  }

  /** Queues records (all or none) with their waiters. @throws BackpressureError after the bounded wait. */
  async function accept(
    records: readonly { record: IngestRecord; bytes: number }[],
    waiterOf: (index: number) => Waiter,
  ): Promise<void> {
    const entries = records.map(({ record, bytes }, i) => ({
      lane: laneOf(record),
      item: { record, bytes, waiters: [waiterOf(i)] },
    }));
    try {
      await queue.enqueue(entries);
    } catch (error) {
      if (toShannonError(error).code === 'BACKPRESSURE')
        metrics?.ingestBackpressureWaits.inc({ reason: 'queue_timeout' });
      throw error;
    }
  }

  const validateOptions = {
    maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
    stamps: new StampMemory(options.stampMemoryRecords ?? DEFAULT_STAMP_MEMORY_RECORDS),
    ...(options.now ? { now: options.now } : {}),
  };

  replayer.start();

  return {
    async write(kind, input) {
      assertOpen();
      const sized = validateRecordSized(kind, input, validateOptions);
      const { promise, waiter } = deferred();
      await accept([sized], () => waiter);
      return { key: sized.record.key, outcome: await promise };
    },

    async writeBatch(kind, inputs) {
      assertOpen();
      let index = 0;
      const batchOptions = { ...validateOptions, path: () => `records[${index}]` };
      const sized = inputs.map((input, i) => {
        index = i;
        return validateRecordSized(kind, input, batchOptions);
      });
      const results = new BatchResults(sized.map((s) => s.record.key));
      await accept(sized, (i) => results.waiter(i));
      return results.settled;
    },

    flush: () => batcher.drain(),
    replay: () => replayer.runOnce(),

    stats() {
      return { queue: queue.stats(), spool: spool.stats(), activeFlushes: batcher.activeFlushes, state };
    },

    async close(closeOptions = {}) {
      if (state !== 'open') return;
      state = 'closing';
      queue.close(new ShannonError('SHUTTING_DOWN', 'the write path closed before the record was accepted'));
      const timeoutMs = closeOptions.timeoutMs ?? options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const drained = await Promise.race([batcher.drain().then(() => 'drained' as const), deadline]);
      clearTimeout(timer);
      if (drained === 'timeout') {
        // Past the deadline: what is still queued goes to the spool (durable, replayed next start),
        // once the batches in flight are done: a task update among them that failed would
        // otherwise be spooled behind a newer update of its workflow taken from the queue.
        spoolOnly = true;
        batcher.stop();
        await batcher.settled();
        const now = Date.now();
        for (const batch of queue.drainAll()) {
          await toSpool(batch.items[0]!.record.kind, batch.items, now);
          queue.release(batch);
        }
        await batcher.settled();
      } else {
        batcher.stop();
      }
      await replayer.stop();
      await spool.close();
      unregister?.();
      state = 'closed';
    },

    async abort() {
      if (state === 'closed') return;
      state = 'closing';
      const error = new ShannonError('SHUTTING_DOWN', 'the write path stopped before the record was durable');
      queue.close(error);
      batcher.stop();
      for (const batch of queue.drainAll()) {
        fail(batch.items, error);
        queue.release(batch);
      }
      await batcher.settled();
      await replayer.stop();
      await spool.close();
      unregister?.();
      state = 'closed';
    },
  };
}
