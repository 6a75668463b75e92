/**
 * The write path's share of database connections: at most `size` writes at once
 * (SHANNON_INGEST_CONCURRENCY), shared by direct writes of new batches and replay of the spool. A
 * freed slot goes to whoever waits; when both sides wait, to the side that did not get the previous
 * one. So replay takes every slot new batches leave idle, and neither side can starve the other
 * under load (each gets at least half of the handovers).
 */
export type SlotUser = 'direct' | 'replay';

export class WriteSlots {
  readonly size: number;
  private free: number;
  private readonly waiting: Record<SlotUser, (() => void)[]> = { direct: [], replay: [] };
  private lastGranted: SlotUser = 'replay';

  constructor(size: number) {
    this.size = Math.max(1, size);
    this.free = this.size;
  }

  /** Waits for a slot; resolves with the function that gives it back (calling it twice is harmless). */
  async acquire(user: SlotUser): Promise<() => void> {
    if (this.free > 0) {
      this.free -= 1;
      this.lastGranted = user;
    } else {
      await new Promise<void>((resolve) => this.waiting[user].push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.handOver();
    };
  }

  /** Slots in use and callers waiting, for tests and stats. */
  stats(): { busy: number; waiting: Record<SlotUser, number> } {
    return {
      busy: this.size - this.free,
      waiting: { direct: this.waiting.direct.length, replay: this.waiting.replay.length },
    };
  }

  private handOver(): void {
    const other: SlotUser = this.lastGranted === 'direct' ? 'replay' : 'direct';
    const next = this.waiting[other].length > 0 ? other : this.lastGranted;
    const resolve = this.waiting[next].shift();
    if (resolve === undefined) {
      this.free += 1;
      return;
    }
    this.lastGranted = next;
    resolve();
  }
}
