/**
 * Every route of the service, over the parts the composition root (src/data-layer.ts) built.
 */
import type { FastifyInstance } from 'fastify';
import type { DataLayer } from '../../data-layer.js';
import type { SessionCache } from '../../sessions/session-cache.js';
import type { HttpLimits } from '../limits.js';
import { adminRoutes } from './admin-routes.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { healthRoutes } from './health-routes.js';
import { ingestRoutes } from './ingest-routes.js';
import { memoryRoutes } from './memory-routes.js';
import { queryRoutes } from './query-routes.js';
import { sessionStateRoutes } from './session-state-routes.js';
import { userRoutes } from './user-routes.js';

export interface RouteContext {
  dataLayer: DataLayer;
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
  const { memory, stores, reads, ingest } = ctx.dataLayer;
  memoryRoutes(app, memory, ctx.limits);
  queryRoutes(app, stores, reads, ctx.limits);
  userRoutes(app, stores.users, ctx.limits);
  ingestRoutes(app, ingest, reads, ctx.limits);
  sessionStateRoutes(app, ctx.sessions, ctx.limits);
  adminRoutes(app, ctx.dataLayer, ctx.sessions);
  dashboardRoutes(app, ctx.dataLayer);
}
