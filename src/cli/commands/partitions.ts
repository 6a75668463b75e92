/** `shannon-data partitions status|plan|maintain|convert`: monthly partition upkeep. */
import { Command } from 'commander';
import { type CliContext, opsOn } from '../cli-context.js';

export function partitionsCommand(ctx: CliContext): Command {
  const partitions = new Command('partitions').description(
    'Monthly partitions: coverage, premake, default rows, online conversion',
  );
  partitions
    .command('status')
    .description('Partitions per table, months missing ahead, gaps, rows in default partitions')
    .option('--months-ahead <n>', 'months that must exist ahead', '3')
    .option('--json', 'print as JSON')
    .action(async (options: { monthsAhead: string; json?: boolean }, command: Command) => {
      const database = await ctx.openDatabase(ctx.loadConfig(command));
      const ops = opsOn(database);
      try {
        const status = await ops.partitionStatus({ monthsAhead: Number(options.monthsAhead) });
        ctx.output(options.json === true, { tables: status }, () =>
          status
            .map(
              (s) =>
                `${s.table.padEnd(32)} ${String(s.partitions).padStart(3)} partitions ${s.first?.slice(0, 7) ?? '-'}..${s.last?.slice(0, 7) ?? '-'}  default rows ${s.defaultRows}${s.missingAhead.length > 0 ? `  MISSING ${s.missingAhead.join(' ')}` : ''}${s.gaps.length > 0 ? `  GAPS ${s.gaps.length}` : ''}`,
            )
            .join('\n'),
        );
      } finally {
        await database.close();
      }
    });
  partitions
    .command('plan')
    .description('What maintain would do')
    .option('--months-ahead <n>', 'months to premake', '3')
    .option('--json', 'print as JSON')
    .action(async (options: { monthsAhead: string; json?: boolean }, command: Command) => {
      const database = await ctx.openDatabase(ctx.loadConfig(command));
      const ops = opsOn(database);
      try {
        const actions = await ops.planPartitions({ monthsAhead: Number(options.monthsAhead) });
        ctx.output(options.json === true, { actions }, () =>
          actions.length === 0
            ? 'nothing to do'
            : actions
                .map(
                  (a) =>
                    `${a.action.padEnd(18)} ${a.partition} [${a.from.slice(0, 10)}, ${a.to.slice(0, 10)})${a.action === 'move_default_rows' ? ` ${a.rows} rows from the default partition` : ''}`,
                )
                .join('\n'),
        );
      } finally {
        await database.close();
      }
    });
  partitions
    .command('maintain')
    .description('Create partitions ahead, fill gaps, move default-partition rows into their months')
    .option('--months-ahead <n>', 'months to premake', '3')
    .option('--lock-timeout-ms <ms>', 'lock_timeout per DDL attempt', '2000')
    .option('--json', 'print as JSON')
    .action(
      async (options: { monthsAhead: string; lockTimeoutMs: string; json?: boolean }, command: Command) => {
        const json = options.json === true;
        const database = await ctx.openDatabase(ctx.loadConfig(command), { migrate: true });
        const ops = opsOn(database);
        const progress = ctx.progress(json, 'maintain', 1);
        try {
          const result = await ops.maintainPartitions({
            monthsAhead: Number(options.monthsAhead),
            lock: { lockTimeoutMs: Number(options.lockTimeoutMs) },
            onProgress: (done, total) => progress.update(done, total),
          });
          progress.stop();
          ctx.output(json, result, () =>
            [
              `applied ${result.applied.length}, failed ${result.failed.length}`,
              ...result.applied.map((a) => `  ${a.action} ${a.partition}`),
              ...result.failed.map((f) => `  FAILED ${f.action.partition}: ${f.error}`),
            ].join('\n'),
          );
          if (result.failed.length > 0) process.exitCode = 1;
        } finally {
          progress.stop();
          await database.close();
        }
      },
    );
  partitions
    .command('convert <table>')
    .description(
      'Convert an unpartitioned table to monthly partitions online (resumable; run again to resume)',
    )
    .requiredOption('--column <name>', 'time column to partition by (NOT NULL)')
    .option('--batch-size <n>', 'rows moved per transaction', '10000')
    .option('--json', 'print as JSON')
    .action(
      async (
        table: string,
        options: { column: string; batchSize: string; json?: boolean },
        command: Command,
      ) => {
        const json = options.json === true;
        const database = await ctx.openDatabase(ctx.loadConfig(command), { migrate: true });
        const ops = opsOn(database);
        const progress = ctx.progress(json, `convert ${table}`, 1);
        try {
          const result = await ops.convertToPartitioned({
            table,
            column: options.column,
            batchSize: Number(options.batchSize),
            onProgress: (moved, remaining) => progress.update(moved, moved + remaining),
          });
          progress.stop();
          ctx.output(
            json,
            result,
            `${result.table}: ${result.state}, ${result.rowsMoved} rows moved in ${result.batches} batch(es)`,
          );
        } finally {
          progress.stop();
          await database.close();
        }
      },
    );
  return partitions;
}
