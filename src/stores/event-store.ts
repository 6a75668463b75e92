/** Event logs: idempotent append (E1, W5) and a workflow's events in order with keyset pages (E2/E3). */
import { ValidationError } from '../errors/errors.js';
import { optionalDate, requireObject, requireText, requireUuid } from '../validation/checks.js';
import { type InsertResult, insertOnce, requireIdempotencyKey } from './idempotent-insert.js';
import { type Page, pageLimit, startPositionAsc, toPage } from './keyset.js';
import * as sql from './sql/events.js';
import { type CallOptions, inTenant, type TenantScope } from './tenant-scope.js';

/** Event types E3 leaves out unless told otherwise (streaming fragments). */
export const DEFAULT_EXCLUDED_EVENT_TYPES: readonly string[] = ['LLM_PARTIAL'];
/** Most workflows one E3 call may read. */
export const MAX_WORKFLOWS_PER_READ = 100;

export interface EventInput {
  idempotencyKey: string;
  /** Acceptance time (default now); replays should send the original. */
  createdAt?: Date | string;
  workflowId: string;
  type: string;
  taskId?: string | null;
  agentId?: string | null;
  message?: string | null;
  payload?: Record<string, unknown>;
  /** Event time (default now). */
  timestamp?: Date | string;
  /** Per-workflow sequence; positive or absent (never 0, W5). */
  seq?: number | null;
  streamId?: string | null;
}

export interface EventLog {
  id: string;
  tenantId: string;
  workflowId: string;
  taskId: string | null;
  type: string;
  agentId: string | null;
  message: string | null;
  payload: Record<string, unknown>;
  timestamp: Date;
  seq: number | null;
  streamId: string | null;
  createdAt: Date;
  idempotencyKey: string;
}

interface EventRow {
  id: string;
  tenant_id: string;
  workflow_id: string;
  task_id: string | null;
  type: string;
  agent_id: string | null;
  message: string | null;
  payload: Record<string, unknown>;
  timestamp: Date;
  seq: string | null;
  stream_id: string | null;
  created_at: Date;
  idempotency_key: string;
  cursor_at: string;
}

function toEvent(r: EventRow): EventLog {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    workflowId: r.workflow_id,
    taskId: r.task_id,
    type: r.type,
    agentId: r.agent_id,
    message: r.message,
    payload: r.payload,
    timestamp: r.timestamp,
    seq: r.seq === null ? null : Number(r.seq),
    streamId: r.stream_id,
    createdAt: r.created_at,
    idempotencyKey: r.idempotency_key,
  };
}

function insertValues(tenantId: string, input: EventInput): unknown[] {
  const seq = input.seq ?? null;
  if (seq !== null && (!Number.isSafeInteger(seq) || seq <= 0)) {
    throw new ValidationError('seq', 'seq must be a positive integer or absent (0 is not a sequence)');
  }
  return [
    tenantId,
    requireIdempotencyKey(input.idempotencyKey),
    optionalDate('createdAt', input.createdAt),
    requireText('workflowId', input.workflowId),
    input.taskId == null ? null : requireUuid('taskId', input.taskId),
    requireText('type', input.type, 100),
    input.agentId == null ? null : requireText('agentId', input.agentId),
    input.message ?? null,
    input.payload === undefined ? null : requireObject('payload', input.payload),
    optionalDate('timestamp', input.timestamp),
    seq,
    input.streamId == null ? null : requireText('streamId', input.streamId, 64),
  ];
}

/** Repository of `public.event_logs`; every method is scoped to one tenant. */
export class EventStore {
  constructor(private readonly scope: TenantScope) {}

  /** E1: appends one event once per idempotency key. @throws ValidationError. */
  async append(tenantId: string, input: EventInput, options: CallOptions = {}): Promise<InsertResult> {
    requireUuid('tenantId', tenantId);
    const values = insertValues(tenantId, input);
    return inTenant(
      this.scope,
      tenantId,
      'events.append',
      (q) => insertOnce(q, 'event_logs', 'events.append', sql.INSERT_EVENT, sql.SELECT_EVENT_BY_KEY, values),
      options,
    );
  }

  /** E2: a workflow's events oldest first (by event time, then id), one keyset page at a time. */
  async listByWorkflow(
    tenantId: string,
    workflowId: string,
    page: { limit?: number; cursor?: string | null } = {},
    options: CallOptions = {},
  ): Promise<Page<EventLog>> {
    requireText('workflowId', workflowId);
    const limit = pageLimit(page.limit ?? 50);
    const after = startPositionAsc(page.cursor);
    return inTenant(
      this.scope,
      tenantId,
      'events.list_by_workflow',
      async (q) => {
        const { rows } = await q.query<EventRow>(sql.LIST_WORKFLOW_EVENTS, [
          tenantId,
          workflowId,
          after.at,
          after.id,
          limit + 1,
        ]);
        return toPage(rows, limit, toEvent);
      },
      { ...options, readOnly: true },
    );
  }

  /** E3: the events of several workflows (a session's turns) oldest first, minus excluded types. */
  async listByWorkflows(
    tenantId: string,
    workflowIds: readonly string[],
    page: { limit?: number; cursor?: string | null; excludeTypes?: readonly string[] } = {},
    options: CallOptions = {},
  ): Promise<Page<EventLog>> {
    if (workflowIds.length === 0 || workflowIds.length > MAX_WORKFLOWS_PER_READ) {
      throw new ValidationError('workflowIds', `give between 1 and ${MAX_WORKFLOWS_PER_READ} workflow ids`);
    }
    const ids = workflowIds.map((w, i) => requireText(`workflowIds[${i}]`, w));
    const excluded = [...(page.excludeTypes ?? DEFAULT_EXCLUDED_EVENT_TYPES)];
    const limit = pageLimit(page.limit ?? 200);
    const after = startPositionAsc(page.cursor);
    return inTenant(
      this.scope,
      tenantId,
      'events.list_by_workflows',
      async (q) => {
        const { rows } = await q.query<EventRow>(sql.LIST_EVENTS_OF_WORKFLOWS, [
          tenantId,
          ids,
          after.at,
          after.id,
          limit + 1,
          excluded,
        ]);
        return toPage(rows, limit, toEvent);
      },
      { ...options, readOnly: true },
    );
  }
}
