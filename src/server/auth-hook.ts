/**
 * Authentication, scopes and rate limits for `/v1` routes, run in `onRequest` (before the body is
 * read). Order: a client IP over its failed-attempt budget gets 429 without a key check; then the
 * key (401 on any failure, counted against the IP); then the route's scope (403); then the tenant's
 * hourly budget from `auth.tenants.rate_limit_per_hour` (429 with Retry-After).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Authenticator, keyFromHeaders } from '../auth/authenticator.js';
import type { Scope } from '../auth/scopes.js';
import { isShannonError, ShannonError } from '../errors/errors.js';
import type { Metrics } from '../observability/metrics.js';

const HOUR_MS = 3_600_000;

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
  const failures = app.createRateLimit({
    keyGenerator: (req) => `authfail:${req.ip}`,
    max: options.authFailuresPerMinute,
    timeWindow: 60_000,
  });
  const tenantLimit = app.createRateLimit({
    keyGenerator: (req) => `tenant:${req.principal?.tenantId ?? 'none'}`,
    max: (req) => req.principal?.rateLimitPerHour ?? 0,
    timeWindow: HOUR_MS,
  });

  return async function authenticate(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const scope = req.routeOptions.config.scope as Scope | undefined;
    if (scope === undefined) return;
    const before = await failures(req, { increment: false });
    if (!before.isAllowed && before.remaining <= 0) {
      options.metrics.httpAuthFailures.inc({ reason: 'rate_limited' });
      throw rateLimited(
        'too many failed authentication attempts from this address',
        before.ttl,
        'authorization',
      );
    }
    try {
      req.principal = await options.authenticator.authenticate(
        keyFromHeaders(req.headers.authorization, req.headers['x-api-key']),
      );
    } catch (error) {
      if (isShannonError(error) && error.code === 'UNAUTHENTICATED') {
        options.metrics.httpAuthFailures.inc({ reason: 'invalid' });
        await failures(req);
      }
      throw error;
    }
    if (!req.principal.scopes.includes(scope)) {
      throw new ShannonError('FORBIDDEN', `this API key lacks the ${scope} scope`, {
        field: 'authorization',
      });
    }
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
