/**
 * Admin endpoints behind the `admin` scope, read by the dashboard: live state (pool, breakers,
 * write queue and spool, sessions cache), the doctor's findings (slow queries, indexes, bloat…),
 * verified index advice, partition coverage and table sizes. They show operational data of the
 * whole database, never tenant rows.
 */
import type { FastifyInstance } from 'fastify';
import type { DataLayer } from '../../data-layer.js';
import type { SessionCache } from '../../sessions/session-cache.js';
import { TABLE_SIZES } from '../admin-queries.js';
import type { ServedSubsystems } from './register-routes.js';

export function adminRoutes(
  app: FastifyInstance,
  dataLayer: DataLayer & ServedSubsystems,
  sessions: SessionCache,
): void {
  const config = { scope: 'admin' as const };
  const tags = ['admin'];
  const security = [{ apiKey: [] }];
  const { db, ops } = dataLayer;

  app.get(
    '/v1/admin/overview',
    { config, schema: { tags, security, summary: 'Pool, breakers, write queue and spool, sessions cache.' } },
    async () => ({
      at: new Date().toISOString(),
      pool: db.stats(),
      breakers: [db.writeBreaker, db.readBreaker].map((b) => ({ name: b.name, state: b.state })),
      ingest: dataLayer.ingest?.stats() ?? null,
      memory:
        dataLayer.memory === undefined
          ? null
          : {
              backend: dataLayer.memory.backend.kind,
              collections: dataLayer.memory.versions.live().map((v) => ({
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
        summary: 'Partition coverage: months ahead, gaps, rows in default partitions.',
      },
    },
    async () => ({ tables: await ops.partitionStatus() }),
  );

  app.get(
    '/v1/admin/tables',
    { config, schema: { tags, security, summary: 'The 30 largest tables with their total size.' } },
    async () => {
      const { rows } = await db.query<{
        table: string;
        partitioned: boolean;
        bytes: string;
        estimated_rows: string;
      }>(TABLE_SIZES, [30], {
        operation: 'admin.table_sizes',
        readOnly: true,
      });
      return {
        tables: rows.map((r) => ({
          table: r.table,
          partitioned: r.partitioned,
          bytes: Number(r.bytes),
          estimatedRows: Number(r.estimated_rows),
        })),
      };
    },
  );
}
