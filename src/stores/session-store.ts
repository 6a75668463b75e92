/**
 * Sessions: idempotent create (W9), lookup by uuid or external id without casts (S1/S2, W14),
 * newest-first keyset listing (S3/S5), soft delete and atomic context patches (W11).
 */
import { ShannonError, ValidationError } from '../errors/errors.js';
import {
  isUuid,
  requireCount,
  requireObject,
  requireText,
  requireUuid,
  rethrowForeignKey,
} from '../validation/checks.js';
import { type Page, pageLimit, startPosition, toPage } from './keyset.js';
import * as sql from './sql/sessions.js';
import { type CallOptions, inTenant, type TenantScope } from './tenant-scope.js';

export interface Session {
  id: string;
  tenantId: string;
  userId: string | null;
  externalId: string | null;
  context: Record<string, unknown>;
  tokenBudget: number;
  tokensUsed: number;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date | null;
  deletedAt: Date | null;
  deletedBy: string | null;
}

export interface CreateSessionInput {
  /** Caller-chosen uuid; omit to key the session on `externalId` (or to get a fresh id). */
  id?: string;
  userId?: string | null;
  /** Client-chosen string id; with it, create is idempotent on (tenant, user, externalId). */
  externalId?: string;
  context?: Record<string, unknown>;
  /** Default 10000 tokens. */
  tokenBudget?: number;
}

interface SessionRow {
  id: string;
  tenant_id: string;
  user_id: string | null;
  external_id: string | null;
  context: Record<string, unknown>;
  token_budget: number;
  tokens_used: number;
  created_at: Date;
  updated_at: Date;
  expires_at: Date | null;
  deleted_at: Date | null;
  deleted_by: string | null;
}

function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    userId: row.user_id,
    externalId: row.external_id,
    context: row.context,
    tokenBudget: row.token_budget,
    tokensUsed: row.tokens_used,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    deletedAt: row.deleted_at,
    deletedBy: row.deleted_by,
  };
}

/** Default token budget of a new session. */
export const DEFAULT_SESSION_TOKEN_BUDGET = 10_000;

/**
 * Days a session lives after its last write (create, context patch, a snapshot of its hot state):
 * `expires_at`. Retention removes it some days after that (src/ops/retention-policies.ts).
 */
export const DEFAULT_SESSION_LIFETIME_DAYS = 30;

/** Repository of `public.sessions`; every method is scoped to one tenant. */
export class SessionStore {
  constructor(private readonly scope: TenantScope) {}

  /**
   * Creates a session, or returns the existing one when the same key was created before
   * (`created: false`); a replay never overwrites the stored context.
   * @throws ValidationError on bad input; ShannonError CONFLICT when `id` belongs to another tenant.
   */
  async create(
    tenantId: string,
    input: CreateSessionInput,
    options: CallOptions = {},
  ): Promise<{ session: Session; created: boolean }> {
    const id = input.id === undefined ? undefined : requireUuid('id', input.id);
    const userId = input.userId == null ? null : requireUuid('userId', input.userId);
    const externalId =
      input.externalId === undefined ? undefined : requireText('externalId', input.externalId);
    const context = requireObject('context', input.context ?? {});
    const budget = requireCount('tokenBudget', input.tokenBudget, DEFAULT_SESSION_TOKEN_BUDGET);
    if (id !== undefined && externalId !== undefined) {
      throw new ValidationError('externalId', 'give either id or externalId, not both');
    }
    const run = inTenant(
      this.scope,
      tenantId,
      'sessions.create',
      async (q) => {
        if (externalId !== undefined) {
          const ins = await q.query<SessionRow>(
            sql.INSERT_SESSION_BY_EXTERNAL_ID,
            [tenantId, userId, externalId, context, budget, DEFAULT_SESSION_LIFETIME_DAYS],
            { operation: 'sessions.create' },
          );
          if (ins.rows[0] !== undefined) return { session: toSession(ins.rows[0]), created: true };
          // Conflict: a new statement sees the row that won the key (read committed snapshot).
          const found = await q.query<SessionRow>(sql.SELECT_SESSION_BY_USER_EXTERNAL_ID, [
            tenantId,
            userId,
            externalId,
          ]);
          if (found.rows[0] === undefined) {
            throw new ShannonError('CONFLICT', 'session key was taken and released concurrently; retry');
          }
          return { session: toSession(found.rows[0]), created: false };
        }
        const ins = await q.query<SessionRow>(
          sql.INSERT_SESSION_BY_ID,
          [tenantId, id ?? crypto.randomUUID(), userId, context, budget, DEFAULT_SESSION_LIFETIME_DAYS],
          { operation: 'sessions.create' },
        );
        if (ins.rows[0] !== undefined) return { session: toSession(ins.rows[0]), created: true };
        const found = await q.query<SessionRow>(sql.SELECT_SESSION_BY_ID, [tenantId, id]);
        if (found.rows[0] === undefined) {
          throw new ShannonError('CONFLICT', `session ${id} exists but is deleted or not in this tenant`, {
            field: 'id',
          });
        }
        return { session: toSession(found.rows[0]), created: false };
      },
      options,
    );
    return run.catch((error: unknown) => rethrowForeignKey(error, { sessions_user_fkey: 'userId' }));
  }

  /** S1/S2 uuid arm: the live session with this id, or null. @throws ValidationError on a non-uuid. */
  async getById(tenantId: string, id: string, options: CallOptions = {}): Promise<Session | null> {
    requireUuid('id', id);
    return inTenant(
      this.scope,
      tenantId,
      'sessions.get_by_id',
      async (q) => {
        const { rows } = await q.query<SessionRow>(sql.SELECT_SESSION_BY_ID, [tenantId, id]);
        return rows[0] === undefined ? null : toSession(rows[0]);
      },
      { ...options, readOnly: true },
    );
  }

  /** S1/S2 external arm: the newest live session with this external id (of `userId` when given). */
  async getByExternalId(
    tenantId: string,
    externalId: string,
    options: CallOptions & { userId?: string } = {},
  ): Promise<Session | null> {
    requireText('externalId', externalId);
    const userId = options.userId === undefined ? null : requireUuid('userId', options.userId);
    return inTenant(
      this.scope,
      tenantId,
      'sessions.get_by_external_id',
      async (q) => {
        const { rows } = await q.query<SessionRow>(sql.SELECT_SESSION_BY_EXTERNAL_ID, [
          tenantId,
          externalId,
          userId,
        ]);
        return rows[0] === undefined ? null : toSession(rows[0]);
      },
      { ...options, readOnly: true },
    );
  }

  /**
   * S2 as two index lookups instead of `id::text = $1 OR context->>'external_id' = $1`: the uuid
   * primary key when the value parses as a uuid, then the external id.
   */
  async resolve(
    tenantId: string,
    idOrExternalId: string,
    options: CallOptions & { userId?: string } = {},
  ): Promise<Session | null> {
    requireText('idOrExternalId', idOrExternalId);
    return inTenant(
      this.scope,
      tenantId,
      'sessions.resolve',
      async (q) => {
        const inner = { ...options, tx: q };
        if (isUuid(idOrExternalId)) {
          const byId = await this.getById(tenantId, idOrExternalId, inner);
          if (byId !== null && (options.userId === undefined || byId.userId === options.userId)) return byId;
        }
        return this.getByExternalId(tenantId, idOrExternalId, inner);
      },
      { ...options, readOnly: true },
    );
  }

  /** S3/S5: live sessions newest first; of one user when `userId` is given, else of the tenant. */
  async list(
    tenantId: string,
    filter: { userId?: string; limit?: number; cursor?: string | null } = {},
    options: CallOptions = {},
  ): Promise<Page<Session>> {
    const limit = pageLimit(filter.limit);
    const after = startPosition(filter.cursor);
    const userId = filter.userId === undefined ? undefined : requireUuid('userId', filter.userId);
    return inTenant(
      this.scope,
      tenantId,
      'sessions.list',
      async (q) => {
        const { rows } =
          userId === undefined
            ? await q.query<SessionRow & { cursor_at: string }>(sql.LIST_SESSIONS_BY_TENANT, [
                tenantId,
                after.at,
                after.id,
                limit + 1,
              ])
            : await q.query<SessionRow & { cursor_at: string }>(sql.LIST_SESSIONS_BY_USER, [
                tenantId,
                userId,
                after.at,
                after.id,
                limit + 1,
              ]);
        return toPage(rows, limit, toSession);
      },
      { ...options, readOnly: true },
    );
  }

  /** S6: number of live sessions of the tenant. */
  async countLive(tenantId: string, options: CallOptions = {}): Promise<number> {
    return inTenant(
      this.scope,
      tenantId,
      'sessions.count_live',
      async (q) => {
        const { rows } = await q.query<{ count: string }>(sql.COUNT_LIVE_SESSIONS, [tenantId]);
        return Number(rows[0]?.count ?? 0);
      },
      { ...options, readOnly: true },
    );
  }

  /** Soft-deletes a live session; returns false when there was none. */
  async softDelete(
    tenantId: string,
    id: string,
    options: CallOptions & { deletedBy?: string } = {},
  ): Promise<boolean> {
    requireUuid('id', id);
    const by = options.deletedBy === undefined ? null : requireUuid('deletedBy', options.deletedBy);
    return inTenant(
      this.scope,
      tenantId,
      'sessions.soft_delete',
      async (q) => {
        const { rowCount } = await q.query(sql.SOFT_DELETE_SESSION, [tenantId, id, by]);
        return rowCount > 0;
      },
      options,
    );
  }

  /**
   * Merges top-level keys into the context atomically (`context || patch`), so concurrent title
   * and mode updates never drop each other's keys (W11). Returns the updated session or null.
   */
  async patchContext(
    tenantId: string,
    id: string,
    patch: Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<Session | null> {
    requireUuid('id', id);
    requireObject('patch', patch);
    return inTenant(
      this.scope,
      tenantId,
      'sessions.patch_context',
      async (q) => {
        const { rows } = await q.query<SessionRow>(sql.PATCH_SESSION_CONTEXT, [
          tenantId,
          id,
          patch,
          DEFAULT_SESSION_LIFETIME_DAYS,
        ]);
        return rows[0] === undefined ? null : toSession(rows[0]);
      },
      options,
    );
  }
}
