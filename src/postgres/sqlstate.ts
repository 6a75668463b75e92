/**
 * SQLSTATE classification, in one table, read by the retry policy, the breakers and the migrator.
 * Classes: `transient` (retry may succeed, counts against the breaker), `conflict` (the data
 * disagrees: unique/serialization — a caller decision, not an outage), `client` (the statement or
 * input is wrong; never retried, never trips a breaker), `fatal` (the server is broken or
 * misconfigured: counts against the breaker, not retried).
 */
import { DatabaseError, ShannonError } from '../errors/errors.js';

export type SqlStateClass = 'transient' | 'conflict' | 'client' | 'fatal';

/** Exact codes first; then two-character class prefixes (see PostgreSQL Appendix A). */
const EXACT: Readonly<Record<string, SqlStateClass>> = {
  '40001': 'conflict', // serialization_failure
  '40P01': 'transient', // deadlock_detected
  '23505': 'conflict', // unique_violation
  '23P01': 'conflict', // exclusion_violation
  '55P03': 'transient', // lock_not_available (lock_timeout)
  '57014': 'transient', // query_canceled (statement_timeout)
  '57P01': 'transient', // admin_shutdown
  '57P02': 'transient', // crash_shutdown
  '57P03': 'transient', // cannot_connect_now (starting up, recovery)
  '53300': 'transient', // too_many_connections
  '53400': 'transient', // configuration_limit_exceeded
  // read_only_sql_transaction: nothing here writes inside a READ ONLY transaction of its own, so
  // this is a server not taking writes (a standby, a demoted primary, default_transaction_read_only)
  // — an outage for writes. As `client`, the write path would reject every record one by one.
  '25006': 'transient',
  '42501': 'client', // insufficient_privilege (RLS WITH CHECK violations too)
  '3D000': 'fatal', // invalid_catalog_name (database does not exist)
  '28000': 'fatal', // invalid_authorization_specification
  '28P01': 'fatal', // invalid_password
};

const BY_CLASS: Readonly<Record<string, SqlStateClass>> = {
  '08': 'transient', // connection exception
  '53': 'transient', // insufficient resources (disk full, out of memory)
  '58': 'fatal', // system error (I/O)
  XX: 'fatal', // internal error
  '22': 'client', // data exception
  '23': 'client', // integrity constraint violation (not null, check, fk)
  '42': 'client', // syntax error or access rule violation
  '0A': 'client', // feature not supported
  '2B': 'client',
  '21': 'client', // cardinality violation
  '44': 'client', // WITH CHECK OPTION violation
  P0: 'client', // PL/pgSQL raise
};

/** Node socket errors that mean "the server is unreachable". */
const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Classifies a five-character SQLSTATE. Unknown codes are `fatal` (safe: never retried blindly). */
export function classifySqlState(sqlstate: string): SqlStateClass {
  return EXACT[sqlstate] ?? BY_CLASS[sqlstate.slice(0, 2)] ?? 'fatal';
}

/**
 * The SQLSTATE a driver error carries. Node's errno codes (EPIPE, EPERM) are five capitals too;
 * no SQLSTATE class starts with E, so those are never read as one.
 */
function sqlStateOf(code: string | undefined): string | undefined {
  return code !== undefined && /^[0-9A-DF-Z][0-9A-Z]{4}$/.test(code) ? code : undefined;
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/**
 * Classifies anything a PostgreSQL call can throw: driver errors with SQLSTATE, socket errors,
 * our own timeout/unavailable errors. Connection-level failures without a SQLSTATE are transient.
 */
export function classifyError(error: unknown): SqlStateClass {
  if (error instanceof DatabaseError) {
    if (error.sqlstate !== undefined) return classifySqlState(error.sqlstate);
    if (error.code === 'DB_TIMEOUT' || error.code === 'DB_UNAVAILABLE') return 'transient';
    if (error.code === 'CONFLICT') return 'conflict';
    return 'fatal';
  }
  if (error instanceof ShannonError) return error.code === 'BREAKER_OPEN' ? 'transient' : 'client';
  const code = errorCode(error);
  const sqlstate = sqlStateOf(code);
  if (sqlstate !== undefined) return classifySqlState(sqlstate);
  if (code !== undefined && NETWORK_ERROR_CODES.has(code)) return 'transient';
  const message = error instanceof Error ? error.message : '';
  // node-postgres reports a dropped socket without a code; these are its fixed texts, not server text.
  if (/Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)) {
    return 'transient';
  }
  // Anything else was not raised by PostgreSQL or the socket (e.g. the caller's own code inside a
  // transaction): it says nothing about the database's health.
  return 'client';
}

/** True when the failure says the dependency is unhealthy (it should count against a breaker). */
export function isInfrastructureFailure(error: unknown): boolean {
  const cls = classifyError(error);
  return cls === 'transient' || cls === 'fatal';
}

/** True when retrying the same call later may succeed. */
export function isTransient(error: unknown): boolean {
  return classifyError(error) === 'transient';
}

/**
 * SQLSTATE classes that are not transient but still mean "the database cannot serve you now"
 * rather than "this statement is wrong": refused credentials, a missing database, an I/O error on
 * the server. The service answers them 503 like an outage; only a bug is a 500.
 */
const UNAVAILABLE_FATAL_CLASSES: ReadonlySet<string> = new Set(['28', '3D', '58']);

/**
 * Wraps a driver error into a DatabaseError with a stable code, keeping SQLSTATE and cause. The
 * code follows the classification above, so every transient failure — a dropped socket or a
 * server-side one such as 57P01 (connection terminated by an administrator) — is DB_UNAVAILABLE
 * (503, retry), a statement timeout is DB_TIMEOUT, and DB_QUERY_FAILED is left for statements
 * PostgreSQL refused on their own merits.
 */
export function toDatabaseError(error: unknown, operation: string): DatabaseError | ShannonError {
  if (error instanceof ShannonError) return error;
  const sqlstate = sqlStateOf(errorCode(error));
  const message = `${operation}: ${error instanceof Error ? error.message : String(error)}`;
  const cls = classifyError(error);
  const field = violatedColumn(error);
  const options = {
    cause: error,
    ...(sqlstate === undefined ? {} : { sqlstate }),
    ...(field === undefined ? {} : { field }),
  };
  if (cls === 'conflict') return new DatabaseError('CONFLICT', message, options);
  if (cls === 'transient') {
    return new DatabaseError(sqlstate === '57014' ? 'DB_TIMEOUT' : 'DB_UNAVAILABLE', message, options);
  }
  if (cls === 'fatal' && sqlstate !== undefined && UNAVAILABLE_FATAL_CLASSES.has(sqlstate.slice(0, 2)))
    return new DatabaseError('DB_UNAVAILABLE', message, options);
  return new DatabaseError('DB_QUERY_FAILED', message, options);
}

/**
 * True for a value a PostgreSQL call threw that was never wrapped (a driver error with a SQLSTATE,
 * or a socket error): it still gets the database's classification instead of a bare 500.
 */
export function isUnwrappedDatabaseFailure(error: unknown): boolean {
  if (error instanceof ShannonError) return false;
  const code = errorCode(error);
  return sqlStateOf(code) !== undefined || (code !== undefined && NETWORK_ERROR_CODES.has(code));
}

/** SQLSTATE foreign_key_violation: a row names a parent (a user, a task) that does not exist. */
export const FOREIGN_KEY_VIOLATION = '23503';
/** SQLSTATE not_null_violation. */
export const NOT_NULL_VIOLATION = '23502';

/**
 * The column a constraint violation is about, from the driver error (or a DatabaseError's cause):
 * a NOT NULL violation names it in `column`; a foreign key violation in its detail,
 * `Key (tenant_id, user_id)=(…) is not present in table "users".` — the composite keys that keep
 * child rows inside their tenant lead with tenant_id, which the caller never sets, so the other
 * column is the one named. Undefined for any other error.
 */
export function violatedColumn(error: unknown): string | undefined {
  const driver = error instanceof DatabaseError ? error.cause : error;
  if (typeof driver !== 'object' || driver === null) return undefined;
  const { code, column, detail } = driver as { code?: unknown; column?: unknown; detail?: unknown };
  if (code === NOT_NULL_VIOLATION && typeof column === 'string' && column !== '') return column;
  if (code !== FOREIGN_KEY_VIOLATION || typeof detail !== 'string') return undefined;
  const match = /^Key \(([^)]+)\)=/.exec(detail);
  if (match === null) return undefined;
  const columns = match[1]!.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
  const named = columns.filter((c) => c !== 'tenant_id');
  return (named.length > 0 ? named : columns).join(', ');
}
