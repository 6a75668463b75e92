/** public.audit_logs (migration 0009) and auth.audit_logs (migration 0002). */
import { inetColumn, jsonb, jsonbObject, text, timestamptz, uuid, varchar } from './columns.js';
import { table } from './table.js';

export const AUDIT_LOGS = table('public.audit_logs', {
  id: uuid().notNull().defaultSql('gen_random_uuid()'),
  action: varchar(255).notNull().required(),
  user_id: uuid().optional(),
  entity_type: varchar(100).optional(),
  entity_id: varchar(255).optional(),
  ip_address: inetColumn().optional(),
  user_agent: text().optional(),
  request_id: varchar(255).optional(),
  old_value: jsonb().optional(),
  new_value: jsonb().optional(),
  created_at: timestamptz().notNull().defaultSql('now()').optional(),
  tenant_id: uuid().notNull(),
  idempotency_key: text().notNull(),
});

export const AUTH_AUDIT_LOGS = table('auth.audit_logs', {
  id: uuid().notNull().defaultSql('gen_random_uuid()'),
  event_type: varchar(100).notNull().required(),
  user_id: uuid().optional(),
  ip_address: inetColumn().optional(),
  user_agent: text().optional(),
  details: jsonbObject().notNull().default({}).optional(),
  created_at: timestamptz().notNull().defaultSql('now()').optional(),
  tenant_id: uuid().notNull(),
  idempotency_key: text().notNull(),
});
