/**
 * Users of the platform (`public.users`): create, read by id, look up by external id or list, and
 * deactivate. The tenant is the key's; another tenant's user id reads exactly like an absent one
 * (404). Creating and deactivating need `data:write`, reading `data:read`.
 */
import type { FastifyInstance } from 'fastify';
import type { JsonSchema } from '../../schema/tables/columns.js';
import type { UserStore } from '../../stores/user-store.js';
import type { HttpLimits } from '../limits.js';
import {
  CURSOR_QUERY,
  documentOnly,
  notFound,
  principalOf,
  queryInt,
  SMALL_INT_QUERY,
  UUID_SCHEMA,
} from './route-helpers.js';

/** A user as the API answers it (documented only: answers are serialised as the store returns them). */
const USER: JsonSchema = {
  type: 'object',
  title: 'User',
  description: 'A user of the platform.',
  required: ['id', 'tenantId', 'externalId', 'email', 'metadata', 'active', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string', format: 'uuid', description: 'The id records name as `user_id`.' },
    tenantId: { type: 'string', format: 'uuid' },
    externalId: { type: 'string', description: "The caller's string id of the user, unique in the tenant." },
    email: { type: ['string', 'null'] },
    metadata: { type: 'object', additionalProperties: true },
    active: { type: 'boolean', description: 'False once deactivated.' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    deactivatedAt: { type: ['string', 'null'], format: 'date-time' },
  },
};

const USER_PAGE: JsonSchema = {
  type: 'object',
  description: 'Users newest first; with `externalId`, the one user with that id (or none).',
  required: ['items', 'nextCursor'],
  properties: {
    items: { type: 'array', items: USER },
    nextCursor: { type: ['string', 'null'], description: 'The next page (`cursor`); null on the last page.' },
  },
};

export function userRoutes(app: FastifyInstance, users: UserStore, limits: HttpLimits): void {
  const security = [{ apiKey: [] }];
  const idParams = { type: 'object', required: ['id'], properties: { id: UUID_SCHEMA } } as const;

  app.post<{ Body: { externalId: string; email?: string | null; metadata?: Record<string, unknown> } }>(
    '/v1/users',
    {
      config: { scope: 'data:write' },
      schema: {
        tags: ['users'],
        security,
        summary: 'Create a user of the tenant; 409 CONFLICT when its externalId is taken.',
        body: {
          type: 'object',
          required: ['externalId'],
          additionalProperties: false,
          properties: {
            externalId: { type: 'string', minLength: 1, maxLength: Math.min(255, limits.idChars) },
            email: { type: ['string', 'null'], maxLength: 255 },
            metadata: { type: 'object' },
          },
        },
        response: { 201: { ...USER, description: 'The created user.' } },
      },
    },
    async (req, reply) => {
      const user = await users.create(principalOf(req).tenantId, req.body);
      return reply.code(201).send(user);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/users/:id',
    {
      config: {
        scope: 'data:read',
        swaggerTransform: documentOnly({ ok: { ...USER, description: 'The user.' } }),
      },
      schema: {
        tags: ['users'],
        security,
        summary: 'A user by id (404 for absent and foreign ids).',
        params: idParams,
      },
    },
    async (req) => {
      const user = await users.getById(principalOf(req).tenantId, req.params.id);
      if (user === null) throw notFound('user');
      return user;
    },
  );

  app.get<{ Querystring: { externalId?: string; limit?: string; cursor?: string } }>(
    '/v1/users',
    {
      config: { scope: 'data:read', swaggerTransform: documentOnly({ ok: USER_PAGE }) },
      schema: {
        tags: ['users'],
        security,
        summary:
          "The user with an external id (`externalId`), or the tenant's users newest first in keyset pages.",
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            externalId: { type: 'string', minLength: 1, maxLength: 255 },
            limit: SMALL_INT_QUERY,
            cursor: CURSOR_QUERY,
          },
        },
      },
    },
    async (req) => {
      const tenantId = principalOf(req).tenantId;
      const q = req.query;
      if (q.externalId !== undefined) {
        const user = await users.findByExternalId(tenantId, q.externalId);
        return { items: user === null ? [] : [user], nextCursor: null };
      }
      const limit = queryInt(q.limit);
      return users.list(tenantId, {
        ...(limit === undefined ? {} : { limit }),
        ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
      });
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/users/:id/deactivate',
    {
      config: {
        scope: 'data:write',
        swaggerTransform: documentOnly({ ok: { ...USER, description: 'The deactivated user.' } }),
      },
      schema: {
        tags: ['users'],
        security,
        summary: 'Deactivate a user (idempotent); its records stay. 404 for absent and foreign ids.',
        params: idParams,
      },
    },
    async (req) => {
      const user = await users.deactivate(principalOf(req).tenantId, req.params.id);
      if (user === null) throw notFound('user');
      return user;
    },
  );
}
