/**
 * The bounded write queue: one FIFO lane per record kind (plus one for terminal task updates), a
 * capacity in records and bytes that covers every accepted record until it is settled (committed,
 * spooled or failed), and callers that wait in order for capacity — up to a bounded wait, after
 * which they get a BackpressureError. Nothing is ever dropped silently. Pure: no IO, timers only
 * for the bounded wait, clock injectable for tests.
 */
import { BackpressureError, LimitExceededError } from '../errors/errors.js';
import { type BatchItem, coalesceBatch } from './coalesce.js';
import { LANES, type LaneName } from './record-kinds.js';

export const DEFAULT_QUEUE_MAX_RECORDS = 50_000;
export const DEFAULT_QUEUE_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_QUEUE_MAX_WAIT_MS = 5_000;
export const DEFAULT_BATCH_MAX_RECORDS = 1_000;
export const DEFAULT_BATCH_MAX_BYTES = 4 * 1024 * 1024;

export interface WriteQueueOptions {
  maxRecords?: number;
  maxBytes?: number;
  /** How long a caller waits for capacity before BackpressureError. */
  maxWaitMs?: number;
  batchMaxRecords?: number;
  batchMaxBytes?: number;
  now?: () => number;
}

/** What the queue tells its owner, given at construction. */
export interface WriteQueueEvents {
  /** Items were added, or a batch was released (its serial group may be free again): the batcher pumps. */
  changed?: () => void;
  /** A caller has to wait for capacity. */
  waited?: () => void;
}

/** Accepted-but-unsettled counts (the bounded quantity) and queued counts. */
export interface WriteQueueStats {
  pendingRecords: number;
  pendingBytes: number;
  queuedRecords: number;
  queuedBytes: number;
  /** Age of the oldest queued record; 0 when nothing is queued. */
  oldestAgeMs: number;
  /** Callers waiting for capacity. */
  waiting: number;
}

interface QueuedItem extends BatchItem {
  enqueuedAt: number;
}

interface CapacityWaiter {
  records: number;
  bytes: number;
  resolve(): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

/** A batch taken from one lane; `release()` must be called once every item is settled. */
export interface Batch {
  readonly lane: LaneName;
  readonly items: BatchItem[];
  /** Records accepted into the batch before coalescing (what capacity is released for). */
  readonly acceptedRecords: number;
  readonly acceptedBytes: number;
}

function keyOf(item: BatchItem): string {
  return `${item.record.tenantId}\n${item.record.key}`;
}

export class WriteQueue {
  readonly maxRecords: number;
  readonly maxBytes: number;
  readonly batchMaxRecords: number;
  readonly batchMaxBytes: number;
  private readonly maxWaitMs: number;
  private readonly now: () => number;
  private readonly lanes = new Map<LaneName, QueuedItem[]>();
  /** Queued records per tenant and key, for the lanes some other lane queues behind. */
  private readonly queuedKeys = new Map<LaneName, Map<string, number>>(
    Object.values(LANES)
      .flatMap((spec) => (spec.behindEarlierIn === undefined ? [] : [spec.behindEarlierIn]))
      .map((lane) => [lane, new Map()]),
  );
  private readonly busyGroups = new Set<string>();
  private readonly waiters: CapacityWaiter[] = [];
  /** Accepted and not yet settled (queued plus in flight). */
  private pendingRecords = 0;
  private pendingBytes = 0;
  private queuedRecords = 0;
  private queuedBytes = 0;
  /** Capacity handed to woken callers that have not resumed yet. */
  private reservedRecords = 0;
  private reservedBytes = 0;
  /** Set by close(): every later enqueue fails with it. */
  private closedError: unknown;
  private readonly changed: () => void;
  private readonly waited: () => void;

  constructor(options: WriteQueueOptions = {}, events: WriteQueueEvents = {}) {
    this.maxRecords = options.maxRecords ?? DEFAULT_QUEUE_MAX_RECORDS;
    this.maxBytes = options.maxBytes ?? DEFAULT_QUEUE_MAX_BYTES;
    this.maxWaitMs = options.maxWaitMs ?? DEFAULT_QUEUE_MAX_WAIT_MS;
    this.batchMaxRecords = options.batchMaxRecords ?? DEFAULT_BATCH_MAX_RECORDS;
    this.batchMaxBytes = options.batchMaxBytes ?? DEFAULT_BATCH_MAX_BYTES;
    this.now = options.now ?? Date.now;
    this.changed = events.changed ?? (() => undefined);
    this.waited = events.waited ?? (() => undefined);
  }

  /** Accepted-but-unsettled counts (the bounded quantity) and queued counts. */
  stats(): WriteQueueStats {
    let oldest: number | undefined;
    for (const lane of this.lanes.values()) {
      const first = lane[0];
      if (first !== undefined && (oldest === undefined || first.enqueuedAt < oldest))
        oldest = first.enqueuedAt;
    }
    return {
      pendingRecords: this.pendingRecords,
      pendingBytes: this.pendingBytes,
      queuedRecords: this.queuedRecords,
      queuedBytes: this.queuedBytes,
      oldestAgeMs: oldest === undefined ? 0 : this.now() - oldest,
      waiting: this.waiters.length,
    };
  }

  private fits(records: number, bytes: number): boolean {
    return (
      this.pendingRecords + this.reservedRecords + records <= this.maxRecords &&
      this.pendingBytes + this.reservedBytes + bytes <= this.maxBytes
    );
  }

  /**
   * Adds items (all or none), waiting in FIFO order for capacity.
   * @throws LimitExceededError when the items can never fit; BackpressureError after the bounded wait.
   */
  async enqueue(items: readonly { lane: LaneName; item: BatchItem }[]): Promise<void> {
    if (this.closedError !== undefined) throw this.closedError;
    const records = items.length;
    const bytes = items.reduce((sum, i) => sum + i.item.bytes, 0);
    if (records > this.maxRecords) throw new LimitExceededError('records', this.maxRecords, records);
    if (bytes > this.maxBytes) throw new LimitExceededError('records', this.maxBytes, bytes, 'bytes');
    if (this.waiters.length > 0 || !this.fits(records, bytes)) {
      this.waited();
      await new Promise<void>((resolve, reject) => {
        const waiter: CapacityWaiter = {
          records,
          bytes,
          resolve,
          reject,
          timer: setTimeout(() => {
            this.waiters.splice(this.waiters.indexOf(waiter), 1);
            reject(
              new BackpressureError(
                `the write queue is full (${this.pendingRecords}/${this.maxRecords} records, ${this.pendingBytes}/${this.maxBytes} bytes); retry later`,
                this.maxWaitMs,
              ),
            );
            this.wakeWaiters();
          }, this.maxWaitMs),
        };
        this.waiters.push(waiter);
      });
      this.reservedRecords -= records;
      this.reservedBytes -= bytes;
      // Woken just as the queue closed: nothing may be admitted behind the final drain.
      if (this.closedError !== undefined) throw this.closedError;
    }
    this.admit(items, records, bytes);
  }

  private admit(items: readonly { lane: LaneName; item: BatchItem }[], records: number, bytes: number): void {
    this.pendingRecords += records;
    this.pendingBytes += bytes;
    this.queuedRecords += records;
    this.queuedBytes += bytes;
    const enqueuedAt = this.now();
    for (const entry of items) {
      const { item } = entry;
      const lane = this.laneFor(entry.lane, item);
      this.countKey(lane, item, 1);
      let list = this.lanes.get(lane);
      if (list === undefined) {
        list = [];
        this.lanes.set(lane, list);
      }
      // Stamped in place rather than copied: the caller hands each item over to the queue.
      const queued = item as QueuedItem;
      queued.enqueuedAt = enqueuedAt;
      list.push(queued);
    }
    this.changed();
  }

  /** `lane`, unless the record must stay behind an earlier record of its key (LaneSpec.behindEarlierIn). */
  private laneFor(lane: LaneName, item: BatchItem): LaneName {
    const behind = LANES[lane].behindEarlierIn;
    if (behind === undefined) return lane;
    const queued = this.queuedKeys.get(behind)?.get(keyOf(item)) ?? 0;
    return queued > 0 ? behind : lane;
  }

  private countKey(lane: LaneName, item: BatchItem, delta: number): void {
    const counts = this.queuedKeys.get(lane);
    if (counts === undefined) return;
    const key = keyOf(item);
    const n = (counts.get(key) ?? 0) + delta;
    if (n > 0) counts.set(key, n);
    else counts.delete(key);
  }

  private wakeWaiters(): void {
    while (this.waiters.length > 0) {
      const first = this.waiters[0]!;
      if (!this.fits(first.records, first.bytes)) return;
      this.waiters.shift();
      clearTimeout(first.timer);
      // Reserved until the caller resumes, so a later caller cannot take the room first.
      this.reservedRecords += first.records;
      this.reservedBytes += first.bytes;
      first.resolve();
    }
  }

  /** Refuses all later enqueues and rejects every caller waiting for capacity (used by close()). */
  close(error: unknown): void {
    this.closedError = error;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }

  /** Age in ms of the oldest item in a lane, or undefined when it is empty or its group is busy. */
  private laneAge(lane: LaneName, now: number): number | undefined {
    const first = this.lanes.get(lane)?.[0];
    if (first === undefined) return undefined;
    const group = LANES[lane].serialGroup;
    if (group !== undefined && this.busyGroups.has(group)) return undefined;
    return now - first.enqueuedAt;
  }

  /**
   * The lane to flush next: among lanes that are full or whose oldest item is at least `minAgeMs`
   * old (every non-empty lane when `minAgeMs` is 0), the one with the best priority; a lane waiting
   * longer than four times `minAgeMs` goes first so a flood cannot starve it.
   */
  nextLane(minAgeMs: number): LaneName | undefined {
    const now = this.now();
    let best: LaneName | undefined;
    let bestRank = Number.POSITIVE_INFINITY;
    for (const [lane, list] of this.lanes) {
      const age = this.laneAge(lane, now);
      if (age === undefined) continue;
      const full = list.length >= this.batchMaxRecords;
      if (!full && age < minAgeMs) continue;
      const starving = minAgeMs > 0 && age >= 4 * minAgeMs;
      const rank = (starving ? -100 : 0) + LANES[lane].priority;
      if (rank < bestRank) {
        best = lane;
        bestRank = rank;
      }
    }
    return best;
  }

  /** Milliseconds until some lane becomes due at `minAgeMs`, or undefined when nothing is queued. */
  msUntilDue(minAgeMs: number): number | undefined {
    const now = this.now();
    let soonest: number | undefined;
    for (const lane of this.lanes.keys()) {
      const age = this.laneAge(lane, now);
      if (age === undefined) continue;
      const wait = Math.max(0, minAgeMs - age);
      if (soonest === undefined || wait < soonest) soonest = wait;
    }
    return soonest;
  }

  /** Takes up to one batch from `lane` (bounded by records and bytes), coalesced by key. */
  take(lane: LaneName): Batch | undefined {
    const list = this.lanes.get(lane);
    if (list === undefined || list.length === 0) return undefined;
    let count = 0;
    let bytes = 0;
    while (count < list.length && count < this.batchMaxRecords) {
      const next = list[count]!.bytes;
      if (count > 0 && bytes + next > this.batchMaxBytes) break;
      bytes += next;
      count += 1;
    }
    const taken = list.splice(0, count);
    if (list.length === 0) this.lanes.delete(lane);
    for (const item of taken) this.countKey(lane, item, -1);
    this.queuedRecords -= count;
    this.queuedBytes -= bytes;
    const group = LANES[lane].serialGroup;
    if (group !== undefined) this.busyGroups.add(group);
    return { lane, items: coalesceBatch(taken), acceptedRecords: count, acceptedBytes: bytes };
  }

  /** Frees a batch's capacity and its serial group; wakes waiting callers. */
  release(batch: Batch): void {
    this.pendingRecords -= batch.acceptedRecords;
    this.pendingBytes -= batch.acceptedBytes;
    const group = LANES[batch.lane].serialGroup;
    if (group !== undefined) this.busyGroups.delete(group);
    this.wakeWaiters();
    this.changed();
  }

  /** Everything still queued, in lane order (close() spools it). */
  drainAll(): Batch[] {
    const batches: Batch[] = [];
    for (const lane of [...this.lanes.keys()].sort((a, b) => LANES[a].priority - LANES[b].priority)) {
      // Serial groups do not matter here: the caller writes these batches one after another.
      const group = LANES[lane].serialGroup;
      if (group !== undefined) this.busyGroups.delete(group);
      for (let batch = this.take(lane); batch !== undefined; batch = this.take(lane)) {
        batches.push(batch);
        if (group !== undefined) this.busyGroups.delete(group);
      }
    }
    return batches;
  }
}
