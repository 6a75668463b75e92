/**
 * A migrated scratch database for the bench runners, on the server of DATABASE_URL (default: the
 * local test server), dropped afterwards unless kept.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DEFAULT_POOL_MAX_LIFETIME_MS } from '../src/config/config.js';
import { runMigrations } from '../src/data-layer.js';
import { Database } from '../src/postgres/database.js';

export interface ScratchDatabase {
  name: string;
  url: string;
  db: Database;
  /** Closes the pool and drops the database, or keeps it and returns its name. */
  finish(keep: boolean): Promise<void>;
}

export async function createScratchDatabase(prefix: string, poolMax: number): Promise<ScratchDatabase> {
  const server = new URL(process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const name = `shannon_bench_${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const url = new URL(server.toString());
  url.pathname = `/${name}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: server.toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  await runMigrations(url.toString());
  const db = new Database({
    connectionString: url.toString(),
    pool: {
      max: poolMax,
      idleTimeoutMs: 10_000,
      maxLifetimeMs: DEFAULT_POOL_MAX_LIFETIME_MS,
      connectTimeoutMs: 5_000,
      queryTimeoutMs: 600_000,
      statementTimeoutMs: 0,
      healthPingIntervalMs: 0,
      sslMode: 'disable',
      applicationName: 'shannon-data-bench',
      mode: 'session',
    },
    name: 'bench',
  });
  return {
    name,
    url: url.toString(),
    db,
    async finish(keep) {
      await db.close();
      if (!keep) await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
