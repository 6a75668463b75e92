/**
 * API key management: create (the key is returned once, only its digest and prefix are stored),
 * list and revoke. Key rows are tenant rows, so writes run in the key's tenant transaction.
 */
import { ShannonError, ValidationError } from '../errors/errors.js';
import type { Queryable } from '../postgres/queryable.js';
import { generateApiKey } from './api-key.js';
import { INSERT_API_KEY, REVOKE_KEY, SELECT_KEY_TENANT, SELECT_KEYS_OF_TENANT } from './auth-queries.js';
import { DEFAULT_SCOPES, OPERATOR_SCOPE, parseScopes, type Scope } from './scopes.js';

/** What the auth module needs from the database: plain queries and tenant transactions. */
export interface AuthDatabase extends Queryable {
  withTenant<T>(
    tenantId: string,
    fn: (tx: Queryable) => Promise<T>,
    options?: { operation?: string },
  ): Promise<T>;
}

export interface ApiKeyInfo {
  id: string;
  prefix: string;
  name: string;
  scopes: string[];
  isActive: boolean;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsed: string | null;
  createdAt: string;
}

export interface CreatedApiKey {
  id: string;
  /** The full key: shown once, never stored. */
  key: string;
  prefix: string;
  tenantId: string;
  name: string;
  scopes: string[];
  expiresAt: string | null;
}

export interface CreateApiKeyInput {
  tenantId: string;
  name: string;
  scopes?: readonly string[];
  expiresAt?: Date;
  /** Make a platform operator key: adds the `operator` scope (whole-database admin endpoints). */
  operator?: boolean;
}

const iso = (value: Date | null): string | null => (value === null ? null : value.toISOString());

/** Creates a key for a tenant. @throws ValidationError for a bad name, scope or expiry. */
export async function createApiKey(db: AuthDatabase, input: CreateApiKeyInput): Promise<CreatedApiKey> {
  if (input.name.length === 0 || input.name.length > 255) {
    throw new ValidationError('name', 'name must be 1-255 characters');
  }
  const operator = input.operator === true;
  const requested = input.scopes ?? DEFAULT_SCOPES;
  const scopes: Scope[] = parseScopes(operator ? [...requested, OPERATOR_SCOPE] : requested, { operator });
  if (input.expiresAt !== undefined && !(input.expiresAt.getTime() > Date.now())) {
    throw new ValidationError('expiresAt', 'expiresAt must be a time in the future');
  }
  const generated = generateApiKey();
  const row = await db.withTenant(
    input.tenantId,
    async (tx) => {
      const { rows } = await tx.query<{ id: string; expires_at: Date | null }>(INSERT_API_KEY, [
        generated.digest,
        generated.prefix,
        input.tenantId,
        input.name,
        scopes,
        // The limit that applies is the tenant's plan limit; 0 here means "no per-key limit".
        0,
        input.expiresAt ?? null,
      ]);
      return rows[0]!;
    },
    { operation: 'auth.create_key' },
  );
  return {
    id: row.id,
    key: generated.key,
    prefix: generated.prefix,
    tenantId: input.tenantId,
    name: input.name,
    scopes,
    expiresAt: iso(row.expires_at),
  };
}

interface KeyRow {
  id: string;
  key_prefix: string;
  name: string;
  scopes: string[];
  is_active: boolean;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used: Date | null;
  created_at: Date;
}

/** The keys of a tenant (never their digests). */
export async function listApiKeys(db: AuthDatabase, tenantId: string): Promise<ApiKeyInfo[]> {
  return db.withTenant(
    tenantId,
    async (tx) => {
      const { rows } = await tx.query<KeyRow>(SELECT_KEYS_OF_TENANT, [tenantId]);
      return rows.map((r) => ({
        id: r.id,
        prefix: r.key_prefix,
        name: r.name,
        scopes: r.scopes,
        isActive: r.is_active,
        expiresAt: iso(r.expires_at),
        revokedAt: iso(r.revoked_at),
        lastUsed: iso(r.last_used),
        createdAt: r.created_at.toISOString(),
      }));
    },
    { operation: 'auth.list_keys' },
  );
}

/**
 * Revokes a key given its id or prefix; it fails authentication from the next request on.
 * @throws ShannonError NOT_FOUND when no such key exists, CONFLICT when the prefix names several.
 */
export async function revokeApiKey(
  db: AuthDatabase,
  idOrPrefix: string,
): Promise<{ id: string; prefix: string; tenantId: string; revokedAt: string }> {
  const found = await db.query<{ tenant_id: string }>(SELECT_KEY_TENANT, [idOrPrefix], {
    operation: 'auth.find_key',
  });
  const tenantId = found.rows[0]?.tenant_id;
  if (tenantId === undefined)
    throw new ShannonError('NOT_FOUND', `no API key ${idOrPrefix}`, { field: 'key' });
  if (found.rows.length > 1)
    throw new ShannonError(
      'CONFLICT',
      `the prefix ${idOrPrefix} names ${found.rows.length} keys; revoke by id (keys list --tenant T shows them)`,
      { field: 'key' },
    );
  const row = await db.withTenant(
    tenantId,
    async (tx) =>
      (
        await tx.query<{ id: string; key_prefix: string; revoked_at: Date }>(REVOKE_KEY, [
          tenantId,
          idOrPrefix,
        ])
      ).rows[0],
    { operation: 'auth.revoke_key' },
  );
  if (row === undefined) throw new ShannonError('NOT_FOUND', `no API key ${idOrPrefix}`, { field: 'key' });
  return { id: row.id, prefix: row.key_prefix, tenantId, revokedAt: row.revoked_at.toISOString() };
}
