/**
 * Collection versions: which physical collection serves each logical one. Version 1 keeps the
 * logical name (compatible with Shannon's existing Qdrant collections); a model change adds
 * `<name>_v<n>`, backfilled while 'building', then swapped in. PostgreSQL holds the pointer
 * (the embedded backend's alias); the Qdrant backend mirrors it as a Qdrant alias.
 */
import type { Queryable } from '../postgres/queryable.js';
import { type CollectionName, isCollectionName } from './collections.js';
import {
  ACTIVATE_VERSION,
  ADD_VERSION,
  ENSURE_FIRST_VERSION,
  LIST_VERSIONS,
  RETIRE_ACTIVE,
} from './memory-queries.js';
import type { TransactionRunner } from './outbox-relay.js';

export type VersionState = 'building' | 'active' | 'retired';

export interface CollectionVersion {
  readonly collection: CollectionName;
  readonly version: number;
  readonly physicalName: string;
  readonly dimension: number;
  readonly embeddingModel: string | null;
  readonly state: VersionState;
}

interface VersionRow {
  collection: string;
  version: number;
  physical_name: string;
  dimension: number;
  embedding_model: string | null;
  state: VersionState;
}

/** Reads and changes collection versions; caches the active mapping until `refresh()`. */
export class CollectionVersions {
  private readonly db: TransactionRunner;
  private versions: CollectionVersion[] = [];

  constructor(db: TransactionRunner) {
    this.db = db;
  }

  /** Registers version 1 of each collection that has none, then loads all versions. */
  async ensure(collections: readonly CollectionName[], dimension: number): Promise<void> {
    await this.db.withTransaction(
      async (tx) => {
        for (const name of collections) await tx.query(ENSURE_FIRST_VERSION, [name, dimension]);
      },
      { operation: 'memory.ensure_versions' },
    );
    await this.refresh();
  }

  /** Reloads the versions from PostgreSQL. */
  async refresh(db: Queryable = this.db): Promise<void> {
    const rows = await db.query<VersionRow>(LIST_VERSIONS, [], { operation: 'memory.list_versions' });
    this.versions = rows.rows
      .filter((r) => isCollectionName(r.collection))
      .map((r) => ({
        collection: r.collection as CollectionName,
        version: r.version,
        physicalName: r.physical_name,
        dimension: r.dimension,
        embeddingModel: r.embedding_model,
        state: r.state,
      }));
  }

  /** All known versions. */
  list(): readonly CollectionVersion[] {
    return this.versions;
  }

  /** The physical collection searches and writes use for a logical collection. */
  active(collection: CollectionName): CollectionVersion | undefined {
    return this.versions.find((v) => v.collection === collection && v.state === 'active');
  }

  /** Versions being backfilled (writes go to them too once backfill starts). */
  building(collection: CollectionName): CollectionVersion[] {
    return this.versions.filter((v) => v.collection === collection && v.state === 'building');
  }

  /** Versions whose index must exist (active and building). */
  live(): CollectionVersion[] {
    return this.versions.filter((v) => v.state !== 'retired');
  }

  /** Logical name of a physical collection (metric labels). */
  logicalOf(physical: string): string {
    return this.versions.find((v) => v.physicalName === physical)?.collection ?? 'unknown';
  }

  /** Adds a 'building' version for a new embedding model. */
  async addVersion(collection: CollectionName, dimension: number, model: string): Promise<CollectionVersion> {
    const row = await this.db.query<{ version: number; physical_name: string }>(
      ADD_VERSION,
      [collection, dimension, model],
      {
        operation: 'memory.add_version',
      },
    );
    await this.refresh();
    const created = row.rows[0] as { version: number; physical_name: string };
    return this.versions.find((v) => v.physicalName === created.physical_name) as CollectionVersion;
  }

  /** Swaps the active version in one transaction (the old one is retired). */
  async activate(collection: CollectionName, version: number): Promise<void> {
    await this.db.withTransaction(
      async (tx) => {
        await tx.query(RETIRE_ACTIVE, [collection]);
        await tx.query(ACTIVATE_VERSION, [collection, version]);
      },
      { operation: 'memory.activate_version' },
    );
    await this.refresh();
  }
}
