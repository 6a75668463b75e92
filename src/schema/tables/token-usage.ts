/** public.token_usage (migration 0006): one row per LLM call. */
import { int4, numericColumn, text, timestamptz, uuid, varchar } from './columns.js';
import { table } from './table.js';

export const TOKEN_USAGE = table('public.token_usage', {
  id: uuid().notNull().defaultSql('gen_random_uuid()'),
  provider: varchar(50).notNull().required(),
  model: varchar(255).notNull().required(),
  prompt_tokens: int4().notNull().required(),
  completion_tokens: int4().notNull().required(),
  total_tokens: int4().notNull().required(),
  cost_usd: numericColumn(12, 6).notNull().required(),
  user_id: uuid().optional(),
  created_at: timestamptz().notNull().defaultSql('now()').optional(),
  task_id: uuid().optional(),
  agent_id: varchar(255).optional(),
  cache_read_tokens: int4().notNull().default(0).optional(),
  cache_creation_tokens: int4().notNull().default(0).optional(),
  call_sequence: int4().notNull().default(0).optional(),
  cache_aware_total_tokens: int4().notNull().default(0).optional(),
  tenant_id: uuid().notNull(),
  idempotency_key: text().notNull(),
});
