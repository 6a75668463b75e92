/**
 * The memory's writes: each stores the point and its outbox row in PostgreSQL (in the caller's
 * transaction when given) and reaches the index through the relay, so writes never wait for it.
 */
import { DatabaseError, ShannonError, ValidationError } from '../errors/errors.js';
import type { Queryable } from '../postgres/queryable.js';
import type { CollectionName } from './collections.js';
import { composeFilter, type Filter, leafConditions, parseFilter } from './filter.js';
import { matchesFilter } from './filter-evaluator.js';
import type { MemoryContext } from './memory-context.js';
import { isPointId } from './point-id.js';
import { type MemoryPointInput, preparePoints, validatePayload } from './point-input.js';
import { deletePoints, tenantPoints, updatePayload, upsertPoints } from './point-store.js';

export interface WriteOptions {
  /** The caller's transaction (its tenant context must match); the point commits with the caller's rows. */
  tx?: Queryable;
}

/** Writes to the vector memory; every call is scoped to one tenant. */
export interface MemoryWriter {
  /**
   * Stores points (vector + payload) and queues them for the index; ids derive from natural keys.
   * @throws ValidationError naming the field; nothing is stored when any point is invalid.
   * @throws ShannonError CONFLICT when an explicit id is already used by another tenant.
   */
  upsert(
    tenantId: string,
    collection: CollectionName,
    points: readonly MemoryPointInput[],
    options?: WriteOptions,
  ): Promise<{ ids: string[]; changed: number }>;
  /** Deletes points by id; returns how many existed. @throws ValidationError when an id is not a UUID. */
  delete(
    tenantId: string,
    collection: CollectionName,
    ids: readonly string[],
    options?: WriteOptions,
  ): Promise<number>;
  /**
   * Deletes the tenant's points matching a filter, evaluated on PostgreSQL's payloads (the truth).
   * @throws ValidationError when the filter has no condition.
   */
  deleteByFilter(tenantId: string, collection: CollectionName, filter: Filter): Promise<number>;
  /** Merges keys into a point's payload; false when the tenant has no such point. */
  updatePayload(
    tenantId: string,
    collection: CollectionName,
    id: string,
    patch: Record<string, unknown>,
    options?: WriteOptions,
  ): Promise<boolean>;
}

/**
 * Ids are unique per collection across tenants (migration 0021: the index backends key points by
 * id alone). A caller-supplied id another tenant already uses is refused, without saying whose.
 */
function pointIdInUse(error: unknown, collection: string): ShannonError | undefined {
  const cause =
    error instanceof DatabaseError ? (error.cause as { constraint?: unknown } | undefined) : undefined;
  if (cause?.constraint !== 'memory_points_collection_id_key') return undefined;
  return new ShannonError('CONFLICT', `a point id is already in use in ${collection}; choose another id`, {
    field: 'points.id',
    cause: error,
  });
}

export function createMemoryWriter(ctx: MemoryContext): MemoryWriter {
  const { db, metrics } = ctx;

  function write<T>(tenantId: string, options: WriteOptions, fn: (q: Queryable) => Promise<T>): Promise<T> {
    return options.tx !== undefined
      ? fn(options.tx)
      : db.withTransaction(fn, { tenantId, operation: 'memory.write' });
  }

  async function physicalOf(collection: CollectionName): Promise<string> {
    return (await ctx.activeVersion(collection, false)).physicalName;
  }

  return {
    async upsert(tenantId, collection, points, options = {}) {
      ctx.requireTenant(tenantId);
      ctx.definition(collection);
      const active = await ctx.activeVersion(collection, false);
      const prepared = preparePoints(collection, tenantId.toLowerCase(), points, active.dimension);
      const physical = active.physicalName;
      const started = performance.now();
      try {
        const changed = await write(tenantId, options, (q) =>
          upsertPoints(q, tenantId, physical, prepared),
        ).catch((error: unknown) => {
          throw pointIdInUse(error, collection) ?? error;
        });
        metrics?.memoryUpsertDuration.observe(
          { collection, outcome: 'ok' },
          (performance.now() - started) / 1000,
        );
        metrics?.memoryPointsWritten.inc({ collection, op: 'upsert' }, changed);
        return { ids: prepared.map((p) => p.id), changed };
      } catch (error) {
        metrics?.memoryUpsertDuration.observe(
          { collection, outcome: 'error' },
          (performance.now() - started) / 1000,
        );
        throw error;
      }
    },

    async delete(tenantId, collection, ids, options = {}) {
      ctx.requireTenant(tenantId);
      ctx.definition(collection);
      const filter = parseFilter({ must: [{ has_id: ids }] }, undefined, 'ids');
      const checked = (filter.must?.[0] as { has_id: string[] } | undefined)?.has_id ?? [];
      const physical = await physicalOf(collection);
      const n = await write(tenantId, options, (q) => deletePoints(q, tenantId, physical, checked));
      metrics?.memoryPointsWritten.inc({ collection, op: 'delete' }, n);
      return n;
    },

    async deleteByFilter(tenantId, collection, filter) {
      ctx.requireTenant(tenantId);
      ctx.definition(collection);
      const parsed = parseFilter(filter);
      // An empty filter (`{"must": []}`, or clauses holding only empty filters) matches every
      // point; a delete by filter must say what it deletes.
      if (leafConditions(parsed) === 0)
        throw new ValidationError('filter', 'a delete filter needs at least one condition');
      const composed = composeFilter(tenantId, parsed);
      const physical = await physicalOf(collection);
      const n = await db.withTransaction(
        async (tx) => {
          const ids: string[] = [];
          for await (const page of tenantPoints(tx, tenantId, physical)) {
            for (const p of page) {
              if (
                matchesFilter(composed, {
                  id: p.id,
                  payload: { ...p.payload, tenant_id: tenantId.toLowerCase() },
                })
              ) {
                ids.push(p.id);
              }
            }
          }
          let deleted = 0;
          for (let i = 0; i < ids.length; i += 1000)
            deleted += await deletePoints(tx, tenantId, physical, ids.slice(i, i + 1000));
          return deleted;
        },
        { tenantId, operation: 'memory.delete_by_filter' },
      );
      metrics?.memoryPointsWritten.inc({ collection, op: 'delete' }, n);
      return n;
    },

    async updatePayload(tenantId, collection, id, patch, options = {}) {
      ctx.requireTenant(tenantId);
      ctx.definition(collection);
      if (!isPointId(id)) throw new ValidationError('id', 'must be a UUID');
      const merged = validatePayload(patch, 'patch');
      const physical = await physicalOf(collection);
      const ok = await write(tenantId, options, (q) =>
        updatePayload(q, tenantId, physical, id.toLowerCase(), merged),
      );
      if (ok) metrics?.memoryPointsWritten.inc({ collection, op: 'payload' });
      return ok;
    },
  };
}
