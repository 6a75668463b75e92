/** public.learning_cases (migration 0009). */
import { float8, jsonb, jsonbObject, text, timestamptz, uuid, varchar } from './columns.js';
import { table } from './table.js';

export const LEARNING_CASES = table('public.learning_cases', {
  id: uuid().notNull().defaultSql('gen_random_uuid()'),
  input_hash: varchar(64).notNull().required(),
  action_taken: jsonb().notNull().required(),
  outcome: jsonb().notNull().required(),
  user_id: uuid().optional(),
  input_summary: text().optional(),
  reward: float8().optional(),
  metadata: jsonbObject().notNull().default({}).optional(),
  created_at: timestamptz().notNull().defaultSql('now()').optional(),
  task_id: uuid().optional(),
  tenant_id: uuid().notNull(),
  idempotency_key: text().notNull(),
});
