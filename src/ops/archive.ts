/**
 * Archive export and restore. A time range of a table (a whole partition or any range, optionally
 * one tenant's rows) is streamed with COPY in primary-key order through gzip into a file; the
 * manifest records rows, the SHA-256 of the uncompressed COPY text (content) and of the file. Restore
 * checks the file hash, recreates the month's partition if it was dropped, loads the rows, and
 * re-reads the range to prove the same content hash.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { ShannonError, ValidationError } from '../errors/errors.js';
import type { Queryable } from '../postgres/queryable.js';
import { qualifiedName } from './finding.js';
import { withLockRetry } from './lock-retry.js';
import type { ConnectionSource } from './pinned-session.js';
import { REQUEUE_RESTORED_POINTS_SQL } from './retention-sql.js';

export const MANIFEST_FILE = 'manifest.json';

export const TABLE_KEY_SQL = `
SELECT n.nspname AS schema_name, c.relname AS table_name, c.relkind::text AS relkind,
       (SELECT array_agg(a.attname::text ORDER BY k.ord)
          FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
         WHERE i.indrelid = c.oid AND i.indisprimary) AS key_columns,
       (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '') AS columns,
       (SELECT a.attname::text FROM pg_partitioned_table pt JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
         WHERE pt.partrelid = c.oid AND pt.partnatts = 1) AS partition_column
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = to_regclass($1)`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One range to archive. */
export interface ArchiveRange {
  table: string;
  /** Time column; defaults to the partition key. */
  column?: string;
  from: Date;
  to: Date;
  tenantId?: string;
}

export interface ArchiveFile {
  table: string;
  column: string;
  from: string;
  to: string;
  tenantId: string | null;
  columns: string[];
  file: string;
  rows: number;
  /** SHA-256 of the uncompressed COPY text, rows in primary-key order. */
  sha256: string;
  /** SHA-256 of the gzip file as written. */
  fileSha256: string;
}

export interface ArchiveManifest {
  version: 1;
  createdAt: string;
  database: string;
  files: ArchiveFile[];
}

interface TableShape {
  qualified: string;
  schema: string;
  name: string;
  relkind: string;
  keys: string[];
  columns: string[];
  partitionColumn: string | null;
}

const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Reads a table's key, columns and partition key. @throws ValidationError when it does not exist. */
export async function tableShape(db: Queryable, table: string): Promise<TableShape> {
  const { rows } = await db.query<{
    schema_name: string;
    table_name: string;
    relkind: string;
    key_columns: string[] | null;
    columns: string[];
    partition_column: string | null;
  }>(TABLE_KEY_SQL, [table], { operation: 'ops.archive.table_shape' });
  const r = rows[0];
  if (r === undefined) throw new ValidationError('table', `table ${table} does not exist`);
  return {
    qualified: qualifiedName(r.schema_name, r.table_name),
    schema: r.schema_name,
    name: r.table_name,
    relkind: r.relkind,
    keys: r.key_columns ?? r.columns,
    columns: r.columns,
    partitionColumn: r.partition_column,
  };
}

/** The SELECT that defines a range's content (literal bounds: COPY takes no parameters). */
function rangeSelect(shape: TableShape, column: string, range: ArchiveRange): string {
  if (!(range.from instanceof Date) || Number.isNaN(range.from.getTime()))
    throw new ValidationError('from', 'must be a date');
  if (!(range.to instanceof Date) || Number.isNaN(range.to.getTime()))
    throw new ValidationError('to', 'must be a date');
  if (range.tenantId !== undefined && !UUID.test(range.tenantId))
    throw new ValidationError('tenantId', 'must be a UUID');
  if (!shape.columns.includes(column))
    throw new ValidationError('column', `${shape.qualified} has no column ${column}`);
  const tenant = range.tenantId === undefined ? '' : ` AND tenant_id = '${range.tenantId.toLowerCase()}'`;
  return `SELECT ${shape.columns.map(quote).join(', ')} FROM ${shape.qualified}
           WHERE ${quote(column)} >= '${range.from.toISOString()}' AND ${quote(column)} < '${range.to.toISOString()}'${tenant}
           ORDER BY ${shape.keys.map(quote).join(', ')}`;
}

function hashing(hash: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
}

/** Streams a range's COPY text through `sink`; returns rows and the content hash. */
async function copyOut(
  source: ConnectionSource,
  sql: string,
  sinks: (NodeJS.ReadWriteStream | NodeJS.WritableStream)[],
): Promise<{ rows: number; sha256: string }> {
  const client = await source.connect();
  let broken = false;
  try {
    const hash = createHash('sha256');
    const stream = client.query(copyTo(`COPY (${sql}) TO STDOUT`));
    const sinkList = sinks.length > 0 ? sinks : [new Writable({ write: (_c, _e, cb) => cb() })];
    await pipeline([stream, hashing(hash), ...sinkList] as NodeJS.ReadWriteStream[]);
    return { rows: stream.rowCount, sha256: hash.digest('hex') };
  } catch (error) {
    broken = true;
    throw new ShannonError(
      'DB_QUERY_FAILED',
      `archive export failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  } finally {
    client.release(broken ? true : undefined);
  }
}

function fileName(shape: TableShape, range: ArchiveRange): string {
  const day = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, '');
  const tenant = range.tenantId === undefined ? '' : `.${range.tenantId.slice(0, 8)}`;
  return `${shape.schema}.${shape.name}.${day(range.from)}-${day(range.to)}${tenant}.copy.gz`;
}

/** Exports one range to `<directory>/<file>.copy.gz`. */
export async function exportRange(
  db: Queryable,
  source: ConnectionSource,
  directory: string,
  range: ArchiveRange,
): Promise<ArchiveFile> {
  const shape = await tableShape(db, range.table);
  const column = range.column ?? shape.partitionColumn ?? 'created_at';
  const file = fileName(shape, range);
  await mkdir(directory, { recursive: true });
  const fileHash = createHash('sha256');
  const { rows, sha256 } = await copyOut(source, rangeSelect(shape, column, range), [
    createGzip(),
    hashing(fileHash),
    createWriteStream(join(directory, file)),
  ]);
  return {
    table: shape.qualified,
    column,
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    tenantId: range.tenantId ?? null,
    columns: shape.columns,
    file,
    rows,
    sha256,
    fileSha256: fileHash.digest('hex'),
  };
}

/** Rows and content hash of a range as it is in the database now (what an export would write). */
export async function rangeChecksum(
  db: Queryable,
  source: ConnectionSource,
  range: ArchiveRange,
): Promise<{ rows: number; sha256: string }> {
  const shape = await tableShape(db, range.table);
  return copyOut(
    source,
    rangeSelect(shape, range.column ?? shape.partitionColumn ?? 'created_at', range),
    [],
  );
}

/** Writes the manifest file and records the archive in shannon_ops.archives. */
export async function writeManifest(
  db: Queryable,
  directory: string,
  files: ArchiveFile[],
): Promise<ArchiveManifest> {
  const { rows } = await db.query<{ db: string }>('SELECT current_database() AS db');
  const manifest: ArchiveManifest = {
    version: 1,
    createdAt: new Date().toISOString(),
    database: rows[0]!.db,
    files,
  };
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  await db.query(
    `INSERT INTO shannon_ops.archives (directory, manifest) VALUES ($1, $2)`,
    [directory, JSON.stringify(manifest)],
    {
      operation: 'ops.archive.record',
    },
  );
  return manifest;
}

/** Exports ranges and writes their manifest. */
export async function exportArchive(
  db: Queryable,
  source: ConnectionSource,
  options: { directory: string; ranges: ArchiveRange[]; onProgress?: (done: number, total: number) => void },
): Promise<ArchiveManifest> {
  const files: ArchiveFile[] = [];
  for (const [i, range] of options.ranges.entries()) {
    options.onProgress?.(i, options.ranges.length);
    files.push(await exportRange(db, source, options.directory, range));
  }
  options.onProgress?.(options.ranges.length, options.ranges.length);
  return writeManifest(db, options.directory, files);
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hashing(hash), new Writable({ write: (_c, _e, cb) => cb() }));
  return hash.digest('hex');
}

/** Recreates the month partition a restored range needs when it was dropped (no-op otherwise). */
async function ensurePartition(
  source: ConnectionSource,
  shape: TableShape,
  file: ArchiveFile,
): Promise<void> {
  if (shape.relkind !== 'p') return;
  const from = new Date(file.from);
  const to = new Date(file.to);
  const monthly =
    from.getUTCDate() === 1 &&
    from.getUTCHours() === 0 &&
    to.getTime() === Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1);
  if (!monthly) return;
  const label = `${from.getUTCFullYear()}${String(from.getUTCMonth() + 1).padStart(2, '0')}`;
  await withLockRetry(source, 'ops.archive.ensure_partition', async (tx) => {
    const covered = await tx.query(
      `SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = $1::regclass AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
          AND (regexp_match(pg_get_expr(c.relpartbound, c.oid), $re$FROM \\('([^']*)'\\)$re$))[1]::timestamptz <= $2::timestamptz
          AND (regexp_match(pg_get_expr(c.relpartbound, c.oid), $re$TO \\('([^']*)'\\)$re$))[1]::timestamptz > $2::timestamptz`,
      [shape.qualified, file.from],
    );
    if (covered.rowCount > 0) return;
    const partition = qualifiedName(shape.schema, `${shape.name}_p${label}`);
    await tx.query(
      `CREATE TABLE ${partition} PARTITION OF ${shape.qualified} FOR VALUES FROM ('${file.from}') TO ('${file.to}')`,
    );
    await tx.query(
      `SELECT public.shannon_prepare_partition($1::regclass, c.relrowsecurity, $3)
         FROM pg_class c WHERE c.oid = $2::regclass
          AND to_regprocedure('public.shannon_prepare_partition(regclass,boolean,text)') IS NOT NULL`,
      [
        partition,
        shape.qualified,
        `Monthly partition of ${shape.qualified} for ${file.from.slice(0, 7)} (UTC), restored.`,
      ],
    );
  });
}

export interface RestoreResult {
  directory: string;
  files: { file: string; table: string; rows: number; verified: boolean }[];
}

/**
 * Restores every file of an archive directory: verifies the file hash, loads the rows with COPY in
 * one transaction per file, then proves the range's content hash equals the manifest's.
 * @throws ShannonError CONFLICT when a file's hash or the restored content differs.
 */
export async function restoreArchive(
  db: Queryable,
  source: ConnectionSource,
  options: { directory: string; onProgress?: (done: number, total: number) => void },
): Promise<RestoreResult> {
  const manifest = JSON.parse(
    await readFile(join(options.directory, MANIFEST_FILE), 'utf8'),
  ) as ArchiveManifest;
  const result: RestoreResult = { directory: options.directory, files: [] };
  for (const [i, f] of manifest.files.entries()) {
    options.onProgress?.(i, manifest.files.length);
    const path = join(options.directory, f.file);
    const actual = await sha256OfFile(path);
    if (actual !== f.fileSha256) {
      throw new ShannonError(
        'CONFLICT',
        `${f.file}: file checksum ${actual} does not match the manifest (${f.fileSha256})`,
        {
          details: { file: f.file },
        },
      );
    }
    const shape = await tableShape(db, f.table);
    await ensurePartition(source, shape, f);
    const client = await source.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const stream = client.query(
        copyFrom(`COPY ${shape.qualified} (${f.columns.map(quote).join(', ')}) FROM STDIN`),
      );
      await pipeline(createReadStream(path), createGunzip(), stream);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw new ShannonError(
        'DB_QUERY_FAILED',
        `${f.file}: restore failed: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    } finally {
      client.release(broken ? true : undefined);
    }
    const range: ArchiveRange = {
      table: f.table,
      column: f.column,
      from: new Date(f.from),
      to: new Date(f.to),
      ...(f.tenantId === null ? {} : { tenantId: f.tenantId }),
    };
    const check = await rangeChecksum(db, source, range);
    result.files.push({
      file: f.file,
      table: f.table,
      rows: check.rows,
      verified: check.sha256 === f.sha256 && check.rows === f.rows,
    });
    if (shape.qualified === 'public.memory_points') {
      // Restored points need a newer version and an outbox row, or the vector index never sees them.
      await db.query(REQUEUE_RESTORED_POINTS_SQL, [f.from, f.to, f.tenantId], {
        operation: 'ops.archive.requeue_points',
      });
    }
  }
  await db.query(
    `UPDATE shannon_ops.archives SET restored_at = now() WHERE directory = $1`,
    [options.directory],
    {
      operation: 'ops.archive.mark_restored',
    },
  );
  options.onProgress?.(manifest.files.length, manifest.files.length);
  return result;
}
