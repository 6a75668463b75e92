/** Shannon's original statements for the worst hot queries, paired with their replacements (benchmark only). */
import { ago, type HotQuerySample } from './hot-queries.js';
import * as original from './sql/original-queries.js';

/** One of Shannon's original statements and the hot query (HOT_QUERIES id) that replaces it. */
export interface OriginalQuery {
  id: string;
  replacedBy: string;
  title: string;
  /** Statements run in sequence for one call (the original's round trips). */
  statements: Array<{ sql: string; params: (s: HotQuerySample) => unknown[] }>;
}

/** The original shapes the benchmark compares against (run as the owner, like the original). */
export const ORIGINAL_QUERIES: readonly OriginalQuery[] = [
  {
    id: 'S1-original',
    replacedBy: 'S1',
    title: 'id::text = $1',
    statements: [{ sql: original.ORIGINAL_S1, params: (s) => [s.sessionId] }],
  },
  {
    id: 'T5-original',
    replacedBy: 'T5-deep',
    title: 'COUNT(*) + COALESCE order, OFFSET 10000',
    statements: [
      { sql: original.ORIGINAL_T5_COUNT, params: (s) => [s.tenantId] },
      { sql: original.ORIGINAL_T5_PAGE, params: (s) => [s.tenantId] },
    ],
  },
  {
    id: 'T10-original',
    replacedBy: 'T10',
    title: 'session_id = $1 OR user_id::text = $2',
    statements: [{ sql: original.ORIGINAL_T10, params: (s) => [s.sessionId, s.userId] }],
  },
  {
    id: 'A2-original',
    replacedBy: 'A2',
    title: 'one unbounded aggregate per agent',
    statements: [0, 1, 2].map((i) => ({
      sql: original.ORIGINAL_A2,
      params: (s: HotQuerySample) => [s.agentIds[i % s.agentIds.length]],
    })),
  },
  {
    id: 'U4-original',
    replacedBy: 'U4-user',
    title: "($3 = '' OR user_id::text = $3), 30 days",
    statements: [{ sql: original.ORIGINAL_U4, params: (s) => [ago(s, 30), s.now, s.userId, ''] }],
  },
];
