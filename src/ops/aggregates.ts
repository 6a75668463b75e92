/**
 * Daily usage aggregates: a from-scratch recount of usage_daily_aggregates from task_executions
 * (the same rules as the delta triggers of migration 0063), a verification that lists every
 * (tenant, user, day) where the stored row differs, and a rebuild that replaces the rows of a range
 * under a SHARE ROW EXCLUSIVE lock, so completions committing meanwhile wait and then add on top.
 */
import { ValidationError } from '../errors/errors.js';
import type { Queryable, SessionSource } from '../postgres/queryable.js';

const TERMINAL = `('COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT')`;

/** The aggregate rows task_executions implies, for days in [$1, $2) and optionally one tenant ($3). */
export const RECOUNT_SQL = `
SELECT tenant_id::text AS tenant_id, user_id::text AS user_id, (started_at AT TIME ZONE 'UTC')::date::text AS date,
       count(*)::int AS total_tasks,
       count(*) FILTER (WHERE status = 'COMPLETED')::int AS successful_tasks,
       count(*) FILTER (WHERE status IN ('FAILED', 'TIMEOUT'))::int AS failed_tasks,
       count(*) FILTER (WHERE status = 'CANCELLED')::int AS cancelled_tasks,
       sum(total_tokens)::bigint AS total_tokens,
       sum(cache_aware_total_tokens)::bigint AS cache_aware_total_tokens,
       sum(total_cost_usd)::numeric(16, 6) AS total_cost_usd,
       sum(tools_invoked)::int AS tools_invoked,
       sum(coalesce(duration_ms, 0))::bigint AS total_duration_ms,
       count(duration_ms)::int AS duration_samples,
       CASE WHEN count(duration_ms) > 0 THEN (sum(coalesce(duration_ms, 0))::bigint / count(duration_ms))::int END AS avg_duration_ms,
       sum(cache_hits)::int AS cache_hits
  FROM public.task_executions
 WHERE status IN ${TERMINAL}
   AND started_at >= ($1::date)::timestamp AT TIME ZONE 'UTC' AND started_at < ($2::date)::timestamp AT TIME ZONE 'UTC'
   AND ($3::uuid IS NULL OR tenant_id = $3::uuid)
 GROUP BY tenant_id, user_id, (started_at AT TIME ZONE 'UTC')::date`;

const COMPARED = [
  'total_tasks',
  'successful_tasks',
  'failed_tasks',
  'cancelled_tasks',
  'total_tokens',
  'cache_aware_total_tokens',
  'total_cost_usd',
  'tools_invoked',
  'total_duration_ms',
  'duration_samples',
  'avg_duration_ms',
  'cache_hits',
] as const;

/** Stored rows next to recounted rows; a difference in any compared column is reported. */
export const VERIFY_SQL = `
WITH recount AS (${RECOUNT_SQL}),
stored AS (
  SELECT tenant_id::text AS tenant_id, user_id::text AS user_id, date::text AS date,
         ${COMPARED.join(', ')}
    FROM public.usage_daily_aggregates
   WHERE date >= $1::date AND date < $2::date AND ($3::uuid IS NULL OR tenant_id = $3::uuid)
)
SELECT coalesce(r.tenant_id, s.tenant_id) AS tenant_id, coalesce(r.user_id, s.user_id) AS user_id,
       coalesce(r.date, s.date) AS date, to_jsonb(s) AS stored, to_jsonb(r) AS recount
  FROM recount r FULL JOIN stored s
    ON s.tenant_id = r.tenant_id AND s.user_id IS NOT DISTINCT FROM r.user_id AND s.date = r.date
 WHERE ${COMPARED.map((c) => `s.${c} IS DISTINCT FROM r.${c}`).join(' OR ')}`;

export const REBUILD_DELETE_SQL = `
DELETE FROM public.usage_daily_aggregates
 WHERE date >= $1::date AND date < $2::date AND ($3::uuid IS NULL OR tenant_id = $3::uuid)`;

export const REBUILD_INSERT_SQL = `
INSERT INTO public.usage_daily_aggregates (tenant_id, user_id, date, ${COMPARED.join(', ')})
SELECT tenant_id::uuid, user_id::uuid, date::date, ${COMPARED.join(', ')} FROM (${RECOUNT_SQL}) r`;

export interface AggregateRange {
  /** First UTC day (inclusive), `YYYY-MM-DD`. */
  from: string;
  /** Last UTC day (exclusive), `YYYY-MM-DD`. */
  to: string;
  tenantId?: string;
}

export interface AggregateDifference {
  tenantId: string;
  userId: string | null;
  date: string;
  stored: Record<string, unknown> | null;
  recount: Record<string, unknown> | null;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function params(range: AggregateRange): unknown[] {
  if (!DAY.test(range.from)) throw new ValidationError('from', 'must be a day YYYY-MM-DD');
  if (!DAY.test(range.to)) throw new ValidationError('to', 'must be a day YYYY-MM-DD');
  return [range.from, range.to, range.tenantId ?? null];
}

/** Lists the (tenant, user, day) rows whose stored aggregate differs from a recount. */
export async function verifyDailyAggregates(
  db: Queryable,
  range: AggregateRange,
): Promise<AggregateDifference[]> {
  const { rows } = await db.query<{
    tenant_id: string;
    user_id: string | null;
    date: string;
    stored: Record<string, unknown> | null;
    recount: Record<string, unknown> | null;
  }>(VERIFY_SQL, params(range), { operation: 'ops.aggregates.verify', timeoutMs: 600_000 });
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    userId: r.user_id,
    date: r.date,
    stored: r.stored,
    recount: r.recount,
  }));
}

export interface RebuildResult {
  range: AggregateRange;
  deleted: number;
  inserted: number;
}

/** Replaces the aggregate rows of a range with a recount, atomically. */
export async function rebuildDailyAggregates(
  source: SessionSource,
  range: AggregateRange,
): Promise<RebuildResult> {
  const values = params(range);
  return source.withSession(
    async (session) => {
      await session.query('BEGIN');
      try {
        // Blocks the trigger's increments (ROW EXCLUSIVE) until the rebuild commits, and waits for
        // increments already made by transactions that have not committed, so none is lost or doubled.
        await session.query('LOCK TABLE public.usage_daily_aggregates IN SHARE ROW EXCLUSIVE MODE');
        const deleted = await session.query(REBUILD_DELETE_SQL, values);
        const inserted = await session.query(REBUILD_INSERT_SQL, values);
        await session.query('COMMIT');
        return { range, deleted: deleted.rowCount, inserted: inserted.rowCount };
      } catch (error) {
        await session.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    { operation: 'ops.aggregates.rebuild' },
  );
}
