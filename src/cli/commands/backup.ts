/**
 * `shannon-data backup create|verify|restore`: PostgreSQL (pg_dump, directory format, parallel)
 * and the vector collections, with a signed manifest of per-table rows and checksums and per-file
 * hashes (src/ops/backup.ts).
 */
import { Command, InvalidArgumentError } from 'commander';
import type { Config } from '../../config/config.js';
import { QdrantHttp } from '../../memory/qdrant/qdrant-http.js';
import type { OpenedDatabase } from '../../open-database.js';
import {
  type BackupCommon,
  type BackupVectorSource,
  createBackup,
  restoreBackup,
  verifyBackup,
} from '../../ops/backup.js';
import { ACTIVE_COLLECTIONS_SQL } from '../../ops/doctor-vector.js';
import { type CliContext, EXIT, type Progress } from '../cli-context.js';

const DEFAULT_JOBS = 2;

function jobsOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new InvalidArgumentError('must be an integer from 1 to 64');
  return n;
}

function qdrantOf(config: Config): QdrantHttp | undefined {
  return config.qdrantUrl === undefined
    ? undefined
    : new QdrantHttp({ url: config.qdrantUrl, apiKey: config.qdrantApiKey, timeoutMs: 60_000 });
}

async function vectorSource(database: OpenedDatabase): Promise<BackupVectorSource> {
  const http = qdrantOf(database.config);
  if (http === undefined) return { backend: 'embedded' };
  const exists = await database.direct.query<{ ok: boolean }>(
    `SELECT to_regclass('public.memory_collection_versions') IS NOT NULL AS ok`,
  );
  if (exists.rows[0]?.ok !== true) return { backend: 'qdrant', http, collections: [] };
  const { rows } = await database.direct.query<{ collection: string; physical_name: string }>(
    ACTIVE_COLLECTIONS_SQL,
  );
  return {
    backend: 'qdrant',
    http,
    collections: rows.map((r) => ({ collection: r.collection, physical: r.physical_name })),
  };
}

/** One bar per phase, replaced when the phase changes. */
function phasedProgress(
  ctx: CliContext,
  json: boolean,
): { update(phase: string, done: number, total: number): void; stop(): void } {
  let phase: string | undefined;
  let bar: Progress | undefined;
  return {
    update(next, done, total) {
      if (next !== phase) {
        bar?.stop();
        phase = next;
        bar = ctx.progress(json, next, total);
      }
      bar?.update(done, total);
    },
    stop: () => bar?.stop(),
  };
}

/**
 * Opens the configured database and runs `fn` with what create and restore share (the database,
 * jobs, TLS mode, tools directory, key, a progress bar per phase); stops the bar and closes the
 * database before the caller prints the result.
 */
async function withBackupDatabase<T>(
  ctx: CliContext,
  command: Command,
  options: { dir: string; jobs?: number; json?: boolean },
  fn: (common: BackupCommon, database: OpenedDatabase) => Promise<T>,
): Promise<T> {
  const config = ctx.loadConfig(command);
  const database = await ctx.openDatabase(config);
  const progress = phasedProgress(ctx, options.json === true);
  try {
    return await fn(
      {
        db: database.direct,
        directory: options.dir,
        jobs: options.jobs ?? DEFAULT_JOBS,
        sslMode: config.pool.sslMode,
        pgBinDir: config.pgBinDir,
        key: config.archiveKey,
        onProgress: (phase, done, total) => progress.update(phase, done, total),
      },
      database,
    );
  } finally {
    progress.stop();
    await database.close();
  }
}

export function backupCommand(ctx: CliContext): Command {
  const backup = new Command('backup').description(
    'Back up PostgreSQL and the vector collections with a verified manifest; verify; restore into an empty database',
  );
  backup
    .command('create')
    .description(
      'pg_dump (directory format, parallel) plus Qdrant snapshots into a new directory, with rows, checksums and file hashes in backup.json (signed with SHANNON_ARCHIVE_KEY)',
    )
    .requiredOption('--dir <dir>', 'a new or empty directory for the backup')
    .option('--jobs <n>', `parallel pg_dump jobs (default ${DEFAULT_JOBS})`, jobsOption)
    .option('--json', 'print the manifest as JSON')
    .action(async (options: { dir: string; jobs?: number; json?: boolean }, command: Command) => {
      const json = options.json === true;
      const manifest = await withBackupDatabase(ctx, command, options, async (common, database) =>
        createBackup({ ...common, vectors: await vectorSource(database) }),
      );
      const rows = manifest.tables.reduce((sum, t) => sum + t.rows, 0);
      const bytes = manifest.files.reduce((sum, f) => sum + f.bytes, 0);
      ctx.output(json, manifest, () =>
        [
          `${options.dir}: ${manifest.tables.length} tables, ${rows} rows, ${manifest.files.length} files, ${bytes} bytes`,
          manifest.vectors.backend === 'qdrant'
            ? `vectors: ${manifest.vectors.collections.length} Qdrant collection snapshot(s)`
            : `vectors: ${manifest.vectors.note}`,
          manifest.signature === null
            ? 'manifest NOT signed: SHANNON_ARCHIVE_KEY is not set; restore will refuse this backup unless given --trust-unsigned'
            : 'manifest signed (HMAC-SHA256, SHANNON_ARCHIVE_KEY)',
        ].join('\n'),
      );
    });
  backup
    .command('verify')
    .description(
      'Check backup.json (shape, signature) and every file it lists (size, sha256); exit 1 naming each file that differs',
    )
    .requiredOption('--dir <dir>', 'backup directory (holds backup.json)')
    .option('--json', 'print as JSON')
    .action(async (options: { dir: string; json?: boolean }, command: Command) => {
      const config = ctx.loadConfig(command);
      const report = await verifyBackup(options.dir, config.archiveKey);
      ctx.output(options.json === true, report, () =>
        [
          `${options.dir}: ${report.files} files, ${report.tables} tables, signature ${report.signature}, vectors ${report.vectors}`,
          ...(report.problems.length === 0
            ? ['every file matches its size and sha256']
            : report.problems.map((p) => `${p.file}: ${p.problem}`)),
        ].join('\n'),
      );
      if (report.problems.length > 0) process.exitCode = EXIT.FINDINGS;
    });
  backup
    .command('restore')
    .description(
      'Verify a backup, restore it into the empty database DATABASE_URL names (pg_restore, parallel) and the Qdrant snapshots into QDRANT_URL, then compare every table with the manifest; exit 1 on a difference',
    )
    .requiredOption('--dir <dir>', 'backup directory (holds backup.json)')
    .option('--jobs <n>', `parallel pg_restore jobs (default ${DEFAULT_JOBS})`, jobsOption)
    .option(
      '--trust-unsigned',
      'restore an unsigned backup (or a signed one while SHANNON_ARCHIVE_KEY is unset)',
    )
    .option('--json', 'print as JSON')
    .action(
      async (
        options: { dir: string; jobs?: number; trustUnsigned?: boolean; json?: boolean },
        command: Command,
      ) => {
        const json = options.json === true;
        const report = await withBackupDatabase(ctx, command, options, (common, database) =>
          restoreBackup({
            ...common,
            trustUnsigned: options.trustUnsigned === true,
            qdrant: qdrantOf(database.config),
          }),
        );
        ctx.output(json, report, () =>
          [
            ...report.tables.map(
              (t) =>
                `${t.equal ? 'equal    ' : 'DIFFERENT'} ${t.table}: ${t.rows} rows (backup ${t.expectedRows})`,
            ),
            report.vectors.backend === 'qdrant'
              ? `vectors: ${report.vectors.restored} Qdrant collection(s) recovered from their snapshots`
              : `vectors: ${report.vectors.note ?? 'embedded index'}`,
            report.equal ? 'every table equals the backup' : 'SOME TABLES DIFFER from the backup',
          ].join('\n'),
        );
        if (!report.equal) process.exitCode = EXIT.FINDINGS;
      },
    );
  return backup;
}
