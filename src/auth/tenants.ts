/**
 * Tenants: created and read by operators (CLI, admin). `auth.tenants` is not row-level scoped — a
 * row is the tenant — and the application role may only read it, so these run as the connecting role.
 */
import { ShannonError, ValidationError } from '../errors/errors.js';
import type { Queryable } from '../postgres/queryable.js';
import { classifyError } from '../postgres/sqlstate.js';
import { isUuid } from '../validation/checks.js';
import {
  INSERT_TENANT,
  SELECT_TENANT_BY_ID,
  SELECT_TENANT_BY_SLUG,
  SELECT_TENANTS,
  UPDATE_TENANT,
} from './auth-queries.js';

export const TENANT_PLANS = ['free', 'pro', 'enterprise'] as const;
export type TenantPlan = (typeof TENANT_PLANS)[number];

/** Requests per hour per plan, used when a tenant is created without an explicit limit. */
export const DEFAULT_RATE_LIMIT_PER_HOUR: Readonly<Record<TenantPlan, number>> = {
  free: 1_000,
  pro: 100_000,
  enterprise: 1_000_000,
};

const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,98}[a-z0-9]$|^[a-z0-9]$/;

export interface Tenant {
  id: string;
  name: string;
  slug: string;
  plan: string;
  rateLimitPerHour: number;
  isActive: boolean;
  createdAt: string;
}

interface TenantRow {
  id: string;
  name: string;
  slug: string;
  plan: string;
  rate_limit_per_hour: number;
  is_active: boolean;
  created_at: Date;
}

function toTenant(row: TenantRow): Tenant {
  return {
    id: row.id,
    name: row.name,
    slug: row.slug,
    plan: row.plan,
    rateLimitPerHour: row.rate_limit_per_hour,
    isActive: row.is_active,
    createdAt: row.created_at.toISOString(),
  };
}

function requireRateLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 0 || limit > 2_147_483_647) {
    throw new ValidationError('rateLimitPerHour', 'rateLimitPerHour must be a non-negative integer');
  }
  return limit;
}

export interface CreateTenantInput {
  slug: string;
  name?: string;
  plan?: TenantPlan;
  rateLimitPerHour?: number;
}

/** Creates a tenant. @throws ValidationError for a bad slug/plan; ShannonError CONFLICT when the slug exists. */
export async function createTenant(db: Queryable, input: CreateTenantInput): Promise<Tenant> {
  if (!SLUG_PATTERN.test(input.slug)) {
    throw new ValidationError(
      'slug',
      'slug must be 1-100 characters of a-z, 0-9 and "-", not starting or ending with "-"',
    );
  }
  const plan = input.plan ?? 'free';
  if (!TENANT_PLANS.includes(plan)) {
    throw new ValidationError('plan', `plan must be one of ${TENANT_PLANS.join(', ')}`);
  }
  const limit = requireRateLimit(input.rateLimitPerHour ?? DEFAULT_RATE_LIMIT_PER_HOUR[plan]);
  try {
    const { rows } = await db.query<TenantRow>(
      INSERT_TENANT,
      [input.name ?? input.slug, input.slug, plan, limit],
      {
        operation: 'auth.create_tenant',
      },
    );
    return toTenant(rows[0]!);
  } catch (error) {
    if (classifyError(error) === 'conflict') {
      throw new ShannonError('CONFLICT', `a tenant with slug ${input.slug} already exists`, {
        field: 'slug',
        cause: error,
      });
    }
    throw error;
  }
}

/** The tenant with this slug or uuid. @throws ShannonError NOT_FOUND. */
export async function getTenant(db: Queryable, slugOrId: string): Promise<Tenant> {
  const isId = isUuid(slugOrId);
  const { rows } = await db.query<TenantRow>(isId ? SELECT_TENANT_BY_ID : SELECT_TENANT_BY_SLUG, [slugOrId], {
    operation: 'auth.get_tenant',
  });
  if (rows[0] === undefined)
    throw new ShannonError('NOT_FOUND', `no tenant ${slugOrId}`, { field: 'tenant' });
  return toTenant(rows[0]);
}

/** Tenants in creation order (at most `limit`, default 1000). */
export async function listTenants(db: Queryable, limit = 1000): Promise<Tenant[]> {
  const { rows } = await db.query<TenantRow>(SELECT_TENANTS, [limit], { operation: 'auth.list_tenants' });
  return rows.map(toTenant);
}

export interface UpdateTenantInput {
  plan?: TenantPlan;
  /** Requests per hour for the whole tenant; kept as it is when omitted (also on a plan change). */
  rateLimitPerHour?: number;
}

/**
 * Changes a tenant's plan and/or request limit. A running service applies the new limit once its
 * cached authentications of the tenant's keys expire.
 * @throws ValidationError for a bad plan/limit or nothing to change; ShannonError NOT_FOUND.
 */
export async function updateTenant(
  db: Queryable,
  slugOrId: string,
  input: UpdateTenantInput,
): Promise<Tenant> {
  if (input.plan === undefined && input.rateLimitPerHour === undefined) {
    throw new ValidationError('plan', 'give a plan or a rateLimitPerHour to change');
  }
  if (input.plan !== undefined && !TENANT_PLANS.includes(input.plan)) {
    throw new ValidationError('plan', `plan must be one of ${TENANT_PLANS.join(', ')}`);
  }
  const limit = input.rateLimitPerHour === undefined ? null : requireRateLimit(input.rateLimitPerHour);
  const tenant = await getTenant(db, slugOrId);
  const { rows } = await db.query<TenantRow>(UPDATE_TENANT, [tenant.id, input.plan ?? null, limit], {
    operation: 'auth.update_tenant',
  });
  if (rows[0] === undefined)
    throw new ShannonError('NOT_FOUND', `no tenant ${slugOrId}`, { field: 'tenant' });
  return toTenant(rows[0]);
}
