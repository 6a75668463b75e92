/**
 * Logical replication of the durable tables to another PostgreSQL (another region, a reporting
 * server): a publication here, which a subscriber on the other side names in its CREATE
 * SUBSCRIPTION. What it does not carry (docs/scaling.md): DDL — the subscriber runs the same
 * migrations itself; sequence and identity positions — a subscriber promoted to take writes
 * must move them past the copied rows first; the memory outbox — the subscriber's index is built
 * from the replicated points (`collections rebuild`).
 */
import { ShannonError } from '../errors/errors.js';
import type { Queryable } from '../postgres/queryable.js';
import {
  createPublicationSql,
  DURABLE_TABLES_SQL,
  LOGICAL_SLOTS_SQL,
  PUBLICATION_EXISTS_SQL,
  PUBLICATION_TABLES_SQL,
  setPublicationTablesSql,
  WAL_LEVEL_SQL,
} from './sql/replication-sql.js';

/** The publication's name unless told otherwise. */
export const DEFAULT_PUBLICATION = 'shannon_data';

export interface PublishResult {
  publication: string;
  /** True when it was created now, false when an existing one was brought up to date. */
  created: boolean;
  tables: string[];
}

export interface SubscriberSlot {
  slot: string;
  active: boolean;
  confirmedFlushLsn: string | null;
  /** WAL bytes between the publisher's position and what the subscriber confirmed. */
  lagBytes: number | null;
  applicationName: string | null;
  clientAddr: string | null;
  state: string | null;
  replayLagSeconds: number | null;
}

export interface ReplicationStatus {
  walLevel: string;
  publication: string;
  exists: boolean;
  tables: string[];
  /** Durable tables the publication does not carry (tables added by later migrations). */
  missingTables: string[];
  subscribers: SubscriberSlot[];
}

async function durableTables(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ table_name: string }>(DURABLE_TABLES_SQL, [], {
    operation: 'ops.replication.tables',
  });
  return rows.map((r) => r.table_name);
}

/**
 * Creates the publication of the durable tables, or sets an existing one's tables to the current
 * list (run it again after a migration adds a table). @throws ShannonError CONFLICT when
 * wal_level is not logical (PostgreSQL would accept the publication and never send anything).
 */
export async function publish(db: Queryable, name = DEFAULT_PUBLICATION): Promise<PublishResult> {
  const level = await db.query<{ wal_level: string }>(WAL_LEVEL_SQL);
  if (level.rows[0]!.wal_level !== 'logical') {
    throw new ShannonError(
      'CONFLICT',
      `wal_level is ${level.rows[0]!.wal_level}; logical replication needs wal_level = logical (set it and restart PostgreSQL)`,
      { details: { setting: 'wal_level', value: level.rows[0]!.wal_level } },
    );
  }
  const tables = await durableTables(db);
  const exists = (await db.query(PUBLICATION_EXISTS_SQL, [name])).rows.length > 0;
  await db.query(exists ? setPublicationTablesSql(name, tables) : createPublicationSql(name, tables), [], {
    operation: 'ops.replication.publish',
  });
  return { publication: name, created: !exists, tables };
}

/** The publication, the tables it misses, and each subscriber's slot and lag. */
export async function replicationStatus(
  db: Queryable,
  name = DEFAULT_PUBLICATION,
): Promise<ReplicationStatus> {
  const level = await db.query<{ wal_level: string }>(WAL_LEVEL_SQL);
  const exists = (await db.query(PUBLICATION_EXISTS_SQL, [name])).rows.length > 0;
  const published = exists
    ? (await db.query<{ table_name: string }>(PUBLICATION_TABLES_SQL, [name])).rows.map((r) => r.table_name)
    : [];
  const all = await durableTables(db);
  const slots = await db.query<{
    slot_name: string;
    active: boolean;
    confirmed_flush_lsn: string | null;
    lag_bytes: string | null;
    application_name: string | null;
    client_addr: string | null;
    state: string | null;
    replay_lag_seconds: number | null;
  }>(LOGICAL_SLOTS_SQL, [], { operation: 'ops.replication.slots' });
  return {
    walLevel: level.rows[0]!.wal_level,
    publication: name,
    exists,
    tables: published,
    missingTables: all.filter((t) => !published.includes(t)),
    subscribers: slots.rows.map((s) => ({
      slot: s.slot_name,
      active: s.active,
      confirmedFlushLsn: s.confirmed_flush_lsn,
      lagBytes: s.lag_bytes === null ? null : Number(s.lag_bytes),
      applicationName: s.application_name,
      clientAddr: s.client_addr,
      state: s.state,
      replayLagSeconds: s.replay_lag_seconds,
    })),
  };
}
