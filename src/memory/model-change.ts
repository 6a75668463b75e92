/**
 * Embedding model change (SPEC P1): a new collection version is created, backfilled from the
 * active version's points re-embedded with the new model, caught up with points that changed
 * during the backfill, and then swapped in (PostgreSQL pointer + Qdrant alias). The old version is
 * retired, not deleted, so a swap can be reversed.
 */
import type { IndexedPoint, VectorBackend } from './backend.js';
import type { CollectionVersion, CollectionVersions } from './collection-versions.js';
import type { CollectionDefinition, CollectionName } from './collections.js';
import type { OutboxRelay, TransactionRunner } from './outbox-relay.js';
import { type StoredPointInput, upsertPoints } from './point-store.js';
import { validateVector } from './vector.js';

/** Computes the new model's vector for a stored point (usually from a text in its payload). */
export type ReEmbed = (point: { id: string; payload: Record<string, unknown> }) => Promise<ArrayLike<number>>;

export interface ModelChangeDeps {
  db: TransactionRunner;
  backend: VectorBackend;
  versions: CollectionVersions;
  relay: OutboxRelay;
  load: (physical: string) => AsyncIterable<IndexedPoint[]>;
}

/** Result of a model change. */
export interface ModelChangeResult {
  collection: CollectionName;
  from: string;
  to: string;
  version: number;
  points: number;
}

function tenantOf(point: IndexedPoint): string {
  return String(point.payload['tenant_id']);
}

function stripReserved(payload: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { tenant_id: _t, _version: _v, ...rest } = payload;
  return rest;
}

async function copyPoints(
  deps: ModelChangeDeps,
  from: CollectionVersion,
  to: CollectionVersion,
  embed: ReEmbed,
  seen: Map<string, number>,
): Promise<number> {
  let copied = 0;
  for await (const page of deps.load(from.physicalName)) {
    const changed = page.filter((p) => seen.get(`${tenantOf(p)}/${p.id}`) !== p.version);
    const byTenant = new Map<string, StoredPointInput[]>();
    for (const point of changed) {
      const payload = stripReserved(point.payload);
      const vector = validateVector(
        await embed({ id: point.id, payload }),
        to.dimension,
        `points[${point.id}].vector`,
      );
      const list = byTenant.get(tenantOf(point)) ?? [];
      list.push({ id: point.id, vector, payload });
      byTenant.set(tenantOf(point), list);
      seen.set(`${tenantOf(point)}/${point.id}`, point.version);
    }
    for (const [tenant, points] of byTenant) {
      await deps.db.withTransaction((tx) => upsertPoints(tx, tenant, to.physicalName, points), {
        tenantId: tenant,
        operation: 'memory.model_change_copy',
      });
      copied += points.length;
    }
  }
  return copied;
}

/** Creates, backfills and activates a new version of `collection` for `model`. */
export async function changeModel(
  deps: ModelChangeDeps,
  collection: CollectionName,
  definition: CollectionDefinition,
  options: { model: string; dimension: number; embed: ReEmbed },
): Promise<ModelChangeResult> {
  const from = deps.versions.active(collection);
  if (from === undefined) throw new Error(`${collection} has no active version`);
  const to = await deps.versions.addVersion(collection, options.dimension, options.model);
  await deps.backend.ensureCollection(to.physicalName, { ...definition, dimension: options.dimension });
  const seen = new Map<string, number>();
  let points = await copyPoints(deps, from, to, options.embed, seen);
  // Catch-up: points written to the old version while the backfill ran (only changed ones re-embed).
  points += await copyPoints(deps, from, to, options.embed, seen);
  await deps.relay.drain({ force: true });
  await deps.versions.activate(collection, to.version);
  await deps.backend.setAlias(`${collection}_active`, to.physicalName);
  return { collection, from: from.physicalName, to: to.physicalName, version: to.version, points };
}
