/**
 * Named statements of logical replication (replication.ts): the publication of the durable
 * tables, and what the publisher knows of its subscribers.
 */
import { quoteIdent } from '../finding.js';

export const WAL_LEVEL_SQL = `SELECT current_setting('wal_level') AS wal_level`;

/**
 * The tables a publication carries: every table of the `public` and `auth` schemas (partitioned
 * parents, not their partitions) except the migration bookkeeping and the memory outbox, whose
 * delivery state belongs to the publishing side's relay.
 */
export const DURABLE_TABLES_SQL = `
SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS table_name
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND n.nspname IN ('public', 'auth')
   AND (n.nspname, c.relname) NOT IN (('public', 'shannon_schema_migrations'), ('public', 'memory_outbox'))
 ORDER BY n.nspname, c.relname`;

export const PUBLICATION_EXISTS_SQL = `SELECT 1 FROM pg_publication WHERE pubname = $1`;

/**
 * Creates or resets publication `name` over `tables` (qualified names from DURABLE_TABLES_SQL),
 * published through their partitioned parents so a subscriber may partition differently.
 */
export function createPublicationSql(name: string, tables: readonly string[]): string {
  return `CREATE PUBLICATION ${quoteIdent(name)} FOR TABLE ${tables.join(', ')} WITH (publish_via_partition_root = true)`;
}

export function setPublicationTablesSql(name: string, tables: readonly string[]): string {
  return `ALTER PUBLICATION ${quoteIdent(name)} SET TABLE ${tables.join(', ')}`;
}

/** The tables publication $1 carries. */
export const PUBLICATION_TABLES_SQL = `
SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS table_name
  FROM pg_publication_tables WHERE pubname = $1 ORDER BY schemaname, tablename`;

/**
 * Logical replication slots (one per subscription) on this server's database, with how far each
 * subscriber has confirmed (bytes of WAL behind the current position).
 */
export const LOGICAL_SLOTS_SQL = `
SELECT s.slot_name, s.active, s.confirmed_flush_lsn::text AS confirmed_flush_lsn,
       pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint AS lag_bytes,
       r.application_name, r.client_addr::text AS client_addr, r.state,
       extract(epoch FROM r.replay_lag)::float8 AS replay_lag_seconds
  FROM pg_replication_slots s
  LEFT JOIN pg_stat_replication r ON r.pid = s.active_pid
 WHERE s.slot_type = 'logical' AND s.database = current_database()
 ORDER BY s.slot_name`;
