/**
 * Keyset pagination cursors. A cursor is the (time, id) of the last row of a page, encoded as
 * opaque base64url JSON. Times keep PostgreSQL's microseconds (a JS Date would round them to
 * milliseconds and skip or repeat rows that share a millisecond).
 */
import { ValidationError } from '../errors/errors.js';
import { isUuid } from '../validation/checks.js';

/** Default page size of every list method. */
export const DEFAULT_PAGE_LIMIT = 20;
/** Largest page size a list method accepts. */
export const MAX_PAGE_LIMIT = 200;

/** Position after which the next page starts: the row's sort time (text, µs precision) and id. */
export interface KeysetPosition {
  at: string;
  id: string;
}

/** One page of rows plus the cursor of the next page (null on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Position before every row: the first page compares against it, so list SQL needs no `IS NULL OR`. */
export const FIRST_PAGE: KeysetPosition = { at: 'infinity', id: 'ffffffff-ffff-ffff-ffff-ffffffffffff' };

/** The position a list query starts after: the decoded cursor, or FIRST_PAGE without one. */
export function startPosition(cursor: string | undefined | null): KeysetPosition {
  return cursor === undefined || cursor === null ? FIRST_PAGE : decodeCursor(cursor);
}

/** Position before every row of an oldest-first list (events). */
export const FIRST_PAGE_ASC: KeysetPosition = { at: '-infinity', id: '00000000-0000-0000-0000-000000000000' };

/** The position an oldest-first list query starts after. */
export function startPositionAsc(cursor: string | undefined | null): KeysetPosition {
  return cursor === undefined || cursor === null ? FIRST_PAGE_ASC : decodeCursor(cursor);
}

const TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** SQL expression that renders a timestamptz column as the cursor time text (UTC, microseconds). */
export function cursorTimeSql(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.at, position.id]), 'utf8').toString('base64url');
}

/** Decodes a cursor from a previous page. @throws ValidationError('cursor') when it is malformed. */
export function decodeCursor(cursor: string): KeysetPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ValidationError('cursor', 'cursor is not a value returned by a previous page');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== 'string' ||
    !TIME_PATTERN.test(parsed[0]) ||
    !isUuid(parsed[1])
  ) {
    throw new ValidationError('cursor', 'cursor is not a value returned by a previous page');
  }
  return { at: parsed[0], id: parsed[1] };
}

/** Validates a page size. @throws ValidationError('limit') outside 1..MAX_PAGE_LIMIT. */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw new ValidationError('limit', `limit must be an integer between 1 and ${MAX_PAGE_LIMIT}`);
  }
  return limit;
}

/**
 * Builds a page from `limit + 1` fetched rows: the extra row only signals that another page exists.
 * Rows carry `cursor_at` and `id`; `map` turns a row into the item returned to the caller.
 */
export function toPage<Row extends { cursor_at: string; id: string }, T>(
  rows: Row[],
  limit: number,
  map: (row: Row) => T,
): Page<T> {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    items: pageRows.map(map),
    nextCursor: more && last !== undefined ? encodeCursor({ at: last.cursor_at, id: last.id }) : null,
  };
}
