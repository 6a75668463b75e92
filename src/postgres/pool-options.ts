/** Translates the validated pool configuration into node-postgres pool options (TLS included). */
import type pg from 'pg';
import type { PoolConfig } from '../config/config.js';

function sslOption(config: PoolConfig, connectionString: string): pg.PoolConfig['ssl'] {
  // A sslmode in the URL wins; node-postgres parses it itself.
  if (/[?&]sslmode=/.test(connectionString)) return undefined;
  switch (config.sslMode) {
    case 'disable':
    case 'prefer': // node-postgres cannot negotiate; documented as "plain unless the URL asks for TLS"
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true };
    default:
      throw new Error(`unknown ssl mode ${String(config.sslMode)}`);
  }
}

/**
 * The `pg.Pool` options for `config` on `connectionString`; statement_timeout at connect time only
 * when set (> 0) and not behind a transaction pooler, which refuses it as a startup parameter
 * (PgBouncer: "unsupported startup parameter"); there the transactions set it themselves.
 */
export function poolOptions(connectionString: string, config: PoolConfig): pg.PoolConfig {
  const statementTimeout = config.mode === 'transaction' ? 0 : config.statementTimeoutMs;
  return {
    connectionString,
    max: config.max,
    idleTimeoutMillis: config.idleTimeoutMs,
    maxLifetimeSeconds: Math.ceil(config.maxLifetimeMs / 1000),
    connectionTimeoutMillis: config.connectTimeoutMs,
    application_name: config.applicationName,
    ssl: sslOption(config, connectionString),
    ...(statementTimeout > 0 ? { statement_timeout: statementTimeout } : {}),
    keepAlive: true,
  };
}
