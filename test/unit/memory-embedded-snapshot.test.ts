import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { IndexedPoint } from '../../src/memory/backend.js';
import { collectionRegistry } from '../../src/memory/collections.js';
import {
  EmbeddedCollection,
  type IncrementalSource,
  type PointVersion,
} from '../../src/memory/embedded/embedded-collection.js';
import { composeFilter } from '../../src/memory/filter.js';

const DIM = 16;
const TENANT = '11111111-1111-4111-8111-111111111111';
const def = collectionRegistry(DIM).get('task_embeddings')!;
const root = mkdtempSync(join(tmpdir(), 'shannon-snapshot-'));
after(() => rmSync(root, { recursive: true, force: true }));

const idOf = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

function vectorOf(i: number, salt = 0): Float32Array {
  let seed = i * 7919 + salt * 104729 + 1;
  return Float32Array.from({ length: DIM }, () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  });
}

function point(i: number, version = 1, salt = 0, key = BigInt(i + 1)): IndexedPoint {
  return {
    id: idOf(i),
    key,
    vector: vectorOf(i, salt),
    payload: { tenant_id: TENANT, session_id: `s${i % 5}`, _version: version },
    version,
  };
}

/** PostgreSQL as a map; records which reads the catch-up made. */
function database(points: IndexedPoint[]) {
  const rows = new Map(points.map((p) => [p.id, p]));
  const reads = { versionPages: 0, byIds: [] as string[], fullPages: 0 };
  const incremental: IncrementalSource = {
    async *versions() {
      reads.versionPages += 1;
      yield [...rows.values()].map((p): PointVersion => ({ id: p.id, key: p.key, version: p.version }));
    },
    async byIds(ids) {
      reads.byIds.push(...ids);
      return ids.flatMap((id) => {
        const p = rows.get(id);
        return p === undefined ? [] : [p];
      });
    },
  };
  async function* full() {
    reads.fullPages += 1;
    yield [...rows.values()];
  }
  return { rows, reads, incremental, full };
}

function top(collection: EmbeddedCollection, vector: Float32Array): string | undefined {
  return collection.search({
    vector,
    filter: composeFilter(TENANT, undefined),
    limit: 1,
    withVector: false,
  })[0]?.id;
}

describe('embedded snapshot and catch-up', () => {
  const n = 300;
  const original = Array.from({ length: n }, (_, i) => point(i));

  it('a restart reads only versions and the changed rows, and ends equal to PostgreSQL', async () => {
    const dir = join(root, 'incremental');
    const first = new EmbeddedCollection(def, { threads: 1 });
    first.upsert(original);
    first.saveSnapshot(dir);

    // While down: point 1 changed, point 2 deleted, point 3 is new, point 4 is at an OLDER
    // version than the snapshot holds (the database was restored): PostgreSQL wins each time.
    const db = database(original);
    db.rows.set(idOf(1), point(1, 2, 9));
    db.rows.delete(idOf(2));
    db.rows.set(idOf(n), point(n, 1, 0, BigInt(n + 1)));
    const snapshotHolds4 = point(4, 3, 5);
    first.upsert([snapshotHolds4]);
    first.saveSnapshot(dir);

    const restarted = new EmbeddedCollection(def, { threads: 1 });
    const result = await restarted.load(dir, db.full(), db.incremental);
    assert.equal(result.fromSnapshot, true);
    assert.equal(db.reads.fullPages, 0, 'no full read of the points');
    assert.deepEqual([...db.reads.byIds].sort(), [idOf(1), idOf(4), idOf(n)].sort());
    assert.equal(result.rebuilt, 3);
    assert.equal(result.removed, 1);
    assert.equal(restarted.size, n);
    assert.equal(restarted.indexedVectors, n);
    assert.equal(top(restarted, vectorOf(1, 9)), idOf(1));
    assert.equal(top(restarted, vectorOf(4, 0)), idOf(4));
    assert.equal(top(restarted, vectorOf(n)), idOf(n));
    assert.notEqual(top(restarted, vectorOf(2)), idOf(2));
    const versions = new Map(restarted.versionsList().map((v) => [v.id, v.version]));
    assert.equal(versions.get(idOf(4)), 1);
    assert.equal(versions.get(idOf(1)), 2);
    assert.equal(versions.has(idOf(2)), false);
    // Payloads came back from the snapshot, value indexes work on them.
    assert.equal(
      restarted.count(composeFilter(TENANT, { must: [{ key: 'session_id', match: { value: 's0' } }] })),
      [...db.rows.values()].filter((p) => p.payload['session_id'] === 's0').length,
    );
  });

  it('keeps one generation, named by CURRENT', () => {
    const dir = join(root, 'incremental');
    const entries = readdirSync(dir).sort();
    assert.equal(entries.length, 2);
    assert.equal(entries[0], 'CURRENT');
    assert.equal(readFileSync(join(dir, 'CURRENT'), 'utf8'), entries[1]);
  });

  it('a torn snapshot is ignored and everything is read from PostgreSQL', async () => {
    const dir = join(root, 'torn');
    const first = new EmbeddedCollection(def, { threads: 1 });
    first.upsert(original);
    first.saveSnapshot(dir);
    const generation = readFileSync(join(dir, 'CURRENT'), 'utf8');
    truncateSync(join(dir, generation, 'vectors.f32'), 100);
    const db = database(original);
    const restarted = new EmbeddedCollection(def, { threads: 1 });
    const result = await restarted.load(dir, db.full(), db.incremental);
    assert.equal(result.fromSnapshot, false);
    assert.equal(db.reads.fullPages, 1);
    assert.equal(result.rebuilt, n);
    assert.equal(top(restarted, vectorOf(7)), idOf(7));
  });

  it('a generation written but never named by CURRENT (a crash mid-save) leaves the previous one in use', async () => {
    const dir = join(root, 'crash');
    const first = new EmbeddedCollection(def, { threads: 1 });
    first.upsert(original);
    first.saveSnapshot(dir);
    const named = readFileSync(join(dir, 'CURRENT'), 'utf8');
    // What a save interrupted before its rename leaves: a half-written directory nobody names.
    const orphan = join(dir, 'gen-orphan');
    mkdirSync(orphan);
    writeFileSync(join(orphan, 'graph.usearch'), 'half a graph');
    writeFileSync(join(dir, 'CURRENT.tmp'), 'gen-orphan');
    const db = database(original);
    const restarted = new EmbeddedCollection(def, { threads: 1 });
    const result = await restarted.load(dir, db.full(), db.incremental);
    assert.equal(readFileSync(join(dir, 'CURRENT'), 'utf8'), named);
    assert.equal(result.fromSnapshot, true);
    assert.equal(result.rebuilt, 0);
    assert.equal(db.reads.byIds.length, 0);
  });

  const others: Array<[string, ConstructorParameters<typeof EmbeddedCollection>[1]]> = [
    ['connectivity', { threads: 1, connectivity: 8 }],
    ['quantization', { threads: 1, quantization: 'f32' }],
  ];
  for (const [what, options] of others) {
    it(`a snapshot of another ${what} is rebuilt, not misread`, async () => {
      const dir = join(root, what);
      const first = new EmbeddedCollection(def, options);
      first.upsert(original);
      first.saveSnapshot(dir);
      const db = database(original);
      const restarted = new EmbeddedCollection(def, { threads: 1 });
      const result = await restarted.load(dir, db.full(), db.incremental);
      assert.equal(result.fromSnapshot, false);
      assert.equal(top(restarted, vectorOf(12)), idOf(12));
    });
  }
});
