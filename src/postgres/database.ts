/**
 * PostgreSQL access: a pool with a client-side deadline on every call (a frozen server never fires
 * its own statement_timeout), breakers for reads and writes that count only infrastructure
 * failures, transactions that always release their client, the tenant set per transaction, and
 * pinned sessions with the same guarantees. The pool itself never leaves this class.
 */
import type pg from 'pg';
import type { PoolConfig } from '../config/config.js';
import { ShannonError, ValidationError } from '../errors/errors.js';
import type { Metrics } from '../observability/metrics.js';
import { type Breaker, createBreaker } from '../resilience/policies.js';
import { isUuid } from '../validation/checks.js';
import { ClientSession, copyOn, queryOn, runWithDeadline, timeoutError } from './client-session.js';
import { connectionFailure } from './connection-failure.js';
import { type HostChange, HostPool } from './host-pool.js';
import { READ_ONLY_QUERY } from './primary-locator.js';
import {
  type Queryable,
  type QueryOptions,
  type QueryResult,
  SESSION_DEADLINE_GRACE_MS,
  type Session,
  type SessionOptions,
  type SessionSource,
  type TransactionOptions,
} from './queryable.js';
import { isInfrastructureFailure } from './sqlstate.js';

/** The role tenant transactions switch to; it owns nothing and cannot bypass row-level security. */
export const DEFAULT_APP_ROLE = 'shannon_app';

export interface DatabaseOptions {
  connectionString: string;
  pool: PoolConfig;
  /** Name in metrics and errors (`primary`, `replica`, `admin`). */
  name?: string;
  metrics?: Metrics;
  /** Role for tenant transactions; `null` keeps the connecting role (admin pools). */
  appRole?: string | null;
  /** Breaker tuning; defaults come from resilience/policies. */
  breakerFailureThreshold?: number;
  breakerHalfOpenAfterMs?: number;
  /**
   * The setting an operator checks when a connection cannot be opened, named in the error
   * (default `DATABASE_URL`).
   */
  connectionSetting?: string;
  /** Called when a URL listing several hosts moved to another writable host (src/postgres/host-pool.ts). */
  onHostChange?: (change: HostChange) => void;
}

export interface PoolStats {
  total: number;
  idle: number;
  inUse: number;
  waiting: number;
  max: number;
}

/** A transaction handle: a Queryable bound to one connection until the transaction ends. */
export interface Transaction extends Queryable {
  readonly tenantId: string | undefined;
}

/** Pool-backed Queryable with breakers, deadlines, transactions, pinned sessions and stats. */
export class Database implements Queryable, SessionSource {
  readonly name: string;
  // Private so every use of a connection goes through a deadline, a breaker and the metrics.
  private readonly pool: HostPool;
  readonly writeBreaker: Breaker;
  readonly readBreaker: Breaker;
  private readonly config: PoolConfig;
  private readonly metrics: Metrics | undefined;
  private readonly appRole: string | null;
  private readonly connectionSetting: string;
  private pingTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: DatabaseOptions) {
    this.name = options.name ?? 'primary';
    this.config = options.pool;
    this.metrics = options.metrics;
    this.appRole = options.appRole === undefined ? DEFAULT_APP_ROLE : options.appRole;
    this.connectionSetting = options.connectionSetting ?? 'DATABASE_URL';
    this.pool = new HostPool({
      connectionString: options.connectionString,
      pool: options.pool,
      onHostChange: (change) => {
        this.writeBreaker.reset();
        this.readBreaker.reset();
        options.metrics?.dbHostChanges.inc({ pool: this.name });
        options.onHostChange?.(change);
      },
    });
    const breakerOptions = {
      isFailure: isInfrastructureFailure,
      metrics: options.metrics,
      ...(options.breakerFailureThreshold === undefined
        ? {}
        : { failureThreshold: options.breakerFailureThreshold }),
      ...(options.breakerHalfOpenAfterMs === undefined
        ? {}
        : { halfOpenAfterMs: options.breakerHalfOpenAfterMs }),
    };
    this.writeBreaker = createBreaker({ ...breakerOptions, name: `postgres_${this.name}_write` });
    this.readBreaker = createBreaker({ ...breakerOptions, name: `postgres_${this.name}_read` });
    options.metrics?.addCollector(() => this.publishPoolStats());
  }

  /**
   * The URL this pool connects to, for a tool that must open connections of its own outside the
   * pool's guarantees (the ingest benchmark measures raw clients). Never log it: it may hold a password.
   */
  get connectionString(): string {
    return this.pool.url;
  }

  /** The host the pool is on (`host:port`): with several in the URL, the one accepting writes. */
  get host(): string {
    return this.pool.host;
  }

  /** Connection counts for metrics, readiness and the dashboard. */
  stats(): PoolStats {
    const total = this.pool.totalCount;
    const idle = this.pool.idleCount;
    return { total, idle, inUse: total - idle, waiting: this.pool.waitingCount, max: this.config.max };
  }

  private publishPoolStats(): void {
    const s = this.stats();
    const gauge = this.metrics?.dbPoolConnections;
    gauge?.set({ pool: this.name, state: 'in_use' }, s.inUse);
    gauge?.set({ pool: this.name, state: 'idle' }, s.idle);
    gauge?.set({ pool: this.name, state: 'waiting' }, s.waiting);
    this.metrics?.dbPoolMaxConnections.set({ pool: this.name }, s.max);
  }

  /** Runs `fn` through a breaker and records its latency by outcome (ok, timeout, rejected, error). */
  private async measured<T>(operation: string, breaker: Breaker, fn: () => Promise<T>): Promise<T> {
    const startedAt = performance.now();
    let outcome = 'error';
    try {
      const result = await breaker.execute(fn);
      outcome = 'ok';
      return result;
    } catch (error) {
      const code = error instanceof ShannonError ? error.code : undefined;
      if (code === 'DB_TIMEOUT') outcome = 'timeout';
      else if (code === 'BREAKER_OPEN') outcome = 'rejected';
      throw error;
    } finally {
      this.metrics?.dbQueryDuration.observe(
        { pool: this.name, operation, outcome },
        (performance.now() - startedAt) / 1000,
      );
    }
  }

  /**
   * Acquires a client within the deadline. @throws DatabaseError DB_TIMEOUT or DB_UNAVAILABLE, the
   * latter naming host, port and the setting to check, with PostgreSQL's DETAIL and HINT.
   */
  private async acquire(deadline: number, operation: string, timeoutMs: number): Promise<pg.PoolClient> {
    if (this.closed) throw new ShannonError('SHUTTING_DOWN', `${operation}: the database pool is closed`);
    let timer: NodeJS.Timeout | undefined;
    const connecting = this.pool.connect();
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()));
    });
    try {
      const winner = await Promise.race([connecting, timeout]);
      if (winner === 'timeout') {
        // Give the connection back as soon as it arrives; the caller has moved on.
        connecting.then((c) => c.release()).catch(() => undefined);
        throw timeoutError(operation, timeoutMs);
      }
      return winner;
    } catch (error) {
      this.pool.reportFailure(error);
      throw connectionFailure(error, { url: this.pool.url, setting: this.connectionSetting, operation });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Runs one statement through the breaker with the client-side timeout. */
  async query<Row = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
    options: QueryOptions & { readOnly?: boolean } = {},
  ): Promise<QueryResult<Row>> {
    const breaker = options.readOnly === true ? this.readBreaker : this.writeBreaker;
    return this.onClient(options, breaker, (client) => queryOn<Row>(client, text, values));
  }

  /**
   * Runs one `COPY … FROM STDIN` (text format) with `data` as its whole input, through the write
   * breaker with the client-side timeout. Atomic like any statement: every row or none.
   * @returns the number of rows copied.
   */
  async copyFrom(text: string, data: string | Buffer, options: QueryOptions = {}): Promise<number> {
    return this.onClient(options, this.writeBreaker, (client) => copyOn(client, text, data));
  }

  /** One statement on a pooled client: breaker, deadline covering acquire + execute, safe release. */
  private onClient<T>(
    options: QueryOptions,
    breaker: Breaker,
    statement: (client: pg.PoolClient) => () => Promise<T>,
  ): Promise<T> {
    const operation = options.operation ?? 'query';
    const timeoutMs = options.timeoutMs ?? this.config.queryTimeoutMs;
    return this.measured(operation, breaker, async () => {
      const deadline = Date.now() + timeoutMs;
      const client = await this.acquire(deadline, operation, timeoutMs);
      let broken = false;
      try {
        const outcome = await runWithDeadline(statement(client), deadline, operation);
        if (outcome.timedOut) {
          broken = true;
          throw timeoutError(operation, timeoutMs);
        }
        return outcome.value;
      } catch (error) {
        if (isInfrastructureFailure(error)) broken = true;
        this.pool.reportFailure(error);
        throw error;
      } finally {
        // A timed-out or failed connection is destroyed, never returned to the pool.
        client.release(broken ? true : undefined);
      }
    });
  }

  /**
   * Runs `fn` in a transaction on one connection. Commits when `fn` resolves; rolls back when it
   * throws or rejects; always releases the connection (destroying it when its state is unknown).
   * With `tenantId`, the transaction runs as the application role with `app.tenant_id` set, so
   * row-level security admits only that tenant's rows.
   */
  async withTransaction<T>(
    fn: (tx: Transaction) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    const operation = options.operation ?? 'transaction';
    if (options.tenantId !== undefined && !isUuid(options.tenantId)) {
      throw new ValidationError(
        'tenantId',
        `tenant id must be a UUID, got ${JSON.stringify(options.tenantId)}`,
      );
    }
    const timeoutMs = this.config.queryTimeoutMs;
    const breaker = options.readOnly === true ? this.readBreaker : this.writeBreaker;
    return this.measured(operation, breaker, () => this.runTransaction(fn, options, operation, timeoutMs));
  }

  /** Shorthand for a transaction scoped to one tenant. */
  withTenant<T>(
    tenantId: string,
    fn: (tx: Transaction) => Promise<T>,
    options: Omit<TransactionOptions, 'tenantId'> = {},
  ) {
    return this.withTransaction(fn, { ...options, tenantId });
  }

  private async runTransaction<T>(
    fn: (tx: Transaction) => Promise<T>,
    options: TransactionOptions,
    operation: string,
    timeoutMs: number,
  ): Promise<T> {
    const client = await this.acquire(Date.now() + timeoutMs, operation, timeoutMs);
    const session = new ClientSession(client, operation, timeoutMs, 'transaction');
    let broken = false;
    try {
      const mode = [
        options.isolation === undefined ? '' : `ISOLATION LEVEL ${options.isolation.toUpperCase()}`,
        options.readOnly === true ? 'READ ONLY' : '',
      ]
        .filter((s) => s !== '')
        .join(' ');
      await session.query(`BEGIN${mode === '' ? '' : ` ${mode}`}`);
      // Behind a transaction pooler the connection carries no statement_timeout: each transaction
      // sets its own, which ends with it.
      if (this.config.mode === 'transaction' && this.config.statementTimeoutMs > 0) {
        await session.query(`SELECT set_config('statement_timeout', $1, true)`, [
          String(this.config.statementTimeoutMs),
        ]);
      }
      if (options.tenantId !== undefined) {
        if (this.appRole === null) {
          await session.query(`SELECT set_config('app.tenant_id', $1, true)`, [options.tenantId]);
        } else {
          await session.query(`SELECT set_config('app.tenant_id', $1, true), set_config('role', $2, true)`, [
            options.tenantId,
            this.appRole,
          ]);
        }
      }
      const tx: Transaction = {
        tenantId: options.tenantId,
        query: (text, values, opts) => session.query(text, values, opts),
      };
      const value = await fn(tx);
      await session.query('COMMIT');
      session.end();
      return value;
    } catch (error) {
      if (!session.broken) {
        try {
          await session.query('ROLLBACK');
        } catch {
          broken = true;
        }
      }
      if (session.broken || isInfrastructureFailure(error)) broken = true;
      this.pool.reportFailure(error);
      throw error;
    } finally {
      session.end();
      client.release(broken ? true : undefined);
    }
  }

  /**
   * Runs `fn` with a Session pinned to one connection (hypothetical indexes, prepared statements,
   * session advisory locks, BEGIN…COMMIT spelled out, streaming COPY). Like `query`, it goes
   * through a breaker (the read one with `readOnly`) and is timed in the query-duration histogram
   * as `operation`, as a whole. The deadline bounds acquiring the connection and then each
   * statement, not the session: pinned work (an index advice over hundreds of statements, an
   * archive export) legitimately holds its connection for minutes. The default per-statement
   * deadline is the pool's statement_timeout plus SESSION_DEADLINE_GRACE_MS, or the query timeout
   * when the pool sets none, so a statement the server would let run is never cut by the client.
   * The connection goes back to the pool when `fn` resolves and is destroyed when it throws.
   * @throws DatabaseError DB_TIMEOUT, DB_UNAVAILABLE; ShannonError BREAKER_OPEN; whatever `fn` throws.
   */
  async withSession<T>(fn: (session: Session) => Promise<T>, options: SessionOptions): Promise<T> {
    const { operation } = options;
    const timeoutMs = options.timeoutMs ?? this.defaultSessionTimeoutMs();
    const breaker = options.readOnly === true ? this.readBreaker : this.writeBreaker;
    return this.measured(operation, breaker, async () => {
      // Without a statement deadline, waiting for a connection is still bounded: one that never
      // comes is an outage, not a long migration.
      const acquireMs = timeoutMs === 0 ? this.config.queryTimeoutMs : timeoutMs;
      const client = await this.acquire(Date.now() + acquireMs, operation, acquireMs);
      const session = new ClientSession(client, operation, timeoutMs);
      let broken = false;
      try {
        return await fn(session);
      } catch (error) {
        // Whatever was left behind (an open transaction, prepared statements, hypothetical
        // indexes, a half-read COPY) dies with the backend.
        broken = true;
        this.pool.reportFailure(error);
        throw error;
      } finally {
        session.end();
        client.release(broken || session.broken ? true : undefined);
      }
    });
  }

  private defaultSessionTimeoutMs(): number {
    const statementTimeoutMs = this.config.statementTimeoutMs;
    return statementTimeoutMs > 0
      ? statementTimeoutMs + SESSION_DEADLINE_GRACE_MS
      : this.config.queryTimeoutMs;
  }

  /** Starts the periodic health ping (every `healthPingIntervalMs`; 0 disables). */
  startHealthPing(): void {
    if (this.config.healthPingIntervalMs === 0 || this.pingTimer !== undefined) return;
    this.pingTimer = setInterval(() => {
      this.ping().catch(() => this.metrics?.dbHealthPingFailures.inc({ pool: this.name }));
    }, this.config.healthPingIntervalMs);
    this.pingTimer.unref();
  }

  /** One `SELECT 1` within the query timeout. @throws DatabaseError when PostgreSQL is unreachable. */
  async ping(): Promise<void> {
    if (this.pool.hosts.length === 1) {
      await this.query('SELECT 1', [], { operation: 'health_ping', readOnly: true });
      return;
    }
    // With several hosts the ping also notices the host it is on became a standby (a switchover
    // with no connection lost), before a write finds out.
    const result = await this.query<{ read_only: boolean }>(READ_ONLY_QUERY, [], {
      operation: 'health_ping',
      readOnly: true,
    });
    if (result.rows[0]?.read_only === true) this.pool.suspect();
  }

  /** Stops the ping and closes every connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pingTimer);
    await this.pool.end();
  }
}
