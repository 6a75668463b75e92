/**
 * A session read back from `session_archives` once its hot state is gone from the cache (expired,
 * pushed out or dropped): the state of its latest snapshot, rebuilt from the row the cache wrote.
 */
import { isUuid } from '../validation/checks.js';
import type { SessionEntry, SessionState } from './session-entry.js';

/** The last archived state of a session whose hot state is gone. */
export interface ArchivedSession {
  source: 'archive';
  tenantId: string;
  sessionId: string;
  state: SessionState;
  /** When the snapshot was taken (ISO time). */
  archivedAt: string;
}

/** What a read of a session returns: its hot state, or else its last archived state. */
export type SessionRead = (SessionEntry & { source: 'cache' }) | ArchivedSession;

/** A row of SELECT_LATEST_SNAPSHOT (src/sessions/session-queries.ts). */
export interface SnapshotRow {
  user_id: string | null;
  snapshot_data: Record<string, unknown>;
  message_count: number;
  total_tokens: number;
  total_cost_usd: string;
  session_started_at: Date | null;
  snapshot_taken_at: Date;
}

/**
 * Rebuilds the state a snapshot was taken of. The cache stores `userId` inside `snapshot_data`
 * (and in `user_id` when the tenant has that user), so a uuid `userId` key of the data is read back
 * as the state's `userId`; the counters come from their columns, which default to 0.
 */
export function archivedSession(tenantId: string, sessionId: string, row: SnapshotRow): ArchivedSession {
  const { userId: storedUserId, ...data } = row.snapshot_data;
  const userId =
    row.user_id ?? (typeof storedUserId === 'string' && isUuid(storedUserId) ? storedUserId : null);
  const state: SessionState = {
    data: userId === null && storedUserId !== undefined ? row.snapshot_data : data,
    ...(userId === null ? {} : { userId }),
    messageCount: row.message_count,
    totalTokens: row.total_tokens,
    totalCostUsd: Number(row.total_cost_usd),
    ...(row.session_started_at === null ? {} : { startedAt: row.session_started_at.toISOString() }),
  };
  return { source: 'archive', tenantId, sessionId, state, archivedAt: row.snapshot_taken_at.toISOString() };
}
