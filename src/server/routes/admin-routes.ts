/**
 * Admin endpoints. Two kinds of administrator (docs/api.md, "Who sees what"):
 * - the platform operator (`operator` scope, only on keys created with the operator flag), read by
 *   the dashboard: live state (pool, breakers, write queue and spool, sessions cache), the
 *   doctor's findings (slow queries with their texts, blocked sessions, indexes, bloat…), verified
 *   index advice, partition coverage and table sizes — the whole database, every tenant;
 * - a tenant administrator (`admin` scope): its own tenant's figures only, read in its tenant
 *   transaction so row-level security applies.
 */
import type { FastifyInstance } from 'fastify';
import { listApiKeys } from '../../auth/api-keys.js';
import type { DataLayer } from '../../data-layer.js';
import { partitionedSizes, tableSizes, tenantFigures } from '../../ops/admin-figures.js';
import type { SessionCache } from '../../sessions/session-cache.js';
import { DASHBOARD_READ } from './dashboard-routes.js';
import { principalOf } from './route-helpers.js';

export function adminRoutes(app: FastifyInstance, dataLayer: DataLayer, sessions: SessionCache): void {
  // Operator reads the dashboard polls: not charged to the tenant's hourly budget.
  const config = DASHBOARD_READ;
  const tags = ['admin'];
  const security = [{ apiKey: [] }];
  const { db, ops } = dataLayer;

  app.get(
    '/v1/admin/overview',
    { config, schema: { tags, security, summary: 'Pool, breakers, write queue and spool, sessions cache.' } },
    async () => ({
      at: new Date().toISOString(),
      pool: db.stats(),
      breakers: [
        db.writeBreaker,
        db.readBreaker,
        ...(dataLayer.redis === undefined ? [] : [dataLayer.redis.breaker]),
      ].map((b) => ({ name: b.name, state: b.state })),
      ingest: dataLayer.ingest?.stats() ?? null,
      memory:
        dataLayer.memory === undefined
          ? null
          : {
              backend: dataLayer.memory.describe().backend,
              collections: dataLayer.memory.describe().collections.map((v) => ({
                collection: v.collection,
                physicalName: v.physicalName,
                state: v.state,
                dimension: v.dimension,
              })),
            },
      sessions: { backend: sessions.backend },
      process: { uptimeSeconds: Math.round(process.uptime()), rssBytes: process.memoryUsage().rss },
    }),
  );

  app.get(
    '/v1/admin/doctor',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Doctor findings: slow queries, indexes, bloat, vacuum, partitions, collections.',
      },
    },
    async () => ops.doctor(),
  );

  app.get(
    '/v1/admin/indexes/advice',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Index advice verified with hypothetical indexes (cost at least halved).',
      },
    },
    async () => ops.adviseIndexes(),
  );

  app.get(
    '/v1/admin/partitions',
    {
      config,
      schema: {
        tags,
        security,
        summary:
          'Partition coverage: months ahead, gaps, rows in default partitions; total size and estimated rows.',
      },
    },
    async () => {
      const sizes = await partitionedSizes(db);
      return {
        tables: (await ops.partitionStatus()).map((t) => ({
          ...t,
          bytes: sizes.get(t.table)?.bytes ?? 0,
          estimatedRows: sizes.get(t.table)?.estimatedRows ?? 0,
        })),
      };
    },
  );

  app.get(
    '/v1/admin/tables',
    { config, schema: { tags, security, summary: 'The 30 largest tables with their total size.' } },
    async () => ({ tables: await tableSizes(db, 30) }),
  );

  app.get<{ Querystring: { days?: number } }>(
    '/v1/admin/tenant',
    {
      config: { scope: 'admin', tenantBudget: false },
      schema: {
        tags,
        security,
        summary:
          "The caller's tenant only: tasks by status, tokens and cost, live sessions, memory points, keys.",
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { days: { type: 'integer', minimum: 1, maximum: 366, default: 30 } },
        },
      },
    },
    async (req) => {
      const { tenantId, tenantSlug } = principalOf(req);
      const days = req.query.days ?? 30;
      const keys = await listApiKeys(db, tenantId);
      const figures = await tenantFigures(db, tenantId, days);
      return {
        tenant: { id: tenantId, slug: tenantSlug },
        days,
        ...figures,
        keys: keys.map((k) => ({
          prefix: k.prefix,
          name: k.name,
          scopes: k.scopes,
          isActive: k.isActive,
          lastUsed: k.lastUsed,
        })),
      };
    },
  );
}
