/**
 * Partition maintenance for monthly range-partitioned tables: status (coverage, gaps, default rows),
 * plan (what maintain would do) and maintain (create months ahead and fill gaps; move rows out of
 * the default partition into the months they belong to). Every DDL transaction runs under a short
 * lock_timeout with retries.
 */
import type { Queryable, SessionSource } from '../postgres/queryable.js';
import { qualifiedName } from './finding.js';
import { type LockRetryOptions, withLockRetry } from './lock-retry.js';
import {
  countRowsCapped,
  covers,
  gaps,
  listPartitionedTables,
  monthStart,
  type PartitionedTable,
} from './partition-catalog.js';
import {
  attachPartitionSql,
  createPartitionIfMissingSql,
  createStandaloneLikeSql,
  DEFAULT_PARTITION_SQL,
  defaultRowMonthsSql,
  moveDefaultRowsSql,
  PREPARE_PARTITION_SQL,
} from './sql/partitions-sql.js';

/** Months ahead kept premade by maintain (pg_partman's premake default is 4; we keep 3 + current). */
export const DEFAULT_MONTHS_AHEAD = 3;

export interface PartitionTableStatus {
  table: string;
  keyColumn: string | null;
  timeKey: boolean;
  partitions: number;
  first: string | null;
  last: string | null;
  defaultPartition: string | null;
  defaultRows: number;
  missingAhead: string[];
  gaps: { from: string; to: string }[];
}

export type PartitionAction =
  | { action: 'create'; table: string; partition: string; from: string; to: string }
  | { action: 'move_default_rows'; table: string; partition: string; from: string; to: string; rows: number };

function monthLabel(d: Date): string {
  return `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

function overlaps(table: PartitionedTable, from: Date, to: Date): boolean {
  return table.partitions.some(
    (p) =>
      !p.isDefault &&
      (p.from === null || Date.parse(p.from) < to.getTime()) &&
      (p.to === null || from.getTime() < Date.parse(p.to)),
  );
}

/** Coverage of every partitioned table: months missing ahead, gaps, rows in the default partition. */
export async function partitionStatus(
  db: Queryable,
  options: { monthsAhead?: number; now?: Date } = {},
): Promise<PartitionTableStatus[]> {
  const now = options.now ?? new Date();
  const ahead = options.monthsAhead ?? DEFAULT_MONTHS_AHEAD;
  const out: PartitionTableStatus[] = [];
  for (const t of await listPartitionedTables(db)) {
    const def = t.partitions.find((p) => p.isDefault);
    const ranged = t.partitions.filter((p) => !p.isDefault);
    const missing: string[] = [];
    if (t.timeKey) {
      for (let m = 0; m <= ahead; m++) {
        const start = monthStart(now, m);
        if (!covers(t, start)) missing.push(start.toISOString().slice(0, 7));
      }
    }
    out.push({
      table: t.table,
      keyColumn: t.keyColumn,
      timeKey: t.timeKey,
      partitions: ranged.length,
      first: ranged[0]?.from ?? null,
      last: ranged.at(-1)?.to ?? null,
      defaultPartition: def?.name ?? null,
      defaultRows: def === undefined ? 0 : await countRowsCapped(db, def.name),
      missingAhead: missing,
      gaps: t.timeKey ? gaps(t) : [],
    });
  }
  return out;
}

/** What `maintain` would do, without doing it. */
export async function planPartitions(
  db: Queryable,
  options: { monthsAhead?: number; now?: Date } = {},
): Promise<PartitionAction[]> {
  const now = options.now ?? new Date();
  const ahead = options.monthsAhead ?? DEFAULT_MONTHS_AHEAD;
  const actions: PartitionAction[] = [];
  for (const t of await listPartitionedTables(db)) {
    if (!t.timeKey || t.keyColumn === null) continue;
    const planned = new Set<string>();
    const add = (start: Date, rows: number) => {
      const end = monthStart(start, 1);
      const label = monthLabel(start);
      if (planned.has(label) || overlaps(t, start, end)) return;
      planned.add(label);
      const partition = qualifiedName(t.schema, `${t.name}_p${label}`);
      actions.push(
        rows > 0
          ? {
              action: 'move_default_rows',
              table: t.table,
              partition,
              from: start.toISOString(),
              to: end.toISOString(),
              rows,
            }
          : { action: 'create', table: t.table, partition, from: start.toISOString(), to: end.toISOString() },
      );
    };
    const def = t.partitions.find((p) => p.isDefault);
    if (def !== undefined) {
      const { rows } = await db.query<{ month: Date; n: string }>(
        defaultRowMonthsSql(def.name, t.keyColumn),
        [],
        {
          operation: 'ops.partitions.default_months',
        },
      );
      for (const r of rows) add(r.month, Number(r.n));
    }
    for (const g of gaps(t)) {
      for (let m = new Date(g.from); m.getTime() < Date.parse(g.to); m = monthStart(m, 1))
        add(monthStart(m, 0), 0);
    }
    for (let m = 0; m <= ahead; m++) add(monthStart(now, m), 0);
  }
  return actions;
}

/** Applies one planned action in its own short DDL transaction. */
async function applyAction(source: SessionSource, a: PartitionAction, lock: LockRetryOptions): Promise<void> {
  await withLockRetry(
    source,
    'ops.partitions.maintain',
    async (tx) => {
      if (a.action === 'create') {
        await tx.query(createPartitionIfMissingSql(a.partition, a.table, a.from, a.to));
      } else {
        // Rows of this month sit in the default partition, so ATTACH would fail its validation scan:
        // build the month standalone, move the rows, then attach.
        const { rows } = await tx.query<{ def: string; key: string }>(DEFAULT_PARTITION_SQL, [a.table]);
        const def = rows[0]!;
        await tx.query(createStandaloneLikeSql(a.partition, a.table));
        await tx.query(moveDefaultRowsSql(def.def, a.partition, def.key), [a.from, a.to]);
        await tx.query(attachPartitionSql(a.table, a.partition, a.from, a.to));
      }
      // Our own tables get the parent's RLS and no direct grants (public.shannon_prepare_partition).
      await tx.query(PREPARE_PARTITION_SQL, [
        a.partition,
        a.table,
        `Monthly partition of ${a.table} for ${a.from.slice(0, 7)} (UTC).`,
      ]);
    },
    lock,
  );
}

export interface MaintainResult {
  applied: PartitionAction[];
  failed: { action: PartitionAction; error: string }[];
}

/** What `maintainPartitions` takes: the horizon, the clock, DDL lock tuning and a progress callback. */
export interface MaintainOptions {
  monthsAhead?: number;
  now?: Date;
  lock?: LockRetryOptions;
  onProgress?: (done: number, total: number) => void;
}

/** Creates the planned partitions and empties the default partitions into their months. */
export async function maintainPartitions(
  db: Queryable,
  source: SessionSource,
  options: MaintainOptions = {},
): Promise<MaintainResult> {
  const actions = await planPartitions(db, options);
  const result: MaintainResult = { applied: [], failed: [] };
  for (const [i, a] of actions.entries()) {
    options.onProgress?.(i, actions.length);
    try {
      await applyAction(source, a, options.lock ?? {});
      result.applied.push(a);
    } catch (error) {
      result.failed.push({ action: a, error: error instanceof Error ? error.message : String(error) });
    }
  }
  options.onProgress?.(actions.length, actions.length);
  return result;
}
