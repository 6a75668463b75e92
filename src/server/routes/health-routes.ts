/**
 * Liveness, readiness and metrics. `/healthz` answers while the process runs; `/readyz` answers 200
 * only when PostgreSQL answers, every migration is applied and no PostgreSQL breaker is open;
 * `/metrics` is the Prometheus text of the one registry.
 */
import type { FastifyInstance } from 'fastify';
import type { DataLayer } from '../../data-layer.js';

/** Migrations rarely change under a running process; re-check at most this often. */
const MIGRATION_CHECK_INTERVAL_MS = 30_000;

interface Check {
  ok: boolean;
  detail: string;
}

export function healthRoutes(app: FastifyInstance, dataLayer: DataLayer): void {
  let migrationsCheckedAt = 0;
  let migrationsOk = false;

  async function migrationsCurrent(): Promise<boolean> {
    if (migrationsOk && Date.now() - migrationsCheckedAt < MIGRATION_CHECK_INTERVAL_MS) return true;
    migrationsOk = await dataLayer.migrationsCurrent();
    migrationsCheckedAt = Date.now();
    return migrationsOk;
  }

  app.get('/healthz', { schema: { tags: ['health'], summary: 'The process is up.' } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    {
      schema: { tags: ['health'], summary: 'PostgreSQL reachable, migrations current, breakers closed.' },
    },
    async (_req, reply) => {
      const checks: Record<string, Check> = {};
      try {
        await dataLayer.db.ping();
        checks['postgres'] = { ok: true, detail: 'answers' };
      } catch (error) {
        checks['postgres'] = { ok: false, detail: (error as { code?: string }).code ?? 'unreachable' };
      }
      if (checks['postgres'].ok) {
        try {
          const current = await migrationsCurrent();
          checks['migrations'] = { ok: current, detail: current ? 'current' : 'pending' };
        } catch {
          checks['migrations'] = { ok: false, detail: 'unknown' };
        }
      }
      for (const breaker of [dataLayer.db.writeBreaker, dataLayer.db.readBreaker]) {
        checks[breaker.name] = {
          ok: breaker.state !== 'open' && breaker.state !== 'isolated',
          detail: breaker.state,
        };
      }
      const ready = Object.values(checks).every((c) => c.ok);
      if (ready) return { status: 'ready', checks };
      const code = !checks['postgres'].ok
        ? 'DB_UNAVAILABLE'
        : checks['migrations']?.ok === false
          ? 'MIGRATIONS_PENDING'
          : 'BREAKER_OPEN';
      reply.header('retry-after', '5');
      return reply
        .code(503)
        .send({ error: { code, message: 'the service is not ready', details: { checks } } });
    },
  );

  app.get(
    '/metrics',
    { schema: { tags: ['health'], summary: 'Prometheus metrics (text format).' } },
    async (_req, reply) => {
      const text = await dataLayer.metrics.metricsText();
      return reply.type(dataLayer.metrics.registry.contentType).send(text);
    },
  );
}
