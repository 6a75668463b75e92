/**
 * One collection of the embedded backend: a usearch HNSW graph over a slot store (slot-store.ts:
 * every point's vector, payload, tenant and version, and the filter planner), and its snapshots on
 * disk. The graph holds int8-quantized vectors (a quarter of float32, and its distances are several
 * times cheaper, so it builds and searches faster); its candidates are re-scored exactly from the
 * float32 vectors of the slot store before results are returned. Filters are evaluated in JS on the
 * candidate set; when the filter is selective the search is exact (usearch's SIMD `exactSearch`
 * over the gathered candidates), as Qdrant's planner does below full_scan_threshold.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import usearch from 'usearch';
import type { BackendScrollRequest, BackendSearchRequest, IndexedPoint, ScoredPoint } from '../backend.js';
import type { CollectionDefinition } from '../collections.js';
import type { Filter } from '../filter.js';
import { ScoreBaseline } from './score-baseline.js';
import { SlotStore } from './slot-store.js';

/**
 * HNSW search breadth. On the int8 graph with exact re-scoring, 100,000 × 768 embedding-like points:
 * recall@10 0.972 at ef 128, 0.993 at 256 (1,400 q/s on 2 threads, 15 × exact SIMD), 0.998 at 512
 * (875 q/s, under 10 ×); docs/benchmarks.md.
 */
export const DEFAULT_EXPANSION_SEARCH = 256;
/** HNSW build breadth (the bench's efConstruction). */
export const DEFAULT_EXPANSION_ADD = 128;
/**
 * Graph candidates re-scored exactly per result wanted (at least RERANK_MIN): the int8 distances
 * order near neighbours roughly, the float32 re-score puts them in their true order. Same data as
 * above at ef 256: 10 candidates for 10 results give recall 0.920, 40 give 0.993.
 */
export const RERANK_FACTOR = 4;
const RERANK_MIN = 40;

/** How the graph stores its vectors; the slot store always keeps float32 for the exact re-score. */
export type GraphQuantization = 'i8' | 'f16' | 'f32';
export const DEFAULT_GRAPH_QUANTIZATION: GraphQuantization = 'i8';

/** Above this share of matching points a filtered search uses the graph and post-filters. */
export const EXACT_SELECTIVITY = 0.1;

/**
 * How much wider a filtered graph search starts: FILTERED_BREADTH × limit ÷ the share of points the
 * filter keeps (the old start, 32 widened ×4 until `limit` matches, stopped at the first matches
 * found, not the nearest). `bench memory --points 100000 --selectivity-queries 50`, filter keeping
 * 15 %: graph-path recall@10 0.932 → 0.982, p50 7.4 → 7.0 ms (docs/benchmarks.md).
 */
export const FILTERED_BREADTH = 4;

/** How much wider a graph search is retried when its best score is far below the typical. */
export const WIDEN = 4;

/**
 * 2: one generation directory named by CURRENT, holding the graph, its quantization, and the slot
 * store (format 1 held a float32 graph and key/version lists only; it is rebuilt).
 */
const SNAPSHOT_FORMAT = 2;
const GRAPH_FILE = 'graph.usearch';
const VECTORS_FILE = 'vectors.f32';
const RECORDS_FILE = 'points.ndjson';
const META_FILE = 'meta.json';
/** Stale points fetched from PostgreSQL per round trip during an incremental catch-up. */
const CATCH_UP_CHUNK = 2000;

interface SnapshotMeta {
  format: number;
  dimension: number;
  quantization: GraphQuantization;
  connectivity: number;
  count: number;
  graphBytes: number;
  savedAt: string;
}

/** Id, graph key and version of a point as PostgreSQL holds it. */
export interface PointVersion {
  id: string;
  key: bigint;
  version: number;
}

/** What an incremental catch-up reads from PostgreSQL. */
export interface IncrementalSource {
  /** Every point's id, key and version, in pages. */
  versions(): AsyncIterable<PointVersion[]>;
  /** The current rows of these points (absent ones are left out). */
  byIds(ids: readonly string[]): Promise<IndexedPoint[]>;
}

/** fsync of a file or directory. */
function flush(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Tuning of one embedded collection. */
export interface EmbeddedCollectionOptions {
  expansionSearch?: number;
  expansionAdd?: number;
  /** Threads for batch adds and exact search (0 = all cores). */
  threads?: number;
  /** How the graph stores vectors (default int8; results are re-scored from float32 either way). */
  quantization?: GraphQuantization;
  /**
   * Links per node (default the collection's `hnsw.m`, 16). 32 suits data of very unequal clusters:
   * clustered 100,000 × 768 at ef 256, recall@10 0.813 → 0.890 and queries under 0.5 20 → 4 of 500
   * at the same query rate; on embedding-like data it costs throughput instead (0.9937 at 11.6 ×
   * exact → 0.9977 at 9.3 ×), builds 18 % slower and takes 128 more bytes a node
   * (docs/benchmarks.md).
   */
  connectivity?: number;
}

function connectivityOf(definition: CollectionDefinition, options: EmbeddedCollectionOptions): number {
  return options.connectivity ?? definition.hnsw.m;
}

const SCALAR_KINDS = {
  i8: usearch.ScalarKind.I8,
  f16: usearch.ScalarKind.F16,
  f32: usearch.ScalarKind.F32,
} as const;

/** How many graph candidates are re-scored for `limit` results. */
export function rerankCandidates(limit: number): number {
  return Math.max(limit * RERANK_FACTOR, RERANK_MIN);
}

function newIndex(definition: CollectionDefinition, options: EmbeddedCollectionOptions) {
  return new usearch.Index({
    dimensions: definition.dimension,
    metric: usearch.MetricKind.Cos,
    quantization: SCALAR_KINDS[options.quantization ?? DEFAULT_GRAPH_QUANTIZATION],
    connectivity: connectivityOf(definition, options),
    expansion_add: options.expansionAdd ?? DEFAULT_EXPANSION_ADD,
    expansion_search: options.expansionSearch ?? DEFAULT_EXPANSION_SEARCH,
    multi: false,
  });
}

/**
 * The usearch binding reads a typed array from the start of its buffer and ignores `byteOffset`,
 * so a subarray must be copied before it is handed over.
 */
function own(vector: Float32Array): Float32Array {
  return vector.byteOffset === 0 && vector.length * 4 === vector.buffer.byteLength ? vector : vector.slice();
}

/**
 * Largest gather buffer exact searches keep between calls (64 MiB: 21,000 vectors of 768
 * dimensions). Larger candidate sets get a fresh array each time.
 */
const SCRATCH_MAX_FLOATS = 16 * 1024 * 1024;

/**
 * The exact search's gather buffer, shared by every collection of the process and reused (a
 * search is synchronous, so one runs at a time): a fresh array of tens of MB per query cost more
 * in page faults than the copy itself (docs/benchmarks.md, "Filtered search").
 */
let scratch: Float32Array | undefined;

/** A buffer of at least `floats` floats to gather into, or undefined above SCRATCH_MAX_FLOATS. */
function gatherBuffer(floats: number): Float32Array | undefined {
  if (floats > SCRATCH_MAX_FLOATS) return undefined;
  if (scratch === undefined || scratch.length < floats)
    scratch = new Float32Array(Math.min(SCRATCH_MAX_FLOATS, Math.max(floats, 2 * (scratch?.length ?? 0))));
  return scratch;
}

/** An in-process collection: HNSW graph + slot store. */
export class EmbeddedCollection {
  readonly definition: CollectionDefinition;
  private readonly options: EmbeddedCollectionOptions;

  private index: InstanceType<typeof usearch.Index>;
  private slots: SlotStore;
  private readonly dim: number;
  /** Changes since the last snapshot. */
  dirty = 0;
  /** Graph searches retried wider because their best score was far below the typical. */
  widened = 0;
  private readonly baseline = new ScoreBaseline();

  constructor(definition: CollectionDefinition, options: EmbeddedCollectionOptions = {}) {
    this.definition = definition;
    this.options = options;
    this.dim = definition.dimension;
    this.index = newIndex(definition, options);
    this.slots = new SlotStore(definition);
  }

  get size(): number {
    return this.slots.size;
  }

  get quantization(): GraphQuantization {
    return this.options.quantization ?? DEFAULT_GRAPH_QUANTIZATION;
  }

  get indexedVectors(): number {
    return this.index.size();
  }

  /**
   * Stores points in the slot store (an older version than the one held is ignored) without
   * touching the graph. Returns the points whose graph entry must be (re)built.
   */
  store(points: readonly IndexedPoint[]): IndexedPoint[] {
    return this.slots.store(points, (oldKey) => {
      // The point was deleted and written again: it has a new key, the old graph entry goes.
      if (this.index.contains(oldKey) === true) this.index.remove(oldKey);
    });
  }

  /** Inserts points into the graph in one multi-threaded batch (replacing entries with the same key). */
  addToGraph(points: readonly IndexedPoint[]): void {
    if (points.length === 0) return;
    const keys = new BigUint64Array(points.length);
    const flat = new Float32Array(points.length * this.dim);
    points.forEach((p, i) => {
      keys[i] = p.key;
      flat.set(p.vector, i * this.dim);
    });
    const present = this.index.contains(keys) as boolean[];
    const stale = keys.filter((_, i) => present[i] === true);
    if (stale.length > 0) this.index.remove(stale);
    this.index.add(keys, flat, this.options.threads ?? 0);
    this.dirty += points.length;
  }

  /** Applies an outbox delivery: store + graph. */
  upsert(points: readonly IndexedPoint[]): void {
    this.addToGraph(this.store(points));
  }

  /** Removes points by id. */
  delete(ids: readonly string[]): void {
    const keys = this.slots.delete(ids);
    if (keys.length > 0) {
      this.index.remove(BigUint64Array.from(keys));
      this.dirty += keys.length;
    }
  }

  /** Exact top-k over the given slots with usearch's SIMD kernel. */
  exactSearch(
    slots: readonly number[],
    query: Float32Array,
    limit: number,
  ): Array<{ slot: number; score: number }> {
    if (slots.length === 0) return [];
    const k = Math.min(limit, slots.length);
    // usearch reads the view's buffer from its start, so the gathered view must begin at offset 0.
    const found = usearch.exactSearch(
      this.slots.gather(slots, gatherBuffer(slots.length * this.dim)),
      own(query),
      this.dim,
      k,
      usearch.MetricKind.Cos,
      // One query over a filtered subset: a thread pool costs more than it saves.
      1,
    );
    const out: Array<{ slot: number; score: number }> = [];
    for (let i = 0; i < found.keys.length; i += 1) {
      out.push({ slot: slots[Number(found.keys[i])] as number, score: 1 - (found.distances[i] as number) });
    }
    return out;
  }

  /**
   * Graph search, post-filtered and re-scored: collects `rerankCandidates(limit)` accepted
   * candidates from the quantized graph (widening k until it has them, or as many as the filter can
   * match, or the graph is exhausted) and returns the exact top `limit` of them from float32. A
   * filter that keeps `matches` of the points starts the search that much wider (FILTERED_BREADTH ×
   * limit ÷ the share kept): the first matches found in a narrow search are often not the nearest.
   * A search whose best score is far below the collection's typical best (ScoreBaseline) is
   * retried once WIDEN × as wide, and the better of the two answers is kept.
   */
  private graphSearch(
    query: Float32Array,
    limit: number,
    accepts: (slot: number) => boolean,
    matches: number,
  ) {
    const total = this.index.size();
    const wanted = rerankCandidates(limit);
    const adapted =
      matches < this.size ? Math.ceil((FILTERED_BREADTH * limit * this.size) / Math.max(1, matches)) : 0;
    const first = this.walk(query, Math.max(wanted, adapted), wanted, accepts, matches);
    const best = first.hits[0]?.score;
    if (best === undefined || !this.baseline.isLow(best) || first.k >= total) {
      if (best !== undefined) this.baseline.record(best);
      return first.hits.slice(0, limit);
    }
    // Far below the typical best: the walk likely stayed in the wrong region. Once, WIDEN × as
    // wide (usearch's breadth is max(ef_search, k)) with WIDEN × the candidates re-scored.
    const breadth = WIDEN * Math.max(first.k, this.options.expansionSearch ?? DEFAULT_EXPANSION_SEARCH);
    const wider = this.walk(query, breadth, WIDEN * wanted, accepts, matches);
    this.widened += 1;
    const hits = (wider.hits[0]?.score ?? -2) >= best ? wider.hits : first.hits;
    this.baseline.record(hits[0]?.score ?? best);
    return hits.slice(0, limit);
  }

  /**
   * One graph walk of breadth `k`, widened ×4 until `wanted` accepted candidates (or as many as the
   * filter can match) are found or the graph is exhausted; the candidates re-scored exactly.
   */
  private walk(
    query: Float32Array,
    start: number,
    wanted: number,
    accepts: (slot: number) => boolean,
    matches: number,
  ): { hits: Array<{ slot: number; score: number }>; k: number } {
    const total = this.index.size();
    let k = Math.min(total, start);
    for (;;) {
      const found = this.index.search(own(query), k, 1);
      const candidates: number[] = [];
      for (let i = 0; i < found.keys.length && candidates.length < wanted; i += 1) {
        const slot = this.slots.slotOfKey(found.keys[i] as bigint);
        if (slot !== undefined && accepts(slot)) candidates.push(slot);
      }
      if (candidates.length >= Math.min(wanted, matches) || k >= total)
        return { hits: this.exactSearch(candidates, query, candidates.length), k };
      k = Math.min(total, k * 4);
    }
  }

  /**
   * Whether the planner scans the candidates exactly for `filter`: when they are few (Qdrant's
   * full_scan_threshold, in KB) or a small share of the collection (post-filtering the graph would
   * have to walk far to find enough of them).
   */
  plansExact(filter: BackendSearchRequest['filter']): boolean {
    const plan = this.slots.plan(filter);
    return this.exactFor(plan.count);
  }

  private exactFor(count: number): boolean {
    const totalKb = (count * this.dim * 4) / 1024;
    return totalKb <= this.definition.hnsw.fullScanThresholdKb || count <= EXACT_SELECTIVITY * this.size;
  }

  /** Vector search with filter, limit and threshold; `exact` true or false overrides the planner. */
  search(request: BackendSearchRequest): ScoredPoint[] {
    const plan = this.slots.plan(request.filter);
    const exact = request.exact ?? this.exactFor(plan.count);
    const scored = exact
      ? this.exactSearch(plan.slots(), request.vector, request.limit)
      : this.graphSearch(request.vector, request.limit, plan.accepts, plan.count);
    return scored
      .filter((s) => request.scoreThreshold === undefined || s.score >= request.scoreThreshold)
      .map((s) => this.slots.hit(s.slot, s.score, request.withVector));
  }

  /**
   * Unfiltered graph search for many queries at once on `threads` threads, re-scored like
   * `search` (benchmarks): returns the point ids per query.
   */
  graphSearchBatch(queries: Float32Array, k: number, threads = 0): string[][] {
    const n = queries.length / this.dim;
    const rows = Array.from({ length: n }, (_, i) => queries.slice(i * this.dim, (i + 1) * this.dim));
    const found = this.index.search(rows, Math.min(this.index.size(), rerankCandidates(k)), threads);
    return rows.map((row, i) => {
      const slots: number[] = [];
      for (const key of found.get(i).keys) {
        const slot = this.slots.slotOfKey(key);
        if (slot !== undefined) slots.push(slot);
      }
      const hits = this.exactSearch(slots, row, k);
      const best = hits[0]?.score;
      // The same retry as `search`, one query at a time (it is the rare case).
      if (best !== undefined && this.baseline.isLow(best))
        return this.graphSearch(row, k, () => true, this.size).map((s) => this.slots.idOf(s.slot));
      if (best !== undefined) this.baseline.record(best);
      return hits.map((s) => this.slots.idOf(s.slot));
    });
  }

  /** Filtered points, optionally ordered by a numeric payload key (true recency for `timestamp`). */
  scroll(request: BackendScrollRequest): ScoredPoint[] {
    return this.slots
      .ordered(request.filter, request.orderBy)
      .slice(0, request.limit)
      .map((slot) => this.slots.hit(slot, 0, request.withVector ?? false));
  }

  count(filter: Filter): number {
    return this.slots.plan(filter).count;
  }

  /** Every point's id and version. */
  versionsList(): Array<{ id: string; version: number }> {
    return this.slots.versionsList();
  }

  /**
   * Saves the graph and the slot store (vectors, ids, keys, versions, payloads) under `dir`: the
   * files go to a new generation directory, are flushed to disk, and `CURRENT` is then renamed to
   * name it, so a crash at any point leaves the previous generation whole. Returns the bytes of the
   * graph file (its memory in use is the same order) and of the slot store's files.
   */
  saveSnapshot(dir: string): { graphBytes: number; slotBytes: number } {
    mkdirSync(dir, { recursive: true });
    const generation = `gen-${Date.now().toString(36)}-${process.pid}`;
    const target = join(dir, generation);
    mkdirSync(target);
    this.index.save(join(target, GRAPH_FILE));
    const count = this.slots.save(join(target, VECTORS_FILE), join(target, RECORDS_FILE));
    const meta: SnapshotMeta = {
      format: SNAPSHOT_FORMAT,
      dimension: this.dim,
      quantization: this.quantization,
      connectivity: connectivityOf(this.definition, this.options),
      count,
      graphBytes: statSync(join(target, GRAPH_FILE)).size,
      savedAt: new Date().toISOString(),
    };
    writeFileSync(join(target, META_FILE), JSON.stringify(meta));
    for (const f of [GRAPH_FILE, VECTORS_FILE, RECORDS_FILE, META_FILE]) flush(join(target, f));
    flush(target);
    writeFileSync(join(dir, 'CURRENT.tmp'), generation);
    flush(join(dir, 'CURRENT.tmp'));
    renameSync(join(dir, 'CURRENT.tmp'), join(dir, 'CURRENT'));
    flush(dir);
    // Older generations (and format-1 files) are no longer named by CURRENT.
    for (const entry of readdirSync(dir)) {
      if (entry !== generation && entry !== 'CURRENT')
        rmSync(join(dir, entry), { recursive: true, force: true });
    }
    this.dirty = 0;
    const slotBytes = statSync(join(target, VECTORS_FILE)).size + statSync(join(target, RECORDS_FILE)).size;
    return { graphBytes: meta.graphBytes, slotBytes };
  }

  /** The graph and slot store of the snapshot CURRENT names, if it is whole and compatible. */
  private restore(dir: string): boolean {
    const current = join(dir, 'CURRENT');
    if (!existsSync(current)) return false;
    const target = join(dir, readFileSync(current, 'utf8').trim());
    try {
      const meta = JSON.parse(readFileSync(join(target, META_FILE), 'utf8')) as SnapshotMeta;
      if (
        meta.format !== SNAPSHOT_FORMAT ||
        meta.dimension !== this.dim ||
        meta.quantization !== this.quantization ||
        meta.connectivity !== connectivityOf(this.definition, this.options) ||
        statSync(join(target, GRAPH_FILE)).size !== meta.graphBytes ||
        statSync(join(target, VECTORS_FILE)).size !== meta.count * this.dim * 4
      ) {
        return false;
      }
      const index = newIndex(this.definition, this.options);
      index.load(join(target, GRAPH_FILE));
      const slots = SlotStore.open(this.definition, join(target, VECTORS_FILE), join(target, RECORDS_FILE));
      if (index.size() !== slots.size) return false;
      this.index = index;
      this.slots = slots;
      return true;
    } catch {
      // A torn or foreign snapshot is ignored: everything is rebuilt from PostgreSQL.
      return false;
    }
  }

  /**
   * Catches up from the source of truth. The snapshot (if whole and compatible) is restored, then
   * PostgreSQL is compared with it: with `versions` and `byIds`, only ids, keys and versions are read
   * for every point and the full rows of those that differ (a restart reads a few bytes per point
   * instead of every vector); otherwise every point is read. A point held in another key or version
   * is replaced (PostgreSQL wins, even when it holds an older version, e.g. after a restore), and
   * points PostgreSQL no longer has are removed. Returns how many points were (re)built.
   */
  async load(
    dir: string | undefined,
    source: AsyncIterable<IndexedPoint[]>,
    incremental?: IncrementalSource,
  ): Promise<{ rebuilt: number; fromSnapshot: boolean; removed: number }> {
    const fromSnapshot = dir !== undefined && this.restore(dir);
    if (!fromSnapshot) {
      this.index = newIndex(this.definition, this.options);
      this.slots = new SlotStore(this.definition);
    }
    const seen = new Set<string>();
    let rebuilt = 0;
    const apply = (points: readonly IndexedPoint[]) => {
      const differ = points.filter((p) => !this.slots.holds(p.id, p.key, p.version));
      this.delete(differ.map((p) => p.id));
      this.addToGraph(this.store(differ));
      rebuilt += differ.length;
    };
    if (fromSnapshot && incremental !== undefined) {
      let stale: string[] = [];
      for await (const page of incremental.versions()) {
        for (const v of page) {
          seen.add(v.id);
          if (!this.slots.holds(v.id, v.key, v.version)) stale.push(v.id);
        }
        if (stale.length >= CATCH_UP_CHUNK) {
          apply(await incremental.byIds(stale));
          stale = [];
        }
      }
      if (stale.length > 0) apply(await incremental.byIds(stale));
    } else {
      for await (const page of source) {
        for (const p of page) seen.add(p.id);
        apply(page);
      }
    }
    const gone = this.slots.idList().filter((id) => !seen.has(id));
    this.delete(gone);
    return { rebuilt, fromSnapshot, removed: gone.length };
  }
}
