/**
 * `shannon-data bench ingest [--rows N] [--json]`: the write-path benchmark on the configured
 * database — raw COPY (1 and 2 streams), staging-COPY vs unnest upserts, the write path with durable
 * acknowledgements, one INSERT per row, p99 acknowledgement latency at half rate, replay of a spool
 * alone and while new writes arrive at half rate; with --json
 * the output carries `ratio_vs_copy` and `ratio_vs_row_by_row`. Rows are written under scratch
 * tenants that are deleted afterwards.
 */
import { Command } from 'commander';
import { DEFAULT_BENCH_INGEST_ROWS } from '../../devtools/devtools-defaults.js';
import { ValidationError } from '../../errors/errors.js';
import type { CliContext } from '../cli-context.js';

export function benchIngestCommand(ctx: CliContext): Command {
  return new Command('ingest')
    .description(
      'rows/s of raw COPY, the write path (durable acks), spool replay (alone and under load) and one INSERT per row; p99 ack latency',
    )
    .option('--rows <n>', 'rows per phase', String(DEFAULT_BENCH_INGEST_ROWS))
    .option('--json', 'print the result as JSON')
    .action(async (options: { rows: string; json?: boolean }, command: Command) => {
      const json = options.json === true;
      const rows = Number(options.rows);
      if (!Number.isInteger(rows) || rows < 1_000)
        throw new ValidationError('--rows', '--rows must be an integer of at least 1000');
      // Loaded here, not at start-up: the benchmark is a development tool.
      const { formatIngestBenchmark, runIngestBenchmark } = await import(
        '../../devtools/bench/ingest-benchmark.js'
      );
      const dataLayer = await ctx.openDataLayer(ctx.loadConfig(command));
      try {
        const phases = [
          'copy',
          'copy2',
          'copy-batches',
          'staging',
          'unnest',
          'path',
          'latency',
          'replay',
          'replay-under-load',
          'row',
          'cleanup',
        ];
        const bar = ctx.progress(json, 'bench ingest', phases.length);
        let done = 0;
        const result = await runIngestBenchmark(dataLayer.db, {
          connectionString: dataLayer.databaseUrl,
          rows,
          onProgress: () => bar.update(done++),
        });
        bar.stop();
        ctx.output(json, result, () => formatIngestBenchmark(result));
      } finally {
        await dataLayer.close();
      }
    });
}
