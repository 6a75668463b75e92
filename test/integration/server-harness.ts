/**
 * Shared setup of the server tests: a cloned test database, the real composition root over it, a
 * Fastify app and helpers to create tenants and keys.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createApiKey } from '../../src/auth/api-keys.js';
import type { Scope } from '../../src/auth/scopes.js';
import { createTenant } from '../../src/auth/tenants.js';
import { loadConfig } from '../../src/config/config.js';
import { createDataLayer, type DataLayer } from '../../src/data-layer.js';
import type { Ingest } from '../../src/ingest/ingest.js';
import type { Memory } from '../../src/memory/memory.js';
import { createServer } from '../../src/server/create-server.js';
import type { HttpLimits } from '../../src/server/limits.js';
import type { Stores } from '../../src/stores/create-stores.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

export interface ServerHarness {
  t: TestDatabase;
  dataLayer: DataLayer;
  memory: Memory;
  stores: Stores;
  ingest: Ingest;
  app: FastifyInstance;
  /** Creates a tenant and a key for it; returns the tenant id and the raw key. */
  tenantWithKey(options?: {
    scopes?: Scope[];
    rateLimitPerHour?: number;
    slug?: string;
    /** Also the platform operator scope (whole-database admin endpoints). */
    operator?: boolean;
  }): Promise<{ tenantId: string; key: string; keyId: string; slug: string }>;
  close(): Promise<void>;
}

let counter = 0;
/** Vector dimension of the server tests (small, so bodies stay small). */
export const TEST_DIMENSION = 8;

export async function startServerHarness(
  options: { limits?: Partial<HttpLimits>; env?: Record<string, string> } = {},
): Promise<ServerHarness> {
  const t = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'shannon-server-'));
  // TEST_PGBOUNCER_PORT (set by test/integration/pgbouncer.test.ts): the service reaches the test
  // database through that PgBouncer in transaction mode, migrations and the toolkit directly.
  const bouncer = process.env['TEST_PGBOUNCER_PORT'];
  const connection =
    bouncer === undefined
      ? { DATABASE_URL: t.url }
      : {
          DATABASE_URL: `postgres://postgres@127.0.0.1:${bouncer}/${t.name}`,
          PG_POOL_MODE: 'transaction',
          DATABASE_DIRECT_URL: t.url,
        };
  const config = loadConfig({
    env: {
      ...connection,
      SHANNON_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      PG_HEALTH_PING_INTERVAL_MS: '0',
      VECTOR_DIMENSION: String(TEST_DIMENSION),
      // Off unless a test asks (test/helpers/memory.ts says why).
      MEMORY_RECALL_SAMPLE_RATE: '0',
      ...options.env,
    },
  });
  const dataLayer = await createDataLayer(config, { metrics: t.metrics });
  const { memory, ingest, stores } = dataLayer;
  const app = await createServer(dataLayer, {
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  await app.ready();
  return {
    t,
    dataLayer,
    memory,
    stores,
    ingest,
    app,
    async tenantWithKey(o = {}) {
      counter += 1;
      const slug = o.slug ?? `srv-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
      const tenant = await createTenant(dataLayer.db, {
        slug,
        ...(o.rateLimitPerHour === undefined ? {} : { rateLimitPerHour: o.rateLimitPerHour }),
      });
      const created = await createApiKey(dataLayer.db, {
        tenantId: tenant.id,
        name: 'test',
        ...(o.scopes === undefined
          ? { scopes: ['data:read', 'data:write', 'memory:read', 'memory:write', 'admin'] }
          : { scopes: o.scopes }),
        ...(o.operator === true ? { operator: true } : {}),
      });
      return { tenantId: tenant.id, key: created.key, keyId: created.id, slug };
    },
    async close() {
      await app.close();
      await dataLayer.close();
      rmSync(dataDir, { recursive: true, force: true });
      await t.drop();
    },
  };
}
