/** `shannon-data aggregates verify|rebuild`: daily usage aggregates against a from-scratch recount. */
import { Command } from 'commander';
import { type CliContext, opsOn } from '../cli-context.js';

interface RangeFlags {
  from: string;
  to: string;
  tenant?: string;
  json?: boolean;
}

function range(o: RangeFlags) {
  return { from: o.from, to: o.to, ...(o.tenant === undefined ? {} : { tenantId: o.tenant }) };
}

export function aggregatesCommand(ctx: CliContext): Command {
  const aggregates = new Command('aggregates').description('Daily usage aggregates');
  aggregates
    .command('verify')
    .description('List days whose stored aggregate differs from a recount of task_executions (exit 1 if any)')
    .requiredOption('--from <day>', 'first UTC day, YYYY-MM-DD')
    .requiredOption('--to <day>', 'UTC day after the last, YYYY-MM-DD')
    .option('--tenant <uuid>', 'one tenant')
    .option('--json', 'print as JSON')
    .action(async (options: RangeFlags, command: Command) => {
      const database = await ctx.openDatabase(ctx.loadConfig(command));
      const ops = opsOn(database);
      try {
        const diffs = await ops.verifyAggregates(range(options));
        ctx.output(options.json === true, { differences: diffs }, () =>
          diffs.length === 0
            ? 'aggregates match the recount'
            : diffs
                .map(
                  (d) =>
                    `${d.date} tenant ${d.tenantId} user ${d.userId ?? '-'}: stored ${JSON.stringify(d.stored)} recount ${JSON.stringify(d.recount)}`,
                )
                .join('\n'),
        );
        if (diffs.length > 0) process.exitCode = 1;
      } finally {
        await database.close();
      }
    });
  aggregates
    .command('rebuild')
    .description('Replace the aggregates of a range with a recount (locks out concurrent increments briefly)')
    .requiredOption('--from <day>', 'first UTC day, YYYY-MM-DD')
    .requiredOption('--to <day>', 'UTC day after the last, YYYY-MM-DD')
    .option('--tenant <uuid>', 'one tenant')
    .option('--json', 'print as JSON')
    .action(async (options: RangeFlags, command: Command) => {
      const database = await ctx.openDatabase(ctx.loadConfig(command), { migrate: true });
      const ops = opsOn(database);
      try {
        const result = await ops.rebuildAggregates(range(options));
        ctx.output(
          options.json === true,
          result,
          `rebuilt ${options.from}..${options.to}: ${result.deleted} rows replaced by ${result.inserted}`,
        );
      } finally {
        await database.close();
      }
    });
  return aggregates;
}
