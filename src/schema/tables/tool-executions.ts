/** public.tool_executions (migration 0008). */
import { bool, int4, int8, jsonbObject, text, timestamptz, uuid, varchar } from './columns.js';
import { table } from './table.js';

export const TOOL_EXECUTIONS = table('public.tool_executions', {
  id: uuid().notNull().defaultSql('gen_random_uuid()'),
  tool_name: varchar(255).notNull().required(),
  agent_execution_id: uuid().optional(),
  input_params: jsonbObject().notNull().default({}).optional(),
  output: text().optional(),
  success: bool().notNull().default(true).optional(),
  error: text().optional(),
  duration_ms: int8().optional(),
  tokens_consumed: int4().notNull().default(0).optional(),
  workflow_id: varchar(255).optional(),
  agent_id: varchar(255).optional(),
  metadata: jsonbObject().notNull().default({}).optional(),
  created_at: timestamptz().notNull().defaultSql('now()').optional(),
  tenant_id: uuid().notNull(),
  idempotency_key: text().notNull(),
});
