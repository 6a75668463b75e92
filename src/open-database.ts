/**
 * The database alone, for tools that only read or diagnose (the doctor, explain, migration
 * status): the pool-backed Database on the configured URL, or on the embedded PostgreSQL when no
 * DATABASE_URL is set. No migration runs, and no spool, memory or write path is opened.
 */
import type { Config } from './config/config.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { Database } from './postgres/database.js';
import { type EmbeddedServer, startEmbeddedServer } from './postgres/embedded-server.js';

export interface OpenDatabaseOptions {
  /** Use this registry instead of a new one (tests, embedding applications). */
  metrics?: Metrics;
  /** Receives the embedded server's log lines. */
  onEmbeddedLog?: (line: string) => void;
}

export interface OpenedDatabase {
  readonly config: Config;
  readonly metrics: Metrics;
  /** The primary pool (owner connection); no health ping runs unless the caller starts it. */
  readonly db: Database;
  /**
   * What needs whole sessions — migrations and the operations toolkit: a small pool on
   * DATABASE_DIRECT_URL when that is set (behind a transaction pooler), else `db` itself.
   */
  readonly direct: Database;
  /** One pool per DATABASE_REPLICA_URLS entry (`replica-0`, …), for reads only. */
  readonly replicas: readonly Database[];
  /** The URL in use (the embedded server's when no DATABASE_URL was configured). */
  readonly databaseUrl: string;
  /** Set when this process runs the embedded PostgreSQL. */
  readonly embedded: EmbeddedServer | undefined;
  /** Closes the pool, then stops the embedded server. Idempotent. */
  close(): Promise<void>;
}

/** Connections of the direct pool: a migration's session plus the toolkit's. */
const DIRECT_POOL_MAX = 3;

/**
 * Opens the primary database, starting the embedded PostgreSQL when `config.databaseUrl` is unset.
 * Connections are made on first use. @throws ShannonError when the embedded server cannot start.
 */
export async function openDatabase(
  config: Config,
  options: OpenDatabaseOptions = {},
): Promise<OpenedDatabase> {
  const metrics = options.metrics ?? createMetrics({ defaultMetrics: true });
  const embedded =
    config.databaseUrl === undefined
      ? await startEmbeddedServer({
          dataDir: config.dataDir,
          port: config.embeddedPort,
          ...(options.onEmbeddedLog === undefined ? {} : { onLog: options.onEmbeddedLog }),
        })
      : undefined;
  const databaseUrl = config.databaseUrl ?? embedded!.url;
  let db: Database;
  try {
    db = new Database({
      connectionString: databaseUrl,
      pool: config.pool,
      metrics,
      name: 'primary',
      connectionSetting:
        embedded === undefined
          ? 'DATABASE_URL'
          : `the embedded PostgreSQL (SHANNON_DATA_DIR, SHANNON_EMBEDDED_PG_PORT) or set DATABASE_URL`,
    });
  } catch (error) {
    await embedded?.stop().catch(() => undefined);
    throw error;
  }
  const direct =
    config.databaseDirectUrl === undefined || embedded !== undefined
      ? db
      : new Database({
          connectionString: config.databaseDirectUrl,
          // Migrations hold one session, the toolkit one or two; PostgreSQL itself, not the pooler.
          pool: { ...config.pool, mode: 'session', max: Math.min(config.pool.max, DIRECT_POOL_MAX) },
          metrics,
          name: 'direct',
          connectionSetting: 'DATABASE_DIRECT_URL',
        });
  const replicas = config.replicas.urls.map(
    (url, i) =>
      new Database({
        connectionString: url,
        pool: config.pool,
        metrics,
        name: `replica-${i}`,
        connectionSetting: `DATABASE_REPLICA_URLS[${i}]`,
      }),
  );
  let closed = false;
  return {
    config,
    metrics,
    db,
    direct,
    replicas,
    databaseUrl,
    embedded,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await db.close();
        if (direct !== db) await direct.close();
        for (const replica of replicas) await replica.close();
      } finally {
        await embedded?.stop();
      }
    },
  };
}
