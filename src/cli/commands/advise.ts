/** `shannon-data advise indexes [--json]`: index suggestions proven with hypothetical indexes. */
import { Command } from 'commander';
import type { AdviseReport } from '../../ops/index-advisor.js';
import { type CliContext, opsOn } from '../cli-context.js';

/**
 * How much a planner cost changed, one decimal: `99.5% lower`. A real drop never reads as 0% or
 * 100%: below 0.1 it is `<0.1% lower`, short of all of it `>99.9% lower`.
 */
export function formatCostChange(costBefore: number, costAfter: number): string {
  if (!(costBefore > 0) || !Number.isFinite(costAfter)) return 'n/a';
  if (costAfter === costBefore) return 'unchanged';
  const percent = (Math.abs(costBefore - costAfter) / costBefore) * 100;
  const direction = costAfter < costBefore ? 'lower' : 'higher';
  if (percent < 0.1) return `<0.1% ${direction}`;
  if (direction === 'lower' && costAfter > 0 && percent > 99.9) return `>99.9% lower`;
  return `${Number(percent.toFixed(1))}% ${direction}`;
}

export function formatAdvice(r: AdviseReport): string {
  const lines = [
    `examined ${r.examined} statement(s) with hypopg ${r.hypopgVersion}: ${r.suggestions.length} suggestion(s)`,
  ];
  for (const s of r.suggestions) {
    lines.push('', s.createStatement);
    lines.push(
      `  write overhead ${s.writeOverhead} bytes per table byte; reads per write ${s.readsPerWrite ?? 'n/a'}${s.writeHeavy ? ' (write-heavy: needed a 90% drop)' : ''}`,
    );
    for (const q of s.statements) {
      lines.push(
        `  helps [${q.origin}] ${q.calls} calls: cost ${q.costBefore} -> ${q.costAfter} (${formatCostChange(q.costBefore, q.costAfter)})`,
      );
      lines.push(`    ${q.query.replace(/\s+/g, ' ').slice(0, 160)}`);
    }
  }
  return lines.join('\n');
}

export function adviseCommand(ctx: CliContext): Command {
  const advise = new Command('advise').description('Advice derived from the workload');
  advise
    .command('indexes')
    .description(
      'Propose indexes for pg_stat_statements workload, each verified with hypopg (cost must halve)',
    )
    .option('--min-calls <n>', 'ignore statements with fewer calls in the window', '10')
    .option('--window-hours <h>', 'workload window', '168')
    .option('--json', 'print as JSON')
    .action(async (options: { minCalls: string; windowHours: string; json?: boolean }, command: Command) => {
      const json = options.json === true;
      const database = await ctx.openDatabase(ctx.loadConfig(command));
      const ops = opsOn(database);
      const progress = ctx.progress(json, 'advise', 1);
      try {
        const report = await ops.adviseIndexes({
          minCalls: Number(options.minCalls),
          windowHours: Number(options.windowHours),
          onProgress: (done, total) => progress.update(done, total),
        });
        progress.stop();
        ctx.output(json, report, () => formatAdvice(report));
      } finally {
        progress.stop();
        await database.close();
      }
    });
  return advise;
}
