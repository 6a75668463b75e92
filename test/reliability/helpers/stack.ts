/**
 * One test's whole deployment on loopback: a test-owned PostgreSQL cluster, migrated, with a tenant
 * and an API key created directly in the database; optionally a TCP proxy in front of it (the service
 * then reaches PostgreSQL only through the proxy), a test-owned redis-server (optionally behind its
 * own proxy); a temporary data directory; and the built service. `close()` tears all of it down,
 * whatever state the test left it in.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createApiKey } from '../../../src/auth/api-keys.js';
import { createTenant } from '../../../src/auth/tenants.js';
import { runMigrations } from '../../../src/data-layer.js';
import { Database } from '../../../src/postgres/database.js';
import { testPoolConfig } from '../../helpers/database.js';
import { PgCluster } from '../../helpers/pg-cluster.js';
import { RedisServer } from './redis-server.js';
import { Service, type ServiceOptions } from './service.js';
import { TcpProxy } from './tcp-proxy.js';

export interface StackOptions {
  /** Put a TCP proxy between the service and PostgreSQL. */
  pgProxy?: boolean;
  /** Start a redis-server and give the service REDIS_URL. */
  redis?: boolean;
  /** Service settings besides the URLs and the data directory. */
  env?: Record<string, string>;
  /** Use this data directory (e.g. a tmpfs mount) instead of a new temporary one. */
  dataDir?: string;
  /** Do not start the service (the test starts it itself). */
  noService?: boolean;
}

export interface Stack {
  cluster: PgCluster;
  /** URL of the database on the cluster, bypassing any proxy (for the judge and fault injection). */
  directUrl: string;
  /** URL the service uses (through the proxy when there is one). */
  serviceUrl: string;
  pgProxy: TcpProxy | undefined;
  redis: RedisServer | undefined;
  service: Service;
  /** What the service was (or is to be) started with. */
  serviceOptions: ServiceOptions;
  dataDir: string;
  tenantId: string;
  apiKey: string;
  /** A small pool on directUrl for the judge and for fault injection. */
  pool: pg.Pool;
  close(): Promise<void>;
}

const DATABASE = 'shannon';

/** Builds the stack; on any failure, what was started is torn down before the error is thrown. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const cluster = await PgCluster.create({ settings: { max_connections: 60 } });
    cleanups.push(() => cluster.destroy());
    await cluster.query(`CREATE DATABASE ${DATABASE}`);
    const directUrl = cluster.url(DATABASE);
    await runMigrations(directUrl);
    const db = new Database({ connectionString: directUrl, pool: testPoolConfig({ max: 2 }), name: 'setup' });
    let tenantId: string;
    let apiKey: string;
    try {
      tenantId = (await createTenant(db, { slug: 'reliability', rateLimitPerHour: 2_000_000_000 })).id;
      apiKey = (await createApiKey(db, { tenantId, name: 'reliability' })).key;
    } finally {
      await db.close();
    }
    const pool = new pg.Pool({ connectionString: directUrl, max: 3 });
    pool.on('error', () => undefined);
    cleanups.push(() => pool.end());

    let pgProxy: TcpProxy | undefined;
    if (options.pgProxy === true) {
      pgProxy = await TcpProxy.start({ targetPort: cluster.port });
      cleanups.push(() => (pgProxy as TcpProxy).stop());
    }
    const serviceUrl =
      pgProxy === undefined ? directUrl : `postgres://postgres@127.0.0.1:${pgProxy.port}/${DATABASE}`;

    let redis: RedisServer | undefined;
    if (options.redis === true) {
      redis = await RedisServer.start();
      cleanups.push(() => (redis as RedisServer).stop());
    }

    const ownDataDir = options.dataDir === undefined;
    const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'reliability-data-')));
    if (ownDataDir) cleanups.push(() => rm(dataDir, { recursive: true, force: true }));

    const serviceOptions: ServiceOptions = {
      databaseUrl: serviceUrl,
      dataDir,
      ...(redis === undefined ? {} : { redisUrl: redis.url }),
      env: { VECTOR_DIMENSION: '8', ...options.env },
    };
    // Registered before it starts, so a start that fails half-way is still killed.
    let service: Service | undefined;
    cleanups.push(async () => service?.stop());
    service = options.noService === true ? undefined : await Service.start(serviceOptions);
    return {
      cluster,
      directUrl,
      serviceUrl,
      pgProxy,
      redis,
      get service(): Service {
        if (service === undefined) throw new Error('the stack was built without a service');
        return service;
      },
      set service(value: Service) {
        service = value;
      },
      serviceOptions,
      dataDir,
      tenantId,
      apiKey,
      pool,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
