/**
 * Keeps this process's embedded index in step with PostgreSQL when several service instances
 * share one database. The relay (one per database, advisory lock) delivers the outbox to the
 * index of the process that holds its lock only; every process's follower reads the outbox by its
 * own cursor and applies the points' current state to its own index, so every instance converges.
 *
 * The cursor is (writing transaction, outbox id) and only rows of transactions below the oldest
 * one still running are read (migration 0062), so a row committed late can never fall behind it.
 * It starts at the horizon taken before the index loads the points (`begin()`): what committed
 * before is in the load, what may not be is read again (applying a point's current state twice is
 * a no-op, the index keeps versions). A long-running writing transaction anywhere on the server
 * holds the horizon back and delays every follower by as long as it runs.
 */
import type { Queryable } from '../postgres/queryable.js';
import { BackgroundLoop } from './background-loop.js';
import type { EmbeddedBackend } from './embedded/embedded-backend.js';
import { FOLLOW_OUTBOX, OUTBOX_HORIZON } from './memory-queries.js';
import { applyChanges, currentChanges, type OutboxRow } from './outbox-relay.js';

export const DEFAULT_FOLLOW_INTERVAL_MS = 200;
export const DEFAULT_FOLLOW_BATCH_SIZE = 512;

export interface IndexFollowerOptions {
  db: Queryable;
  backend: EmbeddedBackend;
  intervalMs?: number | undefined;
  batchSize?: number | undefined;
  onError?: (error: unknown) => void;
}

/** Result of one pass. */
export interface FollowPassResult {
  /** Outbox rows read and applied (or skipped: their collection is not held here). */
  applied: number;
  /** True when the pass stopped at a collection still loading; it is read again next pass. */
  waiting: boolean;
}

export class IndexFollower {
  private readonly options: IndexFollowerOptions;
  private cursor: { xact: string; id: string } | undefined;
  private readonly loop: BackgroundLoop;

  constructor(options: IndexFollowerOptions) {
    this.options = options;
    this.loop = new BackgroundLoop(
      async () => (await this.runOnce()).applied > 0,
      options.intervalMs ?? DEFAULT_FOLLOW_INTERVAL_MS,
      (error) => this.options.onError?.(error),
    );
  }

  /** Takes the starting horizon; call before the index loads the points. Only the first call counts. */
  async begin(): Promise<void> {
    if (this.cursor !== undefined) return;
    const { rows } = await this.options.db.query<{ xact: string }>(OUTBOX_HORIZON, [], {
      operation: 'memory.follow_horizon',
    });
    // Every row of a transaction at or above the horizon is read: the id -1 sits before all of them.
    this.cursor = { xact: rows[0]!.xact, id: '-1' };
  }

  /** Reads and applies one batch after the cursor. */
  async runOnce(): Promise<FollowPassResult> {
    const cursor = this.cursor;
    if (cursor === undefined) return { applied: 0, waiting: false };
    const { db, backend } = this.options;
    const { rows } = await db.query<OutboxRow & { xact: string }>(
      FOLLOW_OUTBOX,
      [cursor.xact, cursor.id, this.options.batchSize ?? DEFAULT_FOLLOW_BATCH_SIZE],
      { operation: 'memory.follow_read' },
    );
    if (rows.length === 0) return { applied: 0, waiting: false };
    // A collection still loading may have read its points before these rows committed: wait for it.
    if (rows.some((r) => backend.collectionState(r.collection) === 'loading')) {
      return { applied: 0, waiting: true };
    }
    const held = rows.filter((r) => backend.collectionState(r.collection) === 'ready');
    if (held.length > 0) {
      for (const changes of await currentChanges(db, held, 'memory.follow_load')) {
        await applyChanges(backend, changes);
      }
    }
    const last = rows[rows.length - 1]!;
    this.cursor = { xact: last.xact, id: last.id };
    return { applied: rows.length, waiting: false };
  }

  /** Follows in the background every `intervalMs` (default 200 ms). */
  start(): void {
    this.loop.start();
  }

  /** Stops following and waits for a pass in progress. */
  stop(): Promise<void> {
    return this.loop.stop();
  }
}
