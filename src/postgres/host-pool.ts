/**
 * The connection pool of one Database, on the one host of its URL or, when the URL lists several
 * (src/postgres/hosts.ts), on the host that accepts writes. With several hosts, the pool is opened
 * only once the writable host is known, and any infrastructure failure (a refused connection, a
 * dropped socket, "cannot execute … in a read-only transaction" from a standby) makes it ask every
 * host again; when another host is now the writable one, a new pool is opened on it and the old
 * one ended. The calls that failed meanwhile fail as they would on one host — the write path
 * spools them and replays them once the new host answers — so nothing waits on a failover.
 */
import pg from 'pg';
import type { PoolConfig } from '../config/config.js';
import { hostLabel, splitHosts } from './hosts.js';
import { poolOptions } from './pool-options.js';
import { type HostProbe, locatePrimary } from './primary-locator.js';
import { isInfrastructureFailure } from './sqlstate.js';

/**
 * Failures closer together than this share one round of asking the hosts: an outage makes every
 * pending call fail at once, and one round answers them all.
 */
const RELOCATE_MIN_INTERVAL_MS = 250;

/**
 * While no host takes writes (the primary is gone, the standby not promoted yet), the hosts are
 * asked again this often, so the pool is on the promoted host within this time of the promotion —
 * not only when a call happens to fail, which a breaker left open would delay.
 */
const RELOCATE_RETRY_MS = 500;

export interface HostChange {
  from: string;
  to: string;
  probes: HostProbe[];
}

export interface HostPoolOptions {
  connectionString: string;
  pool: PoolConfig;
  /** Called after the pool moved to another host (for a metric and a log line). */
  onHostChange?: (change: HostChange) => void;
}

export class HostPool {
  /** The single-host URLs, in the order given. */
  readonly hosts: readonly string[];
  private current = 0;
  private pool: pg.Pool | undefined;
  private readonly config: PoolConfig;
  private readonly onHostChange: ((change: HostChange) => void) | undefined;
  private located: Promise<void> | undefined;
  private relocating: Promise<void> | undefined;
  private lastRelocateAt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(options: HostPoolOptions) {
    this.hosts = splitHosts(options.connectionString);
    this.config = options.pool;
    this.onHostChange = options.onHostChange;
    // One host: nothing to find, the pool opens now (lazily connecting, as pg.Pool does).
    if (this.hosts.length === 1) this.pool = this.open(this.hosts[0]!);
  }

  /** The URL of the host the pool is on (the first one until the writable one is known). */
  get url(): string {
    return this.hosts[this.current]!;
  }

  /** Which host the pool is on, as `host:port`. */
  get host(): string {
    return hostLabel(this.url);
  }

  get totalCount(): number {
    return this.pool?.totalCount ?? 0;
  }
  get idleCount(): number {
    return this.pool?.idleCount ?? 0;
  }
  get waitingCount(): number {
    return this.pool?.waitingCount ?? 0;
  }

  /** A client of the current host's pool; with several hosts, once the writable one is known. */
  async connect(): Promise<pg.PoolClient> {
    if (this.pool === undefined) {
      this.located ??= this.relocate();
      await this.located;
    }
    return this.pool!.connect();
  }

  /**
   * Tells the pool a call failed; with several hosts, an infrastructure failure starts a round of
   * asking them (not awaited: the caller's own error stands).
   */
  reportFailure(error: unknown): void {
    if (isInfrastructureFailure(error)) this.suspect();
  }

  /** Starts a round of asking the hosts (with several), e.g. when the current one is a standby now. */
  suspect(): void {
    if (this.hosts.length === 1 || this.ended || this.retryTimer !== undefined) return;
    if (this.relocating !== undefined || Date.now() - this.lastRelocateAt < RELOCATE_MIN_INTERVAL_MS) return;
    this.relocating = this.relocate().finally(() => {
      this.relocating = undefined;
    });
  }

  /** Asks every host and moves the pool to the first writable one; stays put when none is. */
  private async relocate(): Promise<void> {
    this.lastRelocateAt = Date.now();
    const { index, probes } = await locatePrimary(this.hosts, this.config);
    if (this.ended) return;
    if (this.pool === undefined) {
      // First use: open on the writable host, or on the first one when none answers yet, so calls
      // fail with that host's error (and a later failure asks again).
      this.current = index ?? 0;
      this.pool = this.open(this.url);
      return;
    }
    if (index === undefined) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.suspect();
      }, RELOCATE_RETRY_MS);
      this.retryTimer.unref();
      return;
    }
    if (index === this.current) return;
    const from = this.host;
    const old = this.pool;
    this.current = index;
    this.pool = this.open(this.url);
    // Clients checked out of the old pool are destroyed when released to it.
    old.end().catch(() => undefined);
    this.onHostChange?.({ from, to: this.host, probes });
  }

  private open(url: string): pg.Pool {
    const pool = new pg.Pool(poolOptions(url, this.config));
    // A client whose server goes away emits 'error': idle ones on the pool, checked-out ones on
    // the client itself (pg-pool removes its listener while a client is in use). Without a
    // listener that is an uncaught exception ending the process; the failing or next query
    // reports the failure anyway, so the events themselves are absorbed.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => {
      client.on('error', () => undefined);
    });
    return pool;
  }

  /** Ends the pool (and a round of asking in progress). Idempotent. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.retryTimer);
    await this.relocating?.catch(() => undefined);
    await this.pool?.end();
  }
}
