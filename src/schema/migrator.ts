/**
 * Forward-only migration runner. Numbered SQL files run in order, each in one transaction, under
 * a session advisory lock so any number of processes may start at once; an applied file whose
 * checksum changed is refused by name. A file whose first line is `-- shannon:no-transaction`
 * runs statement by statement outside a transaction (for CREATE INDEX CONCURRENTLY and the like).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_APPLICATION_NAME,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_POOL_IDLE_TIMEOUT_MS,
  DEFAULT_POOL_MAX_LIFETIME_MS,
  DEFAULT_QUERY_TIMEOUT_MS,
  type PoolConfig,
} from '../config/config.js';
import { ShannonError } from '../errors/errors.js';
import { Database } from '../postgres/database.js';
import type { Queryable, SessionSource } from '../postgres/queryable.js';
import { toDatabaseError } from '../postgres/sqlstate.js';

/** Bookkeeping table; the application role is never granted access to it. */
export const DEFAULT_MIGRATION_TABLE = 'public.shannon_schema_migrations';
/** Key of the session advisory lock that serialises migration runs. */
export const MIGRATION_LOCK_KEY = 7_305_914_211;
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const NO_TRANSACTION_MARKER = '-- shannon:no-transaction';
const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export interface MigrationFile {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
  transactional: boolean;
}

export type MigrationState = 'applied' | 'pending' | 'checksum_mismatch' | 'missing_file';

export interface MigrationStatus {
  version: number;
  name: string;
  state: MigrationState;
  appliedAt: string | null;
}

export interface MigrationResult {
  version: number;
  name: string;
  outcome: 'applied' | 'already_applied';
  durationMs: number;
}

/** Reads and checksums the migration files of a directory, sorted by version. */
export function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): MigrationFile[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql'));
  const migrations = files.map((file) => {
    const match = FILE_PATTERN.exec(file);
    if (match === null) {
      throw new ShannonError('MIGRATION_FAILED', `migration file ${file} must be named NNNN_snake_case.sql`);
    }
    const sql = readFileSync(`${dir}/${file}`, 'utf8');
    return {
      version: Number(match[1]),
      name: match[2]!,
      file,
      sql,
      checksum: createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex'),
      transactional: !sql.trimStart().startsWith(NO_TRANSACTION_MARKER),
    };
  });
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new ShannonError(
        'MIGRATION_FAILED',
        `migrations ${migrations[i - 1]!.file} and ${migrations[i]!.file} share version ${migrations[i]!.version}`,
      );
    }
  }
  return migrations;
}

/** Splits a no-transaction file into statements: each statement ends with `;` at the end of a line. */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s !== '');
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
  applied_at: Date;
}

async function ensureTable(client: Queryable): Promise<void> {
  await client.query(`CREATE TABLE IF NOT EXISTS ${DEFAULT_MIGRATION_TABLE} (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    duration_ms integer NOT NULL
  )`);
}

async function readApplied(client: Queryable): Promise<Map<number, AppliedRow>> {
  const exists = await client.query<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [
    DEFAULT_MIGRATION_TABLE,
  ]);
  if (exists.rows[0]?.t === null) return new Map();
  const { rows } = await client.query<AppliedRow>(
    `SELECT version, name, checksum, applied_at FROM ${DEFAULT_MIGRATION_TABLE} ORDER BY version`,
  );
  return new Map(rows.map((r) => [r.version, r]));
}

function checkChecksums(files: MigrationFile[], applied: Map<number, AppliedRow>): void {
  for (const file of files) {
    const row = applied.get(file.version);
    if (row !== undefined && row.checksum !== file.checksum) {
      throw new ShannonError(
        'MIGRATION_CHECKSUM_MISMATCH',
        `migration ${file.file} was edited after it was applied (checksum ${row.checksum.slice(0, 12)}… in the ` +
          `database, ${file.checksum.slice(0, 12)}… on disk); restore the file and put the change in a new migration`,
        { details: { file: file.file } },
      );
    }
  }
}

/** Status of every migration known on disk or in the database. Takes no lock; changes nothing. */
export async function migrationStatus(
  client: Queryable,
  dir: string = DEFAULT_MIGRATIONS_DIR,
): Promise<MigrationStatus[]> {
  const files = readMigrations(dir);
  const applied = await readApplied(client);
  const statuses: MigrationStatus[] = files.map((file) => {
    const row = applied.get(file.version);
    const state: MigrationState =
      row === undefined ? 'pending' : row.checksum === file.checksum ? 'applied' : 'checksum_mismatch';
    return {
      version: file.version,
      name: file.name,
      state,
      appliedAt: row?.applied_at.toISOString() ?? null,
    };
  });
  for (const row of applied.values()) {
    if (!files.some((f) => f.version === row.version)) {
      statuses.push({
        version: row.version,
        name: row.name,
        state: 'missing_file',
        appliedAt: row.applied_at.toISOString(),
      });
    }
  }
  return statuses.sort((a, b) => a.version - b.version);
}

/** How often a runner waiting for another one's migrations asks for the lock again. */
const LOCK_POLL_MS = 200;

/**
 * Takes the migration lock, waiting for another runner to finish. The wait polls
 * pg_try_advisory_lock instead of blocking in pg_advisory_lock: a session blocked in a statement
 * holds a snapshot, and CREATE INDEX CONCURRENTLY in the runner holding the lock waits for every
 * snapshot to go, so the two would wait on each other (PostgreSQL reports the deadlock). Between
 * polls a waiting session holds nothing.
 */
async function takeMigrationLock(client: Queryable): Promise<void> {
  for (;;) {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
      MIGRATION_LOCK_KEY,
    ]);
    if (rows[0]?.locked === true) return;
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}

/**
 * Applies every pending migration, in order, each in its own transaction, under the advisory lock.
 * Waits for other runners instead of failing. @throws ShannonError MIGRATION_CHECKSUM_MISMATCH
 * naming an edited file (before applying anything), MIGRATION_FAILED naming the failing file.
 */
export async function migrateUp(
  client: Queryable,
  options: { dir?: string; onProgress?: (result: MigrationResult) => void } = {},
): Promise<MigrationResult[]> {
  const files = readMigrations(options.dir);
  await takeMigrationLock(client);
  try {
    await ensureTable(client);
    const applied = await readApplied(client);
    checkChecksums(files, applied);
    const results: MigrationResult[] = [];
    for (const file of files) {
      if (applied.has(file.version)) {
        const result = {
          version: file.version,
          name: file.name,
          outcome: 'already_applied' as const,
          durationMs: 0,
        };
        results.push(result);
        options.onProgress?.(result);
        continue;
      }
      const started = performance.now();
      try {
        if (file.transactional) {
          await client.query('BEGIN');
          await client.query(file.sql);
        } else {
          for (const statement of splitStatements(file.sql)) await client.query(statement);
          await client.query('BEGIN');
        }
        const durationMs = Math.round(performance.now() - started);
        await client.query(
          `INSERT INTO ${DEFAULT_MIGRATION_TABLE} (version, name, checksum, duration_ms) VALUES ($1, $2, $3, $4)`,
          [file.version, file.name, file.checksum, durationMs],
        );
        await client.query('COMMIT');
        const result = { version: file.version, name: file.name, outcome: 'applied' as const, durationMs };
        results.push(result);
        options.onProgress?.(result);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        const cause = toDatabaseError(error, file.file);
        throw new ShannonError('MIGRATION_FAILED', `migration ${file.file} failed: ${cause.message}`, {
          cause: error,
          details: { file: file.file },
        });
      }
    }
    return results;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
  }
}

/** True when every migration on disk is applied with a matching checksum. */
export async function migrationsCurrent(client: Queryable, dir?: string): Promise<boolean> {
  const statuses = await migrationStatus(client, dir);
  return statuses.every((s) => s.state === 'applied' || s.state === 'missing_file');
}

/**
 * Applies every pending migration (see `migrateUp`) on one pinned session of `db`: the session
 * advisory lock needs one connection. Nothing cuts a migration, as on a connection of its own: the
 * session has no client deadline and lifts the statement_timeout the pool sets on its connections
 * (restored before the connection goes back). @throws as `migrateUp`; DatabaseError when
 * PostgreSQL cannot be reached.
 */
export async function migrateDatabase(
  db: SessionSource,
  options: { dir?: string; onProgress?: (result: MigrationResult) => void } = {},
): Promise<MigrationResult[]> {
  return db.withSession(
    async (session) => {
      await session.query('SET statement_timeout = 0');
      const results = await migrateUp(session, options);
      await session.query('RESET statement_timeout');
      return results;
    },
    { operation: 'migrate', timeoutMs: 0 },
  );
}

/** A lone migration connection: TLS only when the URL asks for it, as a plain client would. */
const MIGRATION_POOL: PoolConfig = {
  max: 1,
  idleTimeoutMs: DEFAULT_POOL_IDLE_TIMEOUT_MS,
  maxLifetimeMs: DEFAULT_POOL_MAX_LIFETIME_MS,
  connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
  queryTimeoutMs: DEFAULT_QUERY_TIMEOUT_MS,
  statementTimeoutMs: 0,
  healthPingIntervalMs: 0,
  sslMode: 'prefer',
  applicationName: DEFAULT_APPLICATION_NAME,
  mode: 'session',
};

/** `migrateDatabase` on a one-connection pool opened on `connectionString` for the run. */
export async function migrateUrl(
  connectionString: string,
  options: { dir?: string; onProgress?: (result: MigrationResult) => void } = {},
): Promise<MigrationResult[]> {
  const db = new Database({ connectionString, pool: MIGRATION_POOL, name: 'migrate', appRole: null });
  try {
    return await migrateDatabase(db, options);
  } finally {
    await db.close();
  }
}
