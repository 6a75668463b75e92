/**
 * Small pieces every resource route uses: the caller's tenant, shared JSON schemas (ids, page
 * size, cursors) and number parsing for query strings (the API validates without type coercion,
 * so `null` never turns into 0 in a body).
 */
import type { SwaggerTransform } from '@fastify/swagger';
import type { FastifyRequest, FastifySchema } from 'fastify';
import type { Principal } from '../../auth/authenticator.js';
import { LimitExceededError, ShannonError, ValidationError } from '../../errors/errors.js';
import { isLsn } from '../../postgres/replica-router.js';

/**
 * With read replicas, a write's answer carries this header (a WAL position); a read that sends it
 * back runs where that write is already visible.
 */
export const CONSISTENCY_TOKEN_HEADER = 'x-shannon-consistency-token';

/** The request's consistency token, if any. @throws ValidationError naming the header when malformed. */
export function consistencyToken(req: FastifyRequest): string | undefined {
  const raw = req.headers[CONSISTENCY_TOKEN_HEADER];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !isLsn(raw.trim())) {
    throw new ValidationError(
      CONSISTENCY_TOKEN_HEADER,
      'must be the token a write returned (a WAL position such as 0/16B3748)',
    );
  }
  return raw.trim();
}

/**
 * A route's `config.swaggerTransform` that adds to its OpenAPI entry what Fastify must not enforce:
 * a request body and a 200 response, documented only. As the route's own `schema.body` or
 * `schema.response`, Fastify would validate the body with it, or serialise the answer through it
 * (dropping the fields it does not list).
 */
export function documentOnly(documented: { body?: unknown; ok?: unknown }): SwaggerTransform {
  return ({ schema, url }) => {
    const own = schema as FastifySchema & { response?: Record<string, unknown> };
    return {
      url,
      schema: {
        ...own,
        ...(documented.body === undefined ? {} : { body: documented.body }),
        ...(documented.ok === undefined ? {} : { response: { 200: documented.ok, ...own.response } }),
      },
    };
  };
}

/** The authenticated caller; routes with a scope always have one. */
export function principalOf(req: FastifyRequest): Principal {
  if (req.principal === undefined)
    throw new ShannonError('UNAUTHENTICATED', 'the API key is missing, unknown, revoked or expired');
  return req.principal;
}

/** Same 404 body for "absent" and "belongs to another tenant" (no existence oracle). */
export function notFound(what: string): ShannonError {
  return new ShannonError('NOT_FOUND', `${what} not found`, { field: 'id' });
}

/** Throws 413 when a batch is longer than the limit. */
export function checkBatch(field: string, items: readonly unknown[], limit: number): void {
  if (items.length > limit) throw new LimitExceededError(field, limit, items.length);
}

export const UUID_SCHEMA = {
  type: 'string',
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
} as const;

/** Query-string integers arrive as text; 1-4 digits keeps them small and bounded. */
export const SMALL_INT_QUERY = { type: 'string', pattern: '^[0-9]{1,4}$' } as const;

export const CURSOR_QUERY = { type: 'string', maxLength: 512 } as const;

/** Parses an optional query-string integer validated by SMALL_INT_QUERY. */
export function queryInt(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

export const ERROR_RESPONSE = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        field: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
      },
      required: ['code', 'message'],
    },
  },
} as const;
