/**
 * Feature detection for the optional extensions the toolkit reads. pg_stat_statements can be
 * installed yet unusable (not in shared_preload_libraries), so usability is probed, not assumed.
 */
import { isDatabaseError, ShannonError } from '../errors/errors.js';
import type { Queryable } from '../postgres/queryable.js';

export const EXTENSION_STATUS_SQL = `
SELECT e.extname AS name, e.extversion AS version, n.nspname AS schema
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname = ANY ($1::text[])`;

export interface ExtensionState {
  installed: boolean;
  usable: boolean;
  version: string | null;
  schema: string | null;
  /** Why it cannot be used, when it cannot. */
  reason: string | null;
}

/** Reports whether pg_stat_statements is installed in this database and readable. */
export async function statementStatsState(db: Queryable): Promise<ExtensionState> {
  const { rows } = await db.query<{ version: string; schema: string }>(EXTENSION_STATUS_SQL, [
    ['pg_stat_statements'],
  ]);
  const row = rows[0];
  if (row === undefined) {
    return {
      installed: false,
      usable: false,
      version: null,
      schema: null,
      reason: 'pg_stat_statements is not installed in this database',
    };
  }
  try {
    await db.query(`SELECT 1 FROM ${row.schema}.pg_stat_statements LIMIT 1`, [], {
      operation: 'ops.probe_statements',
    });
    return { installed: true, usable: true, version: row.version, schema: row.schema, reason: null };
  } catch (error) {
    // 55000 (object_not_in_prerequisite_state): "must be loaded via shared_preload_libraries".
    if (!isDatabaseError(error) || error.sqlstate !== '55000') throw error;
    return {
      installed: true,
      usable: false,
      version: row.version,
      schema: row.schema,
      reason: 'pg_stat_statements is installed but not in shared_preload_libraries',
    };
  }
}

/** Reports whether hypopg is installed in this database. */
export async function hypopgState(db: Queryable): Promise<ExtensionState> {
  const { rows } = await db.query<{ version: string; schema: string }>(EXTENSION_STATUS_SQL, [['hypopg']]);
  const row = rows[0];
  if (row === undefined) {
    return {
      installed: false,
      usable: false,
      version: null,
      schema: null,
      reason: 'hypopg is not installed (CREATE EXTENSION hypopg; Debian package postgresql-15-hypopg)',
    };
  }
  return { installed: true, usable: true, version: row.version, schema: row.schema, reason: null };
}

/** The typed error for an operation that cannot run without an extension. */
export function extensionMissing(name: string, reason: string): ShannonError {
  return new ShannonError('EXTENSION_MISSING', `${name}: ${reason}`, { details: { extension: name } });
}
