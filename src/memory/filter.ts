/**
 * The filter model: the subset of Qdrant's filter language this layer accepts from callers
 * (must / should / must_not, match value / any / except, range, is_empty, has_id), its validation,
 * and the server-side composition that always adds the tenant condition (P4).
 */
import { LimitExceededError, ValidationError } from '../errors/errors.js';
import { isUuid } from '../validation/checks.js';
import { RESERVED_PAYLOAD_KEYS } from './collections.js';
import { isPointId } from './point-id.js';

export type MatchValue = string | number | boolean;

export type FieldCondition =
  | { key: string; match: { value: MatchValue } }
  | { key: string; match: { any: string[] | number[] } }
  | { key: string; match: { except: string[] | number[] } }
  | { key: string; range: RangeBounds };

export interface RangeBounds {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

export interface IsEmptyCondition {
  is_empty: { key: string };
}

export interface HasIdCondition {
  has_id: string[];
}

export type Condition = FieldCondition | IsEmptyCondition | HasIdCondition | Filter;

export interface Filter {
  must?: Condition[];
  should?: Condition[];
  must_not?: Condition[];
}

/** Limits on caller filters; bounded so a filter cannot be made arbitrarily expensive. */
export interface FilterLimits {
  /** Maximum nesting depth of filters (a flat filter has depth 1). */
  readonly maxDepth: number;
  /** Maximum number of conditions in the whole tree. */
  readonly maxConditions: number;
  /** Maximum entries of a match.any / match.except / has_id list. */
  readonly maxListLength: number;
  /** Maximum length of a string value or key. */
  readonly maxStringLength: number;
}

export const DEFAULT_FILTER_LIMITS: FilterLimits = Object.freeze({
  maxDepth: 4,
  maxConditions: 64,
  maxListLength: 256,
  maxStringLength: 512,
});

const KEY_PATTERN = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/;
const CLAUSES = ['must', 'should', 'must_not'] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface ParseState {
  limits: FilterLimits;
  conditions: number;
}

function parseKey(raw: unknown, field: string, state: ParseState): string {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > state.limits.maxStringLength) {
    throw new ValidationError(field, 'must be a non-empty payload key');
  }
  if (!KEY_PATTERN.test(raw)) {
    throw new ValidationError(field, `"${raw}" is not a valid payload key (letters, digits, _ and . paths)`);
  }
  const root = raw.split('.')[0] as string;
  if (RESERVED_PAYLOAD_KEYS.has(root) || root.startsWith('_')) {
    throw new ValidationError(
      field,
      `"${raw}" is reserved; the data layer sets it (tenant comes from the context)`,
    );
  }
  return raw;
}

function parseScalar(raw: unknown, field: string, state: ParseState): MatchValue {
  if (typeof raw === 'string') {
    if (raw.length > state.limits.maxStringLength)
      throw new ValidationError(field, 'string value is too long');
    return raw;
  }
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return raw;
  throw new ValidationError(field, 'must be a string, a boolean or an integer');
}

function parseList(raw: unknown, field: string, state: ParseState): string[] | number[] {
  if (!Array.isArray(raw)) throw new ValidationError(field, 'must be an array');
  if (raw.length > state.limits.maxListLength) {
    throw new LimitExceededError(field, state.limits.maxListLength, raw.length);
  }
  const allStrings = raw.every((v) => typeof v === 'string' && v.length <= state.limits.maxStringLength);
  const allIntegers = raw.every((v) => typeof v === 'number' && Number.isSafeInteger(v));
  if (!allStrings && !allIntegers) {
    throw new ValidationError(field, 'must hold only strings or only integers');
  }
  return raw as string[] | number[];
}

function parseRange(raw: unknown, field: string): RangeBounds {
  if (!isRecord(raw)) throw new ValidationError(field, 'must be an object with gt/gte/lt/lte');
  const range: RangeBounds = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name !== 'gt' && name !== 'gte' && name !== 'lt' && name !== 'lte') {
      throw new ValidationError(`${field}.${name}`, 'is not a range bound (gt, gte, lt, lte)');
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new ValidationError(`${field}.${name}`, 'must be a finite number');
    }
    range[name] = value;
  }
  if (Object.keys(range).length === 0) throw new ValidationError(field, 'needs at least one bound');
  return range;
}

function onlyKeys(raw: Record<string, unknown>, allowed: readonly string[], field: string): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) throw new ValidationError(`${field}.${key}`, 'is not supported in a filter');
  }
}

function parseCondition(raw: unknown, field: string, depth: number, state: ParseState): Condition {
  state.conditions += 1;
  if (state.conditions > state.limits.maxConditions) {
    throw new LimitExceededError('filter', state.limits.maxConditions, state.conditions, 'conditions');
  }
  if (!isRecord(raw)) throw new ValidationError(field, 'must be a condition object');
  if ('must' in raw || 'should' in raw || 'must_not' in raw)
    return parseFilterAt(raw, field, depth + 1, state);
  if ('is_empty' in raw) {
    onlyKeys(raw, ['is_empty'], field);
    const inner = raw['is_empty'];
    if (!isRecord(inner)) throw new ValidationError(`${field}.is_empty`, 'must be { key }');
    onlyKeys(inner, ['key'], `${field}.is_empty`);
    return { is_empty: { key: parseKey(inner['key'], `${field}.is_empty.key`, state) } };
  }
  if ('has_id' in raw) {
    onlyKeys(raw, ['has_id'], field);
    const ids = raw['has_id'];
    if (!Array.isArray(ids)) throw new ValidationError(`${field}.has_id`, 'must be an array of point ids');
    if (ids.length > state.limits.maxListLength) {
      throw new LimitExceededError(`${field}.has_id`, state.limits.maxListLength, ids.length);
    }
    ids.forEach((id, i) => {
      if (!isPointId(id)) {
        throw new ValidationError(`${field}.has_id[${i}]`, 'must be a UUID point id');
      }
    });
    return { has_id: (ids as string[]).map((id) => id.toLowerCase()) };
  }
  onlyKeys(raw, ['key', 'match', 'range'], field);
  const key = parseKey(raw['key'], `${field}.key`, state);
  if ('range' in raw) {
    if ('match' in raw) throw new ValidationError(field, 'use either match or range, not both');
    return { key, range: parseRange(raw['range'], `${field}.range`) };
  }
  const match = raw['match'];
  if (!isRecord(match))
    throw new ValidationError(`${field}.match`, 'must be { value } | { any } | { except }');
  const kinds = Object.keys(match);
  if (kinds.length !== 1)
    throw new ValidationError(`${field}.match`, 'needs exactly one of value, any, except');
  if ('value' in match)
    return { key, match: { value: parseScalar(match['value'], `${field}.match.value`, state) } };
  if ('any' in match) return { key, match: { any: parseList(match['any'], `${field}.match.any`, state) } };
  if ('except' in match) {
    return { key, match: { except: parseList(match['except'], `${field}.match.except`, state) } };
  }
  throw new ValidationError(`${field}.match.${kinds[0]}`, 'is not supported (use value, any or except)');
}

function parseFilterAt(raw: unknown, field: string, depth: number, state: ParseState): Filter {
  if (depth > state.limits.maxDepth) {
    throw new LimitExceededError(field, state.limits.maxDepth, depth, 'levels of nesting');
  }
  if (!isRecord(raw)) throw new ValidationError(field, 'must be a filter object');
  onlyKeys(raw, CLAUSES, field);
  const filter: Filter = {};
  for (const clause of CLAUSES) {
    const list = raw[clause];
    if (list === undefined) continue;
    if (!Array.isArray(list))
      throw new ValidationError(`${field}.${clause}`, 'must be an array of conditions');
    filter[clause] = list.map((c, i) => parseCondition(c, `${field}.${clause}[${i}]`, depth, state));
  }
  return filter;
}

/**
 * Parses and validates a caller's filter (untrusted input).
 * @throws ValidationError naming the offending field; LimitExceededError when a limit is exceeded.
 */
export function parseFilter(
  raw: unknown,
  limits: FilterLimits = DEFAULT_FILTER_LIMITS,
  field = 'filter',
): Filter {
  if (raw === undefined || raw === null) return {};
  return parseFilterAt(raw, field, 1, { limits, conditions: 0 });
}

/** The tenant condition every composed filter carries. */
export function tenantCondition(tenantId: string): FieldCondition {
  return { key: 'tenant_id', match: { value: tenantId } };
}

/**
 * Composes the filter sent to the index: the tenant condition first, then the caller's (already
 * parsed) filter nested as a condition, so no caller clause can widen it.
 * @throws ValidationError when the tenant id is not a UUID.
 */
export function composeFilter(
  tenantId: string,
  callerFilter: Filter | undefined,
  extra: Condition[] = [],
): Filter {
  if (!isUuid(tenantId)) {
    throw new ValidationError('tenantId', 'must be a tenant UUID');
  }
  const must: Condition[] = [tenantCondition(tenantId.toLowerCase()), ...extra];
  if (callerFilter !== undefined && !isEmptyFilter(callerFilter)) must.push(callerFilter);
  return { must };
}

/** True when the filter has no conditions at all. */
export function isEmptyFilter(filter: Filter): boolean {
  return CLAUSES.every((clause) => (filter[clause]?.length ?? 0) === 0);
}

/** True when `tenantId` is a UUID (the only accepted tenant id shape). */
export function isTenantId(tenantId: unknown): tenantId is string {
  return isUuid(tenantId);
}

/** Number of leaf conditions (field, is_empty, has_id) anywhere in a filter. */
export function leafConditions(filter: Filter): number {
  let n = 0;
  for (const clause of CLAUSES) {
    for (const condition of filter[clause] ?? []) {
      n += CLAUSES.some((c) => c in condition) ? leafConditions(condition as Filter) : 1;
    }
  }
  return n;
}
