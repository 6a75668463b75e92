/**
 * `adopt shannon`: converts, in place, a database migrated by Shannon's own migrations into
 * Shannon Data's schema, keeping every row (docs/shannon-compat.md).
 *
 * 1. Cut-over: Shannon's tables, view and functions move aside into `shannon_legacy` and
 *    `shannon_legacy_auth`, in one transaction under a short lock_timeout, retried (a rename is
 *    a catalog change: no row is read or written).
 * 2. Our migrations create the schema (partitions, row-level security, indexes) in `public` and
 *    `auth`; monthly partitions are added back to the oldest month Shannon's rows reach.
 * 3. Each table is copied in batches ordered by id, with its tenant resolved (adopt-shannon-tables.ts);
 *    the batch and its progress row commit together, so a run that is stopped resumes at the
 *    next batch. A row our schema refuses stops the run naming the table, the row and the reason;
 *    nothing is skipped in silence.
 * 4. Row counts and checksums per table, of Shannon's rows as mapped and of ours, must agree.
 *
 * Shannon's moved tables are left in place for the operator to drop once satisfied.
 */
import { isDatabaseError, ShannonError } from '../errors/errors.js';
import type { Queryable, Session, SessionSource } from '../postgres/queryable.js';
import { migrateDatabase } from '../schema/migrator.js';
import { isUuid } from '../validation/checks.js';
import {
  ADOPT_TABLES,
  type AdoptTable,
  SHANNON_AUTH_TABLES,
  SHANNON_PUBLIC_TABLES,
  SHANNON_PUBLIC_VIEWS,
} from './adopt-shannon-tables.js';
import { quoteIdentAlways } from './finding.js';
import { withLockRetry } from './lock-retry.js';

export const LEGACY_SCHEMA = 'shannon_legacy';
export const LEGACY_AUTH_SCHEMA = 'shannon_legacy_auth';
const DEFAULT_BATCH = 5_000;

/** Where a database stands with respect to adoption. */
export type AdoptState = 'shannon' | 'in_progress' | 'adopted' | 'not_shannon';

export interface AdoptOptions {
  /** Act; without it, only report what would be done. */
  apply?: boolean;
  /** Tenant for rows whose tenant cannot be found (default: Shannon's only tenant, or a new one). */
  defaultTenant?: string;
  /** Rows per copy transaction (default 5,000). */
  batchSize?: number;
  /** lock_timeout of the cut-over (default 2,000 ms; retried). */
  lockTimeoutMs?: number;
  /** A role Shannon's services connect as: bound to the default tenant (docs/shannon-compat.md). */
  legacyRole?: string;
  /** With `legacyRole`: see LegacyRoleOptions. */
  uniqueExternalIds?: boolean;
  onProgress?: (line: string) => void;
}

export interface AdoptTableReport {
  target: string;
  source: string;
  shannonRows: number;
  adoptedRows: number;
  shannonChecksum: string | null;
  adoptedChecksum: string | null;
  match: boolean | null;
}

export interface AdoptReport {
  state: AdoptState;
  applied: boolean;
  defaultTenant: { id: string | null; created: boolean; source: string };
  tables: AdoptTableReport[];
  /** Daily aggregates: Shannon's rows, and ours as rebuilt by the triggers (not copied). */
  aggregates: { shannonRows: number; rebuiltRows: number | null };
  migrationsApplied: number;
  legacyRole: string | null;
}

const exists = async (db: Queryable, relation: string) =>
  (await db.query<{ r: string | null }>(`SELECT to_regclass($1)::text AS r`, [relation])).rows[0]!.r !== null;

/** Reads where `db` stands: Shannon's schema untouched, mid-adoption, adopted, or neither. */
export async function adoptState(db: Queryable): Promise<AdoptState> {
  if (await exists(db, `${LEGACY_SCHEMA}.adopt_progress`)) {
    const { rows } = await db.query<{ done: boolean | null }>(
      `SELECT bool_and(done) AS done FROM ${LEGACY_SCHEMA}.adopt_progress`,
    );
    return rows[0]!.done === true ? 'adopted' : 'in_progress';
  }
  const ours = await exists(db, 'public.shannon_schema_migrations');
  const theirs = await exists(db, 'public.task_executions');
  return theirs && !ours ? 'shannon' : 'not_shannon';
}

/** Our column names, types, defaults and nullability, and Shannon's column names and types. */
async function columnsOf(db: Queryable, relation: string) {
  const { rows } = await db.query<{ name: string; type: string; not_null: boolean; has_default: boolean }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
            a.atthasdef AS has_default
       FROM pg_attribute a
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      ORDER BY a.attnum`,
    [relation],
  );
  return rows;
}

async function columnDefault(db: Queryable, relation: string, column: string): Promise<string | null> {
  const { rows } = await db.query<{ d: string | null }>(
    `SELECT pg_get_expr(d.adbin, d.adrelid) AS d
       FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
      WHERE d.adrelid = $1::regclass AND a.attname = $2`,
    [relation, column],
  );
  return rows[0]?.d ?? null;
}

/** The SELECT list filling `table.target` from `s`, a row of `table.source`, each cast to our type. */
export async function mappedColumns(
  db: Queryable,
  table: AdoptTable,
): Promise<Array<{ name: string; expr: string }>> {
  const ours = await columnsOf(db, table.target);
  const theirs = new Map((await columnsOf(db, table.source)).map((c) => [c.name, c.type]));
  const out: Array<{ name: string; expr: string }> = [];
  for (const col of ours) {
    let expr = table.columns?.[col.name];
    if (expr === undefined) {
      const theirType = theirs.get(col.name);
      if (theirType === undefined) {
        if (col.not_null && !col.has_default)
          throw new ShannonError('INTERNAL', `adopt: no value for ${table.target}.${col.name}`);
        continue;
      }
      const quoted = `s.${quoteIdentAlways(col.name)}`;
      expr =
        theirType === 'timestamp without time zone' && col.type === 'timestamp with time zone'
          ? `(${quoted} AT TIME ZONE 'UTC')`
          : quoted;
      if (col.not_null && col.has_default) {
        const fallback = await columnDefault(db, table.target, col.name);
        if (fallback !== null) expr = `coalesce(${expr}, ${fallback})`;
      }
    }
    out.push({ name: col.name, expr: `CAST(${expr} AS ${col.type})` });
  }
  return out;
}

/** Count and checksum of Shannon's rows as mapped (`shannon`) or of ours with the same ids. */
function checksumSql(
  table: AdoptTable,
  cols: Array<{ name: string; expr: string }>,
  side: 'shannon' | 'ours',
) {
  const list = cols.map((c) => quoteIdentAlways(c.name)).join(', ');
  const inner =
    side === 'shannon'
      ? `SELECT s.id AS adopt_key, $1::uuid AS adopt_default_tenant, ${cols.map((c) => `${c.expr} AS ${quoteIdentAlways(c.name)}`).join(', ')} FROM ${table.source} s`
      : `SELECT t.id AS adopt_key, ${list} FROM ${table.target} t WHERE t.id IN (SELECT id FROM ${table.source})`;
  return `SELECT count(*)::bigint AS n,
                 md5(coalesce(string_agg(md5(ROW(${list})::text), '' ORDER BY adopt_key), '')) AS sum
            FROM (${inner}) b`;
}

async function tableCount(db: Queryable, relation: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT count(*)::bigint AS n FROM ${relation}`);
  return Number(rows[0]!.n);
}

/** Moves Shannon's objects aside, so that ours can take their names. */
async function cutOver(db: SessionSource, lockTimeoutMs: number): Promise<void> {
  await withLockRetry(
    db,
    'adopt.cut_over',
    async (tx) => {
      await tx.query(`CREATE SCHEMA IF NOT EXISTS ${LEGACY_SCHEMA}`);
      await tx.query(`CREATE SCHEMA IF NOT EXISTS ${LEGACY_AUTH_SCHEMA}`);
      for (const name of SHANNON_PUBLIC_VIEWS)
        if (await exists(tx, `public.${name}`))
          await tx.query(`ALTER VIEW public.${name} SET SCHEMA ${LEGACY_SCHEMA}`);
      for (const name of SHANNON_PUBLIC_TABLES)
        if (await exists(tx, `public.${name}`))
          await tx.query(`ALTER TABLE public.${name} SET SCHEMA ${LEGACY_SCHEMA}`);
      for (const name of SHANNON_AUTH_TABLES)
        if (await exists(tx, `auth.${name}`))
          await tx.query(`ALTER TABLE auth.${name} SET SCHEMA ${LEGACY_AUTH_SCHEMA}`);
      // Shannon's trigger functions follow their tables (the triggers call them by oid).
      const { rows } = await tx.query<{ fn: string; schema: string }>(
        `SELECT p.oid::regprocedure::text AS fn, n.nspname AS schema
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname IN ('public', 'auth')
            AND p.proname IN ('update_updated_at_column', 'update_daily_aggregate', 'trigger_update_daily_aggregate')
            AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')`,
      );
      for (const r of rows)
        await tx.query(
          `ALTER FUNCTION ${r.fn} SET SCHEMA ${r.schema === 'auth' ? LEGACY_AUTH_SCHEMA : LEGACY_SCHEMA}`,
        );
      await tx.query(`CREATE TABLE ${LEGACY_SCHEMA}.adopt_progress (
        target text PRIMARY KEY,
        last_key uuid,
        copied bigint NOT NULL DEFAULT 0,
        done boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now())`);
      await tx.query(
        `CREATE TABLE ${LEGACY_SCHEMA}.adopt_settings (key text PRIMARY KEY, value text NOT NULL)`,
      );
      await tx.query(`INSERT INTO ${LEGACY_SCHEMA}.adopt_progress (target) SELECT unnest($1::text[])`, [
        ADOPT_TABLES.map((t) => t.target),
      ]);
    },
    { lockTimeoutMs, attempts: 10 },
  );
}

/** The tenant for rows without one: the operator's, Shannon's only tenant, or a new `default`. */
async function resolveDefaultTenant(
  db: Queryable,
  given: string | undefined,
  apply: boolean,
): Promise<{ id: string | null; created: boolean; source: string }> {
  const tenants = (await exists(db, `${LEGACY_AUTH_SCHEMA}.tenants`))
    ? `${LEGACY_AUTH_SCHEMA}.tenants`
    : (await exists(db, 'auth.tenants'))
      ? 'auth.tenants'
      : null;
  const saved = (await exists(db, `${LEGACY_SCHEMA}.adopt_settings`))
    ? (
        await db.query<{ value: string }>(
          `SELECT value FROM ${LEGACY_SCHEMA}.adopt_settings WHERE key = 'default_tenant'`,
        )
      ).rows[0]?.value
    : undefined;
  if (saved !== undefined) {
    if (given !== undefined && given !== saved)
      throw new ShannonError(
        'VALIDATION_FAILED',
        `the adoption in progress gives rows without a tenant to ${saved}; --default-tenant ${given} would split them`,
        { field: 'default-tenant' },
      );
    return { id: saved, created: false, source: 'chosen by the run that started' };
  }
  if (given !== undefined) {
    if (!isUuid(given))
      throw new ShannonError(
        'VALIDATION_FAILED',
        `--default-tenant must be a tenant id (uuid), got ${given}`,
        {
          field: 'default-tenant',
        },
      );
    const known =
      tenants === null ? [] : (await db.query(`SELECT 1 FROM ${tenants} WHERE id = $1`, [given])).rows;
    return {
      id: given,
      created: known.length === 0,
      source: known.length === 0 ? 'given, created' : 'given',
    };
  }
  const list =
    tenants === null
      ? []
      : (await db.query<{ id: string }>(`SELECT id::text AS id FROM ${tenants} ORDER BY created_at LIMIT 2`))
          .rows;
  if (list.length === 1) return { id: list[0]!.id, created: false, source: "Shannon's only tenant" };
  if (list.length > 1)
    throw new ShannonError(
      'VALIDATION_FAILED',
      'Shannon holds several tenants: name the one for rows without a tenant with --default-tenant <id>',
      { field: 'default-tenant' },
    );
  return {
    id: apply ? (await db.query<{ id: string }>(`SELECT gen_random_uuid()::text AS id`)).rows[0]!.id : null,
    created: true,
    source: 'new tenant "default"',
  };
}

/** Adds monthly partitions back to the oldest month Shannon's rows of `table` reach. */
async function partitionsFor(db: Queryable, table: AdoptTable): Promise<void> {
  const { rows } = await db.query<{ key: string | null }>(
    `SELECT a.attname AS key FROM pg_partitioned_table p
       JOIN pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
      WHERE p.partrelid = $1::regclass`,
    [table.target],
  );
  const key = rows[0]?.key;
  if (key === undefined || key === null) return;
  const oldest = await db.query<{ months: number | null }>(
    `SELECT (extract(year FROM age(date_trunc('month', now()), date_trunc('month', min(${quoteIdentAlways(key)})))) * 12
           + extract(month FROM age(date_trunc('month', now()), date_trunc('month', min(${quoteIdentAlways(key)})))))::int AS months
       FROM ${table.source}`,
  );
  const months = oldest.rows[0]?.months;
  if (months === null || months === undefined || months <= 0) return;
  await db.query(`SELECT public.shannon_create_monthly_partitions($1::regclass, $2, 0)`, [
    table.target,
    Math.min(months, 600),
  ]);
}

/** Copies `table` in batches from where its progress row stands. @throws ShannonError naming a refused row. */
async function copyTable(
  session: Session,
  table: AdoptTable,
  tenant: string,
  batch: number,
  log: (s: string) => void,
) {
  const cols = await mappedColumns(session, table);
  const names = cols.map((c) => quoteIdentAlways(c.name)).join(', ');
  // $1 (the default tenant) is typed here, since not every table's expressions use it.
  const select = `SELECT s.id AS adopt_key, $1::uuid AS adopt_default_tenant, ${cols.map((c) => `${c.expr} AS ${quoteIdentAlways(c.name)}`).join(', ')}
                    FROM ${table.source} s`;
  const copyBatch = `
    WITH batch AS (${select} WHERE ($2::uuid IS NULL OR s.id > $2) ORDER BY s.id LIMIT $3),
         ins AS (INSERT INTO ${table.target} (${names}) SELECT ${names} FROM batch RETURNING 1)
    SELECT (SELECT count(*) FROM ins)::int AS inserted,
           (SELECT adopt_key FROM batch ORDER BY adopt_key DESC LIMIT 1)::text AS last`;
  for (;;) {
    const progress = await session.query<{ last_key: string | null; done: boolean; copied: string }>(
      `SELECT last_key::text, done, copied FROM ${LEGACY_SCHEMA}.adopt_progress WHERE target = $1`,
      [table.target],
    );
    if (progress.rows[0]?.done === true) return;
    const after = progress.rows[0]?.last_key ?? null;
    await session.query('BEGIN');
    try {
      const { rows } = await session.query<{ inserted: number; last: string | null }>(copyBatch, [
        tenant,
        after,
        batch,
      ]);
      const { inserted, last } = rows[0]!;
      await session.query(
        `UPDATE ${LEGACY_SCHEMA}.adopt_progress
            SET last_key = coalesce($2::uuid, last_key), copied = copied + $3, done = ($2 IS NULL), updated_at = now()
          WHERE target = $1`,
        [table.target, last, inserted],
      );
      await session.query('COMMIT');
      if (last === null) return;
      log(`${table.target}: ${Number(progress.rows[0]?.copied ?? 0) + inserted} rows copied`);
    } catch (error) {
      await session.query('ROLLBACK').catch(() => undefined);
      // Only a row's data can be refused (classes 22 data exception and 23 integrity constraint);
      // anything else (a lost connection, a timeout) is the run's failure, resumable as it is.
      const sqlstate = isDatabaseError(error) ? (error.sqlstate ?? '') : '';
      if (!sqlstate.startsWith('22') && !sqlstate.startsWith('23')) throw error;
      throw await refusedRow(session, table, select, names, tenant, after, batch, error);
    }
  }
}

/** Finds the first row of a failed batch that our schema refuses, for an error that names it. */
async function refusedRow(
  session: Session,
  table: AdoptTable,
  select: string,
  names: string,
  tenant: string,
  after: string | null,
  batch: number,
  cause: unknown,
): Promise<ShannonError> {
  const ids = await session.query<{ id: string }>(
    `SELECT s.id::text AS id FROM ${table.source} s WHERE ($1::uuid IS NULL OR s.id > $1) ORDER BY s.id LIMIT $2`,
    [after, batch],
  );
  for (const { id } of ids.rows) {
    await session.query('BEGIN');
    try {
      await session.query(
        `WITH one AS (${select} WHERE s.id = $2) INSERT INTO ${table.target} (${names}) SELECT ${names} FROM one`,
        [tenant, id],
      );
    } catch (error) {
      await session.query('ROLLBACK').catch(() => undefined);
      const message = error instanceof Error ? error.message : String(error);
      return new ShannonError(
        'ADOPT_ROW_REFUSED',
        `${table.source} row ${id} cannot go into ${table.target}: ${message}. Correct or remove that row in ${table.source} and run adopt shannon --apply again; it resumes here`,
        { cause: error, details: { table: table.source, id } },
      );
    }
    await session.query('ROLLBACK');
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return new ShannonError(
    'ADOPT_ROW_REFUSED',
    `copying ${table.source} into ${table.target} failed: ${message}`,
    {
      cause,
      details: { table: table.source },
    },
  );
}

export interface LegacyRoleOptions {
  /**
   * Also make users' external ids unique across tenants, the ON CONFLICT (external_id) target of
   * Shannon's user upserts. Shannon's own schema had it; it stops two tenants from sharing an
   * external id, so it is for deployments whose only writer of users is Shannon.
   */
  uniqueExternalIds?: boolean;
}

/**
 * Lets a role Shannon's services connect as write through Shannon's own statements: rows without
 * a tenant get `tenant` (the setting shannon.default_tenant_id, read by migration 0073's fill), and
 * the role is a trusted writer of every table, as Shannon's own user is today (a member of
 * shannon_system, which row-level security admits). @throws ShannonError VALIDATION_FAILED naming
 * a role or tenant that does not exist.
 */
export async function bindLegacyRole(
  db: Queryable,
  role: string,
  tenant: string,
  options: LegacyRoleOptions = {},
): Promise<void> {
  const found = await db.query(`SELECT 1 FROM pg_roles WHERE rolname = $1`, [role]);
  if (found.rows.length === 0)
    throw new ShannonError('VALIDATION_FAILED', `role ${role} does not exist (create it first)`, {
      field: 'legacy-role',
    });
  const known = await db.query(`SELECT 1 FROM auth.tenants WHERE id::text = $1`, [tenant]);
  if (known.rows.length === 0)
    throw new ShannonError('VALIDATION_FAILED', `tenant ${tenant} does not exist`, { field: 'tenant' });
  const ident = quoteIdentAlways(role);
  const { rows } = await db.query<{ db: string }>(`SELECT current_database() AS db`);
  await db.query(
    `ALTER ROLE ${ident} IN DATABASE ${quoteIdentAlways(rows[0]!.db)} SET shannon.default_tenant_id = '${tenant}'`,
  );
  await db.query(`GRANT shannon_system TO ${ident}`);
  for (const schema of ['public', 'auth']) {
    await db.query(`GRANT USAGE ON SCHEMA ${schema} TO ${ident}`);
    await db.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${ident}`);
    await db.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${schema} TO ${ident}`);
  }
  if (options.uniqueExternalIds === true)
    await db.query(
      `CREATE UNIQUE INDEX IF NOT EXISTS users_external_id_shannon_key ON public.users (external_id)`,
    );
}

/**
 * Reports (dry run) or performs the adoption; resumes one that was stopped.
 * @throws ShannonError VALIDATION_FAILED when the database is not Shannon's or a setting is
 * wrong, ADOPT_ROW_REFUSED naming a row our schema refuses, ADOPT_MISMATCH when a table's
 * count or checksum differs after the copy.
 */
export async function adoptShannon(
  db: SessionSource & Queryable,
  options: AdoptOptions = {},
): Promise<AdoptReport> {
  const log = options.onProgress ?? (() => undefined);
  const apply = options.apply === true;
  const state = await adoptState(db);
  if (state === 'not_shannon')
    throw new ShannonError(
      'VALIDATION_FAILED',
      "this database holds neither Shannon's schema (public.task_executions without shannon_schema_migrations) nor an adoption in progress",
      { field: 'database' },
    );
  const defaultTenant = await resolveDefaultTenant(db, options.defaultTenant, apply);
  const report: AdoptReport = {
    state,
    applied: apply,
    defaultTenant,
    tables: [],
    aggregates: { shannonRows: 0, rebuiltRows: null },
    migrationsApplied: 0,
    legacyRole: options.legacyRole ?? null,
  };
  const where = (t: AdoptTable) =>
    state === 'shannon'
      ? t.source.replace(/^shannon_legacy_auth\./, 'auth.').replace(/^shannon_legacy\./, 'public.')
      : t.source;
  if (!apply) {
    for (const t of ADOPT_TABLES)
      report.tables.push({
        target: t.target,
        source: where(t),
        shannonRows: (await exists(db, where(t))) ? await tableCount(db, where(t)) : 0,
        adoptedRows: state === 'shannon' ? 0 : await tableCount(db, t.target),
        shannonChecksum: null,
        adoptedChecksum: null,
        match: null,
      });
    const aggregates =
      state === 'shannon' ? 'public.usage_daily_aggregates' : `${LEGACY_SCHEMA}.usage_daily_aggregates`;
    report.aggregates.shannonRows = (await exists(db, aggregates)) ? await tableCount(db, aggregates) : 0;
    return report;
  }

  if (state === 'shannon') {
    log('moving Shannon tables to shannon_legacy and shannon_legacy_auth');
    await cutOver(db, options.lockTimeoutMs ?? 2_000);
  }
  const migrations = await migrateDatabase(db);
  report.migrationsApplied = migrations.filter((m) => m.outcome === 'applied').length;
  log(`migrations: ${report.migrationsApplied} applied`);
  const tenant = defaultTenant.id!;
  await db.query(
    `INSERT INTO ${LEGACY_SCHEMA}.adopt_settings (key, value) VALUES ('default_tenant', $1) ON CONFLICT (key) DO NOTHING`,
    [tenant],
  );
  const batch = options.batchSize ?? DEFAULT_BATCH;
  await db.withSession(
    async (session) => {
      await session.query('SET statement_timeout = 0');
      // A default tenant that is not one of Shannon's is created here (also on a resumed run,
      // which may have been stopped before it got this far); one of Shannon's comes with the copy.
      await session.query(
        `INSERT INTO auth.tenants (id, name, slug)
         SELECT $1::uuid, 'default', 'default-' || left($1::uuid::text, 8)
          WHERE NOT EXISTS (SELECT 1 FROM ${LEGACY_AUTH_SCHEMA}.tenants WHERE id = $1::uuid)
         ON CONFLICT (id) DO NOTHING`,
        [tenant],
      );
      for (const t of ADOPT_TABLES) {
        if (!(await exists(session, t.source))) {
          await session.query(`UPDATE ${LEGACY_SCHEMA}.adopt_progress SET done = true WHERE target = $1`, [
            t.target,
          ]);
          continue;
        }
        await partitionsFor(session, t);
        await copyTable(session, t, tenant, batch, log);
        if (t.target === 'public.task_executions')
          // The workflow key table: what our task upserts and workflow lookups go through.
          await session.query(
            `INSERT INTO public.task_execution_keys (tenant_id, workflow_id, task_id, started_at)
             SELECT t.tenant_id, t.workflow_id, t.id, t.started_at FROM public.task_executions t
              WHERE t.id IN (SELECT id FROM ${t.source})
             ON CONFLICT (tenant_id, workflow_id) DO NOTHING`,
          );
      }
      await session.query('RESET statement_timeout');
    },
    { operation: 'adopt.copy', timeoutMs: 0 },
  );

  const mismatched: string[] = [];
  await db.withSession(
    async (session) => {
      // A checksum reads a whole table: no statement timeout, as for the copy.
      await session.query('SET statement_timeout = 0');
      for (const t of ADOPT_TABLES) {
        if (!(await exists(session, t.source))) continue;
        const cols = await mappedColumns(session, t);
        const theirs = (
          await session.query<{ n: string; sum: string }>(checksumSql(t, cols, 'shannon'), [tenant])
        ).rows[0]!;
        const ours = (await session.query<{ n: string; sum: string }>(checksumSql(t, cols, 'ours'))).rows[0]!;
        const row: AdoptTableReport = {
          target: t.target,
          source: t.source,
          shannonRows: Number(theirs.n),
          adoptedRows: Number(ours.n),
          shannonChecksum: theirs.sum,
          adoptedChecksum: ours.sum,
          match: theirs.n === ours.n && theirs.sum === ours.sum,
        };
        if (row.match !== true) mismatched.push(t.target);
        report.tables.push(row);
      }
      await session.query('RESET statement_timeout');
    },
    { operation: 'adopt.verify', timeoutMs: 0 },
  );
  report.aggregates = {
    shannonRows: (await exists(db, `${LEGACY_SCHEMA}.usage_daily_aggregates`))
      ? await tableCount(db, `${LEGACY_SCHEMA}.usage_daily_aggregates`)
      : 0,
    rebuiltRows: await tableCount(db, 'public.usage_daily_aggregates'),
  };
  if (mismatched.length > 0)
    throw new ShannonError(
      'ADOPT_MISMATCH',
      `row counts or checksums differ after the copy: ${mismatched.join(', ')}`,
      {
        details: { tables: mismatched },
      },
    );
  if (options.legacyRole !== undefined)
    await bindLegacyRole(db, options.legacyRole, tenant, {
      uniqueExternalIds: options.uniqueExternalIds === true,
    });
  report.state = 'adopted';
  return report;
}
