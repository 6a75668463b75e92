/** `shannon-data retention plan|run [--dry-run]`: archive then drop what the policies expire. */
import { Command } from 'commander';
import type { RetentionReport } from '../../ops/retention.js';
import { type CliContext, opsOn } from '../cli-context.js';

function describe(a: RetentionReport['actions'][number]): string {
  switch (a.kind) {
    case 'drop_partition':
      return `drop partition ${a.partition} [${a.from.slice(0, 10)}, ${a.to.slice(0, 10)}) ${a.rows} rows`;
    case 'delete_daily_aggregates':
      return `delete daily usage aggregates of [${a.from.slice(0, 10)}, ${a.to.slice(0, 10)}) ${a.rows} rows`;
    case 'delete_memory_points':
      return `delete memory points created [${a.from.slice(0, 10)}, ${a.to.slice(0, 10)}) ${a.rows} points`;
    case 'delete_tenant_rows':
      return `delete ${a.table} rows of tenant ${a.tenantId} before ${a.before.slice(0, 10)} ${a.rows} rows`;
    case 'delete_collection_points':
      return `delete ${a.collection} points (${a.physical}) of tenant ${a.tenantId} created before ${a.before.slice(0, 10)} ${a.rows} points`;
    case 'anonymise_audit':
      return `anonymise audit rows before ${a.before.slice(0, 10)} ${a.rows} rows`;
    case 'purge_refresh_tokens':
      return `purge expired/revoked refresh tokens ${a.rows} rows`;
    default:
      return JSON.stringify(a);
  }
}

export function retentionCommand(ctx: CliContext): Command {
  const retention = new Command('retention').description('Retention policies: archive, then drop or delete');
  retention
    .command('run')
    .description(
      'Export expiring ranges (manifest first), then drop partitions, delete rows and memory points',
    )
    .option('--dry-run', 'only list what would happen, with row counts')
    .option('--archive-dir <dir>', 'archive root (default <dataDir>/archives)')
    .option('--json', 'print as JSON')
    .action(async (options: { dryRun?: boolean; archiveDir?: string; json?: boolean }, command: Command) => {
      const json = options.json === true;
      const database = await ctx.openDatabase(ctx.loadConfig(command), { migrate: options.dryRun !== true });
      const ops = opsOn(database);
      const progress = ctx.progress(json, 'retention', 1);
      try {
        const report = await ops.runRetention({
          dryRun: options.dryRun === true,
          ...(options.archiveDir === undefined ? {} : { archiveDirectory: options.archiveDir }),
          onProgress: (done, total) => progress.update(done, total),
        });
        progress.stop();
        ctx.output(json, report, () =>
          [
            `${report.dryRun ? 'dry run: would do' : 'did'} ${report.actions.length} action(s)${report.archive === null ? '' : `; archive ${report.archive}`}`,
            ...report.actions.map(
              (a) =>
                `  ${a.done || report.dryRun ? '' : 'FAILED '}${describe(a)}${a.error === undefined ? '' : `: ${a.error}`}`,
            ),
          ].join('\n'),
        );
        if (report.actions.some((a) => a.error !== undefined)) process.exitCode = 1;
      } finally {
        progress.stop();
        await database.close();
      }
    });
  return retention;
}
