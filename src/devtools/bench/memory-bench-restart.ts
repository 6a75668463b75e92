/**
 * The restart part of `bench memory`: the built collection is snapshotted, PostgreSQL is given the
 * same points (in a scratch database, the vectors as incompressible 4-byte-per-component bytea, so
 * the table is as large as a real one), 1 % of them change "while the service is down", and a new
 * collection is opened from the snapshot and caught up from PostgreSQL the way the service does at
 * start-up (`createVectorBackend`'s incremental source).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PoolConfig } from '../../config/config.js';
import {
  loadCollectionPoints,
  loadCollectionPointsByIds,
  loadCollectionVersions,
} from '../../memory/collection-points.js';
import type { CollectionDefinition } from '../../memory/collections.js';
import { EmbeddedCollection } from '../../memory/embedded/embedded-collection.js';
import { encodeVector } from '../../memory/vector.js';
import { withScratchDatabase } from './memory-bench-outbox.js';

export interface RestartFigures {
  points: number;
  /** Points updated in PostgreSQL between the snapshot and the restart. */
  changed_while_down: number;
  snapshot_seconds: number;
  /** Snapshot opened (graph + slot store) and caught up from PostgreSQL. */
  restart_seconds: number;
  /** Points the catch-up re-read and re-inserted (equals changed_while_down when correct). */
  rebuilt: number;
  snapshot_bytes: { graph: number; vectors_and_payloads: number };
}

const COLLECTION = 'bench_restart';

/**
 * Snapshots `collection`, mirrors its points into a scratch database on `url`, changes 1 % there,
 * and times a restart. `vectorOf(i)` is point i's vector, `idOf(i)` its id; keys are i + 1.
 */
export async function restartFigures(
  url: string,
  pool: PoolConfig,
  definition: CollectionDefinition,
  collection: EmbeddedCollection,
  tenant: string,
  n: number,
  vectorOf: (i: number) => Float32Array,
  progress: (phase: string, done: number, total: number) => void,
): Promise<RestartFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'shannon-bench-restart-'));
  try {
    const saveStarted = performance.now();
    const saved = collection.saveSnapshot(dir);
    const snapshotSeconds = (performance.now() - saveStarted) / 1000;
    return await withScratchDatabase(url, pool, async (db) => {
      await db.query('CREATE EXTENSION IF NOT EXISTS pgcrypto');
      await db.query(`INSERT INTO auth.tenants (id, name, slug) VALUES ($1, 'bench', 'bench-restart')`, [
        tenant,
      ]);
      await db.query(
        `INSERT INTO public.memory_collection_versions (collection, version, physical_name, dimension, state)
         VALUES ($1, 1, $1, $2, 'active')`,
        [COLLECTION, definition.dimension],
      );
      const chunk = 50_000;
      for (let start = 0; start < n; start += chunk) {
        await db.query(
          `INSERT INTO public.memory_points (tenant_id, collection, id, key, vector, payload, version)
           OVERRIDING SYSTEM VALUE
           SELECT $1, $2, ('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, i + 1,
                  -- Correlated with i, so it is evaluated per row, not once as an InitPlan.
                  (SELECT substring(string_agg(gen_random_bytes(1024), ''::bytea) FROM 1 FOR $5::int)
                   FROM generate_series(1, ceil($5::int / 1024.0)::int + 0 * i)),
                  '{}', 1
           FROM generate_series($3::int, $4::int) AS i`,
          [tenant, COLLECTION, start, Math.min(n, start + chunk) - 1, definition.dimension * 4],
        );
        progress('restart: points into PostgreSQL', Math.min(n, start + chunk), n);
      }
      // While down: every hundredth point gets a new vector and version.
      const changed = Array.from({ length: Math.ceil(n / 100) }, (_, j) => j * 100);
      for (let start = 0; start < changed.length; start += 1000) {
        const part = changed.slice(start, start + 1000);
        await db.query(
          `UPDATE public.memory_points p SET vector = c.vector, version = 2
           FROM unnest($1::int[], $2::bytea[]) AS c(i, vector)
           WHERE p.collection = $3 AND p.key = c.i + 1`,
          [part, part.map((i) => encodeVector(vectorOf((i + 1) % n))), COLLECTION],
        );
      }
      await db.query('VACUUM ANALYZE public.memory_points');
      const restarted = new EmbeddedCollection(definition);
      const started = performance.now();
      const result = await restarted.load(dir, loadCollectionPoints(db, COLLECTION), {
        versions: () => loadCollectionVersions(db, COLLECTION),
        byIds: (ids) => loadCollectionPointsByIds(db, COLLECTION, ids),
      });
      const restartSeconds = (performance.now() - started) / 1000;
      if (!result.fromSnapshot || restarted.size !== n || result.rebuilt !== changed.length)
        throw new Error(
          `restart: snapshot ${result.fromSnapshot ? 'opened' : 'not opened'}, ${restarted.size} of ${n} points, ${result.rebuilt} rebuilt of ${changed.length} changed`,
        );
      return {
        points: n,
        changed_while_down: changed.length,
        snapshot_seconds: Math.round(snapshotSeconds * 100) / 100,
        restart_seconds: Math.round(restartSeconds * 100) / 100,
        rebuilt: result.rebuilt,
        snapshot_bytes: { graph: saved.graphBytes, vectors_and_payloads: saved.slotBytes },
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
