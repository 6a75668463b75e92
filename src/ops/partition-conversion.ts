/**
 * Online conversion of an unpartitioned table into a monthly range-partitioned one.
 *
 * Start (one short transaction): the table is renamed `<name>_legacy`, an empty partitioned
 * `<name>_partitioned` with monthly partitions and a default is created, and the original name
 * becomes a view over both (UNION ALL) with INSTEAD OF triggers routing writes — so readers and
 * writers keep using the same name throughout. Move: batches of rows are moved with one statement
 * each (DELETE … RETURNING feeding INSERT), so every row is in exactly one of the two tables at any
 * instant and an interruption anywhere loses nothing; running again resumes. Finish (one short
 * transaction): the view and the empty legacy table are dropped and the partitioned table takes the
 * name. Column defaults hold on the view and the new table, and a serial column's sequence passes to
 * the new table at the finish. An identity column keeps drawing from its sequence through the
 * view's default during the move (so, while moving, an explicit value is accepted even for
 * GENERATED ALWAYS); at the finish the column becomes an identity column of the partitioned table
 * again, with the sequence's name, settings and position. Every step is one transaction, so a
 * failure anywhere leaves a state the next run resumes from. Limits: tables referenced by foreign
 * keys are refused before any change; non-unique indexes are recreated on the parent.
 */
import { ShannonError, ValidationError } from '../errors/errors.js';
import type { Queryable, SessionSource } from '../postgres/queryable.js';
import { qualifiedName } from './finding.js';
import { type LockRetryOptions, withLockRetry } from './lock-retry.js';
import { monthStart } from './partition-catalog.js';
import {
  addIdentitySql,
  addPrimaryKeySql,
  COLUMN_DEFAULTS_SQL,
  CONVERSION_STATE_SQL,
  countRowsSql,
  createDefaultPartitionSql,
  createIndexLikeSql,
  createPartitionedLikeSql,
  createPolicySql,
  createUnionViewSql,
  createWriteFunctionSql,
  createWriteTriggerSql,
  dropFunctionSql,
  dropTableSql,
  dropViewSql,
  ESTIMATED_ROWS_SQL,
  enableRowSecuritySql,
  FINISH_CONVERSION_SQL,
  forceRowSecuritySql,
  grantSql,
  hasRowsSql,
  IDENTITY_COLUMNS_SQL,
  type IdentityColumn,
  minValueSql,
  moveBatchSql,
  NON_UNIQUE_INDEXES_SQL,
  OWNED_SEQUENCES_SQL,
  PARTITIONS_OF_SQL,
  type PolicyClauses,
  ROW_SECURITY_SQL,
  renameTableSql,
  revokeAllSql,
  SET_SEQUENCE_SQL,
  START_CONVERSION_SQL,
  sequenceOwnedBySql,
  sequenceStateSql,
  setViewDefaultSql,
  TABLE_GRANTS_SQL,
  TABLE_POLICIES_SQL,
  TABLE_SHAPE_SQL,
} from './sql/partition-conversion-sql.js';
import { createPartitionSql } from './sql/partitions-sql.js';

export interface ConversionOptions {
  /** Table to convert (`schema.name` or a name on the search_path). */
  table: string;
  /** Time column to partition by (timestamptz, timestamp or date; NOT NULL). */
  column: string;
  batchSize?: number;
  monthsAhead?: number;
  lock?: LockRetryOptions;
  /** Stop after this many batches (the conversion stays resumable). */
  maxBatches?: number;
  onProgress?: (moved: number, remaining: number) => void;
}

export interface ConversionResult {
  table: string;
  state: 'moving' | 'done';
  rowsMoved: number;
  batches: number;
  partitions: number;
}

interface Names {
  schema: string;
  name: string;
  view: string;
  legacy: string;
  target: string;
  triggerFn: string;
}

function names(schema: string, name: string): Names {
  if (Buffer.byteLength(name) > 45)
    throw new ValidationError('table', `table name ${name} is too long to convert (max 45 bytes)`);
  return {
    schema,
    name,
    view: qualifiedName(schema, name),
    legacy: qualifiedName(schema, `${name}_legacy`),
    target: qualifiedName(schema, `${name}_partitioned`),
    triggerFn: qualifiedName(schema, `${name}_conversion_write`),
  };
}

async function start(
  tx: Queryable,
  n: Names,
  column: string,
  keys: string[],
  monthsAhead: number,
): Promise<number> {
  const { rows } = await tx.query<{ lo: Date | null }>(minValueSql(n.view, column));
  const now = new Date();
  const first = rows[0]!.lo === null ? monthStart(now, 0) : monthStart(rows[0]!.lo, 0);
  const indexes = await tx.query<{ def: string }>(NON_UNIQUE_INDEXES_SQL, [n.view]);
  await tx.query(renameTableSql(n.view, `${n.name}_legacy`));
  await tx.query(createPartitionedLikeSql(n.target, n.legacy, column));
  const pk = keys.includes(column) ? keys : [...keys, column];
  await tx.query(addPrimaryKeySql(n.target, pk));
  let count = 0;
  for (let m = first; m.getTime() <= monthStart(now, monthsAhead).getTime(); m = monthStart(m, 1)) {
    const label = `${m.getUTCFullYear()}${String(m.getUTCMonth() + 1).padStart(2, '0')}`;
    await tx.query(
      createPartitionSql(
        qualifiedName(n.schema, `${n.name}_p${label}`),
        n.target,
        m.toISOString(),
        monthStart(m, 1).toISOString(),
      ),
    );
    count++;
  }
  await tx.query(createDefaultPartitionSql(qualifiedName(n.schema, `${n.name}_default`), n.target));
  // Same method, columns and predicate on the partitioned parent.
  for (const ix of indexes.rows) await tx.query(createIndexLikeSql(n.target, ix.def));
  await copySecurity(tx, n);
  await tx.query(createUnionViewSql(n.view, n.target, n.legacy));
  // A view has no defaults of its own: without these, an INSERT leaving out a serial id would fail.
  const defaults = await tx.query<{ column_name: string; expression: string }>(COLUMN_DEFAULTS_SQL, [
    n.legacy,
  ]);
  for (const d of defaults.rows) await tx.query(setViewDefaultSql(n.view, d.column_name, d.expression));
  // An identity column has no default of its own either: the view draws from its sequence.
  for (const c of await identityColumns(tx, n.legacy)) {
    await tx.query(setViewDefaultSql(n.view, c.column_name, c.view_default));
  }
  for (const g of await tableGrants(tx, n.legacy)) await tx.query(grantSql(g.privileges, n.view, g.grantee));
  await tx.query(createWriteFunctionSql(n.triggerFn, n.legacy, n.target, keys));
  await tx.query(createWriteTriggerSql(n.view, n.triggerFn));
  await tx.query(START_CONVERSION_SQL, [n.view, n.schema, n.name, column, keys]);
  return count;
}

async function identityColumns(tx: Queryable, table: string): Promise<IdentityColumn[]> {
  return (await tx.query<IdentityColumn>(IDENTITY_COLUMNS_SQL, [table])).rows;
}

/** Grants on a table, grouped per grantee (PUBLIC included), as GRANT clauses. */
async function tableGrants(tx: Queryable, table: string): Promise<{ grantee: string; privileges: string }[]> {
  const { rows } = await tx.query<{ grantee: string; privileges: string }>(TABLE_GRANTS_SQL, [table]);
  return rows;
}

/**
 * Gives the partitioned table the legacy table's grants, row-level security and policies; its
 * partitions get the same RLS and no direct grants (reached through the parent only).
 */
async function copySecurity(tx: Queryable, n: Names): Promise<void> {
  for (const g of await tableGrants(tx, n.legacy)) {
    await tx.query(grantSql(g.privileges, n.target, g.grantee));
  }
  const { rows } = await tx.query<{ rls: boolean; force: boolean }>(ROW_SECURITY_SQL, [n.legacy]);
  const { rls, force } = rows[0]!;
  if (!rls) return;
  const policies = await tx.query<PolicyClauses>(TABLE_POLICIES_SQL, [n.legacy]);
  const parts = await tx.query<{ part: string }>(PARTITIONS_OF_SQL, [n.target]);
  for (const table of [n.target, ...parts.rows.map((r) => r.part)]) {
    await tx.query(enableRowSecuritySql(table));
    if (force) await tx.query(forceRowSecuritySql(table));
    for (const p of policies.rows) await tx.query(createPolicySql(table, p));
    if (table === n.target) continue;
    for (const g of await tableGrants(tx, table)) await tx.query(revokeAllSql(table, g.grantee));
  }
}

async function rowsToMove(db: Queryable, legacy: string): Promise<{ rows: number; exact: boolean }> {
  const estimate = await db.query<{ n: string }>(ESTIMATED_ROWS_SQL, [legacy]);
  const n = Number(estimate.rows[0]?.n ?? -1);
  if (n >= 0) return { rows: n, exact: false };
  const counted = await db.query<{ n: string }>(countRowsSql(legacy), [], {
    operation: 'ops.partitions.convert_count',
    timeoutMs: 300_000,
  });
  return { rows: Number(counted.rows[0]!.n), exact: true };
}

async function moveBatch(db: Queryable, n: Names, keys: string[], batchSize: number): Promise<number> {
  const { rows } = await db.query<{ moved: string }>(
    moveBatchSql(n.legacy, n.target, keys),
    [batchSize, n.view],
    { operation: 'ops.partitions.convert_batch', timeoutMs: 300_000 },
  );
  return Number(rows[0]!.moved);
}

async function finish(tx: Queryable, n: Names): Promise<void> {
  const { rows } = await tx.query<{ left: boolean }>(hasRowsSql(n.legacy));
  if (rows[0]!.left)
    throw new ShannonError('CONFLICT', `${n.legacy} still has rows; the move is not complete`);
  await tx.query(dropViewSql(n.view));
  await tx.query(dropFunctionSql(n.triggerFn));
  // A serial column's sequence is owned by the legacy table's column; the partitioned table's
  // default uses the same sequence, so it takes the ownership before the legacy table goes.
  const owned = await tx.query<{ sequence_name: string; column_name: string }>(OWNED_SEQUENCES_SQL, [
    n.legacy,
  ]);
  for (const o of owned.rows) await tx.query(sequenceOwnedBySql(o.sequence_name, n.target, o.column_name));
  // An identity sequence cannot change hands: it goes with the legacy table and is made again,
  // same name, settings and position, on the partitioned one.
  const identities: Array<{ column: IdentityColumn; lastValue: string; isCalled: boolean }> = [];
  for (const column of await identityColumns(tx, n.legacy)) {
    const state = await tx.query<{ last_value: string; is_called: boolean }>(
      sequenceStateSql(column.sequence_name),
    );
    identities.push({ column, lastValue: state.rows[0]!.last_value, isCalled: state.rows[0]!.is_called });
  }
  await tx.query(dropTableSql(n.legacy));
  await tx.query(renameTableSql(n.target, n.name));
  for (const { column, lastValue, isCalled } of identities) {
    await tx.query(addIdentitySql(n.view, column));
    await tx.query(SET_SEQUENCE_SQL, [column.sequence_name, lastValue, isCalled]);
  }
  await tx.query(FINISH_CONVERSION_SQL, [n.view]);
}

/**
 * Converts (or resumes converting) a table to monthly range partitions, online.
 * @throws ValidationError when the table or column does not qualify.
 */
export async function convertToPartitioned(
  db: Queryable,
  source: SessionSource,
  options: ConversionOptions,
): Promise<ConversionResult> {
  const batchSize = options.batchSize ?? 10_000;
  const lock = options.lock ?? {};
  const shape = await db.query<{
    schema_name: string;
    table_name: string;
    relkind: string;
    column_type: string | null;
    column_not_null: boolean | null;
    key_columns: string[] | null;
    referenced: boolean;
  }>(TABLE_SHAPE_SQL, [options.table, options.column], { operation: 'ops.partitions.convert_shape' });
  const s = shape.rows[0];
  if (s === undefined) throw new ValidationError('table', `table ${options.table} does not exist`);
  const n = names(s.schema_name, s.table_name);
  const existing = await db.query<{ state: string; key_columns: string[]; rows_moved: string }>(
    CONVERSION_STATE_SQL,
    [n.view],
  );
  let state = existing.rows[0];
  let partitions = 0;
  let keys: string[];
  if (state?.state === 'done' && s.relkind === 'p') {
    // Already converted (a run that finished but stopped before reporting): nothing to do.
    return { table: n.view, state: 'done', rowsMoved: Number(state.rows_moved), batches: 0, partitions: 0 };
  }
  if (state?.state === 'moving') {
    keys = state.key_columns;
  } else {
    if (s.relkind !== 'r')
      throw new ValidationError('table', `${n.view} is not a plain table (relkind ${s.relkind})`);
    if (s.column_type === null)
      throw new ValidationError('column', `${n.view} has no column ${options.column}`);
    if (!/^(timestamp with time zone|timestamp without time zone|date)$/.test(s.column_type)) {
      throw new ValidationError(
        'column',
        `${options.column} is ${s.column_type}; monthly partitions need a time column`,
      );
    }
    if (s.column_not_null !== true) throw new ValidationError('column', `${options.column} must be NOT NULL`);
    if (s.key_columns === null)
      throw new ValidationError('table', `${n.view} has no primary key to move rows by`);
    if (s.referenced)
      throw new ValidationError('table', `${n.view} is referenced by foreign keys; drop them first`);
    keys = s.key_columns;
    partitions = await withLockRetry(
      source,
      'ops.partitions.convert_start',
      (tx) => start(tx, n, options.column, keys, options.monthsAhead ?? 3),
      lock,
    );
  }
  let batches = 0;
  // What is left, judged once: the planner's estimate does not follow the rows as they move (and
  // is -1 before the first ANALYZE, when the rows are counted instead). New rows go to the
  // partitioned table, so the legacy table only shrinks and a count is an upper bound.
  const toMove = await rowsToMove(db, n.legacy);
  let left = toMove.rows;
  for (;;) {
    if (options.maxBatches !== undefined && batches >= options.maxBatches) break;
    const moved = await moveBatch(db, n, keys, batchSize);
    batches++;
    const progress = await db.query<{ rows_moved: string }>(CONVERSION_STATE_SQL, [n.view]);
    left = Math.max(0, left - moved);
    // Rows still moving past a low estimate: another batch may be left, so never "100 %" early.
    const remaining =
      moved === 0 ? 0 : toMove.exact ? left : Math.max(left, moved === batchSize ? batchSize : 0);
    options.onProgress?.(Number(progress.rows[0]?.rows_moved ?? 0), remaining);
    if (moved === 0) {
      await withLockRetry(source, 'ops.partitions.convert_finish', (tx) => finish(tx, n), lock);
      break;
    }
  }
  state = (
    await db.query<{ state: string; key_columns: string[]; rows_moved: string }>(CONVERSION_STATE_SQL, [
      n.view,
    ])
  ).rows[0];
  return {
    table: n.view,
    state: state?.state === 'done' ? 'done' : 'moving',
    rowsMoved: Number(state?.rows_moved ?? 0),
    batches,
    partitions,
  };
}
