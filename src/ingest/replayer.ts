/**
 * Replays the spool into PostgreSQL, oldest segment first, frame by frame, once the database
 * answers a ping (at start-up and on a timer while the spool holds records). A segment is deleted
 * only after every record in it is committed. How many leading frames of a segment are committed
 * is recorded beside it (spool-progress.ts), so a pass stopped by an outage, or a restarted
 * process, resumes at the first frame not yet committed. A record PostgreSQL rejects on its own
 * merits was acknowledged already, so it cannot be returned to its caller: it is written to
 * `spool/rejected/` with its error and counted as a dead letter.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { BatchItem } from './coalesce.js';
import type { DatabaseReachability } from './database-reachability.js';
import { type IngestEvents, NO_INGEST_EVENTS } from './ingest-events.js';
import { writeIsolatingFailures } from './isolate-failures.js';
import type { IngestRecord } from './record-kinds.js';
import type { RecordWriter } from './record-writer.js';
import type { Spool } from './spool.js';
import type { WriteSlots } from './write-slots.js';

/**
 * Progress of insert-only frames is written at most this often: a lost entry only repeats frames
 * the idempotency keys absorb, so a crash costs at most this much replay again.
 */
export const PROGRESS_WRITE_INTERVAL_MS = 100;

export interface ReplayerOptions {
  spool: Spool;
  writer: RecordWriter;
  intervalMs: number;
  /**
   * Frames written at once (each holds a pool connection); the write path's own concurrency, as
   * new batches go to the spool while it holds anything. 1, 2 and 3 replayed 47–50 k, 61–66 k and
   * 65–68 k rows/s in the write-path benchmark on the 2-core VM.
   */
  concurrency: number;
  /** Database slots shared with the direct writes of new batches (write-slots.ts). */
  slots?: WriteSlots;
  /**
   * Where the replayer reports whether the database answered (a ping, a replayed frame) or failed;
   * while it is `failing`, a pass pings the database even with an empty spool, to notice it is back.
   * Shared with the direct writes of new batches (batch-flusher.ts); without it, a pass with an
   * empty spool does nothing.
   */
  database?: DatabaseReachability;
  events?: Pick<IngestEvents, 'replayCommitted' | 'replayInterrupted' | 'deadLettered'>;
}

/** Splits a frame into runs of one kind, keeping order. */
function runsByKind(records: readonly IngestRecord[]): IngestRecord[][] {
  const runs: IngestRecord[][] = [];
  for (const record of records) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last[0]!.kind === record.kind) last.push(record);
    else runs.push([record]);
  }
  return runs;
}

export class Replayer {
  private readonly options: ReplayerOptions;
  private readonly database: DatabaseReachability | undefined;
  private readonly events: NonNullable<ReplayerOptions['events']>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(options: ReplayerOptions) {
    this.options = options;
    this.database = options.database;
    this.events = options.events ?? NO_INGEST_EVENTS;
  }

  /** True when a pass has something to do: spooled records, or a failing database to ping. */
  private hasWork(): boolean {
    return this.options.spool.stats().segments > 0 || this.database?.state === 'failing';
  }

  /** Starts the timer; the first pass runs at once when the spool holds records. */
  start(): void {
    this.timer = setInterval(() => this.kick(), this.options.intervalMs);
    this.timer.unref();
    this.kick();
  }

  /** Starts a pass unless one is running or the spool is empty. */
  kick(): void {
    if (this.stopped || this.running !== undefined || !this.hasWork()) return;
    void this.runOnce();
  }

  /** One replay pass; resolves when it ends (drained, or stopped at a failure). */
  runOnce(): Promise<void> {
    if (this.running !== undefined) return this.running;
    this.running = this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    const { spool, writer } = this.options;
    if (!this.hasWork()) return;
    try {
      await writer.ping();
    } catch {
      this.database?.report(false);
      return; // the database is still away
    }
    this.database?.report(true);
    if (spool.stats().segments === 0) return;
    try {
      await spool.ensureLocked();
    } catch {
      return; // another process owns the spool
    }
    // The active segment is sealed only once every sealed one is replayed: sealing it on every
    // pass would cut what is spooled meanwhile into many small segments, each replayed with a
    // pause at its end and costing a file creation and removal with their directory fsyncs.
    if (spool.sealedSegments().length === 0) await spool.sealForReplay();
    for (const name of spool.sealedSegments()) {
      if (this.stopped) return;
      const content = await spool.read(name);
      if (!(await this.replaySegment(name, content.batches))) return;
      await spool.remove(name);
    }
  }

  /**
   * Replays a segment's frames not yet done, up to `concurrency` at once. Frames of
   * insert-only kinds may commit in any order (each record has its own key); a frame of task
   * updates waits for every earlier frame and holds back the later ones, so a workflow's updates
   * land in the order they were spooled. Starts after the leading frames recorded as committed
   * and records the committed prefix as it grows: at most every PROGRESS_WRITE_INTERVAL_MS, at the
   * end, and durably after each task frame before its workflows are released for direct writes.
   * @returns true when every frame is committed.
   */
  private async replaySegment(name: string, frames: readonly (readonly IngestRecord[])[]): Promise<boolean> {
    const { spool } = this.options;
    let done = spool.committedFrames(name);
    let recorded = done;
    let recordedAt = Date.now();
    const committed = new Set<number>();
    let failed = false;
    const inFlight = new Set<Promise<void>>();
    const settle = (index: number, ok: boolean) => {
      if (!ok) failed = true;
      else committed.add(index);
      while (committed.delete(done)) done += 1;
      if (done > recorded && Date.now() - recordedAt >= PROGRESS_WRITE_INTERVAL_MS) {
        recorded = done;
        recordedAt = Date.now();
        void spool.recordProgress(name, done, { durable: false });
      }
    };
    for (let index = done; index < frames.length && !failed && !this.stopped; index += 1) {
      const frame = frames[index]!;
      const ordered = frame.some((record) => record.kind === 'task_execution');
      if (ordered) await Promise.all(inFlight);
      while (inFlight.size >= this.options.concurrency) await Promise.race(inFlight);
      if (failed) break;
      const replayed = this.replayFrame(frame).then(
        (ok) => settle(index, ok),
        () => settle(index, false),
      );
      inFlight.add(replayed);
      void replayed.finally(() => inFlight.delete(replayed));
      if (!ordered) continue;
      await replayed;
      if (failed) break;
      // Nothing else of the segment is in flight, so the prefix now ends after this frame. Its
      // workflows may take direct writes only once a restart can no longer replay it: a newer
      // update written directly and then this older one replayed over it would change the row.
      recorded = done;
      recordedAt = Date.now();
      if (await spool.recordProgress(name, done, { durable: true })) spool.releaseTaskUpdates(name, frame);
    }
    await Promise.all(inFlight);
    const complete = !failed && !this.stopped && done === frames.length;
    if (!complete && done > recorded) await spool.recordProgress(name, done, { durable: false });
    return complete;
  }

  /** Writes one frame run by run. @returns false when the database failed (the rest waits). */
  private async replayFrame(frame: readonly IngestRecord[]): Promise<boolean> {
    const { writer, slots } = this.options;
    for (const run of runsByKind(frame)) {
      const items: BatchItem[] = run.map((record) => ({ record, bytes: 0, waiters: [] }));
      const release = await slots?.acquire('replay');
      let result: Awaited<ReturnType<typeof writeIsolatingFailures>>;
      try {
        result = await writeIsolatingFailures(writer, run[0]!.kind, items);
      } finally {
        release?.();
      }
      this.events.replayCommitted(result.committed.length);
      if (result.rejected.length > 0) await this.deadLetter(result.rejected);
      if (result.unwritten.length > 0) {
        this.events.replayInterrupted();
        this.database?.report(false);
        return false;
      }
    }
    this.database?.report(true);
    return true;
  }

  private async deadLetter(rejected: { item: BatchItem; error: unknown }[]): Promise<void> {
    const dir = join(this.options.spool.dir, 'rejected');
    await mkdir(dir, { recursive: true });
    const lines = rejected.map(({ item, error }) =>
      JSON.stringify({
        at: new Date().toISOString(),
        error: error instanceof Error ? error.message : String(error),
        record: item.record,
      }),
    );
    await appendFile(join(dir, 'rejected.jsonl'), `${lines.join('\n')}\n`);
    this.events.deadLettered(rejected.length);
  }

  /** Stops the timer and waits for a running pass. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}
