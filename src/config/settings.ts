/**
 * Every setting: its environment name, flag, and the parser that validates a raw value. A bad
 * value throws a ConfigError naming the setting; `src/config/config.ts` resolves the sources.
 */
import { isIP } from 'node:net';
import { ShannonError } from '../errors/errors.js';
import { HostListError, splitHosts } from '../postgres/hosts.js';
import { isUuid } from '../validation/checks.js';

/** Request shapes of the HTTP embedder: OpenAI-compatible `/embeddings`, or Shannon's llm-service `/embeddings/`. */
export const EMBEDDING_APIS = ['openai', 'shannon'] as const;
export type EmbeddingApi = (typeof EMBEDDING_APIS)[number];
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

/**
 * `PG_POOL_MODE`: how connections reach PostgreSQL. `session` — directly or through a pooler in
 * session mode; `transaction` — through a pooler in transaction mode (PgBouncer), where nothing
 * may be set on a connection (its server connection is another client's at the next transaction).
 */
export const POOL_MODES = ['session', 'transaction'] as const;
export type PoolMode = (typeof POOL_MODES)[number];

/** `QDRANT_READ_CONSISTENCY`: replicas a read asks — a count, `majority`, `quorum` or `all`. */
export type ReadConsistency = number | 'majority' | 'quorum' | 'all';

function readConsistency(raw: unknown, name: string): ReadConsistency {
  const value = typeof raw === 'number' ? String(raw) : text(raw, name);
  if (value === 'majority' || value === 'quorum' || value === 'all') return value;
  if (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 64) return Number(value);
  throw new ConfigError(
    name,
    `must be a replica count (1–64), majority, quorum or all; got ${JSON.stringify(raw)}`,
  );
}

export const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Thrown when a setting is missing or invalid; the message names the setting and its source. */
export class ConfigError extends ShannonError {
  readonly setting: string;
  constructor(setting: string, message: string) {
    super('CONFIG_INVALID', `${setting}: ${message}`, { field: setting });
    this.name = 'ConfigError';
    this.setting = setting;
  }
}

export type Source = Record<string, unknown>;

/** Setting name (environment spelling) → path in the config file and the flag name. */
export interface Setting<T> {
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

/**
 * A PostgreSQL URL that may list several hosts (`postgres://u@db1:5432,db2:5432/shannon`), the
 * service following the one that accepts writes; each host's URL is checked like a single one.
 */
function postgresUrl(raw: unknown, name: string): string {
  const value = text(raw, name);
  let hosts: string[];
  try {
    hosts = splitHosts(value);
  } catch (error) {
    if (error instanceof HostListError) throw new ConfigError(name, error.message);
    throw error;
  }
  for (const host of hosts) url(['postgres', 'postgresql'])(host, name);
  return value;
}

/** Tenant ids, comma-separated (environment, flag) or a JSON array (config file); no repeats. */
function uuidList(raw: unknown, name: string): readonly string[] {
  const items = Array.isArray(raw) ? raw : text(raw, name).split(',');
  const ids = items.map((item, i) => {
    const value = typeof item === 'string' ? item.trim().toLowerCase() : item;
    if (!isUuid(value))
      throw new ConfigError(`${name}[${i}]`, `must be a tenant id (UUID), got ${JSON.stringify(item)}`);
    return value;
  });
  if (new Set(ids).size !== ids.length) throw new ConfigError(name, 'lists a tenant twice');
  return Object.freeze(ids);
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

/** A share from 0 (off) to 1 (all). */
function share(raw: unknown, name: string): number {
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : Number.NaN;
  if (!(value >= 0 && value <= 1))
    throw new ConfigError(name, `must be a number from 0 to 1, got ${JSON.stringify(raw)}`);
  return value;
}

/**
 * Named non-negative numbers: `name=value` pairs separated by commas (environment, flag) or a JSON
 * object (config file). The names are checked by the component that reads them.
 */
function numbers(raw: unknown, name: string): Readonly<Record<string, number>> {
  const entries: Array<[string, unknown]> =
    typeof raw === 'object' && raw !== null && !Array.isArray(raw)
      ? Object.entries(raw)
      : text(raw, name)
          .split(',')
          .map((pair) => {
            const at = pair.indexOf('=');
            if (at <= 0) throw new ConfigError(name, `"${pair.trim()}" is not name=value`);
            return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
          });
  const out: Record<string, number> = {};
  for (const [key, v] of entries) {
    const value = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : Number.NaN;
    if (!Number.isFinite(value) || value < 0)
      throw new ConfigError(name, `${key} must be a non-negative number, got ${JSON.stringify(v)}`);
    out[key] = value;
  }
  return Object.freeze(out);
}

/** URLs separated by commas (an array in the config file), each checked like a single URL. */
function urlList(protocols: string[]) {
  const one = url(protocols);
  return (raw: unknown, name: string): readonly string[] => {
    const items = Array.isArray(raw) ? raw : text(raw, name).split(',');
    const urls = items.map((item, i) => one(typeof item === 'string' ? item.trim() : item, `${name}[${i}]`));
    return Object.freeze(urls);
  };
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

export const SETTINGS = {
  databaseUrl: { env: 'DATABASE_URL', flag: 'database-url', parse: postgresUrl },
  databaseDirectUrl: { env: 'DATABASE_DIRECT_URL', flag: 'database-direct-url', parse: postgresUrl },
  databaseReplicaUrls: {
    env: 'DATABASE_REPLICA_URLS',
    flag: 'database-replica-urls',
    parse: urlList(['postgres', 'postgresql']),
  },
  replicaCheckIntervalMs: {
    env: 'PG_REPLICA_CHECK_INTERVAL_MS',
    flag: 'replica-check-interval-ms',
    parse: integer(100, 600_000),
  },
  replicaMaxLagBytes: {
    env: 'PG_REPLICA_MAX_LAG_BYTES',
    flag: 'replica-max-lag-bytes',
    parse: integer(0, Number.MAX_SAFE_INTEGER),
  },
  poolMode: { env: 'PG_POOL_MODE', flag: 'pool-mode', parse: oneOf(POOL_MODES) },
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
  pgBinDir: { env: 'SHANNON_PG_BIN_DIR', flag: 'pg-bin-dir', parse: text },
  qdrantUrl: { env: 'QDRANT_URL', flag: 'qdrant-url', parse: url(['http', 'https']) },
  qdrantApiKey: { env: 'QDRANT_API_KEY', flag: 'qdrant-api-key', parse: text },
  qdrantShardNumber: { env: 'QDRANT_SHARD_NUMBER', flag: 'qdrant-shard-number', parse: integer(1, 1024) },
  qdrantReplicationFactor: {
    env: 'QDRANT_REPLICATION_FACTOR',
    flag: 'qdrant-replication-factor',
    parse: integer(1, 64),
  },
  qdrantWriteConsistencyFactor: {
    env: 'QDRANT_WRITE_CONSISTENCY_FACTOR',
    flag: 'qdrant-write-consistency-factor',
    parse: integer(1, 64),
  },
  qdrantReadConsistency: {
    env: 'QDRANT_READ_CONSISTENCY',
    flag: 'qdrant-read-consistency',
    parse: readConsistency,
  },
  qdrantTenantShards: {
    env: 'QDRANT_TENANT_SHARDS',
    flag: 'qdrant-tenant-shards',
    parse: uuidList,
  },
  port: { env: 'PORT', flag: 'port', parse: integer(0, 65535) },
  host: { env: 'HOST', flag: 'host', parse: text },
  dataDir: { env: 'SHANNON_DATA_DIR', flag: 'data-dir', parse: text },
  embeddedPort: { env: 'SHANNON_EMBEDDED_PG_PORT', flag: 'embedded-port', parse: integer(1, 65535) },
  vectorDimension: { env: 'VECTOR_DIMENSION', flag: 'vector-dimension', parse: integer(1, 65536) },
  memoryRecallSampleRate: {
    env: 'MEMORY_RECALL_SAMPLE_RATE',
    flag: 'memory-recall-sample-rate',
    parse: share,
  },
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
  doctorThresholds: { env: 'SHANNON_DOCTOR_THRESHOLDS', flag: 'doctor-thresholds', parse: numbers },
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

export type SettingKey = keyof typeof SETTINGS;

/** Environment variable names of every setting, for `--help` texts and docs. */
export const SETTING_ENV_NAMES: readonly string[] = Object.values(SETTINGS).map((s) => s.env);
