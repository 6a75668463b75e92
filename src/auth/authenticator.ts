/**
 * Authenticates a request's API key: format and checksum first (no IO for garbage), then the rows of
 * its prefix (one in practice; migration 0074), a constant-time digest comparison for each, and the
 * key's and tenant's state.
 *
 * Verified keys are cached in-process by digest for `ttlMs` (SHANNON_AUTH_CACHE_TTL_MS), so a
 * request does not need PostgreSQL to learn who is calling: writes can still be acknowledged from
 * the spool while PostgreSQL is away. A key used after half its TTL is re-verified in the
 * background, and one older than its TTL is verified again before it is trusted, so a revoked or
 * expired key (or a deactivated tenant) stops working within `ttlMs` of the change. The one
 * exception is an outage: when the lookup fails because PostgreSQL is unreachable, an entry is
 * trusted for up to `staleIfErrorMs` more — nothing can be revoked in a database nobody reaches,
 * and refusing the key would turn every spooled write into a 503. A key's own `expires_at` is
 * always honoured from the cache.
 */
import { ShannonError, ValidationError } from '../errors/errors.js';
import { isInfrastructureFailure } from '../postgres/sqlstate.js';
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
  expires_at: Date | null;
  tenant_active: boolean;
  rate_limit_per_hour: number;
  slug: string;
}

/** last_used is refreshed at most this often per key and process. */
const TOUCH_INTERVAL_MS = 60_000;
const MAX_TOUCHES_IN_FLIGHT = 8;
/** Keys kept in the cache; the least recently verified one goes first. */
export const DEFAULT_AUTH_CACHE_ENTRIES = 10_000;
/** How long a cached key is still trusted past its TTL while PostgreSQL cannot be reached. */
export const DEFAULT_AUTH_STALE_IF_ERROR_MS = 15 * 60_000;

export interface AuthenticatorOptions {
  /** Trust a verified key this long without a lookup (0: no cache, every request asks PostgreSQL). */
  ttlMs?: number;
  maxEntries?: number;
  staleIfErrorMs?: number;
  now?: () => number;
  /** Counts cache outcomes (`hit`, `miss`, `stale_outage`). */
  onLookup?: (result: 'hit' | 'miss' | 'stale_outage') => void;
}

interface CachedKey {
  principal: Principal;
  verifiedAt: number;
  /** The key's own expiry (ms since epoch), honoured from the cache too. */
  expiresAt: number | undefined;
}

/** One error for every failure, so a caller cannot tell unknown from revoked from expired. */
export function unauthenticated(): ShannonError {
  return new ShannonError('UNAUTHENTICATED', 'the API key is missing, unknown, revoked or expired', {
    field: 'authorization',
  });
}

/**
 * Extracts the key from `Authorization: Bearer <key>` or `X-API-Key: <key>`.
 * @throws ValidationError when both headers carry different keys: picking one silently would let
 * a proxy or client library that adds its own header decide which tenant a request writes to.
 */
export function keyFromHeaders(authorization: unknown, apiKeyHeader: unknown): string | undefined {
  let bearer: string | undefined;
  if (typeof authorization === 'string' && authorization.length <= 200) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match !== null) bearer = match[1];
  }
  const header =
    typeof apiKeyHeader === 'string' && apiKeyHeader.length <= 200 ? apiKeyHeader.trim() : undefined;
  if (bearer !== undefined && header !== undefined && header !== '' && header !== bearer) {
    throw new ValidationError(
      'authorization',
      'the request carries two different API keys (Authorization and X-API-Key); send one',
    );
  }
  return bearer ?? header;
}

export interface Authenticator {
  /** @throws ShannonError UNAUTHENTICATED; DatabaseError when PostgreSQL is unreachable. */
  authenticate(key: string | undefined): Promise<Principal>;
}

/** Creates the authenticator over the auth tables. */
export function createAuthenticator(db: AuthDatabase, options: AuthenticatorOptions = {}): Authenticator {
  const ttlMs = options.ttlMs ?? 0;
  const maxEntries = options.maxEntries ?? DEFAULT_AUTH_CACHE_ENTRIES;
  const staleIfErrorMs = options.staleIfErrorMs ?? DEFAULT_AUTH_STALE_IF_ERROR_MS;
  const now = options.now ?? Date.now;
  const lastTouched = new Map<string, number>();
  /** digest → verified key; Map order is verification order, oldest first. */
  const cache = new Map<string, CachedKey>();
  const refreshing = new Set<string>();
  let touchesInFlight = 0;

  function touch(keyId: string, tenantId: string): void {
    const at = now();
    if ((lastTouched.get(keyId) ?? 0) > at - TOUCH_INTERVAL_MS || touchesInFlight >= MAX_TOUCHES_IN_FLIGHT)
      return;
    if (lastTouched.size > 10_000) lastTouched.clear();
    lastTouched.set(keyId, at);
    touchesInFlight += 1;
    // Bookkeeping only: a failed touch must not fail the request.
    db.withTenant(tenantId, (tx) => tx.query(TOUCH_KEY, [keyId]), { operation: 'auth.touch_key' })
      .catch(() => undefined)
      .finally(() => {
        touchesInFlight -= 1;
      });
  }

  /** Looks the key up in PostgreSQL; caches it when valid, forgets it when not. */
  async function verify(prefix: string, digest: string): Promise<Principal> {
    const { rows } = await db.query<AuthRow>(SELECT_KEY_FOR_AUTH, [prefix], {
      operation: 'auth.authenticate',
    });
    // A prefix may name several keys (Shannon's short prefixes collide, migration 0074): every
    // one is compared, and at least one comparison runs, so a miss costs about what a hit does.
    let row: AuthRow | undefined;
    for (const candidate of rows.length === 0 ? [undefined] : rows) {
      if (digestsEqual(digest, candidate?.key_hash ?? '0'.repeat(64)) && candidate !== undefined)
        row = candidate;
    }
    if (row === undefined || !row.is_active || row.expired === true || !row.tenant_active) {
      cache.delete(digest);
      throw unauthenticated();
    }
    const principal: Principal = {
      tenantId: row.tenant_id,
      tenantSlug: row.slug,
      keyId: row.id,
      scopes: row.scopes.filter(isScope),
      rateLimitPerHour: row.rate_limit_per_hour,
    };
    if (ttlMs > 0) {
      cache.delete(digest);
      cache.set(digest, {
        principal,
        verifiedAt: now(),
        expiresAt: row.expires_at === null ? undefined : new Date(row.expires_at).getTime(),
      });
      if (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
    }
    return principal;
  }

  function refreshInBackground(prefix: string, digest: string): void {
    if (refreshing.has(digest)) return;
    refreshing.add(digest);
    // A failed refresh keeps the entry (it still ages out at its TTL); a refused key is dropped.
    verify(prefix, digest)
      .catch(() => undefined)
      .finally(() => refreshing.delete(digest));
  }

  return {
    async authenticate(key) {
      if (key === undefined) throw unauthenticated();
      const parsed = parseApiKey(key);
      if (parsed === undefined) throw unauthenticated();
      const digest = digestApiKey(key);
      const cached = ttlMs > 0 ? cache.get(digest) : undefined;
      const at = now();
      if (cached !== undefined && cached.expiresAt !== undefined && cached.expiresAt <= at) {
        cache.delete(digest);
        throw unauthenticated();
      }
      let principal: Principal;
      if (cached !== undefined && at - cached.verifiedAt < ttlMs) {
        options.onLookup?.('hit');
        if (at - cached.verifiedAt >= ttlMs / 2) refreshInBackground(parsed.prefix, digest);
        principal = cached.principal;
      } else {
        try {
          principal = await verify(parsed.prefix, digest);
          options.onLookup?.('miss');
        } catch (error) {
          // Only "PostgreSQL cannot answer" keeps a stale entry; a refused key is refused.
          const outage = isInfrastructureFailure(error);
          if (cached === undefined || !outage || at - cached.verifiedAt >= ttlMs + staleIfErrorMs)
            throw error;
          options.onLookup?.('stale_outage');
          principal = cached.principal;
        }
      }
      touch(principal.keyId, principal.tenantId);
      return principal;
    },
  };
}
