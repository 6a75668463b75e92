/**
 * Finds which of several PostgreSQL hosts accepts writes: each is asked, on a connection of its
 * own with the pool's connect timeout, whether its transactions are read-only — libpq's test for
 * target_session_attrs=read-write: true on a standby and on a primary set to
 * default_transaction_read_only. The asking is done in parallel so
 * a dead host costs one connect timeout, not one per host; the first writable host in the list's
 * order wins, so a list whose hosts are all writable (a misconfigured split brain) is followed
 * deterministically rather than by whichever answered first.
 */
import pg from 'pg';
import type { PoolConfig } from '../config/config.js';
import { poolOptions } from './pool-options.js';

/** One row, `read_only`: whether a new transaction on this connection could not write. */
export const READ_ONLY_QUERY = `SELECT current_setting('transaction_read_only') = 'on' AS read_only`;

/** What one host said: writable, a standby, or no answer (with the reason). */
export type HostState = 'primary' | 'standby' | 'unreachable';

export interface HostProbe {
  url: string;
  state: HostState;
  error?: string;
}

/** Asks one host whether it takes writes, bounded by the pool's connect and query timeouts. */
export async function probeHost(url: string, config: PoolConfig): Promise<HostProbe> {
  const {
    max: _max,
    idleTimeoutMillis: _idle,
    maxLifetimeSeconds: _life,
    ...clientOptions
  } = poolOptions(url, config);
  const client = new pg.Client({ ...clientOptions, query_timeout: config.queryTimeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const result = await client.query<{ read_only: boolean }>(READ_ONLY_QUERY);
    return { url, state: result.rows[0]?.read_only === false ? 'primary' : 'standby' };
  } catch (error) {
    return { url, state: 'unreachable', error: error instanceof Error ? error.message : String(error) };
  } finally {
    client.end().catch(() => undefined);
  }
}

/**
 * The index in `hosts` of the first host that accepts writes, or undefined when none does (all
 * down, or the standby not promoted yet); with every probe's answer for the caller to report.
 */
export async function locatePrimary(
  hosts: readonly string[],
  config: PoolConfig,
): Promise<{ index: number | undefined; probes: HostProbe[] }> {
  const probes = await Promise.all(hosts.map((url) => probeHost(url, config)));
  const index = probes.findIndex((p) => p.state === 'primary');
  return { index: index === -1 ? undefined : index, probes };
}
