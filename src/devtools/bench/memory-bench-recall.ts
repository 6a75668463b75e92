/**
 * The parts of `bench memory` about where recall fails, not only its mean:
 * - a clustered data set with very unequal cluster sizes (Zipf sizes, anisotropic noise) whose
 *   queries come from clusters chosen uniformly, so small clusters are asked about as often as
 *   large ones (the case where a graph search stays in a large neighbouring cluster);
 * - the spread of per-query recall: the share of queries under 0.5 and the 1st percentile;
 * - filtered search at 15 %, 1 % and 0.1 % selectivity through both planner paths (the exact scan
 *   of the candidates and the post-filtered graph), each with mean and worst-1 % recall and latency.
 */
import type { EmbeddedCollection } from '../../memory/embedded/embedded-collection.js';
import { composeFilter } from '../../memory/filter.js';

/** Seeded uniform [0, 1) (mulberry32). */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
}

function normalise(out: Float32Array, row: number, dim: number): void {
  let norm = 0;
  for (let d = 0; d < dim; d += 1) norm += (out[row + d] as number) ** 2;
  const inv = 1 / Math.sqrt(norm);
  for (let d = 0; d < dim; d += 1) out[row + d] = (out[row + d] as number) * inv;
}

/**
 * `n` points in `clusters` clusters of Zipf sizes (the largest about 1/H(clusters) of the data,
 * the smallest a handful), each with its own per-dimension spread; and `q` queries, each from a
 * cluster chosen uniformly. Unit vectors, flat.
 */
export function clusteredVectors(
  n: number,
  q: number,
  dim: number,
  seed: number,
  clusters = 200,
): { data: Float32Array; queries: Float32Array } {
  const u = uniform(seed);
  const g = normal(u);
  const weights = Array.from({ length: clusters }, (_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const centers = Array.from({ length: clusters }, () => {
    const c = new Float32Array(dim);
    for (let d = 0; d < dim; d += 1) c[d] = g();
    normalise(c, 0, dim);
    return c;
  });
  // Anisotropic: each cluster spreads more along some dimensions than others.
  const spreads = Array.from({ length: clusters }, () =>
    Float32Array.from({ length: dim }, () => (0.2 + Math.abs(g())) / Math.sqrt(dim)),
  );
  const point = (out: Float32Array, row: number, c: number) => {
    const center = centers[c] as Float32Array;
    const spread = spreads[c] as Float32Array;
    for (let d = 0; d < dim; d += 1) out[row + d] = (center[d] as number) + g() * (spread[d] as number) * 1.5;
    normalise(out, row, dim);
  };
  const data = new Float32Array(n * dim);
  let p = 0;
  for (let c = 0; c < clusters && p < n; c += 1) {
    const size = c === clusters - 1 ? n - p : Math.max(1, Math.round((n * (weights[c] as number)) / total));
    for (let i = 0; i < size && p < n; i += 1, p += 1) point(data, p * dim, c);
  }
  for (; p < n; p += 1) point(data, p * dim, 0);
  const queries = new Float32Array(q * dim);
  for (let i = 0; i < q; i += 1) point(queries, i * dim, Math.floor(u() * clusters));
  return { data, queries };
}

/** Per-query recall@k of `found` against `truth`. */
export function perQueryRecall(found: readonly string[][], truth: readonly string[][]): number[] {
  return truth.map((t, i) => {
    if (t.length === 0) return 1;
    const f = new Set(found[i]);
    return t.filter((id) => f.has(id)).length / t.length;
  });
}

/** The worst 1 % (1st percentile) and the share of queries under 0.5, from per-query recalls. */
export function recallSpread(recalls: readonly number[]): { p01: number; below_half_share: number } {
  const sorted = [...recalls].sort((a, b) => a - b);
  return {
    p01: round(sorted[Math.floor(0.01 * sorted.length)] ?? 1, 4),
    below_half_share: round(sorted.filter((r) => r < 0.5).length / Math.max(1, sorted.length), 4),
  };
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The share of points in each selectivity group; the group of point i is `groupOf(i)`. */
export const SELECTIVITIES = [
  { group: 'g15', share: 0.15 },
  { group: 'g1', share: 0.01 },
  { group: 'g01', share: 0.001 },
] as const;

/** The selectivity group of point `i`: 150 of each 1,000 in g15, 10 in g1, 1 in g01. */
export function groupOf(i: number): string {
  const r = i % 1000;
  return r < 150 ? 'g15' : r < 160 ? 'g1' : r < 161 ? 'g01' : 'other';
}

export interface PathFigures {
  recall_mean: number;
  recall_p01: number;
  p50_ms: number;
  p99_ms: number;
}

export interface SelectivityFigures {
  share: number;
  points: number;
  /** The path the planner takes on its own at this selectivity. */
  planner: 'exact' | 'graph';
  exact: PathFigures;
  graph: PathFigures;
  /**
   * A plain JavaScript scan of the same points (dot products over the group's members, sorted):
   * the baseline the exact path must at least match.
   */
  plain_scan: { p50_ms: number; p99_ms: number };
  /** Plain scan p50 ÷ exact path p50 (above 1: the exact path is faster). */
  exact_vs_plain_scan: number;
}

/**
 * Filtered search at each selectivity through both paths (`exact: true` / `exact: false` force
 * them), against brute-force truth over the group's members, for up to `limitQueries` queries.
 */
export function selectivityFigures(
  collection: EmbeddedCollection,
  data: Float32Array,
  queries: Float32Array,
  dim: number,
  n: number,
  tenantId: string,
  idOf: (i: number) => string,
  k: number,
  limitQueries: number,
  progress: (phase: string, done: number, total: number) => void,
): SelectivityFigures[] {
  const q = Math.min(limitQueries, queries.length / dim);
  return SELECTIVITIES.map(({ group, share }) => {
    const members: number[] = [];
    for (let i = 0; i < n; i += 1) if (groupOf(i) === group) members.push(i);
    const filter = composeFilter(tenantId, { must: [{ key: 'agent_id', match: { value: group } }] });
    const truth: string[][] = [];
    const found = { exact: [] as string[][], graph: [] as string[][] };
    const times = { exact: [] as number[], graph: [] as number[], plain: [] as number[] };
    for (let i = 0; i < q; i += 1) {
      const vector = queries.subarray(i * dim, (i + 1) * dim);
      const plainStarted = performance.now();
      truth.push(
        members
          .map((m) => {
            let dot = 0;
            for (let d = 0; d < dim; d += 1) dot += (data[m * dim + d] as number) * (vector[d] as number);
            return { id: idOf(m), dot };
          })
          .sort((a, b) => b.dot - a.dot)
          .slice(0, k)
          .map((s) => s.id),
      );
      times.plain.push(performance.now() - plainStarted);
      for (const path of ['exact', 'graph'] as const) {
        const t0 = performance.now();
        const hits = collection.search({
          vector,
          filter,
          limit: k,
          withVector: false,
          exact: path === 'exact',
        });
        times[path].push(performance.now() - t0);
        found[path].push(hits.map((h) => h.id));
      }
      if ((i + 1) % 10 === 0 || i + 1 === q) progress(`filtered ${share * 100} %`, i + 1, q);
    }
    const percentile = (values: number[], p: number) => {
      const sorted = [...values].sort((a, b) => a - b);
      return round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0);
    };
    const figures = (path: 'exact' | 'graph'): PathFigures => {
      const recalls = perQueryRecall(found[path], truth);
      return {
        recall_mean: round(recalls.reduce((a, b) => a + b, 0) / Math.max(1, recalls.length), 4),
        recall_p01: recallSpread(recalls).p01,
        p50_ms: percentile(times[path], 0.5),
        p99_ms: percentile(times[path], 0.99),
      };
    };
    const exact = figures('exact');
    const plainP50 = percentile(times.plain, 0.5);
    return {
      share,
      points: members.length,
      planner: collection.plansExact(filter) ? 'exact' : 'graph',
      exact,
      graph: figures('graph'),
      plain_scan: { p50_ms: plainP50, p99_ms: percentile(times.plain, 0.99) },
      exact_vs_plain_scan: exact.p50_ms > 0 ? round(plainP50 / exact.p50_ms, 2) : 0,
    };
  });
}
