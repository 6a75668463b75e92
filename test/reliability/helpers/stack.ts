/**
 * One test's whole deployment on loopback: a test-owned PostgreSQL cluster, migrated, with a tenant
 * and an API key created directly in the database; optionally a streaming standby of it (the service
 * then gets both hosts in one URL and follows the one that takes writes), a TCP proxy in front of it
 * (the service then reaches PostgreSQL only through the proxy), a test-owned redis-server (optionally behind its
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
  /**
   * A streaming standby (pg_basebackup of the migrated primary); `synchronous`: the primary's
   * commits wait for the standby's flush (synchronous_standby_names = '*'). The service's URL
   * lists the primary, then the standby. Not with `pgProxy`.
   */
  standby?: 'synchronous' | 'asynchronous';
}

export interface Stack {
  cluster: PgCluster;
  /** The standby, when asked for. */
  standby: PgCluster | undefined;
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
    const replication: Record<string, string | number> =
      options.standby === undefined ? {} : { wal_level: 'replica', max_wal_senders: 5 };
    const cluster = await PgCluster.create({ settings: { max_connections: 60, ...replication } });
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

    let standby: PgCluster | undefined;
    if (options.standby !== undefined) {
      standby = await PgCluster.standbyOf(cluster);
      cleanups.push(() => (standby as PgCluster).destroy());
      if (options.standby === 'synchronous') {
        // Set after the base backup, so the standby (once promoted) does not wait for a standby itself.
        await cluster.query(`ALTER SYSTEM SET synchronous_standby_names = '*'`);
        await cluster.query('SELECT pg_reload_conf()');
        for (let i = 0; i < 300; i += 1) {
          const rows = await cluster.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_replication WHERE sync_state = 'sync'`,
          );
          if (Number(rows[0]?.n) > 0) break;
          if (i === 299) throw new Error('the standby never became synchronous');
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }

    let pgProxy: TcpProxy | undefined;
    if (options.pgProxy === true) {
      pgProxy = await TcpProxy.start({ targetPort: cluster.port });
      cleanups.push(() => (pgProxy as TcpProxy).stop());
    }
    const serviceUrl =
      standby !== undefined
        ? `postgres://postgres@127.0.0.1:${cluster.port},127.0.0.1:${standby.port}/${DATABASE}`
        : pgProxy === undefined
          ? directUrl
          : `postgres://postgres@127.0.0.1:${pgProxy.port}/${DATABASE}`;

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
      standby,
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
