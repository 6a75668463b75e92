/**
 * The point storage of an embedded collection, apart from its HNSW graph: every point's vector
 * (one contiguous float32 array, so exact search can gather candidates cheaply), payload, tenant,
 * version and graph key, in reusable slots; and the filter planner that picks the smallest pool of
 * slots that can hold a filter's matches (the tenant's slots, or an equality index on a
 * payload-indexed field, like Qdrant's payload index).
 */
import { closeSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import type { IndexedPoint, ScoredPoint } from '../backend.js';
import type { CollectionDefinition } from '../collections.js';
import type { Condition, Filter } from '../filter.js';
import { matchesFilter } from '../filter-evaluator.js';

/** The slots a filter can match and how to test one (see `SlotStore.plan`). */
export interface FilterPlan {
  /** The matching slots (computed on demand for the tenant-only plan). */
  slots(): number[];
  count: number;
  accepts(slot: number): boolean;
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

/** A plan over known matching slots; the membership set is built only if the graph path asks. */
function planOf(matching: number[]): FilterPlan {
  let set: Set<number> | undefined;
  return {
    slots: () => matching,
    count: matching.length,
    accepts: (slot) => {
      if (set === undefined) set = new Set(matching);
      return set.has(slot);
    },
  };
}

/** Slots of points with their vectors, payloads and versions; knows nothing of the graph. */
export class SlotStore {
  readonly dimension: number;
  private vectors = new Float32Array(0);
  private capacity = 0;
  private readonly slotOfId = new Map<string, number>();
  private readonly ids: string[] = [];
  private readonly keys: bigint[] = [];
  private readonly payloads: Array<Record<string, unknown> | undefined> = [];
  private readonly versions: number[] = [];
  private readonly tenants: string[] = [];
  private readonly free: number[] = [];
  private readonly tenantSlots = new Map<string, Set<number>>();
  private readonly slotByKey = new Map<bigint, number>();
  /** Lazily built equality indexes on payload-indexed fields: key → value → slots. */
  private readonly valueIndexes = new Map<string, Map<unknown, Set<number>>>();
  private readonly indexableKeys: ReadonlySet<string>;

  constructor(definition: CollectionDefinition) {
    this.dimension = definition.dimension;
    this.indexableKeys = new Set(
      definition.payloadIndexes.filter((p) => p.type !== 'text' && p.isTenant !== true).map((p) => p.field),
    );
  }

  get size(): number {
    return this.slotOfId.size;
  }

  /** The slot holding the point with this graph key, if any. */
  slotOfKey(key: bigint): number | undefined {
    return this.slotByKey.get(key);
  }

  idOf(slot: number): string {
    return this.ids[slot] as string;
  }

  /** Every point's id and version. */
  versionsList(): Array<{ id: string; version: number }> {
    return [...this.slotOfId.entries()].map(([id, slot]) => ({ id, version: this.versions[slot] as number }));
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

  private grow(minSlots: number): void {
    if (minSlots <= this.capacity) return;
    const next = Math.max(minSlots, this.capacity * 2, 1024);
    const vectors = new Float32Array(next * this.dimension);
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

  private addToTenant(slot: number, tenant: string): void {
    let set = this.tenantSlots.get(tenant);
    if (set === undefined) {
      set = new Set();
      this.tenantSlots.set(tenant, set);
    }
    set.add(slot);
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
   * Stores points; a version older than (or equal to) the one held under the same key is ignored.
   * `onRekeyed` receives the old graph key of a point that was deleted and written again (it has a
   * new key, so its old graph entry must go). Returns the points actually stored.
   */
  store(points: readonly IndexedPoint[], onRekeyed: (oldKey: bigint) => void): IndexedPoint[] {
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
        onRekeyed(this.keys[existing] as bigint);
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
      this.vectors.set(point.vector, slot * this.dimension);
      this.slotOfId.set(point.id, slot);
      this.slotByKey.set(point.key, slot);
      this.indexValues(slot, true);
      this.addToTenant(slot, tenant);
      changed.push(point);
    }
    return changed;
  }

  /**
   * Writes every point to two files: `vectorsPath` the float32 vectors one after another,
   * `recordsPath` one JSON line per point ([id, key, version, payload]) in the same order. Written
   * in chunks, so neither needs one string or buffer of the whole collection.
   */
  save(vectorsPath: string, recordsPath: string): number {
    const dim = this.dimension;
    const slots = [...this.slotOfId.values()];
    const vectors = openSync(vectorsPath, 'w');
    const records = openSync(recordsPath, 'w');
    try {
      const chunk = 4096;
      const buffer = new Float32Array(chunk * dim);
      for (let start = 0; start < slots.length; start += chunk) {
        const part = slots.slice(start, start + chunk);
        const packed = this.gather(part, buffer);
        writeSync(vectors, new Uint8Array(packed.buffer, 0, packed.length * 4));
        const lines = part.map((slot) =>
          JSON.stringify([this.ids[slot], String(this.keys[slot]), this.versions[slot], this.payloads[slot]]),
        );
        writeSync(records, `${lines.join('\n')}\n`);
      }
    } finally {
      closeSync(vectors);
      closeSync(records);
    }
    return slots.length;
  }

  /**
   * A store holding what `save` wrote: the vectors are read straight into the store's array (in
   * reads of at most 1 GiB: one read of a file over 2 GiB is refused), the records parsed one line
   * at a time into the store's lists, with no per-point objects in between. Throws on files that
   * do not agree with each other or with the dimension.
   */
  static open(definition: CollectionDefinition, vectorsPath: string, recordsPath: string): SlotStore {
    const store = new SlotStore(definition);
    const dim = store.dimension;
    const bytes = statSync(vectorsPath).size;
    if (bytes % (dim * 4) !== 0) throw new Error(`${vectorsPath}: not ${dim}-d float32`);
    const count = bytes / (dim * 4);
    store.grow(count);
    const target = new Uint8Array(store.vectors.buffer, 0, bytes);
    const fd = openSync(vectorsPath, 'r');
    try {
      let done = 0;
      while (done < bytes) {
        const got = readSync(fd, target, done, Math.min(bytes - done, 2 ** 30), done);
        if (got === 0) throw new Error(`${vectorsPath}: shorter than its size`);
        done += got;
      }
    } finally {
      closeSync(fd);
    }
    const text = readFileSync(recordsPath);
    let at = 0;
    while (at < text.length) {
      const end = text.indexOf(10, at);
      if (end < 0) throw new Error(`${recordsPath}: torn last line`);
      const [id, key, version, payload] = JSON.parse(text.toString('utf8', at, end)) as [
        string,
        string,
        number,
        Record<string, unknown>,
      ];
      const slot = store.ids.length;
      if (slot >= count) throw new Error(`${recordsPath}: more records than vectors`);
      if (store.slotOfId.has(id)) throw new Error(`${recordsPath}: ${id} twice`);
      const tenant = String(payload['tenant_id']);
      const graphKey = BigInt(key);
      store.ids.push(id);
      store.keys.push(graphKey);
      store.payloads.push(payload);
      store.versions.push(version);
      store.tenants.push(tenant);
      store.slotOfId.set(id, slot);
      store.slotByKey.set(graphKey, slot);
      store.addToTenant(slot, tenant);
      at = end + 1;
    }
    if (store.ids.length !== count)
      throw new Error(`${recordsPath}: ${store.ids.length} records for ${count} vectors`);
    return store;
  }

  /** Whether the point is held with exactly this key and version. */
  holds(id: string, key: bigint, version: number): boolean {
    const slot = this.slotOfId.get(id);
    return slot !== undefined && this.keys[slot] === key && this.versions[slot] === version;
  }

  /** Ids of every stored point. */
  idList(): string[] {
    return [...this.slotOfId.keys()];
  }

  /** Removes points by id; returns the graph keys of those that existed. */
  delete(ids: readonly string[]): bigint[] {
    const keys: bigint[] = [];
    for (const id of ids) {
      const slot = this.slotOfId.get(id);
      if (slot === undefined) continue;
      keys.push(this.keys[slot] as bigint);
      this.release(slot);
    }
    return keys;
  }

  /**
   * The vectors of the given slots, packed one after another (for an exact search), into `into`
   * when it is large enough (the view returned starts at its offset 0), else into a new array.
   */
  gather(slots: readonly number[], into?: Float32Array): Float32Array {
    const dim = this.dimension;
    const length = slots.length * dim;
    const gathered =
      into !== undefined && into.length >= length ? into.subarray(0, length) : new Float32Array(length);
    slots.forEach((slot, i) => {
      gathered.set(this.vectors.subarray(slot * dim, (slot + 1) * dim), i * dim);
    });
    return gathered;
  }

  /** A slot as a search or scroll result (payload copied). */
  hit(slot: number, score: number, withVector: boolean): ScoredPoint {
    const base = { id: this.ids[slot] as string, score, payload: { ...(this.payloads[slot] as object) } };
    if (!withVector) return base;
    return { ...base, vector: this.vectors.slice(slot * this.dimension, (slot + 1) * this.dimension) };
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
   * The index sets that together ARE the filter's matches, when the filter holds nothing but the
   * tenant (first, as composeFilter puts it) and equalities on indexed fields, at the top level or
   * in nested must-only filters; undefined otherwise. An indexed field's set holds exactly the slots
   * whose value (or one of whose array elements) is the match value, as the evaluator compares.
   */
  private equalitiesOnly(filter: Filter): Array<Set<number>> | undefined {
    const sets: Array<Set<number>> = [];
    const visit = (f: Filter, depth: number): boolean => {
      if ((f.should?.length ?? 0) > 0 || (f.must_not?.length ?? 0) > 0) return false;
      for (const [i, c] of (f.must ?? []).entries()) {
        if ('key' in c && 'match' in c && 'value' in c.match) {
          if (Object.keys(c).length !== 2 || Object.keys(c.match).length !== 1) return false;
          if (c.key === 'tenant_id') {
            if (depth !== 0 || i !== 0) return false;
            continue;
          }
          const index = this.valueIndex(c.key);
          if (index === undefined) return false;
          sets.push(index.get(c.match.value) ?? new Set());
        } else if ('must' in c || 'should' in c || 'must_not' in c) {
          if (depth > 0 || !visit(c as Filter, depth + 1)) return false;
        } else {
          return false;
        }
      }
      return true;
    };
    return visit(filter, 0) ? sets : undefined;
  }

  /**
   * Plans a filtered read: the smallest pool that must contain every match (the tenant's points, or
   * the smallest equality-index set), then the filter evaluated on that pool only. A filter of
   * equalities on indexed fields is answered by intersecting their sets, evaluating no point.
   */
  plan(filter: Filter): FilterPlan {
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
    const equalities = tenantPool === undefined ? undefined : this.equalitiesOnly(filter);
    if (tenantPool !== undefined && equalities !== undefined) {
      const [smallest, ...others] = [tenantPool, ...equalities].sort((a, b) => a.size - b.size);
      const matching: number[] = [];
      for (const slot of smallest as Set<number>) if (others.every((s) => s.has(slot))) matching.push(slot);
      return planOf(matching);
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
    return planOf(matching);
  }

  /** Slots matching the filter, ordered by a numeric payload key (missing = lowest) or else by id. */
  ordered(filter: Filter, orderBy?: { readonly key: string; readonly direction: 'asc' | 'desc' }): number[] {
    const slots = this.plan(filter).slots();
    if (orderBy !== undefined) {
      const value = (slot: number) => {
        const v = (this.payloads[slot] as Record<string, unknown>)[orderBy.key];
        return typeof v === 'number' ? v : Number.NEGATIVE_INFINITY;
      };
      slots.sort((a, b) => (orderBy.direction === 'desc' ? value(b) - value(a) : value(a) - value(b)));
    } else {
      slots.sort((a, b) => ((this.ids[a] as string) < (this.ids[b] as string) ? -1 : 1));
    }
    return slots;
  }
}
