/**
 * Times every hot query (HOT_QUERIES) on the data already in the database: p50/p95/max latency per
 * query, measured at the client inside a read-only tenant transaction (so row-level security is
 * part of the cost), plus the indexes each plan uses.
 */
import { ValidationError } from '../../errors/errors.js';
import type { Queryable } from '../../postgres/queryable.js';
import { HOT_QUERIES, type HotQuerySample, pickHotQuerySample } from '../../stores/hot-queries.js';
import { ORIGINAL_QUERIES } from '../../stores/original-query-catalog.js';
import { planScans } from '../../stores/plan-scans.js';
import type { TenantScope } from '../../stores/tenant-scope.js';
import { DEFAULT_BENCH_ITERATIONS, DEFAULT_BENCH_WARMUP } from '../devtools-defaults.js';

export interface QueryBenchmarkOptions {
  iterations?: number;
  warmup?: number;
  /** Only the queries whose id starts with one of these (`T5`, `U4-user`). */
  only?: readonly string[];
  /** Also time Shannon's original statements (as the owner) for the worst patterns; default true. */
  originals?: boolean;
  /** Timed runs of each original (they are slow); default min(iterations, 20). */
  originalIterations?: number;
  onProgress?: (done: number, total: number) => void;
}

/** An original statement timed in the same run as its replacement. */
export interface OriginalTiming {
  id: string;
  replacedBy: string;
  title: string;
  iterations: number;
  p50Ms: number;
  p95Ms: number;
  /** p50 of the original divided by p50 of the replacement. */
  speedupP50: number | null;
}

export interface QueryTiming {
  id: string;
  title: string;
  iterations: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  /** Indexes in the plan (partition indexes under their parent's name pattern). */
  indexes: string[];
  /** Relations read by a sequential scan (small partitions only, see the hot-query test). */
  seqScans: string[];
}

export interface QueryBenchmarkResult {
  sample: Omit<HotQuerySample, 'now'>;
  iterations: number;
  results: QueryTiming[];
  originals: OriginalTiming[];
}

/** The value at quantile `q` (0..1) of ascending `sorted`, nearest rank. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

// Partition indexes are named <parent>_pYYYYMM_<columns>_idx; show one name per parent index.
const partitionSuffix = /_p\d{6}_|_default_/;

/**
 * Runs the benchmark. @throws ValidationError on bad options or when the database holds no tasks.
 */
export async function runQueryBenchmark(
  db: Queryable & TenantScope,
  options: QueryBenchmarkOptions = {},
): Promise<QueryBenchmarkResult> {
  const iterations = options.iterations ?? DEFAULT_BENCH_ITERATIONS;
  const warmup = options.warmup ?? DEFAULT_BENCH_WARMUP;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 100_000) {
    throw new ValidationError('iterations', 'iterations must be an integer between 1 and 100000');
  }
  if (!Number.isInteger(warmup) || warmup < 0 || warmup > 10_000) {
    throw new ValidationError('warmup', 'warmup must be an integer between 0 and 10000');
  }
  const sample = await pickHotQuerySample(db);
  if (sample === null) throw new ValidationError('database', 'the database holds no tasks; seed it first');
  const queries = HOT_QUERIES.filter(
    (q) => options.only === undefined || options.only.some((prefix) => q.id.startsWith(prefix)),
  );
  const results: QueryTiming[] = [];
  for (const [index, query] of queries.entries()) {
    const params = query.params(sample);
    const timing = await db.withTenant(
      sample.tenantId,
      async (tx) => {
        const plan = await tx.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${query.sql}`, params);
        const scans = planScans(plan.rows[0]?.['QUERY PLAN']);
        for (let i = 0; i < warmup; i += 1) await tx.query(query.sql, params);
        const samples: number[] = [];
        for (let i = 0; i < iterations; i += 1) {
          const started = performance.now();
          await tx.query(query.sql, params);
          samples.push(performance.now() - started);
        }
        samples.sort((a, b) => a - b);
        return {
          id: query.id,
          title: query.title,
          iterations,
          p50Ms: round(percentile(samples, 0.5)),
          p95Ms: round(percentile(samples, 0.95)),
          maxMs: round(samples[samples.length - 1]!),
          indexes: [
            ...new Set(
              scans.filter((s) => s.index !== null).map((s) => s.index!.replace(partitionSuffix, '_<part>_')),
            ),
          ],
          seqScans: [
            ...new Set(scans.filter((s) => s.nodeType === 'Seq Scan').map((s) => s.relation ?? '?')),
          ],
        };
      },
      { readOnly: true, operation: 'bench.queries' },
    );
    results.push(timing);
    options.onProgress?.(index + 1, queries.length);
  }
  const originals: OriginalTiming[] = [];
  if (options.originals ?? true) {
    const runs = options.originalIterations ?? Math.min(iterations, 20);
    for (const o of ORIGINAL_QUERIES) {
      const replacement = results.find((r) => r.id === o.replacedBy);
      if (replacement === undefined) continue;
      const samples: number[] = [];
      for (let i = 0; i < runs + 1; i += 1) {
        const started = performance.now();
        for (const st of o.statements) {
          await db.query(st.sql, st.params(sample), { operation: 'bench.original', timeoutMs: 120_000 });
        }
        // The first run only warms the cache.
        if (i > 0) samples.push(performance.now() - started);
      }
      samples.sort((a, b) => a - b);
      const p50 = percentile(samples, 0.5);
      originals.push({
        id: o.id,
        replacedBy: o.replacedBy,
        title: o.title,
        iterations: runs,
        p50Ms: round(p50),
        p95Ms: round(percentile(samples, 0.95)),
        speedupP50: replacement.p50Ms > 0 ? Math.round((p50 / replacement.p50Ms) * 10) / 10 : null,
      });
    }
  }
  const { now: _now, ...rest } = sample;
  return { sample: rest, iterations, results, originals };
}
