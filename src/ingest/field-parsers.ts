/**
 * Parsers for one column value each: they take `unknown` input, return the normalised value the
 * writers bind (ISO timestamps, numbers, plain JSON) or throw a ValidationError naming the field.
 * `pgType` is the array element type the bulk writers cast their `unnest` parameter to.
 */
import { isIP } from 'node:net';
import { ValidationError } from '../errors/errors.js';

export interface FieldParser {
  readonly pgType: string;
  /** @throws ValidationError naming `field`. */
  parse(value: unknown, field: string): unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INT32_MAX = 2_147_483_647;

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function uuid(): FieldParser {
  return {
    pgType: 'uuid',
    parse(value, field) {
      if (typeof value !== 'string' || !UUID.test(value))
        throw new ValidationError(field, `${field} must be a UUID, got ${describe(value)}`);
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

/** A timestamp as an ISO-8601 string with a zone, or a Date; normalised to `toISOString()`. */
export function timestamp(): FieldParser {
  return {
    pgType: 'timestamptz',
    parse(value, field) {
      let date: Date | undefined;
      if (value instanceof Date) date = value;
      else if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(value))
        date = new Date(value);
      if (date === undefined || Number.isNaN(date.getTime()))
        throw new ValidationError(field, `${field} must be an ISO-8601 timestamp with a time zone`);
      const year = date.getUTCFullYear();
      if (year < 1970 || year > 9999) throw new ValidationError(field, `${field} is out of range`);
      return date.toISOString();
    },
  };
}

function plainJson(value: unknown, field: string, depth: number): unknown {
  if (depth > 32) throw new ValidationError(field, `${field} is nested too deeply`);
  if (value === null || typeof value === 'boolean' || typeof value === 'string') {
    if (typeof value === 'string' && value.includes('\u0000'))
      throw new ValidationError(field, `${field} must not contain NUL characters`);
    return value;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new ValidationError(field, `${field} must not contain NaN or Infinity`);
    return value;
  }
  if (Array.isArray(value)) return value.map((item, i) => plainJson(item, `${field}[${i}]`, depth + 1));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      out[k] = plainJson(v, `${field}.${k}`, depth + 1);
    }
    return out;
  }
  throw new ValidationError(field, `${field} must be plain JSON`);
}

/** A JSON object (jsonb columns that hold objects). */
export function jsonObject(): FieldParser {
  return {
    pgType: 'jsonb',
    parse(value, field) {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        throw new ValidationError(field, `${field} must be a JSON object`);
      return plainJson(value, field, 0);
    },
  };
}

/** Any JSON value (jsonb columns without a shape). */
export function jsonValue(): FieldParser {
  return { pgType: 'jsonb', parse: (value, field) => plainJson(value, field, 0) };
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
