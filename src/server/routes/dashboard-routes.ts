/**
 * The operator dashboard: the page and its static files at `/dashboard` (no data, no key needed),
 * and the data only it reads — the sample ring's time series, the slowest statements and the
 * vector collections — under `/v1/admin/dashboard/*` for an operator key. The ring samples in
 * this process from the moment the app is ready until it closes. Like every admin read the
 * dashboard polls, these are not charged to the tenant's hourly budget (`tenantBudget: false`).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { DataLayer } from '../../data-layer.js';
import { slowQueries } from '../../ops/slow-queries.js';
import {
  DASHBOARD_ASSETS,
  DASHBOARD_CSP,
  DASHBOARD_PAGE,
  type DashboardAsset,
  readAsset,
} from '../dashboard/dashboard-assets.js';
import { DashboardSamples } from '../dashboard/dashboard-samples.js';

export interface DashboardRouteOptions {
  /** Sampling period of the ring (default `DEFAULT_SAMPLE_INTERVAL_MS`, 5 s). */
  sampleIntervalMs?: number;
}

/** The config of every route the dashboard polls: operator scope, not charged to the budget. */
export const DASHBOARD_READ = Object.freeze({ scope: 'operator' as const, tenantBudget: false });

export function dashboardRoutes(
  app: FastifyInstance,
  dataLayer: DataLayer,
  options: DashboardRouteOptions = {},
): DashboardSamples {
  const { db, memory, metrics } = dataLayer;
  const samples = new DashboardSamples({
    metrics,
    pool: () => db.stats(),
    ...(options.sampleIntervalMs === undefined ? {} : { intervalMs: options.sampleIntervalMs }),
  });
  app.addHook('onReady', async () => samples.start());
  app.addHook('onClose', async () => samples.stop());

  const send = (asset: DashboardAsset) => (_req: unknown, reply: FastifyReply) =>
    reply
      .type(asset.contentType)
      .header('content-security-policy', DASHBOARD_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-cache')
      .send(readAsset(asset));

  app.get('/dashboard', { schema: { hide: true } }, send(DASHBOARD_PAGE));
  for (const [name, asset] of Object.entries(DASHBOARD_ASSETS))
    app.get(`/dashboard/assets/${name}`, { schema: { hide: true } }, send(asset));

  const tags = ['admin'];
  const security = [{ apiKey: [] }];
  app.get(
    '/v1/admin/dashboard/series',
    {
      config: DASHBOARD_READ,
      schema: {
        tags,
        security,
        summary:
          'The dashboard ring: per sample (5 s, an hour kept) ingest rates, queue, spool, pool, breakers, HTTP, latencies, outbox.',
      },
    },
    async () => samples.snapshot(),
  );

  app.get(
    '/v1/admin/dashboard/slow-queries',
    {
      config: DASHBOARD_READ,
      schema: {
        tags,
        security,
        summary: 'The 20 statements with the most total time, from pg_stat_statements since its reset.',
      },
    },
    async () => slowQueries(db, 20),
  );

  app.get(
    '/v1/admin/dashboard/collections',
    {
      config: DASHBOARD_READ,
      schema: {
        tags,
        security,
        summary: 'Vector collections: points in PostgreSQL and in the index, indexed vectors, outbox lag.',
      },
    },
    async () => {
      const status = await memory.status();
      return {
        backend: status.backend,
        outbox: status.outbox,
        collections: status.collections.map((c) => ({
          collection: c.collection,
          version: c.version,
          state: c.state,
          physicalName: c.physicalName,
          dimension: c.dimension,
          sourcePoints: c.sourcePoints,
          indexPoints: c.index.points,
          indexedVectors: c.index.indexedVectors,
          indexStatus: c.index.status,
        })),
      };
    },
  );
  return samples;
}
