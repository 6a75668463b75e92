/**
 * Parsers for one column value each: they take `unknown` input, return the normalised value the
 * writers bind (ISO timestamps, numbers, plain JSON) or throw a ValidationError naming the field.
 * `pgType` is the array element type the bulk writers cast their `unnest` parameter to.
 * Every error message starts with the field's name: validate-record.ts names fields relative to
 * the record and puts the record's path in front of both the field and the message.
 */
import { isIP } from 'node:net';
import { ValidationError } from '../errors/errors.js';
import { daysInMonth, isCalendarTimestamp, isUuid } from './checks.js';

export interface FieldParser {
  readonly pgType: string;
  /** @throws ValidationError naming `field`. */
  parse(value: unknown, field: string): unknown;
}

const INT32_MAX = 2_147_483_647;

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function uuid(): FieldParser {
  return {
    pgType: 'uuid',
    parse(value, field) {
      if (!isUuid(value)) throw new ValidationError(field, `${field} must be a UUID, got ${describe(value)}`);
      return value.toLowerCase();
    },
  };
}

/** A string of at most `max` characters (varchar(max)); `text` columns use a large bound. */
export function string(max: number, pgType = 'text'): FieldParser {
  return {
    pgType,
    parse(value, field) {
      if (typeof value !== 'string') throw new ValidationError(field, `${field} must be a string`);
      if (value.length > max)
        throw new ValidationError(field, `${field} must be at most ${max} characters, got ${value.length}`);
      if (value.includes('\u0000'))
        throw new ValidationError(field, `${field} must not contain NUL characters`);
      return value;
    },
  };
}

export function oneOf(values: readonly string[]): FieldParser {
  return {
    pgType: 'text',
    parse(value, field) {
      if (typeof value !== 'string' || !values.includes(value))
        throw new ValidationError(
          field,
          `${field} must be one of ${values.join(', ')}, got ${describe(value)}`,
        );
      return value;
    },
  };
}

export function integer(min: number, max = INT32_MAX, pgType = 'int4'): FieldParser {
  return {
    pgType,
    parse(value, field) {
      if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max)
        throw new ValidationError(
          field,
          `${field} must be an integer between ${min} and ${max}, got ${describe(value)}`,
        );
      return value;
    },
  };
}

/** numeric(precision, scale): a finite number whose integer part fits. */
export function numeric(precision: number, scale: number, min = 0): FieldParser {
  const limit = 10 ** (precision - scale);
  return {
    pgType: 'numeric',
    parse(value, field) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < min || Math.abs(value) >= limit)
        throw new ValidationError(
          field,
          `${field} must be a number >= ${min} and below ${limit} (numeric(${precision},${scale})), got ${describe(value)}`,
        );
      return value;
    },
  };
}

export function float(): FieldParser {
  return {
    pgType: 'float8',
    parse(value, field) {
      if (typeof value !== 'number' || !Number.isFinite(value))
        throw new ValidationError(field, `${field} must be a finite number`);
      return value;
    },
  };
}

export function boolean(): FieldParser {
  return {
    pgType: 'bool',
    parse(value, field) {
      if (typeof value !== 'boolean') throw new ValidationError(field, `${field} must be true or false`);
      return value;
    },
  };
}

/** The number in `length` ASCII digits of `s` from `from`, or -1 when one is not a digit. */
function digitsAt(s: string, from: number, length: number): number {
  let n = 0;
  for (let i = from; i < from + length; i += 1) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * True when `s` is exactly what `toISOString()` gives for a valid instant of 1970–9999
 * (`YYYY-MM-DDTHH:MM:SS.mmmZ`). Parsed by hand: it runs for every timestamp the write path accepts.
 */
function isCanonicalIso(s: string): boolean {
  if (s.length !== 24 || s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':') return false;
  if (s[16] !== ':' || s[19] !== '.' || s[23] !== 'Z' || digitsAt(s, 20, 3) < 0) return false;
  const year = digitsAt(s, 0, 4);
  const month = digitsAt(s, 5, 2);
  const day = digitsAt(s, 8, 2);
  if (year < 1970 || month < 1 || month > 12 || day < 1) return false;
  const days = daysInMonth(year, month);
  const hour = digitsAt(s, 11, 2);
  const minute = digitsAt(s, 14, 2);
  const second = digitsAt(s, 17, 2);
  return day <= days && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59;
}

/** A timestamp as an ISO-8601 string with a zone, or a Date; normalised to `toISOString()`. */
export function timestamp(): FieldParser {
  return {
    pgType: 'timestamptz',
    parse(value, field) {
      // Most clients send toISOString() output; it is already normalised.
      if (typeof value === 'string' && isCanonicalIso(value)) return value;
      let date: Date | undefined;
      if (value instanceof Date) date = value;
      else if (typeof value === 'string' && isCalendarTimestamp(value)) date = new Date(value);
      if (date === undefined || Number.isNaN(date.getTime()))
        throw new ValidationError(field, `${field} must be an ISO-8601 timestamp with a time zone`);
      const year = date.getUTCFullYear();
      if (year < 1970 || year > 9999) throw new ValidationError(field, `${field} is out of range`);
      return date.toISOString();
    },
  };
}

/** A value that is not plain JSON; `path` is built while unwinding, so valid input builds no strings. */
class NotPlainJson extends Error {
  constructor(
    readonly reason: string,
    public path = '',
  ) {
    super(reason);
  }
}

function plainJson(value: unknown, depth: number): unknown {
  if (depth > 32) throw new NotPlainJson('is nested too deeply');
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    if (value.includes('\u0000')) throw new NotPlainJson('must not contain NUL characters');
    return value;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new NotPlainJson('must not contain NaN or Infinity');
    return value;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i += 1) {
      try {
        out[i] = plainJson(value[i], depth + 1);
      } catch (error) {
        if (error instanceof NotPlainJson) error.path = `[${i}]${error.path}`;
        throw error;
      }
    }
    return out;
  }
  // Null-prototype objects are plain data too (some parsers build them).
  if (typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value))) {
    // Copied, so a caller mutating its object after write() cannot change what is stored.
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[k];
      if (v === undefined) continue;
      try {
        out[k] = plainJson(v, depth + 1);
      } catch (error) {
        if (error instanceof NotPlainJson) error.path = `.${k}${error.path}`;
        throw error;
      }
    }
    return out;
  }
  throw new NotPlainJson('must be plain JSON');
}

function parseJson(value: unknown, field: string): unknown {
  try {
    return plainJson(value, 0);
  } catch (error) {
    if (!(error instanceof NotPlainJson)) throw error;
    const where = `${field}${error.path}`;
    throw new ValidationError(where, `${where} ${error.reason}`);
  }
}

/** A JSON object (jsonb columns that hold objects). */
export function jsonObject(): FieldParser {
  return {
    pgType: 'jsonb',
    parse(value, field) {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        throw new ValidationError(field, `${field} must be a JSON object`);
      return parseJson(value, field);
    },
  };
}

/** Any JSON value (jsonb columns without a shape). */
export function jsonValue(): FieldParser {
  return { pgType: 'jsonb', parse: parseJson };
}

export function inet(): FieldParser {
  return {
    pgType: 'inet',
    parse(value, field) {
      if (typeof value !== 'string' || isIP(value) === 0)
        throw new ValidationError(field, `${field} must be an IPv4 or IPv6 address`);
      return value;
    },
  };
}
