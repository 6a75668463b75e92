/**
 * Archive restore. Checks the manifest's signature and entries (archive-manifest.ts) and every
 * file's hash, recreates the month's partition if it was dropped, loads the rows through a
 * temporary table that proves they lie in the manifest's range and tenant, and re-reads the range
 * to prove the same content hash as the export (archive.ts) recorded.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { isDatabaseError, ShannonError } from '../errors/errors.js';
import type { Queryable, SessionSource } from '../postgres/queryable.js';
import { type ArchiveRange, hashing, rangeChecksum, type TableShape, tableShape } from './archive.js';
import {
  type ArchiveFile,
  archiveFilePath,
  checkManifestSignature,
  MANIFEST_FILE,
  type ManifestTrust,
  parseManifest,
  RESTORABLE_TABLES,
} from './archive-manifest.js';
import { qualifiedName } from './finding.js';
import { withLockRetry } from './lock-retry.js';
import { REQUEUE_RESTORED_POINTS_SQL } from './retention-sql.js';
import {
  checkStageSql,
  copyIntoStageSql,
  createStageSql,
  insertFromStageSql,
  MARK_RESTORED_SQL,
  PARTITION_COVERING_SQL,
} from './sql/archive-sql.js';
import { createPartitionSql, PREPARE_PARTITION_SQL } from './sql/partitions-sql.js';

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hashing(hash), new Writable({ write: (_c, _e, cb) => cb() }));
  return hash.digest('hex');
}

/**
 * Recreates the month partition a restored range needs when it was dropped (no-op otherwise). The
 * bounds in the DDL are written from parsed dates by `toISOString`, never copied from the manifest.
 */
async function ensurePartition(
  source: SessionSource,
  shape: TableShape,
  from: Date,
  to: Date,
): Promise<void> {
  if (shape.relkind !== 'p') return;
  const monthly =
    from.getUTCDate() === 1 &&
    from.getUTCHours() === 0 &&
    from.getUTCMinutes() === 0 &&
    from.getUTCSeconds() === 0 &&
    from.getUTCMilliseconds() === 0 &&
    to.getTime() === Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + 1, 1);
  if (!monthly) return;
  const lower = from.toISOString();
  const upper = to.toISOString();
  const label = `${from.getUTCFullYear()}${String(from.getUTCMonth() + 1).padStart(2, '0')}`;
  await withLockRetry(source, 'ops.archive.ensure_partition', async (tx) => {
    const covered = await tx.query(PARTITION_COVERING_SQL, [shape.qualified, lower]);
    if (covered.rowCount > 0) return;
    const partition = qualifiedName(shape.schema, `${shape.name}_p${label}`);
    await tx.query(createPartitionSql(partition, shape.qualified, lower, upper));
    await tx.query(PREPARE_PARTITION_SQL, [
      partition,
      shape.qualified,
      `Monthly partition of ${shape.qualified} for ${lower.slice(0, 7)} (UTC), restored.`,
    ]);
  });
}

function refused(file: ArchiveFile, reason: string, message: string): ShannonError {
  return new ShannonError('ARCHIVE_UNTRUSTED', `${file.file}: ${message}; nothing of it was restored`, {
    details: { reason, file: file.file, table: file.table },
  });
}

/** Checks a manifest entry against the table it names, as the catalog has it now. */
function checkAgainstTable(file: ArchiveFile, shape: TableShape): void {
  // The manifest text was checked too; this catches a search_path or a name that resolves elsewhere.
  if (!RESTORABLE_TABLES.has(shape.qualified))
    throw refused(file, 'table_not_restorable', `${shape.qualified} is not a table restore writes into`);
  const unknown = file.columns.filter((c) => !shape.columns.includes(c));
  if (unknown.length > 0)
    throw refused(file, 'unknown_columns', `${shape.qualified} has no column(s) ${unknown.join(', ')}`);
  if (!shape.columns.includes(file.column))
    throw refused(file, 'unknown_columns', `${shape.qualified} has no column ${file.column}`);
  if (file.tenantId !== null && !shape.columns.includes('tenant_id'))
    throw refused(file, 'unknown_columns', `${shape.qualified} has no tenant_id column`);
}

/**
 * Loads one file in one transaction: COPY into the staging table, refuse the file unless every row
 * lies in the manifest's range (and tenant) and the count matches, then insert into the table.
 */
async function loadFile(source: SessionSource, shape: TableShape, file: ArchiveFile, path: string) {
  try {
    await source.withSession(
      async (session) => {
        await session.query('BEGIN');
        try {
          await session.query(createStageSql(shape.qualified));
          await session.copyIn(copyIntoStageSql(file.columns), createReadStream(path), [createGunzip()]);
          await checkStage(session, file);
          await session.query(insertFromStageSql(shape.qualified, file.columns));
          await session.query('COMMIT');
        } catch (error) {
          await session.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      },
      { operation: 'ops.archive.restore' },
    );
  } catch (error) {
    if (error instanceof ShannonError && !isDatabaseError(error)) throw error;
    throw new ShannonError(
      'DB_QUERY_FAILED',
      `${file.file}: restore failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** Refuses the staged rows unless every one lies in the manifest's range (and tenant) and the count matches. */
async function checkStage(session: Queryable, file: ArchiveFile): Promise<void> {
  const tenantScoped = file.tenantId !== null;
  const collectionScoped = file.collection !== undefined;
  const values: unknown[] = [file.from, file.to];
  if (tenantScoped) values.push(file.tenantId);
  if (collectionScoped) values.push(file.collection);
  const { rows } = await session.query<{
    rows: string;
    outside: string;
    foreign: string;
    other_collection: string;
  }>(checkStageSql(file.column, tenantScoped, collectionScoped), values);
  const check = rows[0]!;
  if (Number(check.outside) > 0)
    throw refused(
      file,
      'row_outside_range',
      `${check.outside} row(s) have ${file.column} outside [${file.from}, ${file.to})`,
    );
  if (Number(check.foreign) > 0)
    throw refused(
      file,
      'row_of_other_tenant',
      `${check.foreign} row(s) belong to a tenant other than ${file.tenantId}`,
    );
  if (Number(check.other_collection) > 0)
    throw refused(
      file,
      'row_of_other_collection',
      `${check.other_collection} row(s) belong to a collection other than ${file.collection}`,
    );
  if (Number(check.rows) !== file.rows)
    throw refused(file, 'row_count', `holds ${check.rows} rows, the manifest says ${file.rows}`);
}

export interface RestoreOptions {
  directory: string;
  /** The key manifests are signed with (SHANNON_ARCHIVE_KEY). */
  key?: string;
  /**
   * Restore an archive that is unsigned, or signed when no key is set. A wrong signature and the
   * manifest checks (tables, file names, dates, rows) still refuse. Default false.
   */
  trustUnsigned?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface RestoreResult {
  directory: string;
  /** `verified` when the signature matched the key; otherwise trusted on the operator's word. */
  trust: ManifestTrust;
  files: { file: string; table: string; rows: number; verified: boolean }[];
}

async function readManifest(directory: string): Promise<Record<string, unknown>> {
  const text = await readFile(join(directory, MANIFEST_FILE), 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ShannonError('ARCHIVE_UNTRUSTED', `${MANIFEST_FILE} is not valid JSON`, {
      cause: error,
      details: { reason: 'malformed' },
    });
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ShannonError('ARCHIVE_UNTRUSTED', `${MANIFEST_FILE} does not hold a JSON object`, {
      details: { reason: 'malformed' },
    });
  return raw as Record<string, unknown>;
}

/**
 * Restores every file of an archive directory: checks the signature and every manifest entry
 * before loading anything, verifies each file hash, loads the rows (checked against the manifest)
 * in one transaction per file, then proves the range's content hash equals the manifest's.
 * @throws ShannonError ARCHIVE_UNTRUSTED for an unsigned or wrongly signed archive (unless
 * `trustUnsigned`) and for entries restore refuses; CONFLICT when a file's hash differs.
 */
export async function restoreArchive(
  db: Queryable,
  source: SessionSource,
  options: RestoreOptions,
): Promise<RestoreResult> {
  const raw = await readManifest(options.directory);
  const trust = checkManifestSignature(raw, options.key, options.trustUnsigned === true);
  const manifest = parseManifest(raw, options.directory);
  const shapes = new Map<string, TableShape>();
  for (const f of manifest.files) {
    const shape = shapes.get(f.table) ?? (await tableShape(db, f.table));
    shapes.set(f.table, shape);
    checkAgainstTable(f, shape);
  }
  const result: RestoreResult = { directory: options.directory, trust, files: [] };
  for (const [i, f] of manifest.files.entries()) {
    options.onProgress?.(i, manifest.files.length);
    const path = archiveFilePath(options.directory, f.file);
    const actual = await sha256OfFile(path);
    if (actual !== f.fileSha256) {
      throw new ShannonError(
        'CONFLICT',
        `${f.file}: file checksum ${actual} does not match the manifest (${f.fileSha256})`,
        { details: { file: f.file } },
      );
    }
    const shape = shapes.get(f.table)!;
    const from = new Date(f.from);
    const to = new Date(f.to);
    await ensurePartition(source, shape, from, to);
    await loadFile(source, shape, f, path);
    const range: ArchiveRange = {
      table: f.table,
      column: f.column,
      from,
      to,
      ...(f.tenantId === null ? {} : { tenantId: f.tenantId }),
      ...(f.collection === undefined ? {} : { collection: f.collection }),
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
      await db.query(REQUEUE_RESTORED_POINTS_SQL, [f.from, f.to, f.tenantId, f.collection ?? null], {
        operation: 'ops.archive.requeue_points',
      });
    }
  }
  await db.query(MARK_RESTORED_SQL, [options.directory], { operation: 'ops.archive.mark_restored' });
  options.onProgress?.(manifest.files.length, manifest.files.length);
  return result;
}
