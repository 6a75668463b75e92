/**
 * Reads on streaming replicas, with read-your-writes. Every `intervalMs` the router reads the
 * primary's WAL position and each replica's replay position; a replica that answers, is in
 * recovery and is at most `maxLagBytes` behind serves reads, any other is out until a later check
 * finds it well. A read that must see a write carries the write's token — the primary's WAL
 * position taken after the write committed (`position()`) — and goes to a replica only once that
 * replica has replayed past it, otherwise to the primary. A read that fails on a replica for an
 * infrastructure reason takes the replica out and runs again on the primary, so a replica going
 * away costs latency, not errors.
 */
import { DEFAULT_REPLICA_CHECK_INTERVAL_MS, DEFAULT_REPLICA_MAX_LAG_BYTES } from '../config/config.js';
import type { Metrics } from '../observability/metrics.js';
import type { Database } from './database.js';
import { isInfrastructureFailure } from './sqlstate.js';

/** A WAL position as PostgreSQL prints it (`16/B374D848`), as a number of bytes. */
export function lsnBytes(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  if (hi === undefined || lo === undefined || !/^[0-9A-Fa-f]+$/.test(hi) || !/^[0-9A-Fa-f]+$/.test(lo)) {
    throw new Error(`not a WAL position: ${lsn}`);
  }
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

/** Whether `token` is a WAL position (what a client may send back). */
export function isLsn(token: string): boolean {
  return /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/.test(token);
}

export interface ReplicaState {
  readonly name: string;
  /** Answered the last check, in recovery, and within the lag bound. */
  readonly serving: boolean;
  readonly replayLsn: string | undefined;
  readonly lagBytes: number | undefined;
  readonly error: string | undefined;
}

interface Replica {
  db: Database;
  serving: boolean;
  replay: bigint | undefined;
  replayLsn: string | undefined;
  lagBytes: number | undefined;
  error: string | undefined;
}

export interface ReplicaRouterOptions {
  primary: Database;
  replicas: readonly Database[];
  intervalMs?: number;
  maxLagBytes?: number;
  metrics?: Metrics | undefined;
}

export class ReplicaRouter {
  private readonly primary: Database;
  private readonly replicas: Replica[];
  private readonly options: ReplicaRouterOptions;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private next = 0;

  constructor(options: ReplicaRouterOptions) {
    this.options = options;
    this.primary = options.primary;
    this.replicas = options.replicas.map((db) => ({
      db,
      serving: false,
      replay: undefined,
      replayLsn: undefined,
      lagBytes: undefined,
      error: 'not checked yet',
    }));
  }

  get size(): number {
    return this.replicas.length;
  }

  /** The primary's WAL position now: the token of what has committed so far. */
  async position(): Promise<string> {
    const { rows } = await this.primary.query<{ lsn: string }>(
      'SELECT pg_current_wal_lsn()::text AS lsn',
      [],
      {
        operation: 'replicas.position',
      },
    );
    return rows[0]!.lsn;
  }

  /** Checks every replica once (also what the background loop runs). */
  async check(): Promise<void> {
    let primaryLsn: bigint | undefined;
    try {
      primaryLsn = lsnBytes(await this.position());
    } catch {
      // Without the primary's position the lag is unknown; replicas keep their last verdict on lag.
    }
    await Promise.all(
      this.replicas.map(async (r) => {
        try {
          const { rows } = await r.db.query<{ recovery: boolean; lsn: string | null }>(
            'SELECT pg_is_in_recovery() AS recovery, pg_last_wal_replay_lsn()::text AS lsn',
            [],
            { operation: 'replicas.check', readOnly: true },
          );
          const row = rows[0]!;
          if (!row.recovery || row.lsn === null) {
            // Promoted (or never a standby): it no longer follows this primary.
            this.mark(r, false, row.recovery ? 'no WAL replayed yet' : 'not in recovery (promoted?)');
            return;
          }
          r.replay = lsnBytes(row.lsn);
          r.replayLsn = row.lsn;
          if (primaryLsn !== undefined)
            r.lagBytes = Number(primaryLsn > r.replay ? primaryLsn - r.replay : 0n);
          const lagging =
            r.lagBytes !== undefined &&
            r.lagBytes > (this.options.maxLagBytes ?? DEFAULT_REPLICA_MAX_LAG_BYTES);
          this.mark(r, !lagging, lagging ? `${r.lagBytes} bytes behind` : undefined);
        } catch (error) {
          this.mark(r, false, error instanceof Error ? error.message : String(error));
        }
      }),
    );
  }

  private mark(r: Replica, serving: boolean, error: string | undefined): void {
    r.serving = serving;
    r.error = error;
    this.options.metrics?.replicaServing.set({ replica: r.db.name }, serving ? 1 : 0);
    if (r.lagBytes !== undefined)
      this.options.metrics?.replicaLagBytes.set({ replica: r.db.name }, r.lagBytes);
  }

  /**
   * Runs a read on a serving replica — one that has replayed past `token` when given — or on the
   * primary. A replica failing under it is taken out and the read runs again on the primary.
   */
  async read<T>(token: string | undefined, fn: (db: Database) => Promise<T>): Promise<T> {
    const replica = await this.choose(token);
    if (replica === undefined) return this.routed('primary', fn(this.primary));
    try {
      return await this.routed('replica', fn(replica.db));
    } catch (error) {
      if (!isInfrastructureFailure(error)) throw error;
      this.mark(replica, false, error instanceof Error ? error.message : String(error));
      return this.routed('primary', fn(this.primary));
    }
  }

  private async routed<T>(target: 'primary' | 'replica', value: Promise<T>): Promise<T> {
    this.options.metrics?.replicaReads.inc({ target });
    return value;
  }

  private async choose(token: string | undefined): Promise<Replica | undefined> {
    const serving = this.replicas.filter((r) => r.serving);
    if (serving.length === 0) return undefined;
    // Round robin over the serving replicas.
    const start = this.next++ % serving.length;
    const ordered = [...serving.slice(start), ...serving.slice(0, start)];
    if (token === undefined) return ordered[0];
    const wanted = lsnBytes(token);
    const known = ordered.find((r) => r.replay !== undefined && r.replay >= wanted);
    if (known !== undefined) return known;
    // Not known to be there yet: ask one replica where it is now (a write just made is usually
    // replayed within milliseconds), else the primary answers.
    const candidate = ordered[0]!;
    try {
      const { rows } = await candidate.db.query<{ lsn: string | null }>(
        'SELECT pg_last_wal_replay_lsn()::text AS lsn',
        [],
        { operation: 'replicas.replay_position', readOnly: true },
      );
      const lsn = rows[0]?.lsn;
      if (lsn === null || lsn === undefined) return undefined;
      candidate.replay = lsnBytes(lsn);
      candidate.replayLsn = lsn;
      return candidate.replay >= wanted ? candidate : undefined;
    } catch (error) {
      if (isInfrastructureFailure(error)) this.mark(candidate, false, String(error));
      return undefined;
    }
  }

  /** Each replica's last verdict, for the doctor and status output. */
  states(): ReplicaState[] {
    return this.replicas.map((r) => ({
      name: r.db.name,
      serving: r.serving,
      replayLsn: r.replayLsn,
      lagBytes: r.lagBytes,
      error: r.error,
    }));
  }

  /** Checks now, then every `intervalMs`. */
  async start(): Promise<void> {
    if (this.timer !== undefined || this.replicas.length === 0) return;
    await this.check();
    this.timer = setInterval(() => {
      if (this.checking !== undefined) return;
      this.checking = this.check().finally(() => {
        this.checking = undefined;
      });
    }, this.options.intervalMs ?? DEFAULT_REPLICA_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops checking (the replicas' pools are closed by their owner). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.checking;
  }
}
