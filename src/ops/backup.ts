/**
 * `backup create|verify|restore`: PostgreSQL with pg_dump (directory format, parallel jobs) and
 * the vector collections (Qdrant snapshots; the embedded index is rebuilt from PostgreSQL's points
 * when the service starts, and the manifest says so), with a signed manifest of row counts,
 * content checksums and file hashes (src/ops/backup-manifest.ts).
 *
 * The checksums are taken in the transaction whose snapshot pg_dump dumps (`--snapshot`), so a
 * backup of a database still being written to is compared with exactly what it holds. Restore
 * goes only into an empty database, checks the backup first (a dump is SQL that pg_restore runs
 * with the restoring role's rights, so an unsigned one needs `trustUnsigned`), and proves the result
 * by the same checksums.
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ShannonError } from '../errors/errors.js';
import type { QdrantHttp } from '../memory/qdrant/qdrant-http.js';
import { recoverCollection, snapshotCollection } from '../memory/qdrant/qdrant-snapshots.js';
import type { Queryable, SessionSource } from '../postgres/queryable.js';
import {
  BACKUP_FORMAT,
  BACKUP_MANIFEST,
  type BackupFile,
  type BackupManifest,
  type BackupProblem,
  type BackupTable,
  type BackupVectors,
  backupPath,
  checkFiles,
  hashFile,
  listFiles,
  POSTGRES_DIR,
  readManifest,
  type SignatureState,
  sealManifest,
  signatureState,
  VECTORS_DIR,
} from './backup-manifest.js';
import { findPgTool, libpqConnection, runPgTool } from './pg-tools.js';
import { ANY_TABLE_SQL, BACKUP_ROLES_SQL, BACKUP_TABLES_SQL, tableChecksumSql } from './sql/backup-sql.js';

/** What backup and restore need of the database: queries, a pinned session, its URL for the tools. */
export interface BackupDatabase extends Queryable, SessionSource {
  readonly connectionString: string;
}

/** The vector side: Qdrant's live collections, or the embedded index (nothing to copy). */
export type BackupVectorSource =
  | { backend: 'qdrant'; http: QdrantHttp; collections: Array<{ collection: string; physical: string }> }
  | { backend: 'embedded' };

export interface BackupCommon {
  db: BackupDatabase;
  directory: string;
  /** pg_dump / pg_restore parallel jobs. */
  jobs: number;
  sslMode?: string | undefined;
  /** Directory of pg_dump and pg_restore (SHANNON_PG_BIN_DIR); default: found for the server. */
  pgBinDir?: string | undefined;
  /** SHANNON_ARCHIVE_KEY: signs the manifest, and is needed to check it. */
  key?: string | undefined;
  /** Phases and their progress: `checksum` and `dump` count tables, `vectors` collections. */
  onProgress?: (phase: string, done: number, total: number) => void;
}

const EMBEDDED_NOTE =
  'the embedded index is not copied: the service rebuilds it from PostgreSQL (public.memory_points) when it starts';

async function serverMajor(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`, [], {
    operation: 'ops.backup.server_version',
  });
  return Math.floor(Number(rows[0]!.v) / 10_000);
}

async function checksums(
  db: Queryable,
  onProgress: BackupCommon['onProgress'],
  phase: string,
): Promise<BackupTable[]> {
  const { rows } = await db.query<{ schema_name: string; table_name: string }>(BACKUP_TABLES_SQL, [], {
    operation: 'ops.backup.tables',
  });
  const out: BackupTable[] = [];
  for (const [i, t] of rows.entries()) {
    const result = await db.query<{ rows: string; checksum: string }>(
      tableChecksumSql(t.schema_name, t.table_name),
      [],
      {
        operation: 'ops.backup.checksum',
      },
    );
    out.push({
      table: `${t.schema_name}.${t.table_name}`,
      rows: Number(result.rows[0]!.rows),
      checksum: result.rows[0]!.checksum,
    });
    onProgress?.(phase, i + 1, rows.length);
  }
  return out;
}

async function emptyDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true });
  const present = await readdir(directory);
  if (present.length > 0) {
    throw new ShannonError(
      'VALIDATION_FAILED',
      `backup directory ${directory} is not empty; give a new directory`,
      {
        field: 'dir',
      },
    );
  }
}

/**
 * Makes a backup in `directory` (new or empty).
 * @throws ShannonError BACKUP_TOOL_FAILED (pg_dump missing, too old, or failing), VALIDATION_FAILED
 *   (the directory is not empty).
 */
export async function createBackup(
  options: BackupCommon & { vectors: BackupVectorSource },
): Promise<BackupManifest> {
  const { db, directory, jobs } = options;
  await emptyDirectory(directory);
  const tool = await findPgTool('pg_dump', await serverMajor(db), options.pgBinDir);
  const { dbname, env } = libpqConnection(db.connectionString, options.sslMode);
  const taken = await db.withSession(
    async (session) => {
      await session.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      // The snapshot must outlive pg_dump's run: no server-side cut while it dumps.
      await session.query(`SET LOCAL statement_timeout = 0`);
      await session.query(`SET LOCAL idle_in_transaction_session_timeout = 0`);
      const head = await session.query<{ snapshot: string; db: string; version: string }>(
        `SELECT pg_export_snapshot() AS snapshot, current_database() AS db, current_setting('server_version') AS version`,
      );
      const { snapshot, db: database, version } = head.rows[0]!;
      const tables = await checksums(session, options.onProgress, 'checksum');
      let dumped = 0;
      await runPgTool(
        tool,
        [
          '--format=directory',
          `--jobs=${jobs}`,
          `--snapshot=${snapshot}`,
          '--verbose',
          `--file=${join(directory, POSTGRES_DIR)}`,
          `--dbname=${dbname}`,
        ],
        env,
        (line) => {
          if (/dumping contents of table/.test(line)) options.onProgress?.('dump', ++dumped, tables.length);
        },
      );
      await session.query('COMMIT');
      return { tables, database, version };
    },
    { operation: 'ops.backup.create', timeoutMs: 0, readOnly: true },
  );
  const vectors = await saveVectors(options);
  const files: BackupFile[] = [];
  for (const path of await listFiles(directory, directory)) {
    files.push({ path, ...(await hashFile(join(directory, path))) });
  }
  const manifest = sealManifest(
    {
      format: BACKUP_FORMAT,
      version: 1,
      createdAt: new Date().toISOString(),
      database: taken.database,
      serverVersion: taken.version,
      pgDump: { major: tool.major, jobs },
      tables: taken.tables,
      files,
      vectors,
    },
    options.key,
  );
  // Written last, and atomically: a directory without backup.json is an unfinished backup.
  const tmp = join(directory, `${BACKUP_MANIFEST}.tmp`);
  await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(tmp, join(directory, BACKUP_MANIFEST));
  return manifest;
}

async function saveVectors(options: BackupCommon & { vectors: BackupVectorSource }): Promise<BackupVectors> {
  const source = options.vectors;
  if (source.backend === 'embedded') return { backend: 'embedded', note: EMBEDDED_NOTE };
  await mkdir(join(options.directory, VECTORS_DIR), { recursive: true });
  const collections: Array<{ collection: string; physical: string; file: string }> = [];
  for (const [i, c] of source.collections.entries()) {
    const file = `${VECTORS_DIR}/${c.physical}.snapshot`;
    await writeFile(backupPath(options.directory, file), await snapshotCollection(source.http, c.physical));
    collections.push({ ...c, file });
    options.onProgress?.('vectors', i + 1, source.collections.length);
  }
  return { backend: 'qdrant', collections };
}

export interface VerifyReport {
  directory: string;
  signature: SignatureState;
  files: number;
  tables: number;
  vectors: BackupVectors['backend'];
  problems: BackupProblem[];
}

/**
 * Checks a backup without a database: the manifest's shape and signature, every file's size and
 * SHA-256, no stray file. @throws ShannonError BACKUP_INVALID for an unreadable or wrongly signed
 * manifest; altered or missing files are reported in `problems`, each naming its file.
 */
export async function verifyBackup(directory: string, key: string | undefined): Promise<VerifyReport> {
  const manifest = await readManifest(directory);
  const signature = signatureState(manifest, key);
  const problems = await checkFiles(directory, manifest);
  return {
    directory,
    signature,
    files: manifest.files.length,
    tables: manifest.tables.length,
    vectors: manifest.vectors.backend,
    problems,
  };
}

export interface RestoreTable {
  table: string;
  rows: number;
  expectedRows: number;
  equal: boolean;
}

export interface RestoreReport {
  directory: string;
  signature: SignatureState;
  tables: RestoreTable[];
  /** True when every table's rows and checksum equal the manifest's. */
  equal: boolean;
  vectors: { backend: BackupVectors['backend']; restored: number; note?: string };
}

/**
 * Restores a verified backup into the empty database `db`, then recomputes every table's checksum.
 * @throws ShannonError BACKUP_INVALID (a problem with the backup, or unsigned without
 *   `trustUnsigned`), BACKUP_TARGET_NOT_EMPTY, BACKUP_TOOL_FAILED.
 */
export async function restoreBackup(
  options: BackupCommon & { trustUnsigned?: boolean; qdrant?: QdrantHttp | undefined },
): Promise<RestoreReport> {
  const { db, directory } = options;
  const report = await verifyBackup(directory, options.key);
  if (report.problems.length > 0) {
    const first = report.problems[0]!;
    throw new ShannonError('BACKUP_INVALID', `${first.file}: ${first.problem}; nothing was restored`, {
      details: { file: first.file, problems: report.problems.length },
    });
  }
  if (report.signature !== 'verified' && options.trustUnsigned !== true) {
    throw new ShannonError(
      'BACKUP_INVALID',
      report.signature === 'unsigned'
        ? 'the backup manifest is not signed (a dump is SQL run with your rights): create backups with SHANNON_ARCHIVE_KEY set, or pass --trust-unsigned if you know where this one came from'
        : 'the backup manifest is signed but SHANNON_ARCHIVE_KEY is not set, so it cannot be checked; set it, or pass --trust-unsigned',
      { details: { file: BACKUP_MANIFEST, signature: report.signature } },
    );
  }
  const manifest = await readManifest(directory);
  const { rows: present } = await db.query<{ table_name: string }>(ANY_TABLE_SQL, [], {
    operation: 'ops.backup.target',
  });
  if (present.length > 0) {
    throw new ShannonError(
      'BACKUP_TARGET_NOT_EMPTY',
      `the target database already holds tables (${present[0]!.table_name}); restore into a new, empty database`,
      { details: { table: present[0]!.table_name } },
    );
  }
  await db.query(BACKUP_ROLES_SQL, [], { operation: 'ops.backup.roles' });
  const tool = await findPgTool('pg_restore', manifest.pgDump.major, options.pgBinDir);
  const { dbname, env } = libpqConnection(db.connectionString, options.sslMode);
  let restored = 0;
  await runPgTool(
    tool,
    [
      '--format=directory',
      `--jobs=${options.jobs}`,
      '--no-owner',
      '--exit-on-error',
      '--verbose',
      `--dbname=${dbname}`,
      join(directory, POSTGRES_DIR),
    ],
    env,
    (line) => {
      if (/processing data for table/.test(line))
        options.onProgress?.('restore', ++restored, manifest.tables.length);
    },
  );
  const after = new Map((await checksums(db, options.onProgress, 'check')).map((t) => [t.table, t]));
  const tables = manifest.tables.map((t) => {
    const now = after.get(t.table);
    return {
      table: t.table,
      rows: now?.rows ?? 0,
      expectedRows: t.rows,
      equal: now !== undefined && now.rows === t.rows && now.checksum === t.checksum,
    };
  });
  const vectors = await restoreVectors(manifest, directory, options.qdrant);
  return { directory, signature: report.signature, tables, equal: tables.every((t) => t.equal), vectors };
}

async function restoreVectors(
  manifest: BackupManifest,
  directory: string,
  qdrant: QdrantHttp | undefined,
): Promise<RestoreReport['vectors']> {
  const v = manifest.vectors;
  if (v.backend === 'embedded') return { backend: 'embedded', restored: 0, note: v.note };
  if (qdrant === undefined) {
    throw new ShannonError(
      'CONFIG_INVALID',
      'this backup holds Qdrant snapshots: set QDRANT_URL to the Qdrant to restore them into',
      {
        field: 'QDRANT_URL',
      },
    );
  }
  for (const c of v.collections) {
    const entry = manifest.files.find((f) => f.path === c.file);
    if (entry === undefined)
      throw new ShannonError('BACKUP_INVALID', `${c.file} is not in the manifest's files`, {
        details: { file: c.file },
      });
    await recoverCollection(qdrant, c.physical, await readFile(backupPath(directory, c.file)), entry.sha256);
  }
  return { backend: 'qdrant', restored: v.collections.length };
}
