/**
 * One collection of the embedded backend: a usearch HNSW graph plus a slot store holding every
 * point's vector (contiguous float32), payload, tenant and version. Filters are evaluated in JS on
 * the candidate set; when the filter is selective the search is exact (usearch's SIMD
 * `exactSearch` over the gathered candidates), as Qdrant's planner does below full_scan_threshold.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import usearch from 'usearch';
import type { BackendScrollRequest, BackendSearchRequest, IndexedPoint, ScoredPoint } from '../backend.js';
import type { CollectionDefinition } from '../collections.js';
import type { Condition, Filter } from '../filter.js';
import { matchesFilter } from '../filter-evaluator.js';

/** HNSW search breadth: recall@10 ≥ 0.95 is first reached at ef = 128 on embedding-like data (perf-anchors B5). */
export const DEFAULT_EXPANSION_SEARCH = 128;
/** HNSW build breadth (the bench's efConstruction). */
export const DEFAULT_EXPANSION_ADD = 128;
/** Above this share of matching points a filtered search uses the graph and post-filters. */
export const EXACT_SELECTIVITY = 0.1;

const SNAPSHOT_FORMAT = 1;

interface SnapshotMeta {
  format: number;
  dimension: number;
  count: number;
  savedAt: string;
}

/** Tuning of one embedded collection. */
export interface EmbeddedCollectionOptions {
  expansionSearch?: number;
  expansionAdd?: number;
  /** Threads for batch adds and exact search (0 = all cores). */
  threads?: number;
}

function newIndex(definition: CollectionDefinition, options: EmbeddedCollectionOptions) {
  return new usearch.Index({
    dimensions: definition.dimension,
    metric: usearch.MetricKind.Cos,
    quantization: usearch.ScalarKind.F32,
    connectivity: definition.hnsw.m,
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

/** The tenant id of a composed filter (its first must condition), used to narrow candidates. */
function tenantOf(filter: Filter): string | undefined {
  const first = filter.must?.[0] as Condition | undefined;
  if (
    first !== undefined &&
    'key' in first &&
    first.key === 'tenant_id' &&
    'match' in first &&
    'value' in first.match
  ) {
    return String(first.match.value);
  }
  return undefined;
}

/** An in-process collection: HNSW graph + slot store. */
export class EmbeddedCollection {
  readonly definition: CollectionDefinition;
  private readonly options: EmbeddedCollectionOptions;
  private index: InstanceType<typeof usearch.Index>;
  private vectors: Float32Array;
  private capacity = 0;
  private readonly dim: number;
  private readonly slotOfId = new Map<string, number>();
  private readonly ids: string[] = [];
  private readonly keys: bigint[] = [];
  private readonly payloads: Array<Record<string, unknown> | undefined> = [];
  private readonly versions: number[] = [];
  private readonly tenants: string[] = [];
  private readonly free: number[] = [];
  private readonly tenantSlots = new Map<string, Set<number>>();
  private readonly slotByKey = new Map<bigint, number>();
  /** Lazily built equality indexes on payload-indexed fields: key → value → slots (like Qdrant's payload index). */
  private readonly valueIndexes = new Map<string, Map<unknown, Set<number>>>();
  private readonly indexableKeys: ReadonlySet<string>;
  /** Changes since the last snapshot. */
  dirty = 0;

  constructor(definition: CollectionDefinition, options: EmbeddedCollectionOptions = {}) {
    this.definition = definition;
    this.options = options;
    this.dim = definition.dimension;
    this.index = newIndex(definition, options);
    this.vectors = new Float32Array(0);
    this.indexableKeys = new Set(
      definition.payloadIndexes.filter((p) => p.type !== 'text' && p.isTenant !== true).map((p) => p.field),
    );
  }

  private indexValues(slot: number, add: boolean): void {
    const payload = this.payloads[slot];
    if (payload === undefined) return;
    for (const [key, index] of this.valueIndexes) {
      const raw = payload[key];
      for (const value of Array.isArray(raw) ? raw : [raw]) {
        if (value === undefined || value === null) continue;
        let set = index.get(value);
        if (set === undefined && add) {
          set = new Set();
          index.set(value, set);
        }
        if (add) set?.add(slot);
        else set?.delete(slot);
      }
    }
  }

  private valueIndex(key: string): Map<unknown, Set<number>> | undefined {
    if (!this.indexableKeys.has(key)) return undefined;
    let index = this.valueIndexes.get(key);
    if (index === undefined) {
      index = new Map();
      for (const slot of this.slotOfId.values()) {
        const raw = (this.payloads[slot] as Record<string, unknown>)[key];
        for (const value of Array.isArray(raw) ? raw : [raw]) {
          if (value === undefined || value === null) continue;
          let set = index.get(value);
          if (set === undefined) {
            set = new Set();
            index.set(value, set);
          }
          set.add(slot);
        }
      }
      this.valueIndexes.set(key, index);
    }
    return index;
  }

  get size(): number {
    return this.slotOfId.size;
  }

  get indexedVectors(): number {
    return this.index.size();
  }

  private grow(minSlots: number): void {
    if (minSlots <= this.capacity) return;
    const next = Math.max(minSlots, this.capacity * 2, 1024);
    const vectors = new Float32Array(next * this.dim);
    vectors.set(this.vectors);
    this.vectors = vectors;
    this.capacity = next;
  }

  private allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const slot = this.ids.length;
    this.grow(slot + 1);
    this.ids.push('');
    this.keys.push(0n);
    this.payloads.push(undefined);
    this.versions.push(0);
    this.tenants.push('');
    return slot;
  }

  private release(slot: number): void {
    const id = this.ids[slot] as string;
    this.slotOfId.delete(id);
    this.slotByKey.delete(this.keys[slot] as bigint);
    this.indexValues(slot, false);
    this.tenantSlots.get(this.tenants[slot] as string)?.delete(slot);
    this.payloads[slot] = undefined;
    this.ids[slot] = '';
    this.free.push(slot);
  }

  /**
   * Stores points in the slot store; with `addToGraph` also inserts them in the HNSW graph. An older
   * version than the one held is ignored. Returns the keys whose graph entry must be (re)built.
   */
  store(points: readonly IndexedPoint[]): IndexedPoint[] {
    const changed: IndexedPoint[] = [];
    for (const point of points) {
      const existing = this.slotOfId.get(point.id);
      // Same key and a version at least as new: already held (versions bump on every change).
      if (
        existing !== undefined &&
        this.keys[existing] === point.key &&
        (this.versions[existing] as number) >= point.version
      ) {
        continue;
      }
      if (existing !== undefined && this.keys[existing] !== point.key) {
        // The point was deleted and written again: it has a new key, the old graph entry goes.
        const oldKey = this.keys[existing] as bigint;
        if (this.index.contains(oldKey) === true) this.index.remove(oldKey);
        this.release(existing);
      }
      const slot = this.slotOfId.get(point.id) ?? this.allocate();
      this.indexValues(slot, false);
      if (this.payloads[slot] !== undefined) this.tenantSlots.get(this.tenants[slot] as string)?.delete(slot);
      const tenant = String(point.payload['tenant_id']);
      this.ids[slot] = point.id;
      this.keys[slot] = point.key;
      this.payloads[slot] = { ...point.payload };
      this.versions[slot] = point.version;
      this.tenants[slot] = tenant;
      this.vectors.set(point.vector, slot * this.dim);
      this.slotOfId.set(point.id, slot);
      this.slotByKey.set(point.key, slot);
      this.indexValues(slot, true);
      let set = this.tenantSlots.get(tenant);
      if (set === undefined) {
        set = new Set();
        this.tenantSlots.set(tenant, set);
      }
      set.add(slot);
      changed.push(point);
    }
    return changed;
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
    const keys: bigint[] = [];
    for (const id of ids) {
      const slot = this.slotOfId.get(id);
      if (slot === undefined) continue;
      keys.push(this.keys[slot] as bigint);
      this.release(slot);
    }
    if (keys.length > 0) {
      this.index.remove(BigUint64Array.from(keys));
      this.dirty += keys.length;
    }
  }

  private subject(slot: number) {
    return { id: this.ids[slot] as string, payload: this.payloads[slot] as Record<string, unknown> };
  }

  /** Equality conditions on indexed fields that every match must satisfy (top level and one nested level of must). */
  private requiredEqualities(filter: Filter): Array<Set<number>> {
    const sets: Array<Set<number>> = [];
    const visit = (conditions: Condition[] | undefined, depth: number) => {
      for (const c of conditions ?? []) {
        if ('key' in c && 'match' in c && 'value' in c.match && c.key !== 'tenant_id') {
          const index = this.valueIndex(c.key);
          if (index !== undefined) sets.push(index.get(c.match.value) ?? new Set());
        } else if (depth === 0 && ('must' in c || 'should' in c || 'must_not' in c)) {
          visit((c as Filter).must, depth + 1);
        }
      }
    };
    visit(filter.must, 0);
    return sets;
  }

  /**
   * Plans a filtered read: the smallest pool that must contain every match (the tenant's points, or
   * the smallest equality-index set), then the filter evaluated on that pool only.
   */
  private plan(filter: Filter): { slots: () => number[]; count: number; accepts: (slot: number) => boolean } {
    const tenant = tenantOf(filter);
    const tenantPool = tenant !== undefined ? (this.tenantSlots.get(tenant) ?? new Set<number>()) : undefined;
    if (
      tenantPool !== undefined &&
      filter.must?.length === 1 &&
      filter.should === undefined &&
      filter.must_not === undefined
    ) {
      return {
        slots: () => [...tenantPool],
        count: tenantPool.size,
        accepts: (slot) => this.tenants[slot] === tenant,
      };
    }
    let pool: Iterable<number> = tenantPool ?? this.slotOfId.values();
    let poolSize = tenantPool?.size ?? this.size;
    for (const set of this.requiredEqualities(filter)) {
      if (set.size < poolSize) {
        pool = set;
        poolSize = set.size;
      }
    }
    const matching: number[] = [];
    for (const slot of pool) if (matchesFilter(filter, this.subject(slot))) matching.push(slot);
    const set = new Set(matching);
    return { slots: () => matching, count: matching.length, accepts: (slot) => set.has(slot) };
  }

  /** Slots matching the filter. */
  private candidates(filter: Filter): number[] {
    return this.plan(filter).slots();
  }

  private hit(slot: number, score: number, withVector: boolean): ScoredPoint {
    const base = { id: this.ids[slot] as string, score, payload: { ...(this.payloads[slot] as object) } };
    if (!withVector) return base;
    return { ...base, vector: this.vectors.slice(slot * this.dim, (slot + 1) * this.dim) };
  }

  /** Exact top-k over the given slots with usearch's SIMD kernel. */
  exactSearch(
    slots: readonly number[],
    query: Float32Array,
    limit: number,
  ): Array<{ slot: number; score: number }> {
    if (slots.length === 0) return [];
    const gathered = new Float32Array(slots.length * this.dim);
    slots.forEach((slot, i) => {
      gathered.set(this.vectors.subarray(slot * this.dim, (slot + 1) * this.dim), i * this.dim);
    });
    const k = Math.min(limit, slots.length);
    const found = usearch.exactSearch(
      gathered,
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

  /** Graph search, post-filtered; widens k until `limit` matches are found or the graph is exhausted. */
  private graphSearch(query: Float32Array, limit: number, accepts: (slot: number) => boolean) {
    const total = this.index.size();
    let k = Math.min(total, Math.max(limit * 2, 32));
    for (;;) {
      const found = this.index.search(own(query), k, 1);
      const out: Array<{ slot: number; score: number }> = [];
      for (let i = 0; i < found.keys.length && out.length < limit; i += 1) {
        const slot = this.slotByKey.get(found.keys[i] as bigint);
        if (slot === undefined || !accepts(slot)) continue;
        out.push({ slot, score: 1 - (found.distances[i] as number) });
      }
      if (out.length >= limit || k >= total) return out;
      k = Math.min(total, k * 4);
    }
  }

  /** Vector search with filter, limit and threshold. */
  search(request: BackendSearchRequest): ScoredPoint[] {
    const plan = this.plan(request.filter);
    const totalKb = (plan.count * this.dim * 4) / 1024;
    // Exact when the matches are few (Qdrant's full_scan_threshold, in KB) or a small share of the
    // collection (post-filtering the graph would have to walk far to find `limit` of them).
    const exact =
      totalKb <= this.definition.hnsw.fullScanThresholdKb || plan.count <= EXACT_SELECTIVITY * this.size;
    const scored = exact
      ? this.exactSearch(plan.slots(), request.vector, request.limit)
      : this.graphSearch(request.vector, request.limit, plan.accepts);
    return scored
      .filter((s) => request.scoreThreshold === undefined || s.score >= request.scoreThreshold)
      .map((s) => this.hit(s.slot, s.score, request.withVector));
  }

  /**
   * Unfiltered graph search for many queries at once on `threads` threads (benchmarks): returns the
   * point ids per query.
   */
  graphSearchBatch(queries: Float32Array, k: number, threads = 0): string[][] {
    const n = queries.length / this.dim;
    const rows = Array.from({ length: n }, (_, i) => queries.slice(i * this.dim, (i + 1) * this.dim));
    const found = this.index.search(rows, k, threads);
    return rows.map((_, i) => {
      const m = found.get(i);
      return Array.from(m.keys, (key) => this.ids[this.slotByKey.get(key) as number] as string);
    });
  }

  /** Filtered points, optionally ordered by a numeric payload key (true recency for `timestamp`). */
  scroll(request: BackendScrollRequest): ScoredPoint[] {
    const slots = this.candidates(request.filter);
    const order = request.orderBy;
    if (order !== undefined) {
      const value = (slot: number) => {
        const v = (this.payloads[slot] as Record<string, unknown>)[order.key];
        return typeof v === 'number' ? v : Number.NEGATIVE_INFINITY;
      };
      slots.sort((a, b) => (order.direction === 'desc' ? value(b) - value(a) : value(a) - value(b)));
    } else {
      slots.sort((a, b) => ((this.ids[a] as string) < (this.ids[b] as string) ? -1 : 1));
    }
    return slots.slice(0, request.limit).map((slot) => this.hit(slot, 0, request.withVector ?? false));
  }

  count(filter: Filter): number {
    return this.candidates(filter).length;
  }

  /** Every point's id and version. */
  versionsList(): Array<{ id: string; version: number }> {
    return [...this.slotOfId.entries()].map(([id, slot]) => ({ id, version: this.versions[slot] as number }));
  }

  /** Saves the graph and the key/version list under `dir` (atomically renamed into place). */
  saveSnapshot(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const slots = [...this.slotOfId.values()];
    const keys = BigUint64Array.from(slots.map((s) => this.keys[s] as bigint));
    const versions = Float64Array.from(slots.map((s) => this.versions[s] as number));
    this.index.save(join(dir, 'index.usearch.tmp'));
    writeFileSync(join(dir, 'keys.bin.tmp'), Buffer.from(keys.buffer));
    writeFileSync(join(dir, 'versions.bin.tmp'), Buffer.from(versions.buffer));
    const meta: SnapshotMeta = {
      format: SNAPSHOT_FORMAT,
      dimension: this.dim,
      count: slots.length,
      savedAt: new Date().toISOString(),
    };
    writeFileSync(join(dir, 'meta.json.tmp'), JSON.stringify(meta));
    for (const f of ['index.usearch', 'keys.bin', 'versions.bin', 'meta.json']) {
      renameSync(join(dir, `${f}.tmp`), join(dir, f));
    }
    this.dirty = 0;
  }

  /**
   * Catches up from the source of truth: loads the saved graph (if compatible), stores every
   * current point, re-adds those the graph lacks or holds in another version, and removes graph
   * entries of points that no longer exist. Returns how many graph entries were (re)built.
   */
  async load(
    dir: string | undefined,
    source: AsyncIterable<IndexedPoint[]>,
  ): Promise<{ rebuilt: number; fromSnapshot: boolean }> {
    const snapshot = new Map<bigint, number>();
    let fromSnapshot = false;
    if (dir !== undefined && existsSync(join(dir, 'meta.json'))) {
      try {
        const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as SnapshotMeta;
        if (meta.format === SNAPSHOT_FORMAT && meta.dimension === this.dim) {
          const index = newIndex(this.definition, this.options);
          index.load(join(dir, 'index.usearch'));
          const keyBytes = readFileSync(join(dir, 'keys.bin'));
          const versionBytes = readFileSync(join(dir, 'versions.bin'));
          const keys = new BigUint64Array(
            keyBytes.buffer.slice(keyBytes.byteOffset, keyBytes.byteOffset + keyBytes.byteLength),
          );
          const versions = new Float64Array(
            versionBytes.buffer.slice(
              versionBytes.byteOffset,
              versionBytes.byteOffset + versionBytes.byteLength,
            ),
          );
          keys.forEach((k, i) => {
            snapshot.set(k, versions[i] as number);
          });
          this.index = index;
          fromSnapshot = true;
        }
      } catch {
        // A torn or foreign snapshot is ignored: the graph is rebuilt from PostgreSQL.
        this.index = newIndex(this.definition, this.options);
        snapshot.clear();
        fromSnapshot = false;
      }
    }
    let rebuilt = 0;
    for await (const page of source) {
      const stored = this.store(page);
      const missing = stored.filter((p) => snapshot.get(p.key) !== p.version);
      for (const p of stored) snapshot.delete(p.key);
      this.addToGraph(missing);
      rebuilt += missing.length;
    }
    // Whatever is left in the snapshot no longer exists in PostgreSQL.
    if (snapshot.size > 0) this.index.remove(BigUint64Array.from(snapshot.keys()));
    return { rebuilt, fromSnapshot };
  }
}
