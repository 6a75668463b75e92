import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import usearch from 'usearch';
import type { PoolConfig } from '../../config/config.js';
import type { IndexedPoint } from '../../memory/backend.js';
import { collectionRegistry } from '../../memory/collections.js';
import { DEFAULT_EXPANSION_SEARCH, EmbeddedCollection } from '../../memory/embedded/embedded-collection.js';
import { composeFilter } from '../../memory/filter.js';
import { DEFAULT_MEMORY_TARGETS, type MemoryBenchTargets } from '../devtools-defaults.js';
import {
  DEFAULT_BENCH_POOL,
  type OutboxFigures,
  outboxThroughput,
  withScratchDatabase,
} from './memory-bench-outbox.js';
import {
  clusteredVectors,
  groupOf,
  perQueryRecall,
  recallSpread,
  type SelectivityFigures,
  selectivityFigures,
} from './memory-bench-recall.js';
import { type RestartFigures, restartFigures } from './memory-bench-restart.js';

export interface MemoryBenchOptions {
  points?: number;
  dimension?: number;
  /** Queries for recall and throughput. */
  queries?: number;
  sessions?: number;
  /** Points written through PostgreSQL + outbox (0 or no `databaseUrl` skips that part). */
  outboxPoints?: number;
  /** Server on which a scratch database is created (and dropped) for the outbox part. */
  databaseUrl?: string;
  pool?: PoolConfig;
  seed?: number;
  /** Overrides the collection's full-scan threshold (KB); 0 forces the graph for unfiltered search (small CI runs). */
  fullScanThresholdKb?: number;
  /**
   * `low-rank` (default): embedding-like vectors. `clustered`: Zipf-sized anisotropic clusters,
   * queries from clusters chosen uniformly (src/devtools/bench/memory-bench-recall.ts).
   */
  data?: 'low-rank' | 'clustered';
  /** Queries of each filtered-selectivity phase (15 %, 1 %, 0.1 %; default 100, 0 skips). */
  selectivityQueries?: number;
  /** Snapshot the index and time a restart against PostgreSQL (needs `databaseUrl`; default true). */
  restart?: boolean;
  /** What counts as met; defaults to {@link DEFAULT_MEMORY_TARGETS}. */
  targets?: Partial<MemoryBenchTargets>;
  /**
   * Progress of the phases that have units to count (build, search, filtered, outbox upsert);
   * generating the vectors and the exact baseline are one call each and report nothing.
   */
  onProgress?: (phase: string, done: number, total: number) => void;
}

export interface MemoryBenchResult {
  points: number;
  dimension: number;
  queries: number;
  k: number;
  ef_search: number;
  /** How the graph stores vectors (results are re-scored from float32). */
  quantization: string;
  build_seconds: number;
  adds_per_second: number;
  /** The same figure under the name the million-point goal uses. */
  build_points_per_second: number;
  /** Bytes of the saved graph per point (vectors as quantized plus links), and of float32 alone. */
  index_bytes_per_vector: number;
  float32_bytes_per_vector: number;
  /** Resident memory of the process after the build (the data set's own copy included). */
  rss_bytes_after_build: number;
  /** Snapshot opened and caught up from PostgreSQL (null when no database was given). */
  restart_seconds: number | null;
  restart: RestartFigures | null;
  recall_at_10: number;
  /** The data set the figures are for. */
  data: 'low-rank' | 'clustered';
  /** The worst 1 % of per-query recall@10 (1st percentile), single-query path. */
  recall_p01: number;
  /** Share of queries whose recall@10 is under 0.5 (goal: 0). */
  queries_below_half_share: number;
  /** Share of single-path queries retried wider (best score far below the typical). */
  widened_share: number;
  hnsw_batch_qps: number;
  exact_batch_qps: number;
  speedup_vs_exact: number;
  single_query: {
    hnsw_qps: number;
    hnsw_p50_ms: number;
    hnsw_p99_ms: number;
    exact_qps: number;
    speedup: number;
  };
  filtered: {
    points_per_session: number;
    p50_ms: number;
    p99_ms: number;
    recall_at_10: number;
    exact: boolean;
  };
  /** Filtered search at 15 %, 1 % and 0.1 % selectivity through both planner paths. */
  selectivity: SelectivityFigures[];
  outbox: OutboxFigures | null;
  targets: MemoryBenchTargets;
  met_targets: boolean;
}

const K = 10;
const TENANT = '00000000-0000-4000-8000-00000000be0c';

/** Seeded PRNG (mulberry32) and Gaussian samples (Box–Muller). */
function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

/** `n` embedding-like unit vectors (low-rank + noise), flat. */
export function lowRankVectors(n: number, dim: number, seed: number, rank = 64, noise = 0.1): Float32Array {
  const g = gaussian(seed);
  const basis = gaussian(7919); // the same map for every call: data and queries share the latent space
  const map = new Float32Array(dim * rank);
  for (let i = 0; i < map.length; i += 1) map[i] = basis();
  const spectrum = Float32Array.from({ length: rank }, (_, k) => 1 / Math.sqrt(k + 1));
  const out = new Float32Array(n * dim);
  const z = new Float32Array(rank);
  for (let p = 0; p < n; p += 1) {
    for (let k = 0; k < rank; k += 1) z[k] = g() * (spectrum[k] as number);
    let norm = 0;
    const row = p * dim;
    for (let d = 0; d < dim; d += 1) {
      let v = 0;
      const m = d * rank;
      for (let k = 0; k < rank; k += 1) v += (map[m + k] as number) * (z[k] as number);
      v = v / Math.sqrt(rank) + ((noise * g()) / Math.sqrt(dim)) * 8;
      out[row + d] = v;
      norm += v * v;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let d = 0; d < dim; d += 1) out[row + d] = (out[row + d] as number) * inv;
  }
  return out;
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

function recall(found: string[][], truth: string[][]): number {
  let hits = 0;
  truth.forEach((t, i) => {
    const f = new Set(found[i]);
    for (const id of t) if (f.has(id)) hits += 1;
  });
  return hits / (truth.length * K);
}

const idOf = (i: number) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

/** Runs the benchmark; a full run (100k × 768) takes a few minutes on 2 cores. */
export async function runMemoryBenchmark(options: MemoryBenchOptions = {}): Promise<MemoryBenchResult> {
  const n = options.points ?? 100_000;
  const dim = options.dimension ?? 768;
  const q = options.queries ?? 1000;
  const sessions = options.sessions ?? Math.max(1, Math.floor(n / 100));
  const progress = options.onProgress ?? (() => undefined);
  const seed = options.seed ?? 42;
  const targets: MemoryBenchTargets = { ...DEFAULT_MEMORY_TARGETS, ...options.targets };

  const dataSet = options.data ?? 'low-rank';
  const { data, queries } =
    dataSet === 'clustered'
      ? clusteredVectors(n, q, dim, seed)
      : { data: lowRankVectors(n, dim, seed), queries: lowRankVectors(q, dim, seed + 1) };

  const base = collectionRegistry(dim).get('task_embeddings');
  if (base === undefined) throw new Error('task_embeddings is missing from the registry');
  const def = {
    ...base,
    dimension: dim,
    hnsw: { ...base.hnsw, fullScanThresholdKb: options.fullScanThresholdKb ?? base.hnsw.fullScanThresholdKb },
  };
  const collection = new EmbeddedCollection(def);
  const buildStarted = performance.now();
  const batch = 5000;
  for (let start = 0; start < n; start += batch) {
    const points: IndexedPoint[] = [];
    for (let i = start; i < Math.min(n, start + batch); i += 1) {
      points.push({
        id: idOf(i),
        key: BigInt(i + 1),
        vector: data.subarray(i * dim, (i + 1) * dim),
        payload: {
          tenant_id: TENANT,
          session_id: `s${i % sessions}`,
          agent_id: groupOf(i),
          timestamp: i,
          _version: 1,
        },
        version: 1,
      });
    }
    collection.upsert(points);
    progress('build', Math.min(n, start + batch), n);
  }
  const buildSeconds = (performance.now() - buildStarted) / 1000;
  const rssAfterBuild = process.memoryUsage().rss;

  // Exact ground truth, the fast way: usearch's SIMD brute force over all queries on all threads.
  const exactStarted = performance.now();
  const exact = usearch.exactSearch(data, queries, dim, K, usearch.MetricKind.Cos, 0) as InstanceType<
    typeof usearch.BatchMatches
  >;
  const exactSeconds = (performance.now() - exactStarted) / 1000;
  const truth = Array.from({ length: q }, (_, i) =>
    Array.from(exact.get(i).keys, (key) => idOf(Number(key))),
  );

  const hnswStarted = performance.now();
  const batchFound = collection.graphSearchBatch(queries, K, 0);
  const hnswSeconds = (performance.now() - hnswStarted) / 1000;

  // The production path: one query at a time through the backend's search (tenant filter composed).
  const tenantOnly = composeFilter(TENANT, undefined);
  const latencies: number[] = [];
  const single: string[][] = [];
  const widenedBefore = collection.widened;
  for (let i = 0; i < q; i += 1) {
    const vector = queries.subarray(i * dim, (i + 1) * dim);
    const t0 = performance.now();
    const hits = collection.search({ vector, filter: tenantOnly, limit: K, withVector: false });
    latencies.push(performance.now() - t0);
    single.push(hits.map((h) => h.id));
    if ((i + 1) % 50 === 0 || i + 1 === q) progress('search', i + 1, q);
  }
  const widenedShare = (collection.widened - widenedBefore) / q;
  latencies.sort((a, b) => a - b);
  const singleQps = q / (latencies.reduce((a, b) => a + b, 0) / 1000);
  // Exact single-query baseline on one thread (a sample is enough: it is slow by design).
  const exactSample = Math.min(q, 50);
  const exactSingleStarted = performance.now();
  for (let i = 0; i < exactSample; i += 1) {
    usearch.exactSearch(data, queries.slice(i * dim, (i + 1) * dim), dim, K, usearch.MetricKind.Cos, 1);
  }
  const exactSingleQps = exactSample / ((performance.now() - exactSingleStarted) / 1000);

  // Session-filtered search: ~n/sessions points match; exact over the candidates.
  const filteredLatencies: number[] = [];
  let filteredHits = 0;
  const fq = Math.min(q, 200);
  for (let i = 0; i < fq; i += 1) {
    const session = i % sessions;
    const vector = queries.subarray(i * dim, (i + 1) * dim);
    const filter = composeFilter(TENANT, { must: [{ key: 'session_id', match: { value: `s${session}` } }] });
    const t0 = performance.now();
    const hits = collection.search({ vector, filter, limit: K, withVector: false });
    filteredLatencies.push(performance.now() - t0);
    // Truth: brute force over the session's members (ids i ≡ session mod sessions).
    const members: number[] = [];
    for (let m = session; m < n; m += sessions) members.push(m);
    const scored = members
      .map((m) => {
        let dot = 0;
        for (let d = 0; d < dim; d += 1) dot += (data[m * dim + d] as number) * (vector[d] as number);
        return { id: idOf(m), dot };
      })
      .sort((a, b) => b.dot - a.dot)
      .slice(0, K);
    const got = new Set(hits.map((h) => h.id));
    filteredHits += scored.filter((s) => got.has(s.id)).length / Math.min(K, members.length);
    if ((i + 1) % 10 === 0 || i + 1 === fq) progress('filtered', i + 1, fq);
  }
  filteredLatencies.sort((a, b) => a - b);

  const selectivity =
    (options.selectivityQueries ?? 100) > 0
      ? selectivityFigures(
          collection,
          data,
          queries,
          dim,
          n,
          TENANT,
          idOf,
          K,
          options.selectivityQueries ?? 100,
          progress,
        )
      : [];

  let outbox: MemoryBenchResult['outbox'] = null;
  if (options.databaseUrl !== undefined && (options.outboxPoints ?? 20_000) > 0) {
    const url = options.databaseUrl;
    const count = Math.min(n, options.outboxPoints ?? 20_000);
    outbox = await withScratchDatabase(url, options.pool ?? DEFAULT_BENCH_POOL, (db) =>
      outboxThroughput(db, data, dim, count, progress, (c, d) => lowRankVectors(c, d, 5)),
    );
  }

  let restart: RestartFigures | null = null;
  let graphBytes: number;
  if (options.databaseUrl !== undefined && options.restart !== false) {
    restart = await restartFigures(
      options.databaseUrl,
      options.pool ?? DEFAULT_BENCH_POOL,
      def,
      collection,
      TENANT,
      n,
      (i) => data.subarray(i * dim, (i + 1) * dim),
      progress,
    );
    graphBytes = restart.snapshot_bytes.graph;
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'shannon-bench-memory-'));
    try {
      graphBytes = collection.saveSnapshot(dir).graphBytes;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const recallAt10 = recall(single, truth);
  const spread = recallSpread(perQueryRecall(single, truth));
  const hnswBatchQps = q / hnswSeconds;
  const exactBatchQps = q / exactSeconds;
  const speedup = hnswBatchQps / exactBatchQps;
  const result: MemoryBenchResult = {
    points: n,
    dimension: dim,
    queries: q,
    k: K,
    ef_search: DEFAULT_EXPANSION_SEARCH,
    quantization: collection.quantization,
    build_seconds: round(buildSeconds),
    adds_per_second: Math.round(n / buildSeconds),
    build_points_per_second: Math.round(n / buildSeconds),
    index_bytes_per_vector: Math.round(graphBytes / n),
    float32_bytes_per_vector: dim * 4,
    rss_bytes_after_build: rssAfterBuild,
    restart_seconds: restart?.restart_seconds ?? null,
    restart,
    recall_at_10: round(recallAt10, 4),
    data: dataSet,
    recall_p01: spread.p01,
    queries_below_half_share: spread.below_half_share,
    widened_share: round(widenedShare, 4),
    hnsw_batch_qps: Math.round(hnswBatchQps),
    exact_batch_qps: round(exactBatchQps, 1),
    speedup_vs_exact: round(speedup, 2),
    single_query: {
      hnsw_qps: Math.round(singleQps),
      hnsw_p50_ms: round(percentile(latencies, 0.5), 3),
      hnsw_p99_ms: round(percentile(latencies, 0.99), 3),
      exact_qps: round(exactSingleQps, 1),
      speedup: round(singleQps / exactSingleQps, 2),
    },
    filtered: {
      points_per_session: Math.round(n / sessions),
      p50_ms: round(percentile(filteredLatencies, 0.5), 3),
      p99_ms: round(percentile(filteredLatencies, 0.99), 3),
      recall_at_10: round(filteredHits / fq, 4),
      exact: true,
    },
    selectivity,
    outbox,
    targets,
    met_targets: recallAt10 >= targets.recall_at_10 && speedup >= targets.speedup_vs_exact,
  };
  // Batch recall is reported implicitly: the batch uses the same graph and ef as the single path.
  void recall(batchFound, truth);
  return result;
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
