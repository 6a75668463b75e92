/**
 * Configuration, resolved once: flag → environment → file → default. The result is validated,
 * frozen and typed; an invalid or missing setting throws a ConfigError naming the setting.
 * Secrets (passwords in URLs, API keys) are never part of `describeConfig()` output.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { ShannonError } from '../errors/errors.js';

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
/** Request shapes of the HTTP embedder: OpenAI-compatible `/embeddings`, or Shannon's llm-service `/embeddings/`. */
export const EMBEDDING_APIS = ['openai', 'shannon'] as const;
export type EmbeddingApi = (typeof EMBEDDING_APIS)[number];
export const DEFAULT_LOG_LEVEL = 'info';
export const DEFAULT_APPLICATION_NAME = 'shannon-data';
/** Deadline of every Redis command; past it the command fails and counts against Redis's breaker. */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 500;
/**
 * How long a verified API key is trusted without asking PostgreSQL again; also the longest a
 * revoked key keeps working in a process that verified it before.
 */
export const DEFAULT_AUTH_CACHE_TTL_MS = 60_000;
/** Shortest accepted archive signing key (characters): short keys make the HMAC guessable. */
export const MIN_ARCHIVE_KEY_LENGTH = 32;

/** `SHANNON_TRUST_PROXY`: false (none), a number of hops, or proxy addresses / CIDR ranges. */
export type TrustProxy = false | number | readonly string[];

function trustProxy(raw: unknown, name: string): TrustProxy {
  if (raw === false || raw === 0) return false;
  if (typeof raw === 'number') return integer(1, 32)(raw, name);
  const value = text(raw, name);
  if (value === 'false' || value === '0') return false;
  if (/^\d+$/.test(value)) return integer(1, 32)(value, name);
  const entries = value.split(',').map((e) => e.trim());
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const maxBits = family === 6 ? 128 : 32;
    const bitsOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= maxBits);
    if (family === 0 || !bitsOk || extra !== undefined) {
      throw new ConfigError(
        name,
        `must be false, a hop count, or proxy addresses / CIDR ranges separated by commas (e.g. 10.0.0.0/8,127.0.0.1); "${entry}" is none of these`,
      );
    }
  }
  return Object.freeze(entries);
}

export const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

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

export interface Config {
  /** PostgreSQL URL; undefined means "start the embedded PostgreSQL in dataDir". */
  readonly databaseUrl: string | undefined;
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
  readonly qdrantUrl: string | undefined;
  readonly qdrantApiKey: string | undefined;
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly embeddedPort: number;
  readonly vectorDimension: number;
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
}

/** Thrown when a setting is missing or invalid; the message names the setting and its source. */
export class ConfigError extends ShannonError {
  readonly setting: string;
  constructor(setting: string, message: string) {
    super('CONFIG_INVALID', `${setting}: ${message}`, { field: setting });
    this.name = 'ConfigError';
    this.setting = setting;
  }
}

type Source = Record<string, unknown>;

/** Setting name (environment spelling) → path in the config file and the flag name. */
interface Setting<T> {
  env: string;
  flag: string;
  parse: (raw: unknown, name: string) => T;
}

function text(raw: unknown, name: string): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw new ConfigError(name, 'must be a non-empty string');
  return raw.trim();
}

function url(protocols: string[]) {
  return (raw: unknown, name: string): string => {
    const value = text(raw, name);
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new ConfigError(name, `is not a valid URL (expected ${protocols.join(' or ')}://…)`);
    }
    if (!protocols.includes(parsed.protocol.replace(/:$/, ''))) {
      throw new ConfigError(name, `must use ${protocols.join(' or ')}://, got ${parsed.protocol}//`);
    }
    return value;
  };
}

function integer(min: number, max: number) {
  return (raw: unknown, name: string): number => {
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : Number.NaN;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(name, `must be an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
    }
    return value;
  };
}

/** A number in (0, 1]. */
function fraction(raw: unknown, name: string): number {
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : Number.NaN;
  if (!(value > 0 && value <= 1))
    throw new ConfigError(name, `must be a number above 0 and at most 1, got ${JSON.stringify(raw)}`);
  return value;
}

function secretKey(minLength: number) {
  return (raw: unknown, name: string): string => {
    const value = text(raw, name);
    // The message never repeats the value: it is a secret.
    if (value.length < minLength) throw new ConfigError(name, `must be at least ${minLength} characters`);
    return value;
  };
}

function oneOf<T extends string>(values: readonly T[]) {
  return (raw: unknown, name: string): T => {
    const value = text(raw, name) as T;
    if (!values.includes(value))
      throw new ConfigError(name, `must be one of ${values.join(', ')}, got ${value}`);
    return value;
  };
}

const SETTINGS = {
  databaseUrl: { env: 'DATABASE_URL', flag: 'database-url', parse: url(['postgres', 'postgresql']) },
  redisUrl: { env: 'REDIS_URL', flag: 'redis-url', parse: url(['redis', 'rediss']) },
  redisCommandTimeoutMs: {
    env: 'REDIS_COMMAND_TIMEOUT_MS',
    flag: 'redis-command-timeout-ms',
    parse: integer(10, 60_000),
  },
  httpMaxInFlight: {
    env: 'SHANNON_HTTP_MAX_IN_FLIGHT',
    flag: 'http-max-in-flight',
    parse: integer(1, 1_000_000),
  },
  trustProxy: { env: 'SHANNON_TRUST_PROXY', flag: 'trust-proxy', parse: trustProxy },
  authCacheTtlMs: {
    env: 'SHANNON_AUTH_CACHE_TTL_MS',
    flag: 'auth-cache-ttl-ms',
    parse: integer(0, 3_600_000),
  },
  archiveKey: { env: 'SHANNON_ARCHIVE_KEY', flag: 'archive-key', parse: secretKey(MIN_ARCHIVE_KEY_LENGTH) },
  qdrantUrl: { env: 'QDRANT_URL', flag: 'qdrant-url', parse: url(['http', 'https']) },
  qdrantApiKey: { env: 'QDRANT_API_KEY', flag: 'qdrant-api-key', parse: text },
  port: { env: 'PORT', flag: 'port', parse: integer(0, 65535) },
  host: { env: 'HOST', flag: 'host', parse: text },
  dataDir: { env: 'SHANNON_DATA_DIR', flag: 'data-dir', parse: text },
  embeddedPort: { env: 'SHANNON_EMBEDDED_PG_PORT', flag: 'embedded-port', parse: integer(1, 65535) },
  vectorDimension: { env: 'VECTOR_DIMENSION', flag: 'vector-dimension', parse: integer(1, 65536) },
  spoolMaxBytes: {
    env: 'SHANNON_SPOOL_MAX_BYTES',
    flag: 'spool-max-bytes',
    parse: integer(1024 * 1024, Number.MAX_SAFE_INTEGER),
  },
  sessionCacheMaxBytes: {
    env: 'SHANNON_SESSION_CACHE_MAX_BYTES',
    flag: 'session-cache-max-bytes',
    parse: integer(1024 * 1024, Number.MAX_SAFE_INTEGER),
  },
  sessionCacheTenantShare: {
    env: 'SHANNON_SESSION_CACHE_TENANT_SHARE',
    flag: 'session-cache-tenant-share',
    parse: fraction,
  },
  embeddingUrl: { env: 'EMBEDDING_URL', flag: 'embedding-url', parse: url(['http', 'https']) },
  embeddingApi: { env: 'EMBEDDING_API', flag: 'embedding-api', parse: oneOf(EMBEDDING_APIS) },
  embeddingModel: { env: 'EMBEDDING_MODEL', flag: 'embedding-model', parse: text },
  embeddingApiKey: { env: 'EMBEDDING_API_KEY', flag: 'embedding-api-key', parse: text },
  logLevel: { env: 'LOG_LEVEL', flag: 'log-level', parse: oneOf(LOG_LEVELS) },
  poolMax: { env: 'PG_POOL_MAX', flag: 'pool-max', parse: integer(1, 1000) },
  poolIdleTimeoutMs: {
    env: 'PG_POOL_IDLE_TIMEOUT_MS',
    flag: 'pool-idle-timeout-ms',
    parse: integer(0, 86_400_000),
  },
  poolMaxLifetimeMs: {
    env: 'PG_POOL_MAX_LIFETIME_MS',
    flag: 'pool-max-lifetime-ms',
    parse: integer(0, 86_400_000),
  },
  connectTimeoutMs: {
    env: 'PG_CONNECT_TIMEOUT_MS',
    flag: 'connect-timeout-ms',
    parse: integer(100, 600_000),
  },
  queryTimeoutMs: { env: 'PG_QUERY_TIMEOUT_MS', flag: 'query-timeout-ms', parse: integer(10, 3_600_000) },
  statementTimeoutMs: {
    env: 'PG_STATEMENT_TIMEOUT_MS',
    flag: 'statement-timeout-ms',
    parse: integer(0, 3_600_000),
  },
  healthPingIntervalMs: {
    env: 'PG_HEALTH_PING_INTERVAL_MS',
    flag: 'health-ping-interval-ms',
    parse: integer(0, 3_600_000),
  },
  sslMode: { env: 'PG_SSL_MODE', flag: 'ssl-mode', parse: oneOf(SSL_MODES) },
  applicationName: { env: 'PG_APPLICATION_NAME', flag: 'application-name', parse: text },
  ingestQueueMaxRecords: {
    env: 'SHANNON_INGEST_QUEUE_MAX_RECORDS',
    flag: 'ingest-queue-max-records',
    parse: integer(1, 100_000_000),
  },
  ingestQueueMaxBytes: {
    env: 'SHANNON_INGEST_QUEUE_MAX_BYTES',
    flag: 'ingest-queue-max-bytes',
    parse: integer(1024 * 1024, Number.MAX_SAFE_INTEGER),
  },
  ingestMaxWaitMs: {
    env: 'SHANNON_INGEST_MAX_WAIT_MS',
    flag: 'ingest-max-wait-ms',
    parse: integer(0, 600_000),
  },
  ingestBatchMaxRecords: {
    env: 'SHANNON_INGEST_BATCH_MAX_RECORDS',
    flag: 'ingest-batch-max-records',
    parse: integer(1, 100_000),
  },
  ingestFlushIntervalMs: {
    env: 'SHANNON_INGEST_FLUSH_INTERVAL_MS',
    flag: 'ingest-flush-interval-ms',
    parse: integer(1, 60_000),
  },
  ingestConcurrency: { env: 'SHANNON_INGEST_CONCURRENCY', flag: 'ingest-concurrency', parse: integer(1, 64) },
  ingestCloseTimeoutMs: {
    env: 'SHANNON_INGEST_CLOSE_TIMEOUT_MS',
    flag: 'ingest-close-timeout-ms',
    parse: integer(0, 600_000),
  },
  ingestStampMemoryRecords: {
    env: 'SHANNON_INGEST_STAMP_MEMORY_RECORDS',
    flag: 'ingest-stamp-memory-records',
    parse: integer(0, 100_000_000),
  },
} satisfies Record<string, Setting<unknown>>;

type SettingKey = keyof typeof SETTINGS;

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
  });
  if (pool.statementTimeoutMs !== 0 && pool.statementTimeoutMs < pool.queryTimeoutMs) {
    throw new ConfigError(
      'PG_STATEMENT_TIMEOUT_MS',
      `must be 0 or at least PG_QUERY_TIMEOUT_MS (${pool.queryTimeoutMs}); the server timeout backs up the client one`,
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
    databaseUrl: get('databaseUrl'),
    redisUrl: get('redisUrl'),
    redisCommandTimeoutMs: get('redisCommandTimeoutMs') ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
    authCacheTtlMs: get('authCacheTtlMs') ?? DEFAULT_AUTH_CACHE_TTL_MS,
    trustProxy: get('trustProxy') ?? false,
    httpMaxInFlight: get('httpMaxInFlight'),
    archiveKey: get('archiveKey'),
    qdrantUrl: get('qdrantUrl'),
    qdrantApiKey: get('qdrantApiKey'),
    port: get('port') ?? DEFAULT_PORT,
    host: get('host') ?? DEFAULT_HOST,
    dataDir: resolve(get('dataDir') ?? DEFAULT_DATA_DIR),
    embeddedPort: get('embeddedPort') ?? DEFAULT_EMBEDDED_PORT,
    vectorDimension: get('vectorDimension') ?? DEFAULT_VECTOR_DIMENSION,
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
  };
  return Object.freeze(config);
}

/** Removes the password from a connection URL, for logs and status output. */
export function redactUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = new URL(value);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<invalid url>';
  }
}

/** The configuration with secrets removed, for logs and `--json` status output. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    databaseUrl: redactUrl(config.databaseUrl) ?? '(embedded)',
    redisUrl: redactUrl(config.redisUrl),
    qdrantUrl: redactUrl(config.qdrantUrl),
    qdrantApiKey: config.qdrantApiKey === undefined ? undefined : '***',
    archiveKey: config.archiveKey === undefined ? undefined : '***',
    embeddingUrl: redactUrl(config.embeddingUrl),
    embeddingApiKey: config.embeddingApiKey === undefined ? undefined : '***',
  };
}

/** Environment variable names of every setting, for `--help` texts and docs. */
export const SETTING_ENV_NAMES: readonly string[] = Object.values(SETTINGS).map((s) => s.env);
