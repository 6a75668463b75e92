/**
 * Hot session state: read, write (renewing the TTL) and delete one session's state in the cache.
 * A session whose hot state is gone reads as its last archived state (`source: "archive"`).
 * Keys are tenant-scoped, so another tenant's session id reads as absent (404).
 */
import type { FastifyInstance } from 'fastify';
import type { SessionCache } from '../../sessions/session-cache.js';
import type { HttpLimits } from '../limits.js';
import { notFound, principalOf } from './route-helpers.js';

export function sessionStateRoutes(app: FastifyInstance, sessions: SessionCache, limits: HttpLimits): void {
  const tags = ['sessions'];
  const security = [{ apiKey: [] }];
  const params = {
    type: 'object',
    required: ['sessionId'],
    properties: { sessionId: { type: 'string', minLength: 1, maxLength: limits.idChars } },
  } as const;

  app.get<{ Params: { sessionId: string } }>(
    '/v1/sessions/:sessionId/state',
    {
      config: { scope: 'data:read' },
      schema: {
        tags,
        security,
        params,
        summary:
          'The cached state of a session, or its last archived state once the cached one expired (404 when neither exists).',
      },
    },
    async (req) => {
      const read = await sessions.read(principalOf(req).tenantId, req.params.sessionId);
      if (read === undefined) throw notFound('session state');
      if (read.source === 'archive') {
        return {
          sessionId: read.sessionId,
          state: read.state,
          source: read.source,
          archivedAt: read.archivedAt,
        };
      }
      return {
        sessionId: read.sessionId,
        state: read.state,
        source: read.source,
        version: read.version,
        expiresAt: new Date(read.expiresAt).toISOString(),
      };
    },
  );

  app.put<{ Params: { sessionId: string }; Body: { state: unknown; ttlSeconds?: number } }>(
    '/v1/sessions/:sessionId/state',
    {
      config: { scope: 'data:write' },
      schema: {
        tags,
        security,
        params,
        summary: 'Write a session’s state and renew its TTL; snapshots go to session_archives.',
        body: {
          type: 'object',
          required: ['state'],
          additionalProperties: false,
          properties: {
            state: {
              type: 'object',
              required: ['data'],
              additionalProperties: false,
              properties: {
                data: { type: 'object' },
                userId: { type: 'string', maxLength: 36 },
                messageCount: { type: 'integer', minimum: 0 },
                totalTokens: { type: 'integer', minimum: 0 },
                totalCostUsd: { type: 'number', minimum: 0 },
                startedAt: { type: 'string', maxLength: 64 },
              },
            },
            ttlSeconds: { type: 'integer', minimum: 1, maximum: 7 * 86_400 },
          },
        },
      },
    },
    async (req) => {
      const ttl = req.body.ttlSeconds === undefined ? undefined : req.body.ttlSeconds * 1000;
      const entry = await sessions.set(principalOf(req).tenantId, req.params.sessionId, req.body.state, ttl);
      return {
        sessionId: entry.sessionId,
        version: entry.version,
        expiresAt: new Date(entry.expiresAt).toISOString(),
      };
    },
  );

  app.delete<{ Params: { sessionId: string } }>(
    '/v1/sessions/:sessionId/state',
    {
      config: { scope: 'data:write' },
      schema: {
        tags,
        security,
        params,
        summary: 'Drop a session from the cache (its last state is archived).',
      },
    },
    async (req, reply) => {
      if (!(await sessions.delete(principalOf(req).tenantId, req.params.sessionId)))
        throw notFound('session state');
      return reply.code(204).send();
    },
  );
}
