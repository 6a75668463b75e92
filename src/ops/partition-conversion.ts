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
 * name. Limits: identity columns and foreign keys pointing at the table are not carried over (the
 * start refuses tables referenced by foreign keys); non-unique indexes are recreated on the parent.
 */
import { ShannonError, ValidationError } from '../errors/errors.js';
import type { Queryable, SessionSource } from '../postgres/queryable.js';
import { qualifiedName, quoteIdent } from './finding.js';
import { type LockRetryOptions, withLockRetry } from './lock-retry.js';
import { monthStart } from './partition-catalog.js';

export const CONVERSION_STATE_SQL = `
SELECT source_table, schema_name, table_name, partition_column, key_columns, state, rows_moved::bigint AS rows_moved
  FROM shannon_ops.partition_conversions WHERE source_table = $1`;

export const TABLE_SHAPE_SQL = `
SELECT c.oid, n.nspname AS schema_name, c.relname AS table_name, c.relkind::text AS relkind,
       (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = $2 AND NOT a.attisdropped) AS column_type,
       (SELECT a.attnotnull FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = $2) AS column_not_null,
       (SELECT array_agg(a.attname::text ORDER BY k.ord)
          FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
         WHERE i.indrelid = c.oid AND i.indisprimary) AS key_columns,
       EXISTS (SELECT 1 FROM pg_constraint f WHERE f.confrelid = c.oid AND f.contype = 'f') AS referenced,
       EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attidentity <> '' AND NOT a.attisdropped) AS has_identity
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = to_regclass($1)`;

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
  const col = quoteIdent(column);
  const { rows } = await tx.query<{ lo: Date | null }>(`SELECT min(${col}) AS lo FROM ${n.view}`);
  const now = new Date();
  const first = rows[0]!.lo === null ? monthStart(now, 0) : monthStart(rows[0]!.lo, 0);
  const indexes = await tx.query<{ def: string }>(
    `SELECT pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
      WHERE i.indrelid = $1::regclass AND NOT i.indisunique AND NOT i.indisprimary`,
    [n.view],
  );
  await tx.query(`ALTER TABLE ${n.view} RENAME TO ${quoteIdent(`${n.name}_legacy`)}`);
  await tx.query(
    `CREATE TABLE ${n.target} (LIKE ${n.legacy} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)
     PARTITION BY RANGE (${col})`,
  );
  const pk = keys.includes(column) ? keys : [...keys, column];
  await tx.query(`ALTER TABLE ${n.target} ADD PRIMARY KEY (${pk.map(quoteIdent).join(', ')})`);
  let count = 0;
  for (let m = first; m.getTime() <= monthStart(now, monthsAhead).getTime(); m = monthStart(m, 1)) {
    const label = `${m.getUTCFullYear()}${String(m.getUTCMonth() + 1).padStart(2, '0')}`;
    await tx.query(
      `CREATE TABLE ${qualifiedName(n.schema, `${n.name}_p${label}`)} PARTITION OF ${n.target}
       FOR VALUES FROM ('${m.toISOString()}') TO ('${monthStart(m, 1).toISOString()}')`,
    );
    count++;
  }
  await tx.query(
    `CREATE TABLE ${qualifiedName(n.schema, `${n.name}_default`)} PARTITION OF ${n.target} DEFAULT`,
  );
  for (const ix of indexes.rows) {
    // Same method, columns and predicate on the partitioned parent; PostgreSQL picks the name.
    await tx.query(`CREATE INDEX ON ${n.target}${ix.def.slice(ix.def.indexOf(' USING '))}`);
  }
  await copySecurity(tx, n);
  const match = keys.map((k) => `${quoteIdent(k)} = OLD.${quoteIdent(k)}`).join(' AND ');
  // security_invoker: readers through the view stay subject to the tables' row-level security.
  await tx.query(
    `CREATE VIEW ${n.view} WITH (security_invoker = true) AS SELECT * FROM ${n.target} UNION ALL SELECT * FROM ${n.legacy}`,
  );
  for (const g of await tableGrants(tx, n.legacy)) {
    await tx.query(`GRANT ${g.privileges} ON ${n.view} TO ${g.grantee}`);
  }
  await tx.query(`
    CREATE FUNCTION ${n.triggerFn}() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF TG_OP IN ('UPDATE', 'DELETE') THEN
        -- Legacy first: it waits for a batch moving this row; the next statement takes a fresh
        -- snapshot (READ COMMITTED), so it sees and removes the row wherever the batch put it.
        DELETE FROM ${n.legacy} WHERE ${match};
        DELETE FROM ${n.target} WHERE ${match};
      END IF;
      IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO ${n.target} SELECT NEW.*;
        RETURN NEW;
      END IF;
      RETURN OLD;
    END
    $fn$`);
  await tx.query(
    `CREATE TRIGGER conversion_write INSTEAD OF INSERT OR UPDATE OR DELETE ON ${n.view}
     FOR EACH ROW EXECUTE FUNCTION ${n.triggerFn}()`,
  );
  await tx.query(
    `INSERT INTO shannon_ops.partition_conversions (source_table, schema_name, table_name, partition_column, key_columns, state)
     VALUES ($1, $2, $3, $4, $5, 'moving')
     ON CONFLICT (source_table) DO UPDATE SET state = 'moving', rows_moved = 0, started_at = now(), updated_at = now()`,
    [n.view, n.schema, n.name, column, keys],
  );
  return count;
}

// No FOR UPDATE on the batch: a row that a writer deletes or updates (through the view's trigger)
// meanwhile is simply not found by this DELETE after its re-check, so it is never moved twice, and
// locking 100k rows first would double the heap writes.
/** Grants on a table, grouped per grantee (PUBLIC included), as GRANT clauses. */
async function tableGrants(tx: Queryable, table: string): Promise<{ grantee: string; privileges: string }[]> {
  const { rows } = await tx.query<{ grantee: string; privileges: string }>(
    `SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS grantee,
            string_agg(DISTINCT a.privilege_type, ', ') AS privileges
       FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
       LEFT JOIN pg_roles r ON r.oid = a.grantee
      WHERE c.oid = $1::regclass AND a.grantee <> c.relowner
      GROUP BY 1`,
    [table],
  );
  return rows;
}

/**
 * Gives the partitioned table the legacy table's grants, row-level security and policies; its
 * partitions get the same RLS and no direct grants (reached through the parent only).
 */
async function copySecurity(tx: Queryable, n: Names): Promise<void> {
  for (const g of await tableGrants(tx, n.legacy)) {
    await tx.query(`GRANT ${g.privileges} ON ${n.target} TO ${g.grantee}`);
  }
  const { rows } = await tx.query<{ rls: boolean; force: boolean }>(
    `SELECT relrowsecurity AS rls, relforcerowsecurity AS force FROM pg_class WHERE oid = $1::regclass`,
    [n.legacy],
  );
  const { rls, force } = rows[0]!;
  if (!rls) return;
  const policies = await tx.query<{
    name: string;
    permissive: string;
    cmd: string;
    roles: string;
    qual: string | null;
    check: string | null;
  }>(
    `SELECT quote_ident(p.polname) AS name, CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END AS permissive,
            CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END AS cmd,
            CASE WHEN p.polroles = '{0}' THEN 'PUBLIC'
                 ELSE (SELECT string_agg(quote_ident(rolname), ', ') FROM pg_roles WHERE oid = ANY (p.polroles)) END AS roles,
            pg_get_expr(p.polqual, p.polrelid) AS qual, pg_get_expr(p.polwithcheck, p.polrelid) AS check
       FROM pg_policy p WHERE p.polrelid = $1::regclass`,
    [n.legacy],
  );
  const parts = await tx.query<{ part: string }>(
    `SELECT inhrelid::regclass::text AS part FROM pg_inherits WHERE inhparent = $1::regclass`,
    [n.target],
  );
  for (const table of [n.target, ...parts.rows.map((r) => r.part)]) {
    await tx.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
    if (force) await tx.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
    for (const p of policies.rows) {
      await tx.query(
        `CREATE POLICY ${p.name} ON ${table} AS ${p.permissive} FOR ${p.cmd} TO ${p.roles}` +
          (p.qual === null ? '' : ` USING (${p.qual})`) +
          (p.check === null ? '' : ` WITH CHECK (${p.check})`),
      );
    }
    if (table === n.target) continue;
    for (const g of await tableGrants(tx, table)) await tx.query(`REVOKE ALL ON ${table} FROM ${g.grantee}`);
  }
}

async function moveBatch(db: Queryable, n: Names, keys: string[], batchSize: number): Promise<number> {
  const keyList = keys.map(quoteIdent).join(', ');
  const join = keys.map((k) => `l.${quoteIdent(k)} = b.${quoteIdent(k)}`).join(' AND ');
  const { rows } = await db.query<{ moved: string }>(
    `WITH batch AS (SELECT ${keyList} FROM ${n.legacy} ORDER BY ${keyList} LIMIT $1),
          moved AS (DELETE FROM ${n.legacy} l USING batch b WHERE ${join} RETURNING l.*),
          inserted AS (INSERT INTO ${n.target} SELECT * FROM moved RETURNING 1),
          progress AS (UPDATE shannon_ops.partition_conversions
                          SET rows_moved = rows_moved + (SELECT count(*) FROM inserted), updated_at = now()
                        WHERE source_table = $2 RETURNING 1)
     SELECT (SELECT count(*) FROM inserted)::bigint AS moved, (SELECT count(*) FROM progress) AS p`,
    [batchSize, n.view],
    { operation: 'ops.partitions.convert_batch', timeoutMs: 300_000 },
  );
  return Number(rows[0]!.moved);
}

async function finish(tx: Queryable, n: Names): Promise<void> {
  const { rows } = await tx.query<{ left: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${n.legacy}) AS left`);
  if (rows[0]!.left)
    throw new ShannonError('CONFLICT', `${n.legacy} still has rows; the move is not complete`);
  await tx.query(`DROP VIEW ${n.view}`);
  await tx.query(`DROP FUNCTION ${n.triggerFn}()`);
  await tx.query(`DROP TABLE ${n.legacy}`);
  await tx.query(`ALTER TABLE ${n.target} RENAME TO ${quoteIdent(n.name)}`);
  await tx.query(
    `UPDATE shannon_ops.partition_conversions SET state = 'done', updated_at = now() WHERE source_table = $1`,
    [n.view],
  );
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
    has_identity: boolean;
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
    if (s.has_identity)
      throw new ValidationError('table', `${n.view} has an identity column; use a sequence default instead`);
    keys = s.key_columns;
    partitions = await withLockRetry(
      source,
      'ops.partitions.convert_start',
      (tx) => start(tx, n, options.column, keys, options.monthsAhead ?? 3),
      lock,
    );
  }
  let batches = 0;
  for (;;) {
    if (options.maxBatches !== undefined && batches >= options.maxBatches) break;
    const moved = await moveBatch(db, n, keys, batchSize);
    batches++;
    const progress = await db.query<{ rows_moved: string }>(CONVERSION_STATE_SQL, [n.view]);
    const remaining = await db.query<{ n: string }>(
      `SELECT reltuples::bigint AS n FROM pg_class WHERE oid = to_regclass($1)`,
      [n.legacy],
    );
    options.onProgress?.(
      Number(progress.rows[0]?.rows_moved ?? 0),
      Math.max(0, Number(remaining.rows[0]?.n ?? 0)),
    );
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
