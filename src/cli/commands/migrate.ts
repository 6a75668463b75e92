/** `shannon-data migrate up|status [--json]`. */
import { Command } from 'commander';
import type { Config } from '../../config/config.js';
import type { Database } from '../../postgres/database.js';
import { type MigrationStatus, migrateDatabase, migrationStatus } from '../../schema/migrator.js';
import type { CliContext } from '../cli-context.js';

/** Opens the configured database, or the embedded one, for the duration of `fn`; migrates nothing itself. */
async function withDatabase<T>(
  ctx: CliContext,
  config: Config,
  fn: (db: Database) => Promise<T>,
): Promise<T> {
  const database = await ctx.openDatabase(config);
  try {
    return await fn(database.direct);
  } finally {
    await database.close();
  }
}

function statusTable(statuses: MigrationStatus[]): string {
  return statuses
    .map(
      (s) =>
        `${String(s.version).padStart(4, '0')}  ${s.state.padEnd(17)}  ${s.name}${s.appliedAt ? `  (${s.appliedAt})` : ''}`,
    )
    .join('\n');
}

export function migrateCommand(ctx: CliContext): Command {
  const migrate = new Command('migrate').description('Apply or inspect the schema migrations');
  migrate
    .command('up')
    .description('Apply every pending migration, in order, under an advisory lock (safe to run concurrently)')
    .option('--json', 'print the result per file as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const config = ctx.loadConfig(command);
      const json = options.json === true;
      const results = await withDatabase(ctx, config, (db) => migrateDatabase(db));
      const applied = results.filter((r) => r.outcome === 'applied');
      ctx.output(json, { applied: applied.length, results }, () =>
        applied.length === 0
          ? `schema is up to date (${results.length} migrations applied earlier)`
          : applied
              .map((r) => `applied ${String(r.version).padStart(4, '0')}_${r.name} in ${r.durationMs} ms`)
              .join('\n'),
      );
    });
  migrate
    .command('status')
    .description('List every migration with its state (applied, pending, checksum_mismatch, missing_file)')
    .option('--json', 'print as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const config = ctx.loadConfig(command);
      const statuses = await withDatabase(ctx, config, (db) => migrationStatus(db));
      const pending = statuses.filter((s) => s.state !== 'applied').length;
      ctx.output(options.json === true, { pending, migrations: statuses }, () => statusTable(statuses));
      if (statuses.some((s) => s.state === 'checksum_mismatch')) process.exitCode = 1;
    });
  return migrate;
}
