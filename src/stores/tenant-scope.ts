/**
 * How a store reaches PostgreSQL for one tenant. Every tenant-scoped store method takes the tenant
 * id and either runs in a fresh tenant transaction (`withTenant`, so row-level security applies as
 * the second line of defence) or on a transaction handle the caller already holds.
 */
import { ValidationError } from '../errors/errors.js';
import type { Queryable } from '../postgres/queryable.js';
import { requireUuid } from '../validation/checks.js';

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

/** Runs `fn` for `tenantId` on the caller's transaction or in a new tenant transaction. */
export function inTenant<T>(
  scope: TenantScope,
  tenantId: string,
  operation: string,
  fn: (q: Queryable) => Promise<T>,
  options: CallOptions & { readOnly?: boolean } = {},
): Promise<T> {
  requireUuid('tenantId', tenantId);
  if (options.tx !== undefined) {
    // A tenant transaction handle (Database's Transaction) carries its tenant; refuse a mismatch
    // rather than let row-level security silently return nothing.
    const txTenant = (options.tx as { tenantId?: unknown }).tenantId;
    if (typeof txTenant === 'string' && txTenant !== tenantId) {
      return Promise.reject(
        new ValidationError(
          'tenantId',
          `tenantId ${tenantId} differs from the transaction's tenant ${txTenant}`,
        ),
      );
    }
    return fn(options.tx);
  }
  return scope.withTenant(tenantId, fn, {
    operation,
    ...(options.readOnly === undefined ? {} : { readOnly: options.readOnly }),
  });
}
