/**
 * Authentication, scopes and rate limits for `/v1` routes, run in `onRequest` (before the body is
 * read). Order: the key is verified first, always — a valid key is never refused by the failed-
 * authentication limiter, so nobody can lock a tenant out by sending bad keys from its address (or
 * from the load balancer's, which every tenant shares) or by guessing secrets for its known
 * prefix. A failed attempt is counted against the client address and, for a well-formed key,
 * against its prefix; once either is over its budget, failures answer 429 with Retry-After instead
 * of 401. Then the route's scope (403), then the tenant's hourly budget from
 * `auth.tenants.rate_limit_per_hour` (429 with Retry-After), except on routes marked
 * `tenantBudget: false` (the dashboard's reads).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseApiKey } from '../auth/api-key.js';
import { type Authenticator, keyFromHeaders } from '../auth/authenticator.js';
import type { Scope } from '../auth/scopes.js';
import { isShannonError, ShannonError } from '../errors/errors.js';
import type { Metrics } from '../observability/metrics.js';

const HOUR_MS = 3_600_000;

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * False on the dashboard's read routes: an open dashboard polls all day, and its reads must not
     * use up the tenant's hourly budget (failed authentication is still counted).
     */
    tenantBudget?: boolean;
  }
  interface FastifyRequest {
    /** The prefix of the well-formed key whose verification failed (keys the per-prefix counter). */
    authFailurePrefix?: string;
  }
}

function rateLimited(message: string, ttlMs: number, field: string): ShannonError {
  return new ShannonError('RATE_LIMITED', message, {
    field,
    details: { retryAfterMs: Math.max(1_000, ttlMs) },
  });
}

export interface AuthHookOptions {
  authenticator: Authenticator;
  metrics: Metrics;
  authFailuresPerMinute: number;
}

/** Builds the onRequest hook; the app must have `@fastify/rate-limit` registered (global: false). */
export function createAuthHook(app: FastifyInstance, options: AuthHookOptions) {
  const failuresByAddress = app.createRateLimit({
    keyGenerator: (req) => `authfail:${req.ip}`,
    max: options.authFailuresPerMinute,
    timeWindow: 60_000,
  });
  const failuresByPrefix = app.createRateLimit({
    keyGenerator: (req) => `authfail-prefix:${req.authFailurePrefix ?? 'none'}`,
    max: options.authFailuresPerMinute,
    timeWindow: 60_000,
  });
  const tenantLimit = app.createRateLimit({
    keyGenerator: (req) => `tenant:${req.principal?.tenantId ?? 'none'}`,
    max: (req) => req.principal?.rateLimitPerHour ?? 0,
    timeWindow: HOUR_MS,
  });

  /** Counts a failed attempt; @returns the refusal when the address or the prefix is over budget. */
  async function countFailure(
    req: FastifyRequest,
    key: string | undefined,
  ): Promise<ShannonError | undefined> {
    const byAddress = await failuresByAddress(req);
    const prefix = key === undefined ? undefined : parseApiKey(key)?.prefix;
    let byPrefix: typeof byAddress | undefined;
    if (prefix !== undefined) {
      req.authFailurePrefix = prefix;
      byPrefix = await failuresByPrefix(req);
    }
    const over = [byAddress, byPrefix].find((r) => r !== undefined && !r.isAllowed && r.isExceeded);
    if (over === undefined || over.isAllowed) return undefined;
    options.metrics.httpAuthFailures.inc({ reason: 'rate_limited' });
    return rateLimited(
      over === byAddress
        ? 'too many failed authentication attempts from this address'
        : 'too many failed authentication attempts for this key prefix',
      over.ttl,
      'authorization',
    );
  }

  return async function authenticate(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const scope = req.routeOptions.config.scope as Scope | undefined;
    if (scope === undefined) return;
    const key = keyFromHeaders(req.headers.authorization, req.headers['x-api-key']);
    try {
      req.principal = await options.authenticator.authenticate(key);
    } catch (error) {
      if (isShannonError(error) && error.code === 'UNAUTHENTICATED') {
        options.metrics.httpAuthFailures.inc({ reason: 'invalid' });
        throw (await countFailure(req, key)) ?? error;
      }
      throw error;
    }
    if (!req.principal.scopes.includes(scope)) {
      throw new ShannonError('FORBIDDEN', `this API key lacks the ${scope} scope`, {
        field: 'authorization',
      });
    }
    if (req.routeOptions.config.tenantBudget === false) return;
    const budget = await tenantLimit(req);
    if (!budget.isAllowed) {
      reply.header('x-ratelimit-limit', budget.max);
      reply.header('x-ratelimit-remaining', budget.remaining);
      if (budget.isExceeded) {
        throw rateLimited(
          `the tenant's limit of ${budget.max} requests per hour is used up`,
          budget.ttl,
          'tenant',
        );
      }
    }
  };
}
