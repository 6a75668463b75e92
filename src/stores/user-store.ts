/**
 * Users of the agent platform (`public.users`): the orchestrator names a user by its own string id
 * (`externalId`, unique per tenant); every record that names a `user_id` refers to one of these
 * rows. Create, lookup by id or external id, newest-first keyset listing, and deactivation.
 */
import { ShannonError, ValidationError } from '../errors/errors.js';
import { classifyError } from '../postgres/sqlstate.js';
import { requireObject, requireText, requireUuid } from '../validation/checks.js';
import { type Page, pageLimit, startPosition, toPage } from './keyset.js';
import * as sql from './sql/users.js';
import { type CallOptions, inTenant, type TenantScope } from './tenant-scope.js';

export interface User {
  id: string;
  tenantId: string;
  externalId: string;
  email: string | null;
  metadata: Record<string, unknown>;
  /** False once deactivated (`deactivatedAt` set). */
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
  deactivatedAt: Date | null;
}

export interface CreateUserInput {
  /** The caller's string id of the user; unique within the tenant (1-255 characters). */
  externalId: string;
  email?: string | null;
  metadata?: Record<string, unknown>;
}

interface UserRow {
  id: string;
  tenant_id: string;
  external_id: string;
  email: string | null;
  metadata: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
  deactivated_at: Date | null;
}

function toUser(row: UserRow): User {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    externalId: row.external_id,
    email: row.email,
    metadata: row.metadata,
    active: row.deactivated_at === null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deactivatedAt: row.deactivated_at,
  };
}

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+$/;

function optionalEmail(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const email = requireText('email', value);
  if (!EMAIL_PATTERN.test(email)) throw new ValidationError('email', 'email must look like name@domain');
  return email;
}

/** Repository of `public.users`; every method is scoped to one tenant. */
export class UserStore {
  constructor(private readonly scope: TenantScope) {}

  /**
   * Creates a user.
   * @throws ValidationError naming the field on bad input; ShannonError CONFLICT (field
   * `externalId`) when the tenant already has a user with this external id.
   */
  async create(tenantId: string, input: CreateUserInput, options: CallOptions = {}): Promise<User> {
    if (typeof input !== 'object' || input === null) throw new ValidationError('body', 'give a user');
    const externalId = requireText('externalId', input.externalId);
    const email = optionalEmail(input.email);
    const metadata = requireObject('metadata', input.metadata ?? {});
    try {
      return await inTenant(
        this.scope,
        tenantId,
        'users.create',
        async (q) => {
          const { rows } = await q.query<UserRow>(sql.INSERT_USER, [tenantId, externalId, email, metadata], {
            operation: 'users.create',
          });
          return toUser(rows[0]!);
        },
        options,
      );
    } catch (error) {
      if (classifyError(error) === 'conflict') {
        throw new ShannonError('CONFLICT', `a user with external id ${externalId} already exists`, {
          field: 'externalId',
          cause: error,
        });
      }
      throw error;
    }
  }

  /** The user with this id, or null (also for another tenant's id). @throws ValidationError on a non-uuid. */
  async getById(tenantId: string, id: string, options: CallOptions = {}): Promise<User | null> {
    requireUuid('id', id);
    return inTenant(
      this.scope,
      tenantId,
      'users.get_by_id',
      async (q) => {
        const { rows } = await q.query<UserRow>(sql.SELECT_USER_BY_ID, [tenantId, id]);
        return rows[0] === undefined ? null : toUser(rows[0]);
      },
      { ...options, readOnly: true },
    );
  }

  /** The user with this external id, or null. */
  async findByExternalId(
    tenantId: string,
    externalId: string,
    options: CallOptions = {},
  ): Promise<User | null> {
    requireText('externalId', externalId);
    return inTenant(
      this.scope,
      tenantId,
      'users.find_by_external_id',
      async (q) => {
        const { rows } = await q.query<UserRow>(sql.SELECT_USER_BY_EXTERNAL_ID, [tenantId, externalId]);
        return rows[0] === undefined ? null : toUser(rows[0]);
      },
      { ...options, readOnly: true },
    );
  }

  /** The tenant's users newest first (deactivated ones included); keyset pages. */
  async list(
    tenantId: string,
    filter: { limit?: number; cursor?: string | null } = {},
    options: CallOptions = {},
  ): Promise<Page<User>> {
    const limit = pageLimit(filter.limit);
    const after = startPosition(filter.cursor);
    return inTenant(
      this.scope,
      tenantId,
      'users.list',
      async (q) => {
        const { rows } = await q.query<UserRow & { cursor_at: string }>(sql.LIST_USERS_BY_TENANT, [
          tenantId,
          after.at,
          after.id,
          limit + 1,
        ]);
        return toPage(rows, limit, toUser);
      },
      { ...options, readOnly: true },
    );
  }

  /**
   * Deactivates a user (idempotent: a second call keeps the first time). Returns the user, or null
   * when the tenant has no user with this id. The user's rows stay; its external id stays taken.
   */
  async deactivate(tenantId: string, id: string, options: CallOptions = {}): Promise<User | null> {
    requireUuid('id', id);
    return inTenant(
      this.scope,
      tenantId,
      'users.deactivate',
      async (q) => {
        const { rows } = await q.query<UserRow>(sql.DEACTIVATE_USER, [tenantId, id], {
          operation: 'users.deactivate',
        });
        return rows[0] === undefined ? null : toUser(rows[0]);
      },
      options,
    );
  }
}
