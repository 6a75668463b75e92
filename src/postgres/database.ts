/**
 * PostgreSQL access: a pool with a client-side deadline on every call (a frozen server never fires
 * its own statement_timeout), breakers for reads and writes that count only infrastructure
 * failures, transactions that always release their client, and the tenant set per transaction.
 */
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { PoolConfig } from '../config/config.js';
import { DatabaseError, ShannonError, ValidationError } from '../errors/errors.js';
import type { Metrics } from '../observability/metrics.js';
import { type Breaker, createBreaker } from '../resilience/policies.js';
import type { Queryable, QueryOptions, QueryResult, TransactionOptions } from './queryable.js';
import { isInfrastructureFailure, toDatabaseError } from './sqlstate.js';

/** The role tenant transactions switch to; it owns nothing and cannot bypass row-level security. */
export const DEFAULT_APP_ROLE = 'shannon_app';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

function sslOption(config: PoolConfig, connectionString: string): pg.PoolConfig['ssl'] {
  // A sslmode in the URL wins; node-postgres parses it itself.
  if (/[?&]sslmode=/.test(connectionString)) return undefined;
  switch (config.sslMode) {
    case 'disable':
    case 'prefer': // node-postgres cannot negotiate; documented as "plain unless the URL asks for TLS"
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true };
    default:
      throw new Error(`unknown ssl mode ${String(config.sslMode)}`);
  }
}

function timeoutError(operation: string, timeoutMs: number): DatabaseError {
  return new DatabaseError('DB_TIMEOUT', `${operation}: no answer from PostgreSQL within ${timeoutMs} ms`, {
    details: { timeoutMs },
  });
}

/** Runs one statement on a client with a client-side deadline; on timeout the client is unusable. */
async function runWithDeadline<T>(
  start: () => Promise<T>,
  deadline: number,
  operation: string,
): Promise<{ value: T; timedOut: false } | { timedOut: true }> {
  const remaining = deadline - Date.now();
  if (remaining <= 0) return { timedOut: true };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ timedOut: true }>((resolve) => {
    timer = setTimeout(() => resolve({ timedOut: true }), remaining);
  });
  const run = start().then((value) => ({ value, timedOut: false as const }));
  // If the deadline wins, the statement's promise may still reject later (socket destroyed); swallow it.
  run.catch(() => undefined);
  try {
    return await Promise.race([run, timeout]);
  } catch (error) {
    throw toDatabaseError(error, operation);
  } finally {
    clearTimeout(timer);
  }
}

function queryOn<Row>(client: pg.PoolClient, text: string, values: readonly unknown[] | undefined) {
  return () =>
    client
      .query(text, values as unknown[] | undefined)
      .then((r: pg.QueryResult): QueryResult<Row> => ({ rows: r.rows as Row[], rowCount: r.rowCount ?? 0 }));
}

/** Streams `data` into a `COPY … FROM STDIN`; resolves with the rows copied once the server is ready again. */
function copyOn(client: pg.PoolClient, text: string, data: string | Buffer) {
  return () =>
    new Promise<number>((resolve, reject) => {
      const stream = client.query(copyFrom(text));
      stream.on('error', reject);
      stream.on('finish', () => resolve(stream.rowCount));
      stream.end(data);
    });
}

/** Pool-backed Queryable with breakers, deadlines, transactions and stats. */
export class Database implements Queryable {
  readonly name: string;
  readonly pool: pg.Pool;
  readonly writeBreaker: Breaker;
  readonly readBreaker: Breaker;
  private readonly config: PoolConfig;
  private readonly metrics: Metrics | undefined;
  private readonly appRole: string | null;
  private pingTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(options: DatabaseOptions) {
    this.name = options.name ?? 'primary';
    this.config = options.pool;
    this.metrics = options.metrics;
    this.appRole = options.appRole === undefined ? DEFAULT_APP_ROLE : options.appRole;
    const statementTimeout = options.pool.statementTimeoutMs;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.pool.max,
      idleTimeoutMillis: options.pool.idleTimeoutMs,
      maxLifetimeSeconds: Math.ceil(options.pool.maxLifetimeMs / 1000),
      connectionTimeoutMillis: options.pool.connectTimeoutMs,
      application_name: options.pool.applicationName,
      ssl: sslOption(options.pool, options.connectionString),
      ...(statementTimeout > 0 ? { statement_timeout: statementTimeout } : {}),
      keepAlive: true,
    });
    // A client whose server goes away emits 'error': idle ones on the pool, checked-out ones on
    // the client itself (pg-pool removes its listener while a client is in use). Without a
    // listener that is an uncaught exception ending the process; the failing or next query
    // reports the failure anyway, so the events themselves are absorbed.
    this.pool.on('error', () => undefined);
    this.pool.on('connect', (client) => {
      client.on('error', () => undefined);
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
   * Acquires a client within the deadline. @throws DatabaseError DB_TIMEOUT or DB_UNAVAILABLE.
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
      throw toDatabaseError(error, operation);
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
    if (options.tenantId !== undefined && !UUID_PATTERN.test(options.tenantId)) {
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
    let broken = false;
    let finished = false;
    const run = async <Row>(text: string, values?: readonly unknown[], opts: QueryOptions = {}) => {
      if (finished)
        throw new ShannonError('INTERNAL', `${operation}: transaction handle used after it ended`);
      const ms = opts.timeoutMs ?? timeoutMs;
      const outcome = await runWithDeadline(
        queryOn<Row>(client, text, values),
        Date.now() + ms,
        opts.operation ?? operation,
      );
      if (outcome.timedOut) {
        broken = true;
        throw timeoutError(opts.operation ?? operation, ms);
      }
      return outcome.value;
    };
    try {
      const mode = [
        options.isolation === undefined ? '' : `ISOLATION LEVEL ${options.isolation.toUpperCase()}`,
        options.readOnly === true ? 'READ ONLY' : '',
      ]
        .filter((s) => s !== '')
        .join(' ');
      await run(`BEGIN${mode === '' ? '' : ` ${mode}`}`);
      if (options.tenantId !== undefined) {
        if (this.appRole === null) {
          await run(`SELECT set_config('app.tenant_id', $1, true)`, [options.tenantId]);
        } else {
          await run(`SELECT set_config('app.tenant_id', $1, true), set_config('role', $2, true)`, [
            options.tenantId,
            this.appRole,
          ]);
        }
      }
      const tx: Transaction = { tenantId: options.tenantId, query: run };
      const value = await fn(tx);
      await run('COMMIT');
      finished = true;
      return value;
    } catch (error) {
      if (!broken) {
        try {
          await run('ROLLBACK');
        } catch {
          broken = true;
        }
      }
      if (isInfrastructureFailure(error)) broken = true;
      throw error;
    } finally {
      finished = true;
      client.release(broken ? true : undefined);
    }
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
    await this.query('SELECT 1', [], { operation: 'health_ping', readOnly: true });
  }

  /** Stops the ping and closes every connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pingTimer);
    await this.pool.end();
  }
}
