/**
 * The hot session cache: Redis when configured, in-process LRU otherwise, with a TTL per session.
 * Sessions written since the last snapshot are archived to `session_archives` periodically, and
 * every session is archived when it expires, is pushed out by capacity or by its tenant's share,
 * is deleted, or the cache closes. Snapshots are idempotent per written entry (session, version and
 * expiry), so a retried snapshot never duplicates. A session whose hot state is gone reads as its
 * last snapshot (`read`). The eviction policy is described in memory-session-backend.ts.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ConfigError } from '../config/config.js';
import { ShannonError, ValidationError } from '../errors/errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { Queryable } from '../postgres/queryable.js';
import { guardRedis, type RedisGuard } from '../resilience/redis-guard.js';
import { DEFAULT_SESSION_LIFETIME_DAYS } from '../stores/session-store.js';
import { isUuid } from '../validation/checks.js';
import {
  type ArchivedSession,
  archivedSession,
  type SessionRead,
  type SnapshotRow,
} from './archived-session.js';
import { MemorySessionBackend } from './memory-session-backend.js';
import { RedisSessionBackend } from './redis-session-backend.js';
import {
  type EvictionReason,
  type SessionBackend,
  type SessionEntry,
  type SessionState,
  sessionKey,
} from './session-entry.js';
import {
  INSERT_SESSION_SNAPSHOT,
  RENEW_SESSION_BY_EXTERNAL_ID,
  RENEW_SESSION_BY_ID,
  SELECT_LATEST_SNAPSHOT,
} from './session-queries.js';

export const DEFAULT_SESSION_TTL_MS = 30 * 60_000;
export const DEFAULT_SESSION_CAPACITY = 10_000;
export const DEFAULT_SNAPSHOT_INTERVAL_MS = 60_000;
/** Largest serialized state accepted per session. */
export const MAX_SESSION_STATE_BYTES = 256 * 1024;
/** Serialized state the in-process cache holds at most (bytes); also the base of a tenant's share in Redis. */
export const DEFAULT_SESSION_CACHE_MAX_BYTES = 256 * 1024 * 1024;
/** Fraction of the cache's entries and bytes one tenant may hold. */
export const DEFAULT_SESSION_CACHE_TENANT_SHARE = 0.25;

/** Tenant transactions, as `Database.withTenant` provides them. */
export interface SessionDatabase {
  withTenant<T>(
    tenantId: string,
    fn: (tx: Queryable) => Promise<T>,
    options?: { operation?: string },
  ): Promise<T>;
}

export interface SessionCacheOptions {
  db: SessionDatabase;
  metrics?: Metrics;
  /**
   * Redis; without it the cache is in-process. A bare client is guarded with the default deadline
   * and stays the caller's to close.
   */
  redis?: Redis | RedisGuard;
  redisNamespace?: string;
  ttlMs?: number;
  /** Sessions held at most (in-process); default DEFAULT_SESSION_CAPACITY (10 000). */
  capacity?: number;
  /** Serialized state held at most (bytes, in-process); default DEFAULT_SESSION_CACHE_MAX_BYTES (256 MiB). */
  maxBytes?: number;
  /**
   * Fraction of `capacity` and `maxBytes` one tenant may hold, in (0, 1]; applies to Redis too.
   * Default DEFAULT_SESSION_CACHE_TENANT_SHARE (0.25); a single-tenant deployment sets 1.
   */
  tenantShare?: number;
  snapshotIntervalMs?: number;
  now?: () => number;
}

type SnapshotTrigger = 'periodic' | 'expiry' | 'capacity' | 'deleted' | 'close';

/** Validates a state; returns it with its serialized length (bytes), which the cache's bounds count. */
function checkState(state: unknown): { state: SessionState; bytes: number } {
  if (typeof state !== 'object' || state === null || Array.isArray(state))
    throw new ValidationError('state', 'must be an object');
  const s = state as SessionState;
  if (typeof s.data !== 'object' || s.data === null || Array.isArray(s.data))
    throw new ValidationError('state.data', 'must be an object');
  if (s.userId !== undefined && !isUuid(s.userId)) {
    throw new ValidationError('state.userId', 'must be a UUID');
  }
  for (const field of ['messageCount', 'totalTokens'] as const) {
    const v = s[field];
    if (v !== undefined && !(Number.isSafeInteger(v) && v >= 0 && v <= 2_147_483_647)) {
      throw new ValidationError(`state.${field}`, 'must be a non-negative 32-bit integer');
    }
  }
  if (
    s.totalCostUsd !== undefined &&
    !(typeof s.totalCostUsd === 'number' && s.totalCostUsd >= 0 && s.totalCostUsd < 1e6)
  ) {
    throw new ValidationError('state.totalCostUsd', 'must be a number between 0 and 1e6');
  }
  if (s.startedAt !== undefined && Number.isNaN(Date.parse(String(s.startedAt)))) {
    throw new ValidationError('state.startedAt', 'must be an ISO time');
  }
  const bytes = Buffer.byteLength(JSON.stringify(s));
  if (bytes > MAX_SESSION_STATE_BYTES)
    throw new ValidationError('state', `must serialize to at most ${MAX_SESSION_STATE_BYTES} bytes`);
  return { state: s, bytes };
}

/**
 * Wraps backend failures (Redis down, missed deadline, breaker open) into CACHE_UNAVAILABLE, a 503
 * with Retry-After for callers.
 */
function guarded(backend: SessionBackend): SessionBackend {
  const wrap =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } catch (error) {
        throw new ShannonError('CACHE_UNAVAILABLE', `session cache (${backend.kind}) failed`, {
          cause: error,
        });
      }
    };
  return {
    kind: backend.kind,
    get: wrap(backend.get.bind(backend)),
    set: wrap(backend.set.bind(backend)),
    delete: wrap(backend.delete.bind(backend)),
    takeExpired: wrap(backend.takeExpired.bind(backend)),
    size: wrap(backend.size.bind(backend)),
    bytes: wrap(backend.bytes.bind(backend)),
    close: wrap(backend.close.bind(backend)),
  };
}

/**
 * Creates the session cache and starts its snapshot timer (unref'd).
 * @throws ConfigError when a tenant's share could not hold one session of the largest size.
 */
/** Hot session state: Redis when configured, else in process; snapshots to session_archives. */
export interface SessionCache {
  readonly backend: SessionBackend['kind'];
  /** The live state of a session, or undefined (expired entries count as misses). */
  get(tenantId: string, sessionId: string): Promise<(SessionEntry & { source: 'cache' }) | undefined>;
  /**
   * The live state of a session, or, when its hot state is gone (expired, pushed out, dropped), its
   * last archived state (`source: 'archive'`); undefined when it was never archived. An expired
   * entry the sweep has not archived yet is archived first, so the newest state is returned.
   */
  read(tenantId: string, sessionId: string): Promise<SessionRead | undefined>;
  /** Writes a session's state and renews its TTL. @throws ValidationError naming the field. */
  set(tenantId: string, sessionId: string, state: unknown, ttl?: number): Promise<SessionEntry>;
  /** Removes a session (archiving its last state); false when it was not cached. */
  delete(tenantId: string, sessionId: string): Promise<boolean>;
  /** The latest archived snapshot of a session, whatever the cache holds; undefined when none. */
  latestSnapshot(tenantId: string, sessionId: string): Promise<ArchivedSession | undefined>;
  /** Runs a sweep now (expiry + periodic snapshots); tests and shutdown use it. */
  sweep(): Promise<void>;
  /** Stops the timer and snapshots every session written since the last sweep. Idempotent. */
  close(): Promise<void>;
}

export function createSessionCache(options: SessionCacheOptions): SessionCache {
  const ttlMs = options.ttlMs ?? DEFAULT_SESSION_TTL_MS;
  const intervalMs = options.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS;
  const now = options.now ?? Date.now;
  const metrics = options.metrics;
  const bounds = {
    maxEntries: options.capacity ?? DEFAULT_SESSION_CAPACITY,
    maxBytes: options.maxBytes ?? DEFAULT_SESSION_CACHE_MAX_BYTES,
    tenantShare: options.tenantShare ?? DEFAULT_SESSION_CACHE_TENANT_SHARE,
  };
  if (!(bounds.tenantShare > 0 && bounds.tenantShare <= 1))
    throw new ConfigError('SHANNON_SESSION_CACHE_TENANT_SHARE', 'must be above 0 and at most 1');
  // Otherwise a valid write could be pushed out by its own tenant's share the moment it lands.
  if (bounds.maxBytes * bounds.tenantShare < MAX_SESSION_STATE_BYTES) {
    throw new ConfigError(
      'SHANNON_SESSION_CACHE_MAX_BYTES',
      `times SHANNON_SESSION_CACHE_TENANT_SHARE must be at least ${MAX_SESSION_STATE_BYTES} bytes (one session's largest state)`,
    );
  }
  const store: SessionBackend =
    options.redis === undefined
      ? new MemorySessionBackend(bounds)
      : new RedisSessionBackend(
          guardRedis(options.redis, metrics === undefined ? {} : { metrics }),
          2 * intervalMs + 60_000,
          {
            maxEntries: Math.max(1, Math.floor(bounds.maxEntries * bounds.tenantShare)),
            maxBytes: Math.floor(bounds.maxBytes * bounds.tenantShare),
          },
          options.redisNamespace,
          now,
        );
  const backend = guarded(store);
  /** Sessions written by this process since their last snapshot. */
  const dirty = new Map<string, { tenantId: string; sessionId: string }>();
  let timer: NodeJS.Timeout | undefined;
  let sweeping: Promise<void> | undefined;
  let closed = false;

  async function snapshot(entry: SessionEntry, trigger: SnapshotTrigger): Promise<void> {
    const s = entry.state;
    // With the expiry in the key, a session written again after it left the cache (versions start
    // over at 1) archives its new states instead of colliding with the keys of the old ones.
    const key = createHash('sha256')
      .update(`${entry.sessionId}\u0000${entry.version}\u0000${entry.expiresAt}`)
      .digest('hex');
    try {
      await options.db.withTenant(
        entry.tenantId,
        async (tx) => {
          await tx.query(INSERT_SESSION_SNAPSHOT, [
            entry.sessionId,
            s.userId ?? null,
            s.userId === undefined ? s.data : { ...s.data, userId: s.userId },
            s.messageCount ?? 0,
            s.totalTokens ?? 0,
            s.totalCostUsd ?? 0,
            s.startedAt ?? null,
            new Date(entry.expiresAt),
            entry.tenantId,
            `session:${key}`,
          ]);
          const renew = isUuid(entry.sessionId) ? RENEW_SESSION_BY_ID : RENEW_SESSION_BY_EXTERNAL_ID;
          await tx.query(renew, [entry.tenantId, entry.sessionId, DEFAULT_SESSION_LIFETIME_DAYS]);
        },
        { operation: 'sessions.snapshot' },
      );
      metrics?.sessionCacheSnapshots.inc({ trigger, outcome: 'ok' });
    } catch (error) {
      metrics?.sessionCacheSnapshots.inc({ trigger, outcome: 'error' });
      throw error;
    }
  }

  function evicted(entries: SessionEntry[], reason: EvictionReason, trigger: SnapshotTrigger): Promise<void> {
    if (entries.length > 0)
      metrics?.sessionCacheEvictions.inc({ backend: backend.kind, reason }, entries.length);
    return Promise.all(
      entries.map((e) => {
        dirty.delete(sessionKey(e.tenantId, e.sessionId));
        return snapshot(e, trigger);
      }),
    ).then(() => undefined);
  }

  /** One sweep: archive expired entries, then snapshot sessions written since the last sweep. */
  async function sweep(): Promise<void> {
    for (;;) {
      const expired = await backend.takeExpired(now(), 100);
      await evicted(expired, 'expired', 'expiry');
      if (expired.length < 100) break;
    }
    const pending = [...dirty.values()];
    dirty.clear();
    for (const { tenantId, sessionId } of pending) {
      const entry = await backend.get(tenantId, sessionId);
      if (entry !== undefined) await snapshot(entry, 'periodic');
    }
    await recordSize();
  }

  async function recordSize(): Promise<void> {
    if (metrics === undefined) return;
    metrics.sessionCacheEntries.set({ backend: backend.kind }, await backend.size());
    metrics.sessionCacheBytes.set({ backend: backend.kind }, await backend.bytes());
  }

  function runSweep(): Promise<void> {
    sweeping ??= sweep()
      .catch(() => undefined)
      .finally(() => {
        sweeping = undefined;
      });
    return sweeping;
  }

  if (intervalMs > 0) {
    timer = setInterval(() => void runSweep(), intervalMs);
    timer.unref();
  }

  /** The backend's entry (expired or not), with the lookup counted as a hit or a miss. */
  async function lookup(tenantId: string, sessionId: string): Promise<SessionEntry | undefined> {
    const entry = await backend.get(tenantId, sessionId);
    const live = entry !== undefined && entry.expiresAt > now();
    metrics?.sessionCacheLookups.inc({ backend: backend.kind, result: live ? 'hit' : 'miss' });
    return entry;
  }

  async function latestSnapshot(tenantId: string, sessionId: string): Promise<ArchivedSession | undefined> {
    const { rows } = await options.db.withTenant(
      tenantId,
      (tx) => tx.query<SnapshotRow>(SELECT_LATEST_SNAPSHOT, [tenantId, sessionId]),
      { operation: 'sessions.latest_snapshot' },
    );
    const row = rows[0];
    return row === undefined ? undefined : archivedSession(tenantId, sessionId, row);
  }

  return {
    backend: backend.kind,

    async get(
      tenantId: string,
      sessionId: string,
    ): Promise<(SessionEntry & { source: 'cache' }) | undefined> {
      const entry = await lookup(tenantId, sessionId);
      return entry === undefined || entry.expiresAt <= now() ? undefined : { ...entry, source: 'cache' };
    },

    async read(tenantId: string, sessionId: string): Promise<SessionRead | undefined> {
      const entry = await lookup(tenantId, sessionId);
      if (entry !== undefined && entry.expiresAt > now()) return { ...entry, source: 'cache' };
      // Expired but not swept yet: its state is newer than any snapshot. The sweep's own snapshot
      // of it is then a no-op (same key).
      if (entry !== undefined) await snapshot(entry, 'expiry');
      return latestSnapshot(tenantId, sessionId);
    },

    async set(
      tenantId: string,
      sessionId: string,
      state: unknown,
      ttl: number = ttlMs,
    ): Promise<SessionEntry> {
      const checked = checkState(state);
      const previous = await backend.get(tenantId, sessionId);
      const entry: SessionEntry = {
        tenantId,
        sessionId,
        state: checked.state,
        version: (previous?.version ?? 0) + 1,
        expiresAt: now() + ttl,
      };
      const pushedOut = await backend.set(entry, checked.bytes);
      dirty.set(sessionKey(tenantId, sessionId), { tenantId, sessionId });
      for (const reason of ['capacity', 'tenant_share'] as const) {
        const out = pushedOut.filter((e) => e.reason === reason).map((e) => e.entry);
        await evicted(out, reason, 'capacity');
      }
      if (backend.kind === 'memory') await recordSize();
      return entry;
    },

    async delete(tenantId: string, sessionId: string): Promise<boolean> {
      const entry = await backend.delete(tenantId, sessionId);
      if (entry === undefined) return false;
      await evicted([entry], 'deleted', 'deleted');
      return true;
    },

    latestSnapshot,

    sweep: runSweep,

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await sweeping;
      await sweep().catch(() => undefined);
      await backend.close();
    },
  };
}
