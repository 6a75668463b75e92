/**
 * `shannon-data archive export|restore`: ranges to gzip files with a checksummed manifest (signed
 * with SHANNON_ARCHIVE_KEY), and back.
 */
import { Command } from 'commander';
import { ValidationError } from '../../errors/errors.js';
import { type CliContext, opsOn } from '../cli-context.js';

/** Said on every export without a key: restore will refuse the archive unless told to trust it. */
const UNSIGNED_WARNING =
  'manifest NOT signed: SHANNON_ARCHIVE_KEY is not set; restore will refuse this archive unless given --trust-unsigned';

function date(value: string, field: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) throw new ValidationError(field, `not a date: ${value}`);
  return d;
}

export function archiveCommand(ctx: CliContext): Command {
  const archive = new Command('archive').description('Export time ranges to compressed files, restore them');
  archive
    .command('export')
    .description(
      'Export [from, to) of one or more tables (COPY, gzip, manifest with rows and sha256, signed with SHANNON_ARCHIVE_KEY)',
    )
    .requiredOption('--table <table...>', 'tables, e.g. public.event_logs public.token_usage')
    .requiredOption('--from <date>', 'inclusive start, e.g. 2026-08-01')
    .requiredOption('--to <date>', 'exclusive end, e.g. 2026-09-01')
    .requiredOption('--dir <dir>', 'directory for the files and manifest.json')
    .option('--tenant <uuid>', "only this tenant's rows")
    .option('--json', 'print the manifest as JSON')
    .action(
      async (
        options: { table: string[]; from: string; to: string; dir: string; tenant?: string; json?: boolean },
        command: Command,
      ) => {
        const json = options.json === true;
        const database = await ctx.openDatabase(ctx.loadConfig(command), { migrate: true });
        const ops = opsOn(database);
        const progress = ctx.progress(json, 'export', options.table.length);
        try {
          const manifest = await ops.exportArchive({
            directory: options.dir,
            ranges: options.table.map((table) => ({
              table,
              from: date(options.from, 'from'),
              to: date(options.to, 'to'),
              ...(options.tenant === undefined ? {} : { tenantId: options.tenant }),
            })),
            onProgress: (done, total) => progress.update(done, total),
          });
          progress.stop();
          const signed = manifest.signature !== null;
          ctx.output(json, { ...manifest, signed, ...(signed ? {} : { warning: UNSIGNED_WARNING }) }, () =>
            [
              ...manifest.files.map((f) => `${f.file}: ${f.rows} rows, sha256 ${f.sha256.slice(0, 16)}…`),
              signed ? 'manifest signed (HMAC-SHA256, SHANNON_ARCHIVE_KEY)' : UNSIGNED_WARNING,
            ].join('\n'),
          );
        } finally {
          progress.stop();
          await database.close();
        }
      },
    );
  archive
    .command('restore')
    .description(
      'Check the manifest signature and entries, verify file checksums, load the rows back, prove the restored content checksum',
    )
    .requiredOption('--dir <dir>', 'archive directory (holds manifest.json)')
    .option(
      '--trust-unsigned',
      'restore an unsigned archive (or a signed one while SHANNON_ARCHIVE_KEY is unset); tables, file names, dates and rows are still checked',
    )
    .option('--json', 'print as JSON')
    .action(async (options: { dir: string; trustUnsigned?: boolean; json?: boolean }, command: Command) => {
      const json = options.json === true;
      const database = await ctx.openDatabase(ctx.loadConfig(command), { migrate: true });
      const ops = opsOn(database);
      const progress = ctx.progress(json, 'restore', 1);
      try {
        const result = await ops.restoreArchive({
          directory: options.dir,
          trustUnsigned: options.trustUnsigned === true,
          onProgress: (d, t) => progress.update(d, t),
        });
        progress.stop();
        ctx.output(json, result, () =>
          [
            result.trust === 'verified'
              ? 'manifest signature verified'
              : 'manifest NOT verified (restored on --trust-unsigned)',
            ...result.files.map(
              (f) =>
                `${f.file}: ${f.rows} rows restored into ${f.table}, ${f.verified ? 'checksum verified' : 'CHECKSUM MISMATCH'}`,
            ),
          ].join('\n'),
        );
        if (result.files.some((f) => !f.verified)) process.exitCode = 1;
      } finally {
        progress.stop();
        await database.close();
      }
    });
  return archive;
}
