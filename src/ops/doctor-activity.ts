/**
 * Doctor checks on live activity: long-running, idle-in-transaction and blocked sessions of this
 * database, cache hit ratio, connection saturation, replication lag and inactive slots.
 */
import type { Queryable } from '../postgres/queryable.js';
import type { DoctorThresholds } from './doctor-thresholds.js';
import type { DoctorChecks, Finding } from './finding.js';

export const SESSIONS_SQL = `
SELECT pid, usename, application_name, state, wait_event_type,
       extract(epoch FROM now() - coalesce(query_start, xact_start))::float8 AS query_seconds,
       extract(epoch FROM now() - state_change)::float8 AS state_seconds,
       extract(epoch FROM now() - xact_start)::float8 AS xact_seconds,
       cardinality(pg_blocking_pids(pid)) AS blocked_by_count,
       pg_blocking_pids(pid)::text AS blocked_by,
       left(query, 200) AS query
  FROM pg_stat_activity
 WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`;

export const CACHE_HIT_SQL = `
SELECT coalesce(sum(heap_blks_hit), 0)::float8 + coalesce(sum(idx_blks_hit), 0)::float8 AS hit,
       coalesce(sum(heap_blks_read), 0)::float8 + coalesce(sum(idx_blks_read), 0)::float8 AS read
  FROM pg_statio_user_tables`;

export const CONNECTIONS_SQL = `
SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS used,
       current_setting('max_connections')::int AS max,
       current_setting('superuser_reserved_connections')::int AS reserved`;

export const REPLICATION_SQL = `
SELECT pg_is_in_recovery() AS in_recovery,
       CASE WHEN pg_is_in_recovery() THEN
         CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
              ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END
       END AS replay_lag_seconds`;

export const REPLICAS_SQL = `
SELECT application_name, client_addr::text AS client, extract(epoch FROM replay_lag)::float8 AS lag_seconds
  FROM pg_stat_replication`;

export const INACTIVE_SLOTS_SQL = `
SELECT slot_name, slot_type, pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::float8 AS retained_bytes
  FROM pg_replication_slots WHERE NOT active`;

interface SessionRow {
  pid: number;
  usename: string | null;
  application_name: string | null;
  state: string | null;
  wait_event_type: string | null;
  query_seconds: number | null;
  state_seconds: number | null;
  xact_seconds: number | null;
  blocked_by_count: number;
  blocked_by: string;
  query: string | null;
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Long-running, idle-in-transaction and blocked sessions of this database. */
export async function checkSessions(db: Queryable, t: DoctorThresholds): Promise<Finding[]> {
  const { rows } = await db.query<SessionRow>(SESSIONS_SQL, [], { operation: 'ops.doctor.sessions' });
  const findings: Finding[] = [];
  for (const s of rows) {
    const who = `pid ${s.pid}`;
    const base = { user: s.usename, application: s.application_name, query: s.query };
    if (s.state === 'idle in transaction' || s.state === 'idle in transaction (aborted)') {
      const idle = s.state_seconds ?? 0;
      if (idle >= t.idleInTransactionSeconds) {
        findings.push({
          code: 'IDLE_IN_TRANSACTION',
          severity: 'warning',
          object: who,
          evidence: { ...base, idle_seconds: round(idle), transaction_seconds: round(s.xact_seconds ?? 0) },
          fix: `SELECT pg_terminate_backend(${s.pid}); -- and set idle_in_transaction_session_timeout`,
        });
      }
    } else if (s.state === 'active') {
      const running = s.query_seconds ?? 0;
      if (running >= t.longRunningWarnSeconds) {
        findings.push({
          code: 'LONG_RUNNING_QUERY',
          severity: running >= t.longRunningCriticalSeconds ? 'critical' : 'warning',
          object: who,
          evidence: { ...base, running_seconds: round(running) },
          fix: `SELECT pg_cancel_backend(${s.pid}); -- then EXPLAIN it: shannon-data explain "<query>"`,
        });
      }
      if (s.blocked_by_count > 0 && (s.state_seconds ?? 0) >= t.blockedSeconds) {
        findings.push({
          code: 'BLOCKED_QUERY',
          severity: 'warning',
          object: who,
          evidence: { ...base, waiting_seconds: round(s.state_seconds ?? 0), blocked_by: s.blocked_by },
          fix: `SELECT pid, state, query FROM pg_stat_activity WHERE pid = ANY ('${s.blocked_by}'::int[]);`,
        });
      }
    }
  }
  return findings;
}

/** Shared-buffer hit ratio over user tables and indexes, once enough blocks were read. */
export async function checkCacheHit(db: Queryable, t: DoctorThresholds): Promise<Finding[]> {
  const { rows } = await db.query<{ hit: number; read: number }>(CACHE_HIT_SQL, [], {
    operation: 'ops.doctor.cache_hit',
  });
  const { hit, read } = rows[0]!;
  const total = hit + read;
  if (total < t.cacheHitMinBlocks) return [];
  const ratio = hit / total;
  if (ratio >= t.cacheHitRatioMin) return [];
  return [
    {
      code: 'CACHE_HIT_RATIO_LOW',
      severity: 'warning',
      object: 'database',
      evidence: {
        hit_ratio: round(ratio, 4),
        blocks_hit: hit,
        blocks_read: read,
        wanted: t.cacheHitRatioMin,
      },
      fix: 'Raise shared_buffers (about 25% of RAM) or find the scans reading cold data: shannon-data advise indexes',
    },
  ];
}

/** Client connections against max_connections (minus the superuser reserve). */
export async function checkConnections(db: Queryable, t: DoctorThresholds): Promise<Finding[]> {
  const { rows } = await db.query<{ used: number; max: number; reserved: number }>(CONNECTIONS_SQL, [], {
    operation: 'ops.doctor.connections',
  });
  const { used, max, reserved } = rows[0]!;
  const usable = Math.max(1, max - reserved);
  if (used / usable < t.connectionsWarnRatio) return [];
  return [
    {
      code: 'CONNECTIONS_SATURATED',
      severity: used >= usable ? 'critical' : 'warning',
      object: 'server',
      evidence: { connections: used, max_connections: max, reserved, ratio: round(used / usable, 3) },
      fix: 'Lower pool sizes (PG_POOL_MAX) per process or put PgBouncer in front; raise max_connections only with RAM to spare',
    },
  ];
}

/** Replay lag on a replica, replicas behind the primary, and inactive replication slots. */
export async function checkReplication(db: Queryable, t: DoctorThresholds): Promise<Finding[]> {
  const findings: Finding[] = [];
  const { rows } = await db.query<{ in_recovery: boolean; replay_lag_seconds: number | null }>(
    REPLICATION_SQL,
    [],
    { operation: 'ops.doctor.replication' },
  );
  const self = rows[0]!;
  if (self.in_recovery) {
    const lag = self.replay_lag_seconds ?? 0;
    if (lag > t.replicaLagSeconds) {
      findings.push({
        code: 'REPLICA_LAG',
        severity: 'warning',
        object: 'this replica',
        evidence: { lag_seconds: round(lag) },
        fix: 'Route reads to the primary until lag recovers; check the replica for long queries and I/O',
      });
    }
    return findings;
  }
  const replicas = await db.query<{
    application_name: string;
    client: string | null;
    lag_seconds: number | null;
  }>(REPLICAS_SQL, [], { operation: 'ops.doctor.replicas' });
  for (const r of replicas.rows) {
    if ((r.lag_seconds ?? 0) > t.replicaLagSeconds) {
      findings.push({
        code: 'REPLICA_LAG',
        severity: 'warning',
        object: `replica ${r.application_name || r.client || 'unknown'}`,
        evidence: { lag_seconds: round(r.lag_seconds ?? 0) },
        fix: 'Route reads away from this replica until its lag recovers',
      });
    }
  }
  const slots = await db.query<{ slot_name: string; slot_type: string; retained_bytes: number | null }>(
    INACTIVE_SLOTS_SQL,
    [],
    { operation: 'ops.doctor.slots' },
  );
  for (const s of slots.rows) {
    findings.push({
      code: 'REPLICATION_SLOT_INACTIVE',
      severity: 'warning',
      object: `slot ${s.slot_name}`,
      evidence: { slot_type: s.slot_type, retained_wal_bytes: s.retained_bytes },
      fix: `SELECT pg_drop_replication_slot('${s.slot_name.replace(/'/g, "''")}'); -- if no consumer will return`,
    });
  }
  return findings;
}

/** The activity checks, run by the doctor in this order. */
export const ACTIVITY_CHECKS: DoctorChecks = {
  sessions: checkSessions,
  cache_hit: checkCacheHit,
  connections: checkConnections,
  replication: checkReplication,
};
