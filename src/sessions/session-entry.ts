/**
 * What the session cache holds per session, and the backend contract both stores implement.
 */

/** Hot state of one conversation session, as the orchestrator reads and writes it. */
export interface SessionState {
  /** Free-form state (history window, context); JSON. */
  data: Record<string, unknown>;
  userId?: string;
  messageCount?: number;
  totalTokens?: number;
  totalCostUsd?: number;
  /** ISO time the session started. */
  startedAt?: string;
}

/** A cached session: its state plus bookkeeping. */
export interface SessionEntry {
  tenantId: string;
  sessionId: string;
  state: SessionState;
  /** Increments on every write; snapshots are idempotent per version. */
  version: number;
  /** Epoch ms after which the entry is expired (then snapshotted and dropped). */
  expiresAt: number;
}

/**
 * Why an entry left the cache: `tenant_share` when its tenant went past its share of the cache,
 * `capacity` when the whole cache was full.
 */
export type EvictionReason = 'expired' | 'capacity' | 'tenant_share' | 'deleted';

/** An entry a write pushed out to make room; the cache snapshots it. */
export interface SessionEviction {
  entry: SessionEntry;
  reason: 'capacity' | 'tenant_share';
}

/** A store of entries: Redis or in-process. */
export interface SessionBackend {
  readonly kind: 'redis' | 'memory';
  get(tenantId: string, sessionId: string): Promise<SessionEntry | undefined>;
  /** Stores an entry whose serialized state is `bytes` long; returns entries pushed out to make room. */
  set(entry: SessionEntry, bytes: number): Promise<SessionEviction[]>;
  delete(tenantId: string, sessionId: string): Promise<SessionEntry | undefined>;
  /** Removes and returns up to `max` entries whose expiresAt has passed. */
  takeExpired(now: number, max: number): Promise<SessionEntry[]>;
  /** Entries held (in-process backend: exact; Redis: tracked keys). */
  size(): Promise<number>;
  /** Serialized state held (bytes; Redis: the per-tenant counters' sum). */
  bytes(): Promise<number>;
  close(): Promise<void>;
}

/** Cache key of a session (tenant first, so keys of different tenants never collide). */
export function sessionKey(tenantId: string, sessionId: string): string {
  return `${tenantId}:${sessionId}`;
}
