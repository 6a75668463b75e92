/** public.event_logs (migration 0007; partitioned by month on created_at). */
import { int8, jsonbObject, text, timestamptz, uuid, varchar } from './columns.js';
import { table } from './table.js';

export const EVENT_LOGS = table('public.event_logs', {
  id: uuid().notNull().defaultSql('gen_random_uuid()'),
  workflow_id: varchar(255).notNull().required(),
  type: varchar(100).notNull().required(),
  task_id: uuid().optional(),
  agent_id: varchar(255).optional(),
  message: text().optional(),
  payload: jsonbObject().notNull().default({}).optional(),
  // An event without its own timestamp happened when it was recorded.
  timestamp: timestamptz().notNull().defaultSql('now()').absentFrom('created_at').optional(),
  seq: int8(1).optional(),
  stream_id: varchar(64).optional(),
  created_at: timestamptz().notNull().defaultSql('now()').optional(),
  tenant_id: uuid().notNull(),
  idempotency_key: text().notNull(),
});
