/**
 * Configuration, resolved once: flag → environment → file → default. The result is validated,
 * frozen and typed; an invalid or missing setting throws a ConfigError naming the setting.
 * Secrets (passwords in URLs, API keys) are never part of `describeConfig()` output.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { hostLabel, splitHosts } from '../postgres/hosts.js';
import {
  ConfigError,
  type EmbeddingApi,
  type LogLevel,
  type PoolMode,
  type ReadConsistency,
  SETTINGS,
  type Setting,
  type SettingKey,
  type Source,
  type SslMode,
  type TrustProxy,
} from './settings.js';

export {
  ConfigError,
  EMBEDDING_APIS,
  type EmbeddingApi,
  LOG_LEVELS,
  type LogLevel,
  MIN_ARCHIVE_KEY_LENGTH,
  POOL_MODES,
  type PoolMode,
  type ReadConsistency,
  SETTING_ENV_NAMES,
  SSL_MODES,
  type SslMode,
  type TrustProxy,
} from './settings.js';

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_DATA_DIR = './.shannon-data';
export const DEFAULT_POOL_MAX = 10;
export const DEFAULT_POOL_IDLE_TIMEOUT_MS = 30_000;
export const DEFAULT_POOL_MAX_LIFETIME_MS = 30 * 60_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_QUERY_TIMEOUT_MS = 10_000;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;
export const DEFAULT_HEALTH_PING_INTERVAL_MS = 15_000;
export const DEFAULT_SSL_MODE = 'disable';
export const DEFAULT_EMBEDDED_PORT = 54329;
export const DEFAULT_VECTOR_DIMENSION = 1536;
/** Bound of the write path's local spool (bytes); a full spool answers with backpressure. */
export const DEFAULT_SPOOL_MAX_BYTES = 1024 * 1024 * 1024;
export const DEFAULT_EMBEDDING_MODEL = 'text-embedding-3-small';
export const DEFAULT_LOG_LEVEL = 'info';
export const DEFAULT_APPLICATION_NAME = 'shannon-data';
export const DEFAULT_REPLICA_CHECK_INTERVAL_MS = 1_000;
/** 16 MiB of WAL: a replica further behind is taken out for reads without a token. */
export const DEFAULT_REPLICA_MAX_LAG_BYTES = 16 * 1024 * 1024;
/** Deadline of every Redis command; past it the command fails and counts against Redis's breaker. */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 500;
/**
 * How long a verified API key is trusted without asking PostgreSQL again; also the longest a
 * revoked key keeps working in a process that verified it before.
 */
export const DEFAULT_AUTH_CACHE_TTL_MS = 60_000;

export interface PoolConfig {
  readonly max: number;
  readonly idleTimeoutMs: number;
  readonly maxLifetimeMs: number;
  readonly connectTimeoutMs: number;
  /** Client-side timeout per query; fires even when the server is frozen. */
  readonly queryTimeoutMs: number;
  /** Server-side statement_timeout set on each connection (0 disables). */
  readonly statementTimeoutMs: number;
  readonly healthPingIntervalMs: number;
  readonly sslMode: SslMode;
  readonly applicationName: string;
  /**
   * `transaction` behind a transaction-mode pooler: no settings at connect time; the server-side
   * statement_timeout is set per transaction (SET LOCAL) instead.
   */
  readonly mode: PoolMode;
}

/**
 * Write-path tuning (src/ingest). Unset values take the write path's defaults, listed in README's
 * configuration table and docs/write-path.md; they live next to the code that uses them.
 */
export interface IngestConfig {
  /** Records accepted and not yet durable (queued plus in flight). */
  readonly queueMaxRecords: number | undefined;
  readonly queueMaxBytes: number | undefined;
  /** How long a caller waits for room in a full queue before BACKPRESSURE. */
  readonly maxWaitMs: number | undefined;
  readonly batchMaxRecords: number | undefined;
  readonly flushIntervalMs: number | undefined;
  /** Batches written at once (each holds a pool connection while it runs). */
  readonly concurrency: number | undefined;
  /** How long close() flushes before spooling what is left. */
  readonly closeTimeoutMs: number | undefined;
  /** Stamped times remembered for retries of records sent without their time column. */
  readonly stampMemoryRecords: number | undefined;
}

export interface ReplicaConfig {
  readonly urls: readonly string[];
  /** How often each replica's replay position is read (ms). */
  readonly checkIntervalMs: number;
  /** WAL bytes a replica may be behind and still serve reads without a token. */
  readonly maxLagBytes: number;
}

/** How collections are laid out on a Qdrant cluster (docs/scaling.md); unset values are Qdrant's defaults. */
export interface QdrantClusterConfig {
  readonly shardNumber: number | undefined;
  readonly replicationFactor: number | undefined;
  /** Replicas that must acknowledge a write; at most the replication factor. */
  readonly writeConsistencyFactor: number | undefined;
  /** Replicas a read asks (`consistency` on searches, scrolls and counts). */
  readonly readConsistency: ReadConsistency | undefined;
  /**
   * Tenants given a shard key of their own (Qdrant custom sharding); every other tenant shares the
   * `shared` key. Empty: automatic sharding, the tenant told apart by payload only.
   */
  readonly tenantShards?: readonly string[];
}

export interface Config {
  /** PostgreSQL URL; undefined means "start the embedded PostgreSQL in dataDir". */
  readonly databaseUrl: string | undefined;
  /**
   * A URL that reaches PostgreSQL without a transaction pooler, for what needs one session:
   * migrations (a session advisory lock) and the operations toolkit (hypopg, pinned sessions).
   * Required with PG_POOL_MODE=transaction; undefined otherwise means DATABASE_URL.
   */
  readonly databaseDirectUrl: string | undefined;
  /**
   * Streaming replicas for reads (docs/scaling.md): reads that may be stale go to one that is
   * caught up; a read with a consistency token only to one that replayed past it.
   */
  readonly replicas: ReplicaConfig;
  readonly redisUrl: string | undefined;
  /** Deadline of every Redis command (ms). */
  readonly redisCommandTimeoutMs: number;
  /** How long a verified API key is trusted without a database lookup (ms; 0 disables the cache). */
  readonly authCacheTtlMs: number;
  /**
   * Which proxies' X-Forwarded-For is believed for the client address: false (none), a hop count,
   * or proxy addresses / CIDR ranges.
   */
  readonly trustProxy: TrustProxy;
  /** `/v1` requests handled at once per process; unset = the HTTP limits' default. */
  readonly httpMaxInFlight: number | undefined;
  /** HMAC-SHA256 key that signs archive manifests; restore refuses unsigned archives (a secret). */
  readonly archiveKey: string | undefined;
  /** Where `backup` finds pg_dump and pg_restore; undefined: found for the server's version. */
  readonly pgBinDir: string | undefined;
  readonly qdrantUrl: string | undefined;
  readonly qdrantApiKey: string | undefined;
  /** Qdrant cluster settings of the collections it creates, and of every read; unset = Qdrant's defaults. */
  readonly qdrantCluster: QdrantClusterConfig;
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly embeddedPort: number;
  readonly vectorDimension: number;
  /** Share (0–1) of dense searches re-run exactly to measure recall; undefined: the default, 1 %. */
  readonly memoryRecallSampleRate: number | undefined;
  /** Bound of the write path's spool under `<dataDir>/spool` (bytes). */
  readonly spoolMaxBytes: number;
  /** Embedding service base URL; undefined = the local lexical-hash embedder (not semantic). */
  readonly embeddingUrl: string | undefined;
  readonly embeddingApi: EmbeddingApi;
  readonly embeddingModel: string;
  readonly embeddingApiKey: string | undefined;
  readonly logLevel: LogLevel;
  readonly pool: PoolConfig;
  readonly ingest: IngestConfig;
  /** In-process session cache bound (bytes); unset = the cache's default (256 MiB). */
  readonly sessionCacheMaxBytes: number | undefined;
  /** Fraction of the session cache one tenant may hold; unset = the cache's default (0.25). */
  readonly sessionCacheTenantShare: number | undefined;
  /** Doctor thresholds that differ from the defaults, by name (checked by the doctor). */
  readonly doctorThresholds: Readonly<Record<string, number>>;
}

export interface ConfigSources {
  /** Parsed command-line flags, keyed by flag name (`port`, `database-url`) or camelCase key. */
  flags?: Record<string, unknown>;
  /** Environment; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Path of a JSON config file (keys are the camelCase setting names); also read from SHANNON_DATA_CONFIG. */
  file?: string;
}

function readFile(path: string): Source {
  let raw: string;
  try {
    raw = readFileSync(resolve(path), 'utf8');
  } catch (error) {
    throw new ConfigError('SHANNON_DATA_CONFIG', `cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new ConfigError('SHANNON_DATA_CONFIG', `${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError('SHANNON_DATA_CONFIG', `${path} must hold a JSON object`);
  }
  const unknownKeys = Object.keys(parsed).filter((key) => !(key in SETTINGS));
  if (unknownKeys.length > 0) {
    throw new ConfigError('SHANNON_DATA_CONFIG', `${path} has unknown keys: ${unknownKeys.join(', ')}`);
  }
  return parsed as Source;
}

/** Resolves, validates and freezes the configuration. @throws ConfigError naming the bad setting. */
export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const flags = sources.flags ?? {};
  const filePath = sources.file ?? env['SHANNON_DATA_CONFIG'];
  const file = filePath === undefined || filePath === '' ? {} : readFile(filePath);

  function get<K extends SettingKey>(key: K): ReturnType<(typeof SETTINGS)[K]['parse']> | undefined {
    const setting: Setting<unknown> = SETTINGS[key];
    const fromFlag = flags[setting.flag] ?? flags[key];
    if (fromFlag !== undefined) return setting.parse(fromFlag, `--${setting.flag}`) as never;
    const fromEnv = env[setting.env];
    if (fromEnv !== undefined && fromEnv !== '') return setting.parse(fromEnv, setting.env) as never;
    const fromFile = file[key];
    if (fromFile !== undefined)
      return setting.parse(fromFile, `${setting.env} (config file key ${key})`) as never;
    return undefined;
  }

  const pool: PoolConfig = Object.freeze({
    max: get('poolMax') ?? DEFAULT_POOL_MAX,
    idleTimeoutMs: get('poolIdleTimeoutMs') ?? DEFAULT_POOL_IDLE_TIMEOUT_MS,
    maxLifetimeMs: get('poolMaxLifetimeMs') ?? DEFAULT_POOL_MAX_LIFETIME_MS,
    connectTimeoutMs: get('connectTimeoutMs') ?? DEFAULT_CONNECT_TIMEOUT_MS,
    queryTimeoutMs: get('queryTimeoutMs') ?? DEFAULT_QUERY_TIMEOUT_MS,
    statementTimeoutMs: get('statementTimeoutMs') ?? DEFAULT_STATEMENT_TIMEOUT_MS,
    healthPingIntervalMs: get('healthPingIntervalMs') ?? DEFAULT_HEALTH_PING_INTERVAL_MS,
    sslMode: get('sslMode') ?? DEFAULT_SSL_MODE,
    applicationName: get('applicationName') ?? DEFAULT_APPLICATION_NAME,
    mode: get('poolMode') ?? 'session',
  });
  if (pool.statementTimeoutMs !== 0 && pool.statementTimeoutMs < pool.queryTimeoutMs) {
    throw new ConfigError(
      'PG_STATEMENT_TIMEOUT_MS',
      `must be 0 or at least PG_QUERY_TIMEOUT_MS (${pool.queryTimeoutMs}); the server timeout backs up the client one`,
    );
  }

  const databaseUrl = get('databaseUrl');
  const databaseDirectUrl = get('databaseDirectUrl');
  if (pool.mode === 'transaction' && (databaseUrl === undefined || databaseDirectUrl === undefined)) {
    throw new ConfigError(
      databaseUrl === undefined ? 'DATABASE_URL' : 'DATABASE_DIRECT_URL',
      'PG_POOL_MODE=transaction needs DATABASE_URL (the pooler) and DATABASE_DIRECT_URL (PostgreSQL itself): ' +
        'migrations hold a session advisory lock and the toolkit pins sessions, which a transaction pooler cannot keep',
    );
  }

  const replicas: ReplicaConfig = Object.freeze({
    urls: get('databaseReplicaUrls') ?? Object.freeze([]),
    checkIntervalMs: get('replicaCheckIntervalMs') ?? DEFAULT_REPLICA_CHECK_INTERVAL_MS,
    maxLagBytes: get('replicaMaxLagBytes') ?? DEFAULT_REPLICA_MAX_LAG_BYTES,
  });

  const qdrantCluster: QdrantClusterConfig = Object.freeze({
    shardNumber: get('qdrantShardNumber'),
    replicationFactor: get('qdrantReplicationFactor'),
    writeConsistencyFactor: get('qdrantWriteConsistencyFactor'),
    readConsistency: get('qdrantReadConsistency'),
    tenantShards: get('qdrantTenantShards') ?? [],
  });
  if ((qdrantCluster.writeConsistencyFactor ?? 1) > (qdrantCluster.replicationFactor ?? 1)) {
    throw new ConfigError(
      'QDRANT_WRITE_CONSISTENCY_FACTOR',
      `must be at most QDRANT_REPLICATION_FACTOR (${qdrantCluster.replicationFactor ?? 1}): a write cannot wait for more replicas than there are`,
    );
  }

  const ingest: IngestConfig = Object.freeze({
    queueMaxRecords: get('ingestQueueMaxRecords'),
    queueMaxBytes: get('ingestQueueMaxBytes'),
    maxWaitMs: get('ingestMaxWaitMs'),
    batchMaxRecords: get('ingestBatchMaxRecords'),
    flushIntervalMs: get('ingestFlushIntervalMs'),
    concurrency: get('ingestConcurrency'),
    closeTimeoutMs: get('ingestCloseTimeoutMs'),
    stampMemoryRecords: get('ingestStampMemoryRecords'),
  });
  if (ingest.concurrency !== undefined && ingest.concurrency >= pool.max) {
    throw new ConfigError(
      'SHANNON_INGEST_CONCURRENCY',
      `must be below PG_POOL_MAX (${pool.max}): each batch in flight holds a connection, and reads need some too`,
    );
  }

  const config: Config = {
    databaseUrl,
    databaseDirectUrl,
    replicas,
    redisUrl: get('redisUrl'),
    redisCommandTimeoutMs: get('redisCommandTimeoutMs') ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
    authCacheTtlMs: get('authCacheTtlMs') ?? DEFAULT_AUTH_CACHE_TTL_MS,
    trustProxy: get('trustProxy') ?? false,
    httpMaxInFlight: get('httpMaxInFlight'),
    archiveKey: get('archiveKey'),
    pgBinDir: get('pgBinDir'),
    qdrantUrl: get('qdrantUrl'),
    qdrantApiKey: get('qdrantApiKey'),
    qdrantCluster,
    port: get('port') ?? DEFAULT_PORT,
    host: get('host') ?? DEFAULT_HOST,
    dataDir: resolve(get('dataDir') ?? DEFAULT_DATA_DIR),
    embeddedPort: get('embeddedPort') ?? DEFAULT_EMBEDDED_PORT,
    vectorDimension: get('vectorDimension') ?? DEFAULT_VECTOR_DIMENSION,
    memoryRecallSampleRate: get('memoryRecallSampleRate'),
    spoolMaxBytes: get('spoolMaxBytes') ?? DEFAULT_SPOOL_MAX_BYTES,
    embeddingUrl: get('embeddingUrl'),
    embeddingApi: get('embeddingApi') ?? 'openai',
    embeddingModel: get('embeddingModel') ?? DEFAULT_EMBEDDING_MODEL,
    embeddingApiKey: get('embeddingApiKey'),
    logLevel: get('logLevel') ?? DEFAULT_LOG_LEVEL,
    pool,
    ingest,
    sessionCacheMaxBytes: get('sessionCacheMaxBytes'),
    sessionCacheTenantShare: get('sessionCacheTenantShare'),
    doctorThresholds: get('doctorThresholds') ?? Object.freeze({}),
  };
  return Object.freeze(config);
}

/** Removes the password from a connection URL, for logs and status output. */
export function redactUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const hosts = hostsOf(value);
  if (hosts.length > 1) {
    // The hosts share the user and password of the URL: redact once, list every host.
    const first = new URL(redactUrl(hosts[0]) ?? '');
    const user = first.username === '' ? '' : `${first.username}${first.password === '' ? '' : ':***'}@`;
    return `${first.protocol}//${user}${hosts.map(hostLabel).join(',')}${first.pathname}${first.search}`;
  }
  try {
    const parsed = new URL(value);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<invalid url>';
  }
}

function hostsOf(value: string): string[] {
  try {
    return splitHosts(value);
  } catch {
    return [value];
  }
}

/** The configuration with secrets removed, for logs and `--json` status output. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    databaseUrl: redactUrl(config.databaseUrl) ?? '(embedded)',
    databaseDirectUrl: redactUrl(config.databaseDirectUrl),
    replicas: { ...config.replicas, urls: config.replicas.urls.map((u) => redactUrl(u)) },
    redisUrl: redactUrl(config.redisUrl),
    qdrantUrl: redactUrl(config.qdrantUrl),
    qdrantApiKey: config.qdrantApiKey === undefined ? undefined : '***',
    archiveKey: config.archiveKey === undefined ? undefined : '***',
    embeddingUrl: redactUrl(config.embeddingUrl),
    embeddingApiKey: config.embeddingApiKey === undefined ? undefined : '***',
  };
}
