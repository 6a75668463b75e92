/**
 * What an operator reads when a connection cannot be opened: where we tried (host, port, database,
 * user — never the password), what failed (the socket error, or PostgreSQL's message with its
 * SQLSTATE, DETAIL and HINT) and which setting to check.
 */
import { DatabaseError, ShannonError } from '../errors/errors.js';
import { toDatabaseError } from './sqlstate.js';

/** Where a connection URL points, without its password. */
export interface ConnectionTarget {
  host: string;
  port: string;
  database: string | undefined;
  user: string | undefined;
}

function decoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Host, port, database and user of `url` (PostgreSQL's defaults where the URL leaves them out). */
export function connectionTarget(url: string): ConnectionTarget {
  try {
    const parsed = new URL(url);
    const params = parsed.searchParams;
    const user = decoded(parsed.username) || params.get('user') || undefined;
    const database = decoded(parsed.pathname.replace(/^\//, '')) || params.get('dbname') || user;
    return {
      host: decoded(parsed.hostname).replace(/^\[(.*)\]$/, '$1') || params.get('host') || 'localhost',
      port: parsed.port || params.get('port') || '5432',
      database,
      user,
    };
  } catch {
    return { host: 'unknown host', port: 'unknown port', database: undefined, user: undefined };
  }
}

/** Removes the URL's password from `text`, in case a driver message ever quotes it. */
function withoutPassword(text: string, url: string): string {
  let password = '';
  try {
    password = new URL(url).password;
  } catch {
    return text;
  }
  if (password === '') return text;
  return text.split(password).join('***').split(decoded(password)).join('***');
}

function stringField(error: unknown, name: string): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const value = (error as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export interface ConnectionFailureOptions {
  /** The URL the pool connects to (its password never reaches the message). */
  url: string;
  /** The setting an operator checks, e.g. `DATABASE_URL`. */
  setting: string;
  /** What was being done (`migrate`, `auth.list_tenants`); kept in `details`. */
  operation: string;
}

/**
 * Wraps a failure to open a connection: DB_UNAVAILABLE (or DB_TIMEOUT for our own deadline), with
 * a message naming host, port and the setting, followed by PostgreSQL's DETAIL and HINT lines when
 * the server sent them. The SQLSTATE and cause are kept, so retries and breakers classify it as
 * before.
 */
export function connectionFailure(error: unknown, options: ConnectionFailureOptions): ShannonError {
  if (error instanceof ShannonError) return error;
  const classified = toDatabaseError(error, options.operation);
  const sqlstate = classified instanceof DatabaseError ? classified.sqlstate : undefined;
  const code = classified.code === 'DB_TIMEOUT' ? 'DB_TIMEOUT' : 'DB_UNAVAILABLE';
  const target = connectionTarget(options.url);
  const detail = stringField(error, 'detail');
  const hint = stringField(error, 'hint');
  const reason = error instanceof Error ? error.message : String(error);
  const who = [
    target.database === undefined ? undefined : `database "${target.database}"`,
    target.user === undefined ? undefined : `user "${target.user}"`,
  ].filter((s) => s !== undefined);
  const lines = [
    `cannot connect to PostgreSQL at ${target.host}:${target.port}${who.length > 0 ? ` (${who.join(', ')})` : ''}: ${reason}${sqlstate === undefined ? '' : ` (SQLSTATE ${sqlstate})`}; check ${options.setting}`,
    ...(detail === undefined ? [] : [`DETAIL:  ${detail}`]),
    ...(hint === undefined ? [] : [`HINT:  ${hint}`]),
  ];
  return new DatabaseError(code, withoutPassword(lines.join('\n'), options.url), {
    cause: error,
    ...(sqlstate === undefined ? {} : { sqlstate }),
    details: {
      host: target.host,
      port: target.port,
      ...(target.database === undefined ? {} : { database: target.database }),
      ...(target.user === undefined ? {} : { user: target.user }),
      setting: options.setting,
      operation: options.operation,
      ...(sqlstate === undefined ? {} : { sqlstate }),
      ...(detail === undefined ? {} : { detail: withoutPassword(detail, options.url) }),
      ...(hint === undefined ? {} : { hint: withoutPassword(hint, options.url) }),
    },
  });
}
