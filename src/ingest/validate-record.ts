/**
 * Validation at the edge of the write path (SPEC P6): a record of a kind becomes an IngestRecord
 * with a tenant, an idempotency key (supplied or derived) and its time column stamped, or the call
 * throws a ValidationError naming the field. Nothing is queued for an invalid record.
 */
import { createHash } from 'node:crypto';
import { LimitExceededError, ValidationError } from '../errors/errors.js';
import { uuid } from './field-parsers.js';
import { type IngestRecord, isRecordKind, RECORD_KINDS, type RecordKind } from './record-kinds.js';
import { RECORD_SCHEMAS } from './record-schemas.js';

/** Largest accepted record, serialised (bytes); bounds statement and spool entry sizes. */
export const DEFAULT_MAX_RECORD_BYTES = 2 * 1024 * 1024;
const KEY_MAX = 255;
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
  maxRecordBytes?: number;
  /** Prefix for field names in errors (`records[3]`). */
  path?: string;
}

/**
 * Validates one record of `kind`. Accepts `tenant_id` (or `tenantId`) and an optional
 * `idempotency_key` (or `idempotencyKey`) besides the kind's columns; unknown fields are rejected.
 * @throws ValidationError naming the field; LimitExceededError when the record is too large.
 */
export function validateRecord(kind: unknown, input: unknown, options: ValidateOptions = {}): IngestRecord {
  return validateRecordSized(kind, input, options).record;
}

/** validateRecord plus the record's serialised size (computed once; the queue accounts for it). */
export function validateRecordSized(
  kind: unknown,
  input: unknown,
  options: ValidateOptions = {},
): { record: IngestRecord; bytes: number } {
  const path = options.path ?? 'record';
  if (!isRecordKind(kind))
    throw new ValidationError('kind', `kind must be one of ${RECORD_KINDS.join(', ')}, got ${String(kind)}`);
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw new ValidationError(path, `${path} must be an object`);
  const schema = RECORD_SCHEMAS[kind];
  const source = input as Record<string, unknown>;
  let tenantId: string | undefined;
  let suppliedKey: string | undefined;
  const row: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    const field = `${path}.${name}`;
    if (name === 'tenant_id' || name === 'tenantId') {
      tenantId = tenantParser.parse(value, field) as string;
      continue;
    }
    if (name === 'idempotency_key' || name === 'idempotencyKey') {
      if (typeof value !== 'string' || value.length === 0 || value.length > KEY_MAX)
        throw new ValidationError(field, `${field} must be a string of 1 to ${KEY_MAX} characters`);
      suppliedKey = value;
      continue;
    }
    const column = schema.columns[name];
    if (column === undefined) throw new ValidationError(field, `${field} is not a column of ${kind}`);
    if (value === null) {
      if (column.required === true) throw new ValidationError(field, `${field} is required`);
      continue;
    }
    row[name] = column.parser.parse(value, field);
  }
  if (tenantId === undefined) throw new ValidationError(`${path}.tenant_id`, `${path}.tenant_id is required`);
  for (const [name, column] of Object.entries(schema.columns)) {
    if (column.required === true && row[name] === undefined)
      throw new ValidationError(`${path}.${name}`, `${path}.${name} is required`);
  }
  // The key is derived before stamping: a stamped time is not content, a supplied one is.
  const key = suppliedKey ?? deriveKey(kind, tenantId, row);
  if (row[schema.timeColumn] === undefined) {
    // Event rows default their partition time to the event's own timestamp, so a retry of the same
    // event lands on the same unique key even when the caller gave no created_at.
    const eventTime = kind === 'event_log' ? row['timestamp'] : undefined;
    row[schema.timeColumn] = eventTime ?? new Date((options.now ?? Date.now)()).toISOString();
  }
  const record: IngestRecord = { kind, tenantId, key, row };
  const max = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const bytes = recordBytes(record);
  if (bytes > max) throw new LimitExceededError(path, max, bytes, 'bytes');
  return { record, bytes };
}

/** Serialised size of a record (what the queue and spool account for). */
export function recordBytes(record: IngestRecord): number {
  return Buffer.byteLength(JSON.stringify(record));
}
