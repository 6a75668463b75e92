/** public.session_archives (migration 0009). */
import { int4, jsonbObject, numericColumn, text, timestamptz, uuid, varchar } from './columns.js';
import { table } from './table.js';

export const SESSION_ARCHIVES = table('public.session_archives', {
  id: uuid().notNull().defaultSql('gen_random_uuid()'),
  session_id: varchar(255).notNull().required(),
  user_id: uuid().optional(),
  snapshot_data: jsonbObject().notNull().default({}).optional(),
  message_count: int4().notNull().default(0).optional(),
  total_tokens: int4().notNull().default(0).optional(),
  total_cost_usd: numericColumn(12, 6).notNull().default(0).optional(),
  session_started_at: timestamptz().optional(),
  snapshot_taken_at: timestamptz().notNull().defaultSql('now()').optional(),
  ttl_expires_at: timestamptz().optional(),
  tenant_id: uuid().notNull(),
  idempotency_key: text().notNull(),
});
