/**
 * Tenant-keyed custom sharding on Qdrant (QDRANT_TENANT_SHARDS): the tenants listed get a shard key
 * of their own, so their points live on their own shards and their searches touch only those;
 * every other tenant shares the `shared` key, told apart by its payload as with automatic
 * sharding. Qdrant advises low-cardinality shard keys (each key is `shard_number` ×
 * `replication_factor` physical shards), so this is for a few large tenants, not one key per
 * tenant.
 *
 * Routing follows each collection's own keys, read from Qdrant, not the setting: a tenant added to
 * the setting later keeps writing to `shared` in the collections that exist, where its points
 * already are (writing them under a new key would leave a second copy under the old one). The
 * setting applies to collections created from then on, e.g. by `collections rebuild`; `describe`
 * reports the difference as drift.
 */
import type { IndexedPoint } from '../backend.js';

/** The shard key of every tenant without a key of its own. */
export const SHARED_SHARD_KEY = 'shared';

/** How one collection is sharded: automatically, or by the custom keys it has. */
export class ShardLayout {
  static readonly AUTO = new ShardLayout(false, new Set());

  constructor(
    readonly custom: boolean,
    readonly keys: ReadonlySet<string>,
  ) {}

  /** The shard key a tenant's points are written to and searched in (custom layouts only). */
  keyOf(tenantId: string): string {
    return this.keys.has(tenantId) ? tenantId : SHARED_SHARD_KEY;
  }

  /** The `shard_key` field of a request for `tenantId`: none for automatic sharding or no tenant. */
  selector(tenantId: string | undefined): { shard_key?: string } {
    return this.custom && tenantId !== undefined ? { shard_key: this.keyOf(tenantId) } : {};
  }

  /**
   * Points by the shard key they go to, in their order within each key (one upsert request
   * carries one key); the tenant is the payload's `tenant_id`, which every indexed point carries.
   * One group without a key for automatic sharding.
   */
  group(points: readonly IndexedPoint[]): Map<string | undefined, IndexedPoint[]> {
    if (!this.custom) return new Map([[undefined, [...points]]]);
    const groups = new Map<string | undefined, IndexedPoint[]>();
    for (const point of points) {
      const key = this.keyOf(String(point.payload['tenant_id']));
      const group = groups.get(key);
      if (group === undefined) groups.set(key, [point]);
      else group.push(point);
    }
    return groups;
  }
}

/** The keys a collection created now gets: `shared`, then one per listed tenant. */
export function configuredKeys(tenants: readonly string[]): string[] {
  return [SHARED_SHARD_KEY, ...tenants];
}

/** What differs between a collection's sharding and the setting, for `describe`'s drift list. */
export function shardingDrift(layout: ShardLayout, tenants: readonly string[]): string[] {
  if (!layout.custom) {
    return tenants.length === 0
      ? []
      : [
          `sharding auto (QDRANT_TENANT_SHARDS lists ${tenants.length} tenant(s); collections rebuild to apply)`,
        ];
  }
  if (tenants.length === 0)
    return ['sharding custom (QDRANT_TENANT_SHARDS is empty; collections rebuild to apply)'];
  const wanted = new Set(configuredKeys(tenants));
  const missing = [...wanted].filter((k) => !layout.keys.has(k));
  const extra = [...layout.keys].filter((k) => !wanted.has(k));
  return [
    ...(missing.length === 0
      ? []
      : [`shard keys missing: ${missing.join(', ')} (collections rebuild to apply)`]),
    ...(extra.length === 0 ? [] : [`shard keys not in QDRANT_TENANT_SHARDS: ${extra.join(', ')}`]),
  ];
}
