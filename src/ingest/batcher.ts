/**
 * Drives the write queue (graphile-worker's batch shape, CONVENTIONS rule 10): a lane is flushed
 * when it holds a full batch or its oldest record has waited `flushIntervalMs`; at most
 * `concurrency` batches are in flight; `drain()` flushes everything now. The flush function
 * settles every waiter of its batch itself and never rejects. The batcher builds the queue it
 * drains, so the queue's change notice reaches it from the start (no wiring after construction).
 */
import { type Batch, WriteQueue, type WriteQueueOptions } from './write-queue.js';

export const DEFAULT_FLUSH_INTERVAL_MS = 20;
export const DEFAULT_FLUSH_CONCURRENCY = 3;

export interface BatcherOptions {
  /** Bounds of the queue this batcher builds and drains (write-queue.ts). */
  queue?: WriteQueueOptions;
  /** Told each time a caller has to wait for room in the queue. */
  onQueueWait?: () => void;
  flush: (batch: Batch) => Promise<void>;
  flushIntervalMs?: number;
  concurrency?: number;
}

export class Batcher {
  /** The queue callers enqueue into; the batcher takes its batches and releases them after the flush. */
  readonly queue: WriteQueue;
  private readonly flushBatch: (batch: Batch) => Promise<void>;
  private readonly flushIntervalMs: number;
  private readonly concurrency: number;
  private inFlight = 0;
  private draining = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];
  private flightWaiters: (() => void)[] = [];

  constructor(options: BatcherOptions) {
    this.flushBatch = options.flush;
    this.flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.concurrency = options.concurrency ?? DEFAULT_FLUSH_CONCURRENCY;
    this.queue = new WriteQueue(options.queue, {
      changed: () => this.pump(),
      ...(options.onQueueWait === undefined ? {} : { waited: options.onQueueWait }),
    });
  }

  /** Batches currently being written. */
  get activeFlushes(): number {
    return this.inFlight;
  }

  /** Starts as many flushes as are due and allowed; arms the timer for the next due lane. */
  pump(): void {
    if (this.stopped) return;
    const minAge = this.draining > 0 ? 0 : this.flushIntervalMs;
    while (this.inFlight < this.concurrency) {
      const lane = this.queue.nextLane(minAge);
      if (lane === undefined) break;
      const batch = this.queue.take(lane);
      if (batch === undefined) break;
      this.inFlight += 1;
      void this.run(batch);
    }
    this.arm(minAge);
    this.checkIdle();
  }

  private arm(minAge: number): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight >= this.concurrency) return;
    const wait = this.queue.msUntilDue(minAge);
    if (wait === undefined) return;
    // Kept referenced: accepted records waiting for their flush must keep the process alive.
    this.timer = setTimeout(() => this.pump(), Math.max(1, wait));
  }

  private async run(batch: Batch): Promise<void> {
    try {
      await this.flushBatch(batch);
    } finally {
      this.inFlight -= 1;
      this.queue.release(batch);
      if (this.inFlight === 0) for (const resolve of this.flightWaiters.splice(0)) resolve();
    }
  }

  private checkIdle(): void {
    if (this.inFlight > 0 || this.queue.stats().queuedRecords > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Flushes everything queued without waiting for the interval; resolves when all is settled. */
  async drain(): Promise<void> {
    this.draining += 1;
    try {
      const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      this.pump();
      await idle;
    } finally {
      this.draining -= 1;
    }
  }

  /** Resolves once no batch is in flight (queued items stay queued). */
  async settled(): Promise<void> {
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.flightWaiters.push(resolve));
  }

  /** Stops starting new flushes (in-flight ones finish). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
