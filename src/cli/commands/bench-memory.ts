/**
 * `shannon-data bench memory [--points N] [--dimension D] [--queries Q] [--outbox-points M]
 *   [--data low-rank|clustered] [--selectivity-queries N] [--target-recall R] [--target-speedup X] [--no-restart] [--json]`:
 * recall@10 of the embedded index against exact search (mean, worst 1 %, share under 0.5),
 * throughput against SIMD brute force, session-filtered latency, filtered search at 15 %, 1 % and
 * 0.1 % selectivity through both planner paths, and upsert throughput through the outbox (in a scratch database on the
 * configured server, dropped afterwards), and a restart: the index snapshotted, the points mirrored
 * into a scratch database, 1 % changed there, the snapshot opened and caught up. A full run (100k × 768) takes several minutes on 2 cores.
 * Exit 1 when a target (recall@10, speed-up over exact search) is not met.
 */
import { Command } from 'commander';
import type { MemoryBenchResult } from '../../devtools/bench/memory-benchmark.js';
import { DEFAULT_MEMORY_TARGETS } from '../../devtools/devtools-defaults.js';
import { ValidationError } from '../../errors/errors.js';
import { type CliContext, EXIT } from '../cli-context.js';

function positiveInt(flag: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new ValidationError(flag, `${flag} must be a non-negative integer`);
  return n;
}

function positiveNumber(flag: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new ValidationError(flag, `${flag} must be a positive number`);
  return n;
}

/** Human rendering of a result. */
export function formatMemoryBenchmark(r: MemoryBenchResult): string {
  return [
    `${r.points} × ${r.dimension}-d ${r.data} vectors, ${r.queries} queries, k=${r.k}, ef_search=${r.ef_search}`,
    `build ${r.build_seconds} s (${r.adds_per_second} adds/s); graph ${r.quantization}, ${r.index_bytes_per_vector} bytes/vector (float32 alone: ${r.float32_bytes_per_vector}); resident ${Math.round(r.rss_bytes_after_build / 2 ** 20)} MiB after the build`,
    `recall@10 ${r.recall_at_10} (target ≥ ${r.targets.recall_at_10}); worst 1 % ${r.recall_p01}; queries under 0.5: ${r.queries_below_half_share * 100} %; retried wider: ${r.widened_share * 100} %`,
    `throughput: HNSW ${r.hnsw_batch_qps} q/s vs exact SIMD ${r.exact_batch_qps} q/s → ${r.speedup_vs_exact}× (target ≥ ${r.targets.speedup_vs_exact}×)`,
    `single query: HNSW ${r.single_query.hnsw_qps} q/s (p50 ${r.single_query.hnsw_p50_ms} ms, p99 ${r.single_query.hnsw_p99_ms} ms) vs exact ${r.single_query.exact_qps} q/s → ${r.single_query.speedup}×`,
    `session-filtered (${r.filtered.points_per_session} points/session, exact): p50 ${r.filtered.p50_ms} ms, p99 ${r.filtered.p99_ms} ms, recall@10 ${r.filtered.recall_at_10}`,
    ...r.selectivity.map(
      (s) =>
        `filtered ${s.share * 100} % (${s.points} points, planner: ${s.planner}): exact recall ${s.exact.recall_mean} (worst 1 % ${s.exact.recall_p01}), p50 ${s.exact.p50_ms} ms, p99 ${s.exact.p99_ms} ms; graph recall ${s.graph.recall_mean} (worst 1 % ${s.graph.recall_p01}), p50 ${s.graph.p50_ms} ms, p99 ${s.graph.p99_ms} ms; plain JS scan p50 ${s.plain_scan.p50_ms} ms (exact path ${s.exact_vs_plain_scan}× as fast)`,
    ),
    r.outbox === null
      ? 'outbox: skipped'
      : `outbox: ${r.outbox.points} points, upsert ${r.outbox.upsert_points_per_second}/s into PostgreSQL, relay ${r.outbox.relay_points_per_second}/s into the index`,
    r.restart === null
      ? 'restart: skipped'
      : `restart: snapshot saved in ${r.restart.snapshot_seconds} s; opened and caught up from PostgreSQL (${r.restart.changed_while_down} of ${r.restart.points} points changed while down) in ${r.restart.restart_seconds} s`,
    `targets ${r.met_targets ? 'met' : 'NOT met'}`,
  ].join('\n');
}

export function benchMemoryCommand(ctx: CliContext): Command {
  return new Command('memory')
    .description(
      'Vector memory benchmark: recall@10, speed-up over exact search, filtered latency, outbox throughput; exit 1 when a target is not met',
    )
    .option('--points <n>', 'vectors in the index', '100000')
    .option('--dimension <d>', 'vector dimension', '768')
    .option('--queries <n>', 'queries for recall and throughput', '1000')
    .option('--outbox-points <n>', 'points written through PostgreSQL + outbox (0 skips)', '20000')
    .option('--data <kind>', 'low-rank (embedding-like) or clustered (Zipf-sized clusters)', 'low-rank')
    .option(
      '--selectivity-queries <n>',
      'queries per filtered selectivity (15 %, 1 %, 0.1 %; 0 skips)',
      '100',
    )
    .option(
      '--target-recall <r>',
      'recall@10 that counts as met (0–1]',
      String(DEFAULT_MEMORY_TARGETS.recall_at_10),
    )
    .option(
      '--target-speedup <x>',
      'batch speed-up over exact search that counts as met',
      String(DEFAULT_MEMORY_TARGETS.speedup_vs_exact),
    )
    .option('--no-restart', 'skip the snapshot-and-restart phase (it needs the database)')
    .option('--json', 'print as JSON')
    .action(
      async (
        options: {
          points: string;
          dimension: string;
          queries: string;
          outboxPoints: string;
          data: string;
          selectivityQueries: string;
          targetRecall: string;
          targetSpeedup: string;
          json?: boolean;
          restart: boolean;
        },
        command: Command,
      ) => {
        const config = ctx.loadConfig(command);
        // Loaded here, not at start-up: the benchmark is a development tool.
        const { runMemoryBenchmark } = await import('../../devtools/bench/memory-benchmark.js');
        const outboxPoints = positiveInt('--outbox-points', options.outboxPoints);
        if (options.data !== 'low-rank' && options.data !== 'clustered')
          throw new ValidationError('--data', '--data must be low-rank or clustered');
        const targetRecall = positiveNumber('--target-recall', options.targetRecall);
        if (targetRecall > 1)
          throw new ValidationError('--target-recall', '--target-recall must be at most 1');
        const targets = {
          recall_at_10: targetRecall,
          speedup_vs_exact: positiveNumber('--target-speedup', options.targetSpeedup),
        };
        const layer = outboxPoints > 0 || options.restart ? await ctx.openDataLayer(config) : undefined;
        const json = options.json === true;
        let bar: ReturnType<CliContext['progress']> | undefined;
        let phase = '';
        try {
          const result = await runMemoryBenchmark({
            points: positiveInt('--points', options.points),
            dimension: positiveInt('--dimension', options.dimension),
            queries: positiveInt('--queries', options.queries),
            outboxPoints,
            data: options.data,
            selectivityQueries: positiveInt('--selectivity-queries', options.selectivityQueries),
            restart: options.restart,
            targets,
            ...(layer === undefined ? {} : { databaseUrl: layer.databaseUrl, pool: config.pool }),
            onProgress: (name, done, total) => {
              if (name !== phase) {
                bar?.stop();
                phase = name;
                bar = ctx.progress(json, name, total);
              }
              bar?.update(done, total);
            },
          });
          bar?.stop();
          ctx.output(json, result, () => formatMemoryBenchmark(result));
          // A missed target is a finding: scripts and CI read the exit status, not the text.
          if (!result.met_targets) process.exitCode = EXIT.FINDINGS;
        } finally {
          await layer?.close();
        }
      },
    );
}
