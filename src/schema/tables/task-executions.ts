/**
 * public.task_executions (migration 0005; partitioned by month on started_at). A task's id and
 * started_at are fixed by its first write through public.task_execution_keys, so a record sets
 * started_at but never id.
 */
import { int4, jsonbObject, numericColumn, text, timestamptz, uuid, varchar } from './columns.js';
import { table } from './table.js';

/** Task statuses the schema accepts. */
export const TASK_STATUSES = [
  'PENDING',
  'RUNNING',
  'PAUSED',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Statuses after which a task's status never changes. */
export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT'];

export const TRIGGER_TYPES = ['api', 'schedule'] as const;

export const TASK_EXECUTIONS = table('public.task_executions', {
  id: uuid().notNull().defaultSql('gen_random_uuid()'),
  workflow_id: varchar(255).notNull().required(),
  query: text().notNull().required(),
  status: varchar(50).oneOf(TASK_STATUSES).notNull().required(),
  user_id: uuid().optional(),
  session_id: varchar(255).optional(),
  mode: varchar(50).optional(),
  started_at: timestamptz().notNull().defaultSql('now()').optional(),
  completed_at: timestamptz().optional(),
  result: text().optional(),
  error_message: text().optional(),
  total_tokens: int4().notNull().default(0).optional(),
  prompt_tokens: int4().notNull().default(0).optional(),
  completion_tokens: int4().notNull().default(0).optional(),
  total_cost_usd: numericColumn(12, 6).notNull().default(0).optional(),
  duration_ms: int4().optional(),
  agents_used: int4().notNull().default(0).optional(),
  tools_invoked: int4().notNull().default(0).optional(),
  cache_hits: int4().notNull().default(0).optional(),
  complexity_score: numericColumn(6, 3).optional(),
  metadata: jsonbObject().notNull().default({}).optional(),
  response: jsonbObject().notNull().default({}).optional(),
  model_used: varchar(100).optional(),
  provider: varchar(50).optional(),
  trigger_type: varchar(32).oneOf(TRIGGER_TYPES).notNull().default('api').optional(),
  schedule_id: uuid().optional(),
  cache_read_tokens: int4().notNull().default(0).optional(),
  cache_creation_tokens: int4().notNull().default(0).optional(),
  cache_aware_total_tokens: int4().notNull().default(0).optional(),
  tenant_id: uuid().notNull(),
  created_at: timestamptz().notNull().defaultSql('now()'),
  updated_at: timestamptz().notNull().defaultSql('now()'),
});
