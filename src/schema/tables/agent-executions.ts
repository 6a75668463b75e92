/** public.agent_executions (migration 0008). */
import { int4, int8, jsonbObject, text, timestamptz, uuid, varchar } from './columns.js';
import { table } from './table.js';

/** States of an agent execution. */
export const AGENT_STATES = ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT'] as const;

export const AGENT_EXECUTIONS = table('public.agent_executions', {
  id: uuid().notNull().defaultSql('gen_random_uuid()'),
  agent_id: varchar(255).notNull().required(),
  input: text().notNull().required(),
  output: text().optional(),
  state: varchar(50).oneOf(AGENT_STATES).optional(),
  tokens_used: int4().notNull().default(0).optional(),
  model_used: varchar(100).optional(),
  duration_ms: int8().optional(),
  created_at: timestamptz().notNull().defaultSql('now()').optional(),
  workflow_id: varchar(255).optional(),
  // A workflow id where Shannon's own writer puts one (migration 0073), or a task id.
  task_id: varchar(255).optional(),
  error_message: text().optional(),
  metadata: jsonbObject().notNull().default({}).optional(),
  strategy: varchar(100).optional(),
  updated_at: timestamptz().notNull().defaultSql('now()'),
  tenant_id: uuid().notNull(),
  idempotency_key: text().notNull(),
});
