/**
 * The outbox part of `bench memory`: points written through PostgreSQL and the memory outbox into
 * a scratch database created (migrated) for the run and dropped afterwards, so the benchmark's
 * relay never touches a real outbox; upsert and relay throughput.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { PoolConfig } from '../../config/config.js';
import { EmbeddedBackend } from '../../memory/embedded/embedded-backend.js';
import { LexicalHashEmbedder } from '../../memory/embedder/lexical-hash-embedder.js';
import { createMemory, loadCollectionPoints } from '../../memory/memory.js';
import type { TransactionRunner } from '../../memory/outbox-relay.js';
import { Database } from '../../postgres/database.js';
import { migrateUp } from '../../schema/migrator.js';

export interface OutboxFigures {
  points: number;
  /** Commit rate of `memory.upsert` (point + outbox row), relay not running. */
  upsert_points_per_second: number;
  /** The same run's points over `time_to_searchable_seconds`. */
  relay_points_per_second: number;
  /** From the last upsert's commit until every point of the run is searchable in the index. */
  time_to_searchable_seconds: number;
}

export const DEFAULT_BENCH_POOL: PoolConfig = {
  max: 4,
  idleTimeoutMs: 10_000,
  maxLifetimeMs: 600_000,
  connectTimeoutMs: 5_000,
  queryTimeoutMs: 120_000,
  statementTimeoutMs: 0,
  healthPingIntervalMs: 0,
  sslMode: 'disable',
  applicationName: 'shannon-data-bench',
  mode: 'session',
};

/**
 * Runs `fn` against a freshly created and migrated database on the server of `url`, dropped
 * afterwards, so the benchmark's relay never touches a real outbox.
 */
export async function withScratchDatabase<T>(
  url: string,
  pool: PoolConfig,
  fn: (db: Database) => Promise<T>,
): Promise<T> {
  const name = `shannon_bench_memory_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const scratchUrl = new URL(url);
    scratchUrl.pathname = `/${name}`;
    const migrator = new pg.Client({ connectionString: scratchUrl.toString() });
    await migrator.connect();
    try {
      await migrateUp(migrator);
    } finally {
      await migrator.end();
    }
    const db = new Database({ connectionString: scratchUrl.toString(), pool, name: 'bench' });
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

export async function outboxThroughput(
  db: TransactionRunner,
  data: Float32Array,
  dim: number,
  count: number,
  progress: (phase: string, done: number, total: number) => void,
  /** Vectors of another dimension, when the collection's differs from the run's. */
  vectorsOf: (count: number, dimension: number) => Float32Array,
): Promise<OutboxFigures> {
  const slug = `bench-memory-${Date.now().toString(36)}`;
  const tenant = await db.query<{ id: string }>(
    `INSERT INTO auth.tenants (name, slug) VALUES ($1, $1) RETURNING id::text AS id`,
    [slug],
  );
  const tenantId = tenant.rows[0]?.id as string;
  const memory = createMemory({
    db,
    config: { vectorDimension: dim },
    backend: new EmbeddedBackend({ dataDir: undefined, loadPoints: (p) => loadCollectionPoints(db, p) }),
    embedder: new LexicalHashEmbedder(dim),
    startRelay: false,
  });
  try {
    await memory.init();
    const active = memory.activeVersion('tool_results');
    const vectors =
      active !== undefined && active.dimension !== dim ? vectorsOf(count, active.dimension) : data;
    const d = active?.dimension ?? dim;
    const started = performance.now();
    for (let start = 0; start < count; start += 500) {
      const points = [];
      for (let i = start; i < Math.min(count, start + 500); i += 1) {
        points.push({
          key: ['bench', i],
          vector: vectors.subarray(i * d, (i + 1) * d),
          payload: { session_id: `s${i % 100}` },
        });
      }
      await memory.upsert(tenantId, 'tool_results', points);
      progress('outbox upsert', Math.min(count, start + 500), count);
    }
    const upsertSeconds = (performance.now() - started) / 1000;
    const relayStarted = performance.now();
    const left = await memory.flush({ timeoutMs: 600_000 });
    const relaySeconds = (performance.now() - relayStarted) / 1000;
    // The embedded index applies a delivery before the relay marks it, so an empty outbox means
    // every point is searchable; the count (outside the timing) checks that none went missing.
    const indexed = await memory.count(tenantId, 'tool_results');
    if (left !== 0 || indexed !== count) {
      throw new Error(`outbox relay: ${indexed} of ${count} points indexed, ${left} outbox rows left`);
    }
    return {
      points: count,
      upsert_points_per_second: Math.round(count / upsertSeconds),
      relay_points_per_second: Math.round(count / relaySeconds),
      time_to_searchable_seconds: Math.round(relaySeconds * 1000) / 1000,
    };
  } finally {
    await memory.close();
    await db.query(`DELETE FROM auth.tenants WHERE id = $1`, [tenantId]);
  }
}
