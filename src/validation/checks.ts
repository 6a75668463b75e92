/**
 * The input checks every layer shares — the stores' `require…` functions, the UUID pattern and the
 * calendar test the write path's field parsers (field-parsers.ts) build on. Each check throws a
 * ValidationError naming the field.
 */
import { isDatabaseError, ValidationError } from '../errors/errors.js';

/** A UUID in its canonical 8-4-4-4-12 hex form, either case (PostgreSQL prints lower case). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` is a canonical UUID string. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_PATTERN.test(value);
}

/** Returns `value` when it is a UUID. @throws ValidationError naming `field` otherwise. */
export function requireUuid(field: string, value: unknown): string {
  if (!isUuid(value))
    throw new ValidationError(field, `${field} must be a UUID, got ${JSON.stringify(value)}`);
  return value;
}

/** Returns a non-empty string of at most `max` characters. @throws ValidationError naming `field`. */
export function requireText(field: string, value: unknown, max = 255): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ValidationError(field, `${field} must be a non-empty string`);
  }
  if (value.length > max) throw new ValidationError(field, `${field} must be at most ${max} characters`);
  return value;
}

/** Returns `value` when it is a plain JSON object (not an array or null). @throws ValidationError. */
export function requireObject(field: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(field, `${field} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Returns a non-negative integer (or the fallback when undefined). @throws ValidationError. */
export function requireCount(field: string, value: unknown, fallback = 0): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError(field, `${field} must be a non-negative integer`);
  }
  return value;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in a month (1–12) of the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

const ISO_WITH_ZONE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2}))$/;

/**
 * True for an ISO-8601 date-time with a zone whose written fields are a real calendar time.
 * `new Date()` rolls impossible dates over (2026-02-30 becomes March 2), so the fields are checked
 * as written before it parses them.
 */
export function isCalendarTimestamp(s: string): boolean {
  const m = ISO_WITH_ZONE.exec(s);
  if (m === null) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  if (day > daysInMonth(year, month)) return false;
  const [hour, minute, second] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  if (hour > 23 || minute > 59 || second > 59) return false;
  return m[7] === undefined || (Number(m[7]) <= 23 && Number(m[8]) <= 59);
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Returns a Date for a Date, an ISO date-time with a zone or a bare ISO date (UTC midnight), or
 * null when absent. Days that do not exist are refused rather than rolled over.
 * @throws ValidationError.
 */
export function optionalDate(field: string, value: unknown): Date | null {
  if (value === undefined || value === null) return null;
  const valid =
    typeof value === 'string' &&
    (isCalendarTimestamp(value) || (ISO_DATE.test(value) && isCalendarTimestamp(`${value}T00:00:00Z`)));
  const date = value instanceof Date ? value : valid ? new Date(value as string) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw new ValidationError(field, `${field} must be a valid timestamp`);
  return date;
}

/** Returns a non-negative integer, or null when absent. @throws ValidationError. */
export function optionalCount(field: string, value: unknown): number | null {
  return value === undefined || value === null ? null : requireCount(field, value);
}

/** Returns a finite non-negative number, or null when absent. @throws ValidationError. */
export function optionalAmount(field: string, value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValidationError(field, `${field} must be a finite non-negative number`);
  }
  return value;
}

/**
 * Validates a half-open time range [from, to) no longer than `maxDays`.
 * @throws ValidationError('from' | 'to').
 */
export function requireTimeRange(from: unknown, to: unknown, maxDays: number): { from: Date; to: Date } {
  const start = optionalDate('from', from);
  const end = optionalDate('to', to);
  if (start === null) throw new ValidationError('from', 'from is required');
  if (end === null) throw new ValidationError('to', 'to is required');
  if (end.getTime() <= start.getTime()) throw new ValidationError('to', 'to must be after from');
  if (end.getTime() - start.getTime() > maxDays * 86_400_000) {
    throw new ValidationError('to', `the time range must not exceed ${maxDays} days`);
  }
  return { from: start, to: end };
}

/**
 * Turns a foreign-key violation (SQLSTATE 23503) on one of `fields`' constraints into a
 * ValidationError naming the input field (a user or schedule of another tenant, or none at all);
 * rethrows anything else unchanged.
 */
export function rethrowForeignKey(error: unknown, fields: Readonly<Record<string, string>>): never {
  if (isDatabaseError(error) && error.sqlstate === '23503') {
    const cause = error.cause as { constraint?: unknown } | undefined;
    const field = typeof cause?.constraint === 'string' ? fields[cause.constraint] : undefined;
    if (field !== undefined) {
      throw new ValidationError(field, `${field} does not name an existing row of this tenant`, {
        cause: error,
      });
    }
  }
  throw error;
}
