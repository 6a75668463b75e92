/** `shannon-data explain "<sql>" [--analyze] [--json]`: a safe EXPLAIN with a plan summary. */
import { Command } from 'commander';
import type { ExplainResult } from '../../ops/explain.js';
import { type CliContext, opsOn } from '../cli-context.js';

/** Human rendering of the summary (the full plan is in --json). */
export function formatExplain(r: ExplainResult): string {
  const s = r.summary;
  const lines = [
    `${r.analyzed ? `EXPLAIN ANALYZE as ${r.role}` : 'EXPLAIN'} (${r.kind}${r.genericPlan ? `, generic plan for ${r.parameters} parameter(s)` : ''}; rolled back)`,
    `total cost ${s.totalCost}${r.executionTimeMs === null ? '' : `, execution ${r.executionTimeMs} ms`}`,
  ];
  if (s.costliestNode !== null) {
    lines.push(
      `costliest node: ${s.costliestNode.node}${s.costliestNode.relation === null ? '' : ` on ${s.costliestNode.relation}`} (${Math.round(s.costliestNode.share * 100)}% of the cost)`,
    );
  }
  for (const scan of s.seqScansOfLargeTables) {
    lines.push(
      `seq scan of large table ${scan.relation} (${scan.tableRows} rows)${scan.filter === null ? '' : ` filter ${scan.filter}`}`,
    );
  }
  for (const m of s.misestimates)
    lines.push(
      `misestimate: ${m.node}${m.relation === null ? '' : ` on ${m.relation}`} planned ${m.planRows}, got ${m.actualRows} (×${m.factor})`,
    );
  for (const sp of s.spills) lines.push(`spill: ${sp.node}: ${sp.detail}`);
  if (s.indexesUsed.length > 0) lines.push(`indexes used: ${s.indexesUsed.join(', ')}`);
  return lines.join('\n');
}

export function explainCommand(ctx: CliContext): Command {
  return new Command('explain')
    .description(
      'EXPLAIN one statement safely: always rolled back, statement timeout, ANALYZE only with --analyze (as shannon_app), only allow-listed functions',
    )
    .argument('<sql>', 'one SELECT, INSERT, UPDATE, DELETE or MERGE; $n parameters get a generic plan')
    .option(
      '--analyze',
      'run it (EXPLAIN ANALYZE, BUFFERS) as the shannon_app role; required for statements that write',
    )
    .option('--tenant <uuid>', 'under --analyze, see the rows of this tenant (row-level security)')
    .option(
      '--allow-functions',
      'explain a statement that calls functions outside the allow-list (pg_terminate_backend, lo_import, user functions …)',
    )
    .option('--timeout-ms <ms>', 'statement timeout', '10000')
    .option('--json', 'print the result (summary and full plan) as JSON')
    .action(
      async (
        sql: string,
        options: {
          analyze?: boolean;
          tenant?: string;
          allowFunctions?: boolean;
          timeoutMs: string;
          json?: boolean;
        },
        command: Command,
      ) => {
        const database = await ctx.openDatabase(ctx.loadConfig(command));
        const ops = opsOn(database);
        try {
          const result = await ops.explain(sql, {
            analyze: options.analyze === true,
            allowFunctions: options.allowFunctions === true,
            ...(options.tenant === undefined ? {} : { tenantId: options.tenant }),
            timeoutMs: Number(options.timeoutMs),
          });
          ctx.output(options.json === true, result, () => formatExplain(result));
        } finally {
          await database.close();
        }
      },
    );
}
