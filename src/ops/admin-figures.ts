/**
 * The figures behind the admin endpoints, one function per statement. The operator's run as the
 * connecting role (catalog reads, no tenant rows); the tenant administrator's run in the tenant's
 * transaction, so row-level security keeps them to its own rows.
 */
import type { Database } from '../postgres/database.js';

/** The largest tables of the data layer's schemas with their total size (heap + indexes + TOAST). */
const TABLE_SIZES = `
  SELECT n.nspname || '.' || c.relname AS table,
         c.relkind = 'p' AS partitioned,
         CASE WHEN c.relkind = 'p'
           THEN (SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) FROM pg_inherits i WHERE i.inhparent = c.oid)
           ELSE pg_total_relation_size(c.oid) END::bigint AS bytes,
         -- Autovacuum analyzes partitions, never their parent, whose own reltuples stays 0 or -1.
         CASE WHEN c.relkind = 'p'
           THEN (SELECT coalesce(sum(greatest(pc.reltuples, 0)), 0) FROM pg_inherits i
                   JOIN pg_class pc ON pc.oid = i.inhrelid WHERE i.inhparent = c.oid)
           ELSE greatest(c.reltuples, 0) END::bigint AS estimated_rows
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname IN ('public', 'auth') AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  ORDER BY bytes DESC LIMIT $1`;

/** Every partitioned table's total size and estimated rows, summed over its direct partitions. */
const PARTITIONED_SIZES = `
  SELECT p.oid::regclass::text AS table,
         coalesce(sum(pg_total_relation_size(i.inhrelid)), 0)::bigint AS bytes,
         coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint AS estimated_rows
  FROM pg_partitioned_table pt
  JOIN pg_class p ON p.oid = pt.partrelid
  LEFT JOIN pg_inherits i ON i.inhparent = p.oid
  LEFT JOIN pg_class c ON c.oid = i.inhrelid
  WHERE NOT p.relispartition
  GROUP BY p.oid`;

/** A tenant's own figures over the last `$1` days: tasks by status, tokens and cost. */
const TENANT_TASK_FIGURES = `
  SELECT status, count(*)::bigint AS tasks, coalesce(sum(total_tokens), 0)::bigint AS tokens,
         coalesce(sum(total_cost_usd), 0)::float8 AS cost_usd
  FROM public.task_executions
  WHERE started_at >= now() - make_interval(days => $1)
  GROUP BY status ORDER BY status`;

/** A tenant's live sessions and its memory points per collection. */
const TENANT_STORE_FIGURES = `
  SELECT 'sessions' AS kind, NULL::text AS name,
         (SELECT count(*) FROM public.sessions WHERE deleted_at IS NULL)::bigint AS n
  UNION ALL
  SELECT 'memory_points', v.collection, count(*)::bigint
  FROM public.memory_points p JOIN public.memory_collection_versions v ON v.physical_name = p.collection
  GROUP BY v.collection`;

export interface TableSize {
  table: string;
  partitioned: boolean;
  bytes: number;
  estimatedRows: number;
}

/** The `limit` largest tables of the data layer's schemas, largest first. */
export async function tableSizes(db: Database, limit: number): Promise<TableSize[]> {
  const { rows } = await db.query<{
    table: string;
    partitioned: boolean;
    bytes: string;
    estimated_rows: string;
  }>(TABLE_SIZES, [limit], { operation: 'admin.table_sizes', readOnly: true });
  return rows.map((r) => ({
    table: r.table,
    partitioned: r.partitioned,
    bytes: Number(r.bytes),
    estimatedRows: Number(r.estimated_rows),
  }));
}

/** Size and estimated rows of each partitioned table, by its name as `partitionStatus` spells it. */
export async function partitionedSizes(
  db: Database,
): Promise<Map<string, { bytes: number; estimatedRows: number }>> {
  const { rows } = await db.query<{ table: string; bytes: string; estimated_rows: string }>(
    PARTITIONED_SIZES,
    [],
    { operation: 'admin.partitioned_sizes', readOnly: true },
  );
  return new Map(
    rows.map((r) => [r.table, { bytes: Number(r.bytes), estimatedRows: Number(r.estimated_rows) }]),
  );
}

export interface TenantFigures {
  tasks: Array<{ status: string; tasks: number; tokens: number; costUsd: number }>;
  liveSessions: number;
  memoryPoints: Record<string, number>;
}

/** One tenant's tasks by status over the last `days` days, its live sessions and memory points. */
export function tenantFigures(db: Database, tenantId: string, days: number): Promise<TenantFigures> {
  return db.withTenant(
    tenantId,
    async (tx) => {
      const tasks = await tx.query<{ status: string; tasks: string; tokens: string; cost_usd: number }>(
        TENANT_TASK_FIGURES,
        [days],
      );
      const stores = await tx.query<{ kind: string; name: string | null; n: string }>(TENANT_STORE_FIGURES);
      return {
        tasks: tasks.rows.map((r) => ({
          status: r.status,
          tasks: Number(r.tasks),
          tokens: Number(r.tokens),
          costUsd: r.cost_usd,
        })),
        liveSessions: Number(stores.rows.find((r) => r.kind === 'sessions')?.n ?? 0),
        memoryPoints: Object.fromEntries(
          stores.rows.filter((r) => r.kind === 'memory_points').map((r) => [r.name, Number(r.n)]),
        ),
      };
    },
    { operation: 'admin.tenant_figures', readOnly: true },
  );
}
