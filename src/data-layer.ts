/**
 * The composition root: the only place that wires the data layer together. Everything is built
 * from the frozen config; nothing is global; `close()` tears it down in reverse order.
 */
import { type Authenticator, createAuthenticator } from './auth/authenticator.js';
import type { Config } from './config/config.js';
import { createIngest, type Ingest } from './ingest/ingest.js';
import { createVectorBackend } from './memory/create-backend.js';
import { createEmbedder } from './memory/embedder/create-embedder.js';
import { createMemory, type Memory } from './memory/memory.js';
import type { Metrics } from './observability/metrics.js';
import { openDatabase } from './open-database.js';
import { createOps, type Ops } from './ops/ops.js';
import type { Database } from './postgres/database.js';
import type { EmbeddedServer } from './postgres/embedded-server.js';
import { ReplicaRouter, type ReplicaState } from './postgres/replica-router.js';
import { createRedisGuard, type RedisGuard } from './resilience/redis-guard.js';
import { type MigrationResult, migrateDatabase, migrateUrl, migrationsCurrent } from './schema/migrator.js';
import { createSessionCache, type SessionCache } from './sessions/session-cache.js';
import { createStores, type Stores } from './stores/create-stores.js';

export interface DataLayerOptions {
  /** Apply pending migrations at start-up (default true). */
  migrate?: boolean;
  /** Use this registry instead of a new one (tests, embedding applications). */
  metrics?: Metrics;
  /** Receives the embedded server's log lines. */
  onEmbeddedLog?: (line: string) => void;
}

/**
 * Reads that may run on a read replica (DATABASE_REPLICA_URLS). Without replicas every read runs on
 * the primary and `token()` is never needed.
 */
export interface StoreReads {
  /** Replicas configured (0: every read is the primary's). */
  readonly replicas: number;
  /**
   * Runs `fn` on the stores of a caught-up replica — one that has replayed past `token` when
   * given — or of the primary.
   */
  run<T>(token: string | undefined, fn: (stores: Stores) => Promise<T>): Promise<T>;
  /** The consistency token of everything committed so far (the primary's WAL position). */
  token(): Promise<string>;
  /** Each replica's last check. */
  states(): ReplicaState[];
}

export interface DataLayer {
  readonly config: Config;
  readonly metrics: Metrics;
  /** The primary pool (owner connection; tenant transactions switch to the application role). */
  readonly db: Database;
  /** The URL in use (the embedded server's when no DATABASE_URL was configured). */
  readonly databaseUrl: string;
  /** Set when this process runs the embedded PostgreSQL. */
  readonly embedded: EmbeddedServer | undefined;
  /** Reads routed to a read replica when one is configured and caught up. */
  readonly reads: StoreReads;
  /** Repositories: sessions, tasks, token usage, events, agent and tool executions. */
  readonly stores: Stores;
  /** Operations toolkit: doctor, explain, advise, partitions, retention, archive, aggregates. */
  readonly ops: Ops;
  /** The guarded Redis client on `config.redisUrl` (connects on first use); unset without Redis. */
  readonly redis: RedisGuard | undefined;
  /** Verifies API keys (cached by digest for `config.authCacheTtlMs`); shared by every app on this layer. */
  readonly authenticator: Authenticator;
  /** Session state (Redis when configured, else in-process); snapshots what is unsaved on close. */
  readonly sessions: SessionCache;
  /** Vector memory (Qdrant when QDRANT_URL is set, else the embedded index); `memory.init()` starts its relay. */
  readonly memory: Memory;
  /** Durable batched write path: `ingest.write(kind, record)` resolves once committed or spooled. */
  readonly ingest: Ingest;
  /** Migration results of the start-up run (empty when `migrate: false`). */
  readonly migrations: MigrationResult[];
  /** True when every migration on disk is applied. */
  migrationsCurrent(): Promise<boolean>;
  /** Stops accepting work, flushes what is queued, closes connections and the embedded server. */
  close(): Promise<void>;
}

/**
 * Runs the migrations on one pinned session of `target` (session advisory locks need one
 * connection), or, given a URL, of a one-connection pool opened for the run.
 */
export async function runMigrations(target: Database | string): Promise<MigrationResult[]> {
  return typeof target === 'string' ? migrateUrl(target) : migrateDatabase(target);
}

/**
 * Builds the data layer. Starts the embedded PostgreSQL when `config.databaseUrl` is unset.
 * @throws ShannonError DB_UNAVAILABLE when PostgreSQL cannot be reached; MIGRATION_* on migration failure.
 */
export async function createDataLayer(config: Config, options: DataLayerOptions = {}): Promise<DataLayer> {
  const opened = await openDatabase(config, options);
  const { metrics, db, direct, replicas, databaseUrl, embedded } = opened;
  const closers: Array<() => Promise<void>> = [() => opened.close()];
  try {
    // On DATABASE_DIRECT_URL when set: a transaction pooler cannot keep the migration lock's session.
    const migrations = options.migrate === false ? [] : await runMigrations(direct);
    db.startHealthPing();

    // Subsystems are wired below, inner to outer; each pushes its close() onto `closers`.
    const stores = createStores(db);
    // Reads that may go to a replica: the stores over each pool, chosen per read by the router.
    const router = new ReplicaRouter({
      primary: db,
      replicas,
      intervalMs: config.replicas.checkIntervalMs,
      maxLagBytes: config.replicas.maxLagBytes,
      metrics,
    });
    await router.start();
    closers.push(() => router.stop());
    const storesOn = new Map<Database, Stores>([
      [db, stores],
      ...replicas.map((r) => [r, createStores(r)] as const),
    ]);
    const reads: StoreReads = {
      replicas: router.size,
      run: (token, fn) => router.read(token, (target) => fn(storesOn.get(target) ?? stores)),
      token: () => router.position(),
      states: () => router.states(),
    };
    const redis =
      config.redisUrl === undefined
        ? undefined
        : createRedisGuard({ url: config.redisUrl, commandTimeoutMs: config.redisCommandTimeoutMs, metrics });
    if (redis !== undefined) closers.push(() => redis.close());
    const authenticator = createAuthenticator(db, { ttlMs: config.authCacheTtlMs });
    const sessions = createSessionCache({
      db,
      metrics,
      ...(redis === undefined ? {} : { redis }),
      ...(config.sessionCacheMaxBytes === undefined ? {} : { maxBytes: config.sessionCacheMaxBytes }),
      ...(config.sessionCacheTenantShare === undefined
        ? {}
        : { tenantShare: config.sessionCacheTenantShare }),
    });
    // Closed before the pool (closers run in reverse), so its last snapshot still reaches PostgreSQL.
    closers.push(() => sessions.close());
    // Built here rather than by the memory layer so its cache shares this process's Redis client.
    const embedder = createEmbedder(config, metrics, redis);
    closers.push(() => embedder.close());
    const backend = createVectorBackend({ config, db, metrics });
    // The memory owns the backend from here: its close() stops the relay, then closes the backend.
    const memory = createMemory({ db, config, metrics, embedder, backend });
    closers.push(() => memory.close());
    // The doctor checks the vector collections through the same backend.
    // Past a transaction pooler too: hypopg and pinned sessions need one backend throughout.
    const ops = createOps({ db: direct, config, metrics, vectorBackend: backend });
    // Write path: its spool lives in <dataDir>/spool; close() runs first (closers run in reverse).
    const tuning = config.ingest;
    const ingest = await createIngest({
      db,
      dataDir: config.dataDir,
      spoolMaxBytes: config.spoolMaxBytes,
      metrics,
      queue: {
        maxRecords: tuning.queueMaxRecords,
        maxBytes: tuning.queueMaxBytes,
        maxWaitMs: tuning.maxWaitMs,
        batchMaxRecords: tuning.batchMaxRecords,
      },
      flushIntervalMs: tuning.flushIntervalMs,
      concurrency: tuning.concurrency,
      closeTimeoutMs: tuning.closeTimeoutMs,
      stampMemoryRecords: tuning.stampMemoryRecords,
    });
    closers.push(() => ingest.close());

    let closed = false;
    return {
      config,
      metrics,
      db,
      databaseUrl,
      embedded,
      stores,
      reads,
      ops,
      redis,
      authenticator,
      sessions,
      memory,
      ingest,
      migrations,
      migrationsCurrent: () => migrationsCurrent(direct),
      async close() {
        if (closed) return;
        closed = true;
        for (const close of closers.reverse()) await close();
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    throw error;
  }
}
