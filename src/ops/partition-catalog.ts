/**
 * Reads partitioned tables and their partitions from the catalog: range bounds of single-column
 * time keys as timestamps, the default partition, and how many rows the default holds.
 */
import type { Queryable } from '../postgres/queryable.js';

/** Every top-level partitioned table with each direct partition and its bound. */
export const PARTITIONS_SQL = `
SELECT p.oid::regclass::text AS parent, n.nspname AS schema, p.relname AS parent_name,
       pg_get_partkeydef(p.oid) AS key_definition, pt.partstrat::text AS strategy,
       (pt.partnatts = 1 AND ka.atttypid IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype)) AS time_key,
       ka.attname::text AS key_column,
       c.oid::regclass::text AS partition, c.relname AS partition_name,
       pg_get_expr(c.relpartbound, c.oid) AS bound
  FROM pg_partitioned_table pt
  JOIN pg_class p ON p.oid = pt.partrelid
  JOIN pg_namespace n ON n.oid = p.relnamespace
  LEFT JOIN pg_attribute ka ON ka.attrelid = p.oid AND ka.attnum = pt.partattrs[0]
  LEFT JOIN pg_inherits i ON i.inhparent = p.oid
  LEFT JOIN pg_class c ON c.oid = i.inhrelid
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'shannon_ops') AND NOT p.relispartition
 ORDER BY 1, 10`;

/** Parses the lower and upper bounds of a range partition of a time key (NULL for MINVALUE/MAXVALUE). */
export const RANGE_BOUNDS_SQL = `
SELECT b.bound,
       CASE WHEN m[1] IS NOT NULL THEN m[1]::timestamptz END AS lower,
       CASE WHEN m[2] IS NOT NULL THEN m[2]::timestamptz END AS upper
  FROM unnest($1::text[]) AS b(bound)
  CROSS JOIN LATERAL (SELECT regexp_match(b.bound, $re$FROM \\((?:'([^']*)'|MINVALUE)\\) TO \\((?:'([^']*)'|MAXVALUE)\\)$re$) AS m) x`;

export interface PartitionInfo {
  name: string;
  isDefault: boolean;
  /** ISO timestamps of the range, when the key is a single time column. */
  from: string | null;
  to: string | null;
  bound: string;
}

export interface PartitionedTable {
  table: string;
  schema: string;
  name: string;
  keyDefinition: string;
  keyColumn: string | null;
  strategy: 'range' | 'list' | 'hash';
  timeKey: boolean;
  partitions: PartitionInfo[];
}

const STRATEGY: Record<string, PartitionedTable['strategy']> = { r: 'range', l: 'list', h: 'hash' };

/** Lists partitioned tables with their partitions, range bounds parsed for time keys. */
export async function listPartitionedTables(db: Queryable): Promise<PartitionedTable[]> {
  const { rows } = await db.query<{
    parent: string;
    schema: string;
    parent_name: string;
    key_definition: string;
    strategy: string;
    time_key: boolean | null;
    key_column: string | null;
    partition: string | null;
    partition_name: string | null;
    bound: string | null;
  }>(PARTITIONS_SQL, [], { operation: 'ops.partitions.list' });
  const bounds = rows
    .filter((r) => r.bound !== null && r.time_key === true && r.strategy === 'r')
    .map((r) => r.bound!);
  const parsed = new Map<string, { lower: Date | null; upper: Date | null }>();
  if (bounds.length > 0) {
    const res = await db.query<{ bound: string; lower: Date | null; upper: Date | null }>(
      RANGE_BOUNDS_SQL,
      [bounds],
      {
        operation: 'ops.partitions.bounds',
      },
    );
    for (const b of res.rows) parsed.set(b.bound, { lower: b.lower, upper: b.upper });
  }
  const tables = new Map<string, PartitionedTable>();
  for (const r of rows) {
    let t = tables.get(r.parent);
    if (t === undefined) {
      t = {
        table: r.parent,
        schema: r.schema,
        name: r.parent_name,
        keyDefinition: r.key_definition,
        keyColumn: r.key_column,
        strategy: STRATEGY[r.strategy] ?? 'range',
        timeKey: r.time_key === true && r.strategy === 'r',
        partitions: [],
      };
      tables.set(r.parent, t);
    }
    if (r.partition === null || r.bound === null) continue;
    const range = parsed.get(r.bound);
    t.partitions.push({
      name: r.partition,
      isDefault: r.bound === 'DEFAULT',
      from: range?.lower?.toISOString() ?? null,
      to: range?.upper?.toISOString() ?? null,
      bound: r.bound,
    });
  }
  for (const t of tables.values()) t.partitions.sort((a, b) => (a.from ?? '').localeCompare(b.from ?? ''));
  return [...tables.values()];
}

/** Rows in a partition, counted up to `cap` (enough to say "has rows" without a full count). */
export async function countRowsCapped(db: Queryable, relation: string, cap = 1_000_000): Promise<number> {
  // `relation` comes from the catalog as regclass text, so it is already a quoted identifier.
  const { rows } = await db.query<{ n: string }>(
    `SELECT count(*) AS n FROM (SELECT 1 FROM ONLY ${relation} LIMIT $1) x`,
    [cap],
    { operation: 'ops.partitions.count' },
  );
  return Number(rows[0]!.n);
}

/** First instant of the UTC month `offset` months from `now`. */
export function monthStart(now: Date, offset: number): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
}

/** True when some partition's range covers the instant. */
export function covers(table: PartitionedTable, at: Date): boolean {
  const ts = at.getTime();
  return table.partitions.some(
    (p) =>
      !p.isDefault &&
      (p.from === null || Date.parse(p.from) <= ts) &&
      (p.to === null || ts < Date.parse(p.to)) &&
      !(p.from === null && p.to === null),
  );
}

/** Ranges between consecutive partitions that no partition covers. */
export function gaps(table: PartitionedTable): { from: string; to: string }[] {
  const ranged = table.partitions.filter((p) => !p.isDefault && p.from !== null && p.to !== null);
  const out: { from: string; to: string }[] = [];
  for (let i = 1; i < ranged.length; i++) {
    const prevEnd = ranged[i - 1]!.to!;
    const start = ranged[i]!.from!;
    if (Date.parse(prevEnd) < Date.parse(start)) out.push({ from: prevEnd, to: start });
  }
  return out;
}
