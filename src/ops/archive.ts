/**
 * Archive export. A time range of a table (a whole partition or any range, optionally one
 * tenant's rows) is streamed with COPY in primary-key order through gzip into a file; the
 * manifest records rows, the SHA-256 of the uncompressed COPY text (content) and of the file, and
 * is signed with HMAC-SHA256 when a key is configured. Restore (archive-restore.ts) checks all of
 * it before it loads a row.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { ShannonError, ValidationError } from '../errors/errors.js';
import type { Queryable, SessionSource } from '../postgres/queryable.js';
import { isUuid } from '../validation/checks.js';
import {
  type ArchiveFile,
  type ArchiveManifest,
  MANIFEST_FILE,
  PHYSICAL_COLLECTION_NAME,
  signManifest,
} from './archive-manifest.js';
import { qualifiedName } from './finding.js';
import {
  CURRENT_DATABASE_SQL,
  copyOutSql,
  RECORD_ARCHIVE_SQL,
  rangeSelectSql,
  TABLE_KEY_SQL,
} from './sql/archive-sql.js';

export { type ArchiveFile, type ArchiveManifest, MANIFEST_FILE } from './archive-manifest.js';

/** One range to archive. */
export interface ArchiveRange {
  table: string;
  /** Time column; defaults to the partition key. */
  column?: string;
  from: Date;
  to: Date;
  tenantId?: string;
  /** One physical vector collection's rows (`public.memory_points` only). */
  collection?: string;
}

/** A table as export and restore see it in the catalog. */
export interface TableShape {
  qualified: string;
  schema: string;
  name: string;
  relkind: string;
  keys: string[];
  columns: string[];
  partitionColumn: string | null;
}

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
  if (range.tenantId !== undefined && !isUuid(range.tenantId))
    throw new ValidationError('tenantId', 'must be a UUID');
  if (!shape.columns.includes(column))
    throw new ValidationError('column', `${shape.qualified} has no column ${column}`);
  if (range.collection !== undefined && !isCollectionRange(shape, range.collection))
    throw new ValidationError('collection', 'must be a physical collection name of public.memory_points');
  return rangeSelectSql({
    table: shape.qualified,
    columns: shape.columns,
    keys: shape.keys,
    column,
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    tenantId: range.tenantId?.toLowerCase(),
    collection: range.collection,
  });
}

/** Whether a range may be narrowed to `collection`: memory points, by a well-formed name. */
function isCollectionRange(shape: TableShape, collection: string): boolean {
  return shape.qualified === 'public.memory_points' && PHYSICAL_COLLECTION_NAME.test(collection);
}

/** A pass-through stream that feeds every chunk to `hash`. */
export function hashing(hash: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
}

/** Streams a range's COPY text through `sinks`; returns rows and the content hash. */
async function copyOut(
  source: SessionSource,
  sql: string,
  sinks: (NodeJS.ReadWriteStream | NodeJS.WritableStream)[],
): Promise<{ rows: number; sha256: string }> {
  try {
    return await source.withSession(
      async (session) => {
        const hash = createHash('sha256');
        // The hashing transform must be drained even when nothing keeps the text (a checksum only).
        const rest = sinks.length > 0 ? sinks : [new Writable({ write: (_c, _e, cb) => cb() })];
        const rows = await session.copyOut(copyOutSql(sql), [hashing(hash), ...rest]);
        return { rows, sha256: hash.digest('hex') };
      },
      { operation: 'ops.archive.export' },
    );
  } catch (error) {
    throw new ShannonError(
      'DB_QUERY_FAILED',
      `archive export failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
}

function fileName(shape: TableShape, range: ArchiveRange): string {
  const day = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, '');
  // The whole tenant id: with only its first 8 hex digits, two tenants' exports of one range
  // (retention archives each tenant into the same directory) could share a file and the second
  // overwrote the first tenant's archive before its rows were deleted.
  const tenant = range.tenantId === undefined ? '' : `.${range.tenantId.toLowerCase()}`;
  // Retention archives each collection's points of a tenant separately, into one directory.
  const collection = range.collection === undefined ? '' : `.${range.collection}`;
  return `${shape.schema}.${shape.name}.${day(range.from)}-${day(range.to)}${tenant}${collection}.copy.gz`;
}

/** Exports one range to `<directory>/<file>.copy.gz`. */
export async function exportRange(
  db: Queryable,
  source: SessionSource,
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
    ...(range.collection === undefined ? {} : { collection: range.collection }),
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
  source: SessionSource,
  range: ArchiveRange,
): Promise<{ rows: number; sha256: string }> {
  const shape = await tableShape(db, range.table);
  return copyOut(
    source,
    rangeSelect(shape, range.column ?? shape.partitionColumn ?? 'created_at', range),
    [],
  );
}

/**
 * Writes the manifest file, signed with `key` (HMAC-SHA256) when given, and records the archive in
 * shannon_ops.archives.
 */
export async function writeManifest(
  db: Queryable,
  directory: string,
  files: ArchiveFile[],
  key?: string,
): Promise<ArchiveManifest> {
  const { rows } = await db.query<{ db: string }>(CURRENT_DATABASE_SQL);
  const body = { version: 1 as const, createdAt: new Date().toISOString(), database: rows[0]!.db, files };
  const manifest: ArchiveManifest = {
    ...body,
    signature: key === undefined ? null : signManifest(body, key),
  };
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  await db.query(RECORD_ARCHIVE_SQL, [directory, JSON.stringify(manifest)], {
    operation: 'ops.archive.record',
  });
  return manifest;
}

/** Exports ranges and writes their manifest, signed with `key` when given. */
export async function exportArchive(
  db: Queryable,
  source: SessionSource,
  options: {
    directory: string;
    ranges: ArchiveRange[];
    key?: string;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<ArchiveManifest> {
  const files: ArchiveFile[] = [];
  for (const [i, range] of options.ranges.entries()) {
    options.onProgress?.(i, options.ranges.length);
    files.push(await exportRange(db, source, options.directory, range));
  }
  options.onProgress?.(options.ranges.length, options.ranges.length);
  return writeManifest(db, options.directory, files, options.key);
}
