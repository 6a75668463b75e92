/**
 * `shannon-data bench http [--duration S] [--connections N] [--batch N] [--json]`: HTTP batch ingest
 * vs library ingest in the same run (`ratio_http_vs_library`), and p99 of a task listing and a
 * memory search under load. Writes under a fresh `bench-http-*` tenant of the configured database.
 */
import { Command } from 'commander';
import type { HttpBenchmarkResult } from '../../devtools/bench/http-benchmark.js';
import {
  DEFAULT_BENCH_BATCH,
  DEFAULT_BENCH_CONNECTIONS,
  DEFAULT_BENCH_DURATION_SECONDS,
} from '../../devtools/devtools-defaults.js';
import { ValidationError } from '../../errors/errors.js';
import type { CliContext } from '../cli-context.js';

function positive(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new ValidationError(flag, `${flag} must be a positive integer`);
  return n;
}

/** Human rendering of the result. */
export function formatHttpBenchmark(r: HttpBenchmarkResult): string {
  const lat = (name: string, f: HttpBenchmarkResult['taskList']) =>
    `${name.padEnd(22)} ${f.requestsPerSecond.toFixed(0).padStart(8)} req/s  p50 ${f.p50Ms} ms  p99 ${f.p99Ms} ms  non-2xx ${f.non2xx}`;
  return [
    `${r.connections} connections, ${r.durationSeconds} s per phase, batches of ${r.batch} records (${r.machine.cpus} CPUs, Node ${r.machine.node})`,
    `ingest via library     ${r.ingest.library.recordsPerSecond} records/s`,
    `ingest via HTTP        ${r.ingest.http.recordsPerSecond} records/s  (p99 ${r.ingest.http.p99Ms} ms per batch)`,
    `ratio_http_vs_library  ${r.ratio_http_vs_library}`,
    lat('task listing', r.taskList),
    lat('memory search', r.memorySearch),
  ].join('\n');
}

export function benchHttpCommand(ctx: CliContext): Command {
  return new Command('http')
    .description(
      'HTTP vs library batch ingest (records/s and ratio), p99 of task listing and memory search under load',
    )
    .option('--duration <seconds>', 'seconds per phase', String(DEFAULT_BENCH_DURATION_SECONDS))
    .option(
      '--connections <n>',
      'concurrent connections (and library writers)',
      String(DEFAULT_BENCH_CONNECTIONS),
    )
    .option('--batch <n>', 'records per ingest batch', String(DEFAULT_BENCH_BATCH))
    .option('--json', 'print the result as JSON')
    .action(
      async (
        options: { duration: string; connections: string; batch: string; json?: boolean },
        command: Command,
      ) => {
        const json = options.json === true;
        const durationSeconds = positive('--duration', options.duration);
        const connections = positive('--connections', options.connections);
        const batch = positive('--batch', options.batch);
        // Loaded here, not at start-up: the benchmark and autocannon are development tools.
        const { loadAutocannon, runHttpBenchmark } = await import('../../devtools/bench/http-benchmark.js');
        // Before the data layer starts, so a missing autocannon fails fast.
        await loadAutocannon();
        const dataLayer = await ctx.openDataLayer(ctx.loadConfig(command));
        try {
          const result = await runHttpBenchmark(dataLayer, {
            durationSeconds,
            connections,
            batch,
            ...(json ? {} : { onPhase: (p: string) => process.stderr.write(`${p}…\n`) }),
          });
          ctx.output(json, result, () => formatHttpBenchmark(result));
        } finally {
          await dataLayer.close();
        }
      },
    );
}
