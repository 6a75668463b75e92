/**
 * Validation at the edge of the write path (SPEC P6): a record of a kind becomes an IngestRecord
 * with a tenant, an idempotency key (supplied or derived) and its time column stamped, or the call
 * throws a ValidationError naming the field. Nothing is queued for an invalid record.
 */
import { createHash } from 'node:crypto';
import { LimitExceededError, ValidationError } from '../errors/errors.js';
import { IDEMPOTENCY_KEY_MAX } from '../schema/tables/table.js';
import { uuid } from '../validation/field-parsers.js';
import { type IngestRecord, isRecordKind, RECORD_KINDS, type RecordKind } from './record-kinds.js';
import { RECORD_SCHEMAS } from './record-schemas.js';
import type { StampMemory } from './stamp-memory.js';

/** Largest accepted record, serialised (bytes); bounds statement and spool entry sizes. */
export const DEFAULT_MAX_RECORD_BYTES = 2 * 1024 * 1024;
const tenantParser = uuid();

/** JSON with object keys sorted, so equal content always hashes equally. */
export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}

/**
 * Derives the idempotency key: sha256 over kind, tenant and the natural key when complete, else
 * over the whole supplied content (`c:` prefix), so incomplete natural keys never collapse records.
 */
export function deriveKey(
  kind: RecordKind,
  tenantId: string,
  row: Readonly<Record<string, unknown>>,
): string {
  const natural = RECORD_SCHEMAS[kind].naturalKey(row);
  const basis = natural === undefined ? `c:${stableJson(row)}` : `n:${stableJson(natural)}`;
  return createHash('sha256').update(`${kind}\n${tenantId}\n${basis}`).digest('hex');
}

export interface ValidateOptions {
  /** Clock for stamping the time column; defaults to Date.now. */
  now?: () => number;
  /** Remembers stamped times, so a retry of a record without its time column gets the same one. */
  stamps?: StampMemory;
  maxRecordBytes?: number;
  /** Prefix for field names in errors (`records[3]`); a function is called only when there is an error. */
  path?: string | (() => string);
}

/**
 * Validates one record of `kind`. Accepts `tenant_id` (or `tenantId`) and an optional
 * `idempotency_key` (or `idempotencyKey`) besides the kind's columns; unknown fields are rejected.
 * @throws ValidationError naming the field; LimitExceededError when the record is too large.
 */
export function validateRecord(kind: unknown, input: unknown, options: ValidateOptions = {}): IngestRecord {
  return validateRecordSized(kind, input, options).record;
}

/** The record's path for error messages (only built when there is an error). */
function pathOf(options: ValidateOptions): string {
  return typeof options.path === 'function' ? options.path() : (options.path ?? 'record');
}

/** validateRecord plus the record's serialised size (computed once; the queue accounts for it). */
export function validateRecordSized(
  kind: unknown,
  input: unknown,
  options: ValidateOptions = {},
): { record: IngestRecord; bytes: number } {
  if (!isRecordKind(kind))
    throw new ValidationError('kind', `kind must be one of ${RECORD_KINDS.join(', ')}, got ${String(kind)}`);
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    const path = pathOf(options);
    throw new ValidationError(path, `${path} must be an object`);
  }
  let record: IngestRecord;
  try {
    record = validateFields(kind, input as Record<string, unknown>, options);
  } catch (error) {
    // Fields are named relative to the record while validating (no string building on the happy
    // path); the record's path is put in front here, on the way out.
    if (!(error instanceof ValidationError) || error.field === undefined) throw error;
    const path = pathOf(options);
    throw new ValidationError(`${path}.${error.field}`, `${path}.${error.message}`);
  }
  const max = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const bytes = recordBytes(record, max);
  if (bytes > max) throw new LimitExceededError(pathOf(options), max, bytes, 'bytes');
  return { record, bytes };
}

function validateFields(
  kind: RecordKind,
  source: Record<string, unknown>,
  options: ValidateOptions,
): IngestRecord {
  const { columns, required } = RECORD_SCHEMAS[kind];
  let tenantId: string | undefined;
  let suppliedKey: string | undefined;
  const row: Record<string, unknown> = {};
  for (const name of Object.keys(source)) {
    const value = source[name];
    if (value === undefined) continue;
    if (name === 'tenant_id' || name === 'tenantId') {
      tenantId = tenantParser.parse(value, name) as string;
      continue;
    }
    if (name === 'idempotency_key' || name === 'idempotencyKey') {
      if (typeof value !== 'string' || value.length === 0 || value.length > IDEMPOTENCY_KEY_MAX)
        throw new ValidationError(name, `${name} must be a string of 1 to ${IDEMPOTENCY_KEY_MAX} characters`);
      suppliedKey = value;
      continue;
    }
    const column = columns.get(name);
    if (column === undefined) throw new ValidationError(name, `${name} is not a column of ${kind}`);
    if (value === null) {
      if (column.access === 'required') throw new ValidationError(name, `${name} is required`);
      continue;
    }
    row[name] = column.parser.parse(value, name);
  }
  if (tenantId === undefined) throw new ValidationError('tenant_id', 'tenant_id is required');
  for (const name of required) {
    if (row[name] === undefined) throw new ValidationError(name, `${name} is required`);
  }
  // The key is derived before stamping: a stamped time is not content, a supplied one is.
  const key = suppliedKey ?? deriveKey(kind, tenantId, row);
  const timeColumn = RECORD_SCHEMAS[kind].timeColumn;
  if (row[timeColumn] === undefined) {
    // Event rows default their partition time to the event's own timestamp, so a retry of the same
    // event lands on the same unique key even when the caller gave no created_at.
    const eventTime = kind === 'event_log' ? row['timestamp'] : undefined;
    if (eventTime !== undefined) row[timeColumn] = eventTime;
    else {
      const fresh = new Date((options.now ?? Date.now)()).toISOString();
      row[timeColumn] = options.stamps?.stamp(kind, tenantId, key, fresh) ?? fresh;
    }
  }
  return { kind, tenantId, key, row };
}

/**
 * Approximate serialised size of a value: its JSON length when every character is ASCII. Walking
 * the value costs a fraction of serialising it, and this runs for every record accepted.
 */
function approximateBytes(value: unknown): number {
  if (typeof value === 'string') return value.length + 2;
  if (value === null || typeof value !== 'object') return 8;
  let n = 2;
  if (Array.isArray(value)) {
    for (const item of value) n += approximateBytes(item) + 1;
    return n;
  }
  for (const key of Object.keys(value))
    n += key.length + 4 + approximateBytes((value as Record<string, unknown>)[key]);
  return n;
}

/**
 * Size of a record in bytes, what the queue accounts for: approximate (ASCII JSON length), and
 * exact (UTF-8 JSON, up to 6 bytes per character for escaped ones) whenever the approximation times
 * six could exceed `exactAbove`, so the record size limit is always applied to the exact size.
 */
export function recordBytes(record: IngestRecord, exactAbove = 0): number {
  const approximate = approximateBytes(record.row) + record.key.length + record.tenantId.length + 40;
  if (approximate * 6 <= exactAbove) return approximate;
  return Buffer.byteLength(JSON.stringify(record));
}
