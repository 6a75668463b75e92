/**
 * Every route of the service. Resource routes come from the subsystems the data layer carries.
 */
import type { FastifyInstance } from 'fastify';
import type { DataLayer } from '../../data-layer.js';
import type { Memory } from '../../memory/memory.js';
import type { SessionCache } from '../../sessions/session-cache.js';
import type { HttpLimits } from '../limits.js';
import { healthRoutes } from './health-routes.js';
import { memoryRoutes } from './memory-routes.js';
import { sessionStateRoutes } from './session-state-routes.js';

/** Subsystems the composition root may carry; their routes are registered when present. */
export interface ServedSubsystems {
  memory?: Memory;
}

export interface RouteContext {
  dataLayer: DataLayer & ServedSubsystems;
  limits: HttpLimits;
  sessions: SessionCache;
}

export async function registerRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  healthRoutes(app, ctx.dataLayer);
  app.get(
    '/v1/whoami',
    {
      config: { scope: 'data:read' },
      schema: {
        tags: ['auth'],
        summary: 'The tenant and scopes of the calling key.',
        security: [{ apiKey: [] }],
      },
    },
    async (req) => ({
      tenant: { id: req.principal!.tenantId, slug: req.principal!.tenantSlug },
      keyId: req.principal!.keyId,
      scopes: req.principal!.scopes,
    }),
  );
  const { memory } = ctx.dataLayer;
  if (memory !== undefined) memoryRoutes(app, memory, ctx.limits);
  sessionStateRoutes(app, ctx.sessions, ctx.limits);
}
