/**
 * Authenticates a request's API key: format and checksum first (no IO for garbage), then one row by
 * the unique prefix, a constant-time digest comparison, and the key's and tenant's state. Nothing
 * is cached, so a revoked or expired key fails on its very next request.
 */
import { ShannonError } from '../errors/errors.js';
import { digestApiKey, digestsEqual, parseApiKey } from './api-key.js';
import type { AuthDatabase } from './api-keys.js';
import { SELECT_KEY_FOR_AUTH, TOUCH_KEY } from './auth-queries.js';
import { isScope, type Scope } from './scopes.js';

/** Who is calling: the tenant comes from the key, never from the request. */
export interface Principal {
  tenantId: string;
  tenantSlug: string;
  keyId: string;
  scopes: readonly Scope[];
  /** The tenant's plan limit (auth.tenants.rate_limit_per_hour). */
  rateLimitPerHour: number;
}

interface AuthRow {
  id: string;
  key_hash: string;
  tenant_id: string;
  scopes: string[];
  is_active: boolean;
  expired: boolean | null;
  tenant_active: boolean;
  rate_limit_per_hour: number;
  slug: string;
}

/** last_used is refreshed at most this often per key and process. */
const TOUCH_INTERVAL_MS = 60_000;
const MAX_TOUCHES_IN_FLIGHT = 8;

/** One error for every failure, so a caller cannot tell unknown from revoked from expired. */
export function unauthenticated(): ShannonError {
  return new ShannonError('UNAUTHENTICATED', 'the API key is missing, unknown, revoked or expired', {
    field: 'authorization',
  });
}

/** Extracts the key from `Authorization: Bearer <key>` or `X-API-Key: <key>`. */
export function keyFromHeaders(authorization: unknown, apiKeyHeader: unknown): string | undefined {
  if (typeof authorization === 'string' && authorization.length <= 200) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match !== null) return match[1];
  }
  if (typeof apiKeyHeader === 'string' && apiKeyHeader.length <= 200) return apiKeyHeader.trim();
  return undefined;
}

export interface Authenticator {
  /** @throws ShannonError UNAUTHENTICATED; DatabaseError when PostgreSQL is unreachable. */
  authenticate(key: string | undefined): Promise<Principal>;
}

/** Creates the authenticator over the auth tables. */
export function createAuthenticator(db: AuthDatabase): Authenticator {
  const lastTouched = new Map<string, number>();
  let touchesInFlight = 0;

  function touch(keyId: string, tenantId: string): void {
    const now = Date.now();
    if ((lastTouched.get(keyId) ?? 0) > now - TOUCH_INTERVAL_MS || touchesInFlight >= MAX_TOUCHES_IN_FLIGHT)
      return;
    if (lastTouched.size > 10_000) lastTouched.clear();
    lastTouched.set(keyId, now);
    touchesInFlight += 1;
    // Bookkeeping only: a failed touch must not fail the request.
    db.withTenant(tenantId, (tx) => tx.query(TOUCH_KEY, [keyId]), { operation: 'auth.touch_key' })
      .catch(() => undefined)
      .finally(() => {
        touchesInFlight -= 1;
      });
  }

  return {
    async authenticate(key) {
      if (key === undefined) throw unauthenticated();
      const parsed = parseApiKey(key);
      if (parsed === undefined) throw unauthenticated();
      const { rows } = await db.query<AuthRow>(SELECT_KEY_FOR_AUTH, [parsed.prefix], {
        operation: 'auth.authenticate',
      });
      const row = rows[0];
      // Compare even when the row is missing, so both paths cost about the same.
      const matches = digestsEqual(digestApiKey(key), row?.key_hash ?? '0'.repeat(64));
      if (row === undefined || !matches || !row.is_active || row.expired === true || !row.tenant_active) {
        throw unauthenticated();
      }
      touch(row.id, row.tenant_id);
      return {
        tenantId: row.tenant_id,
        tenantSlug: row.slug,
        keyId: row.id,
        scopes: row.scopes.filter(isScope),
        rateLimitPerHour: row.rate_limit_per_hour,
      };
    },
  };
}
