/**
 * How a store reaches PostgreSQL for one tenant. Every tenant-scoped store method takes the tenant
 * id and either runs in a fresh tenant transaction (`withTenant`, so row-level security applies as
 * the second line of defence) or on a transaction handle the caller already holds.
 */
import { ValidationError } from '../errors/errors.js';
import type { Queryable } from '../postgres/queryable.js';

/** The part of `Database` the stores need: tenant-scoped transactions. */
export interface TenantScope {
  withTenant<T>(
    tenantId: string,
    fn: (tx: Queryable) => Promise<T>,
    options?: { readOnly?: boolean; operation?: string },
  ): Promise<T>;
}

/** Per-call options of every store method. */
export interface CallOptions {
  /** Run on this transaction handle (which must already carry the same tenant) instead of a new one. */
  tx?: Queryable;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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

/** Runs `fn` for `tenantId` on the caller's transaction or in a new tenant transaction. */
export function inTenant<T>(
  scope: TenantScope,
  tenantId: string,
  operation: string,
  fn: (q: Queryable) => Promise<T>,
  options: CallOptions & { readOnly?: boolean } = {},
): Promise<T> {
  requireUuid('tenantId', tenantId);
  if (options.tx !== undefined) return fn(options.tx);
  return scope.withTenant(tenantId, fn, {
    operation,
    ...(options.readOnly === undefined ? {} : { readOnly: options.readOnly }),
  });
}
