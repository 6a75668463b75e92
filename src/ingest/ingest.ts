/**
 * The durable write path (SPEC §3 "Write flow", P2, P3): validate → bounded queue (lanes, priorities)
 * → batcher → bulk writer → COMMIT → acknowledge. When PostgreSQL is unreachable or its breaker is
 * open, a batch goes to the spool instead and is acknowledged once fsynced; the replayer drains the
 * spool in order once the database answers again. Meanwhile new batches go directly to PostgreSQL,
 * except task updates of a workflow that still has updates in the spool: those are appended behind
 * them, so replay keeps per-workflow order (batch-flusher.ts decides). A record is never
 * acknowledged before its COMMIT or its spool fsync; a failure is always reported to the caller,
 * never dropped.
 *
 * This module assembles the parts, each built once with everything it needs (options flow one
 * way: config → createIngest → parts): spool, replayer, batch flusher, batcher with its queue. The
 * parts report through events (ingest-events.ts); with `metrics`, ingest-metrics.ts counts them.
 */
import { join } from 'node:path';
import { DEFAULT_SPOOL_MAX_BYTES } from '../config/config.js';
import { ShannonError, toShannonError } from '../errors/errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { Database } from '../postgres/database.js';
import { BatchFlusher } from './batch-flusher.js';
import { BatchResults, deferred } from './batch-results.js';
import { Batcher, DEFAULT_FLUSH_CONCURRENCY, DEFAULT_FLUSH_INTERVAL_MS } from './batcher.js';
import type { Waiter } from './coalesce.js';
import { DatabaseReachability } from './database-reachability.js';
import type { Ingest } from './ingest-api.js';
import { NO_INGEST_EVENTS } from './ingest-events.js';
import { type IngestLifecycle, LIFECYCLE, reportedState } from './ingest-lifecycle.js';
import { collectIngestGauges, ingestMetricsEvents } from './ingest-metrics.js';
import { type IngestRecord, laneOf } from './record-kinds.js';
import { PostgresRecordWriter, type RecordWriter } from './record-writer.js';
import { Replayer } from './replayer.js';
import { Spool } from './spool.js';
import { DEFAULT_STAMP_MEMORY_RECORDS, StampMemory } from './stamp-memory.js';
import { DEFAULT_MAX_RECORD_BYTES, validateRecordSized } from './validate-record.js';
import type { WriteQueueOptions } from './write-queue.js';
import { WriteSlots } from './write-slots.js';

export type { Ingest, IngestStats, RecordResult } from './ingest-api.js';

export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
export const DEFAULT_REPLAY_INTERVAL_MS = 250;

/** The write path's settings (src/data-layer.ts passes them from config); each says which part takes it. */
export interface IngestOptions {
  /** The PostgreSQL pool to write through (a PostgresRecordWriter is built on it)… */
  db?: Database;
  /** …or any writer (tests use an in-memory one). One of the two is required. */
  writer?: RecordWriter;
  /** The spool lives in `<dataDir>/spool/` (Spool). */
  dataDir: string;
  /** Counts the write path's events and publishes its depths (ingest-metrics.ts). */
  metrics?: Metrics;
  /** Bounds of the write queue, built by the Batcher (write-queue.ts). */
  queue?: WriteQueueOptions;
  /** How long a partial lane waits before its flush (Batcher; default 20 ms). */
  flushIntervalMs?: number;
  /**
   * Database writes at once, shared by new batches and spool replay (Batcher, Replayer and their
   * WriteSlots; default 3: with 2, a writer connection idles while Node prepares its next batch).
   */
  concurrency?: number;
  /** Size bound of the spool (Spool; default DEFAULT_SPOOL_MAX_BYTES). */
  spoolMaxBytes?: number;
  /** Size at which a spool segment is sealed (Spool; default 16 MiB). */
  spoolSegmentMaxBytes?: number;
  /** Period of the replayer's timer (Replayer; default 250 ms). */
  replayIntervalMs?: number;
  /** Largest record accepted (validation; default DEFAULT_MAX_RECORD_BYTES). */
  maxRecordBytes?: number;
  /** Default deadline of close() (flush, then spool what is left). */
  closeTimeoutMs?: number;
  /** Stamped times remembered for retries of records sent without their time column (stamp-memory.ts). */
  stampMemoryRecords?: number;
  /** Clock of the queue and of validation (tests). */
  now?: () => number;
}

/** Opens the spool, replays what an earlier run left, and starts the write path. */
export async function createIngest(options: IngestOptions): Promise<Ingest> {
  const { metrics } = options;
  const events = metrics === undefined ? NO_INGEST_EVENTS : ingestMetricsEvents(metrics);
  const given =
    options.writer ??
    (options.db === undefined ? undefined : new PostgresRecordWriter(options.db, { events }));
  if (given === undefined) throw new ShannonError('CONFIG_INVALID', 'createIngest needs a db or a writer');
  const writer: RecordWriter = given;
  const spool = await Spool.open({
    dir: join(options.dataDir, 'spool'),
    maxBytes: options.spoolMaxBytes ?? DEFAULT_SPOOL_MAX_BYTES,
    ...(options.spoolSegmentMaxBytes === undefined ? {} : { segmentMaxBytes: options.spoolSegmentMaxBytes }),
    onSealedByFailure: (segment, error) => events.spoolSealed(segment, error),
  });
  const concurrency = options.concurrency ?? DEFAULT_FLUSH_CONCURRENCY;
  const slots = new WriteSlots(concurrency);
  const database = new DatabaseReachability();
  const replayer = new Replayer({
    spool,
    writer,
    intervalMs: options.replayIntervalMs ?? DEFAULT_REPLAY_INTERVAL_MS,
    concurrency,
    slots,
    database,
    events,
  });
  let lifecycle: IngestLifecycle = LIFECYCLE.open;
  const flusher = new BatchFlusher({
    writer,
    spool,
    slots,
    database,
    replayer,
    lifecycle: () => lifecycle,
    events,
  });
  const batcher = new Batcher({
    queue: { ...options.queue, ...(options.now ? { now: options.now } : {}) },
    onQueueWait: () => events.queueWaited(),
    flush: (batch) => flusher.flush(batch),
    flushIntervalMs: options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS,
    concurrency,
  });
  const { queue } = batcher;
  const stopGauges =
    metrics === undefined
      ? () => undefined
      : collectIngestGauges(metrics, { queue: () => queue.stats(), spool: () => spool.stats() });

  function assertOpen(): void {
    if (lifecycle.state !== 'open')
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
      if (toShannonError(error).code === 'BACKPRESSURE') events.queueRefused();
      throw error;
    }
  }

  /** Stops the replayer, closes the spool (fsynced) and the gauges: the last step of close() and abort(). */
  async function shutDown(): Promise<void> {
    await replayer.stop();
    await spool.close();
    stopGauges();
    lifecycle = LIFECYCLE.closed;
  }

  const validateOptions = {
    maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
    stamps: new StampMemory(options.stampMemoryRecords ?? DEFAULT_STAMP_MEMORY_RECORDS),
    ...(options.now ? { now: options.now } : {}),
  };

  replayer.start();

  // write() and writeBatch() are typed RecordOf<K> by the interface (ingest-api.ts), yet validate
  // each record as untrusted input: JavaScript callers and the HTTP routes send what they are sent.
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
      return {
        queue: queue.stats(),
        spool: spool.stats(),
        activeFlushes: batcher.activeFlushes,
        state: reportedState(lifecycle),
      };
    },

    async close(closeOptions = {}) {
      if (lifecycle.state !== 'open') return;
      lifecycle = LIFECYCLE.draining;
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
        lifecycle = LIFECYCLE.spooling;
        batcher.stop();
        await batcher.settled();
        const now = Date.now();
        for (const batch of queue.drainAll()) {
          await flusher.spoolBatch(batch, now);
          queue.release(batch);
        }
        await batcher.settled();
      } else {
        batcher.stop();
      }
      await shutDown();
    },

    async abort() {
      if (lifecycle.state === 'closed') return;
      lifecycle = LIFECYCLE.aborting;
      const error = new ShannonError('SHUTTING_DOWN', 'the write path stopped before the record was durable');
      queue.close(error);
      batcher.stop();
      for (const batch of queue.drainAll()) {
        flusher.refuse(batch, error);
        queue.release(batch);
      }
      await batcher.settled();
      await shutDown();
    },
  };
}
