/**
 * Doctor findings: a stable code, a severity, the object concerned, the numbers that triggered it
 * and the fix as SQL or a command. Codes are listed once here (docs/operations.md mirrors them).
 */
import type { Queryable } from '../postgres/queryable.js';
import type { DoctorThresholds } from './doctor-thresholds.js';

export type Severity = 'info' | 'warning' | 'critical';

/** Every finding code the doctor can emit, with what it means. */
export const FINDING_CODES = {
  EXTENSION_MISSING: 'An extension a check needs is not installed or not preloaded; the check was skipped.',
  STATS_WINDOW_SHORT: 'Usage statistics cover too short a window to call an index unused yet.',
  SLOW_QUERY: 'A statement ran at least 100 times in the window with a mean of at least 20 ms.',
  QUERY_SEQ_SCAN: 'A frequent statement (at least 100 calls in the window) sequentially scans a large table.',
  LONG_RUNNING_QUERY:
    'A statement has been running longer than the threshold (60 s warning, 5 min critical).',
  IDLE_IN_TRANSACTION: 'A session holds an open transaction while idle (pins the xmin horizon, holds locks).',
  BLOCKED_QUERY: 'A statement waits for a lock held by another session.',
  CACHE_HIT_RATIO_LOW: 'Too many table and index reads miss shared buffers.',
  CONNECTIONS_SATURATED: 'Connections are close to max_connections.',
  INDEX_UNUSED: 'An index was not scanned during the observed window (PK, unique and FK indexes excluded).',
  INDEX_DUPLICATE: 'Two indexes on a table have the same definition.',
  INDEX_REDUNDANT: 'An index is a leading prefix of another index on the same table.',
  INDEX_INVALID: 'An index is invalid (a failed CREATE INDEX CONCURRENTLY) and is maintained but never used.',
  CONSTRAINT_NOT_VALID:
    'A CHECK or foreign-key constraint was added NOT VALID and never validated (old rows unchecked).',
  FK_WITHOUT_INDEX:
    'A foreign key has no index leading with its columns (slow deletes on the parent, lock waits).',
  TABLE_SEQ_SCAN_HEAVY: 'A large table is read mostly by sequential scans; a query probably misses an index.',
  TABLE_BLOAT: 'A table occupies far more pages than its live rows need.',
  INDEX_BLOAT: 'A btree index occupies far more pages than its entries need.',
  AUTOVACUUM_PENDING: 'A table has more dead rows than its autovacuum threshold and was not vacuumed.',
  XID_AGE_HIGH: 'Transaction-id age is approaching the wraparound protection limit.',
  SEQUENCE_NEAR_OVERFLOW: 'A sequence has used more than 90% of its range.',
  PARTITION_MISSING_AHEAD:
    'A partitioned table has no partition for next month; new rows will land in the default partition or fail.',
  PARTITION_DEFAULT_HAS_ROWS:
    'A default partition holds rows (a monthly partition was missing when they arrived).',
  PARTITION_GAP: 'Consecutive range partitions leave a gap.',
  REPLICA_LAG: 'A replica replays WAL more than 5 s behind the primary.',
  REPLICATION_SLOT_INACTIVE: 'An inactive replication slot pins WAL on the primary.',
  VECTOR_PAYLOAD_INDEX_MISSING: 'A vector collection lacks a payload index one of its filters needs.',
  VECTOR_COLLECTION_MISSING: 'An active vector collection version does not exist in the index backend.',
  VECTOR_UNINDEXED:
    'Part of a collection is not yet in the vector index (searches brute-force those segments).',
  VECTOR_OPTIMIZER_STATUS: 'The backend reports the collection as not green (optimizing, or failed).',
  VECTOR_DIMENSION_DRIFT:
    'The backend collection has another dimension or distance than the registry (embedding drift).',
  VECTOR_REPLICA_NOT_ACTIVE:
    'A Qdrant shard replica is not Active (dead, partial, recovering): reads and writes rely on fewer copies.',
  VECTOR_SHARD_IMBALANCE: 'One Qdrant shard holds more than twice the points of another on the same peer.',
} as const;

export type FindingCode = keyof typeof FINDING_CODES;

/** One doctor finding; plain JSON so the CLI and the admin API print the same thing. */
export interface Finding {
  code: FindingCode;
  severity: Severity;
  /** The object concerned: a table, index, session pid, query id or collection. */
  object: string;
  /** The numbers behind the judgement. */
  evidence: Record<string, string | number | boolean | null>;
  /** What to do: SQL or a shell command. */
  fix: string;
}

/** One doctor check: reads the database, judges by the thresholds, returns its findings. */
export type DoctorCheck = (db: Queryable, t: DoctorThresholds) => Promise<Finding[]>;

/**
 * A module's checks by the name the report gives them, in the order they run. Each doctor-*.ts
 * exports one such table and the doctor runs them all, so a check added to a module is run
 * without touching doctor.ts.
 */
export type DoctorChecks = Readonly<Record<string, DoctorCheck>>;

/** Orders findings critical → warning → info, then by code and object, for stable output. */
export function sortFindings(findings: Finding[]): Finding[] {
  const rank: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
  return [...findings].sort(
    (a, b) =>
      rank[a.severity] - rank[b.severity] || a.code.localeCompare(b.code) || a.object.localeCompare(b.object),
  );
}

/** Quotes an identifier for SQL shown in a fix (the object names come from the catalog). */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/**
 * Quotes an identifier always, whatever its spelling, so a catalog column named like a keyword
 * (`timestamp`, `order`) stays a column in generated SQL.
 */
export function quoteIdentAlways(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `schema.name` with each part quoted when needed. */
export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}
