/**
 * Read endpoints over the stores: tasks (T2, T5-T7), a workflow's events (E2), token usage per
 * task (U2/U3) and the usage report (U4), sessions (S1-S5). Every call runs in the key's tenant
 * transaction; a foreign id reads exactly like an absent one.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { StoreReads } from '../../data-layer.js';
import type { JsonSchema } from '../../schema/tables/columns.js';
import { EVENT_LOGS } from '../../schema/tables/event-logs.js';
import { rowJsonSchema } from '../../schema/tables/json-schema.js';
import { TASK_EXECUTIONS } from '../../schema/tables/task-executions.js';
import type { Stores } from '../../stores/create-stores.js';
import type { HttpLimits } from '../limits.js';
import {
  CURSOR_QUERY,
  consistencyToken,
  documentOnly,
  notFound,
  principalOf,
  queryInt,
  SMALL_INT_QUERY,
  UUID_SCHEMA,
} from './route-helpers.js';

// Response schemas, derived from the table definitions and documented only (documentOnly): the
// answers are serialised as the stores return them.
/** Columns a task listing leaves out (the store's summary rows, src/stores/sql/tasks.ts; W20). */
const TASK_DETAIL_COLUMNS = [
  'result',
  'prompt_tokens',
  'completion_tokens',
  'agents_used',
  'tools_invoked',
  'cache_hits',
  'complexity_score',
  'metadata',
  'response',
  'schedule_id',
  'cache_read_tokens',
  'cache_creation_tokens',
] as const;
const TASK = rowJsonSchema(TASK_EXECUTIONS, 'Task');
const TASK_SUMMARY = rowJsonSchema(TASK_EXECUTIONS, 'TaskSummary', TASK_DETAIL_COLUMNS);
const EVENT = rowJsonSchema(EVENT_LOGS, 'EventLog');

/** A keyset page of rows. */
function pageOf(items: JsonSchema, description: string): JsonSchema {
  return {
    type: 'object',
    description,
    required: ['items', 'nextCursor'],
    properties: {
      items: { type: 'array', items },
      nextCursor: {
        type: ['string', 'null'],
        description: 'The next page (`cursor`); null on the last page.',
      },
    },
  };
}

interface PageQuery {
  limit?: string;
  cursor?: string;
}

function page(q: PageQuery): { limit?: number; cursor?: string } {
  const limit = queryInt(q.limit);
  return {
    ...(limit === undefined ? {} : { limit }),
    ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
  };
}

export function queryRoutes(
  app: FastifyInstance,
  stores: Stores,
  reads: StoreReads,
  limits: HttpLimits,
): void {
  // Task and event reads may run on a read replica: a caught-up one, or with the client's
  // consistency token one that has replayed past the client's own writes.
  const onReplica = <T>(req: FastifyRequest, fn: (s: Stores) => Promise<T>) =>
    reads.run(consistencyToken(req), fn);
  const security = [{ apiKey: [] }];
  const text = { type: 'string', minLength: 1, maxLength: limits.idChars } as const;
  const pageProps = { limit: SMALL_INT_QUERY, cursor: CURSOR_QUERY } as const;
  const workflowParams = {
    type: 'object',
    required: ['workflowId'],
    properties: { workflowId: text },
  } as const;
  const sessionParams = { type: 'object', required: ['sessionId'], properties: { sessionId: text } } as const;
  const read = { scope: 'data:read' as const };

  app.get<{ Querystring: PageQuery & { userId?: string; sessionId?: string; status?: string } }>(
    '/v1/tasks',
    {
      config: {
        ...read,
        swaggerTransform: documentOnly({
          ok: pageOf(TASK_SUMMARY, 'Tasks, without result, response and metadata.'),
        }),
      },
      schema: {
        tags: ['tasks'],
        security,
        summary: 'Tasks newest first, filtered by user, session or status; keyset pages (`nextCursor`).',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...pageProps,
            userId: UUID_SCHEMA,
            sessionId: text,
            status: { type: 'string', maxLength: 32 },
          },
        },
      },
    },
    async (req) => {
      const q = req.query;
      return onReplica(req, (s) =>
        s.tasks.list(principalOf(req).tenantId, {
          ...page(q),
          ...(q.userId === undefined ? {} : { userId: q.userId }),
          ...(q.sessionId === undefined ? {} : { sessionId: q.sessionId }),
          ...(q.status === undefined ? {} : { status: q.status }),
        }),
      );
    },
  );

  app.get<{ Params: { workflowId: string } }>(
    '/v1/tasks/:workflowId',
    {
      config: { ...read, swaggerTransform: documentOnly({ ok: { ...TASK, description: 'The task.' } }) },
      schema: { tags: ['tasks'], security, summary: 'The task of a workflow.', params: workflowParams },
    },
    async (req) => {
      const task = await onReplica(req, (s) =>
        s.tasks.getByWorkflowId(principalOf(req).tenantId, req.params.workflowId),
      );
      if (task === null) throw notFound('task');
      return task;
    },
  );

  app.get<{ Params: { workflowId: string }; Querystring: PageQuery }>(
    '/v1/tasks/:workflowId/events',
    {
      config: { ...read, swaggerTransform: documentOnly({ ok: pageOf(EVENT, 'Events of the workflow.') }) },
      schema: {
        tags: ['events'],
        security,
        summary: 'The events of a workflow in order (oldest first), keyset pages.',
        params: workflowParams,
        querystring: { type: 'object', additionalProperties: false, properties: pageProps },
      },
    },
    async (req) => {
      const tenantId = principalOf(req).tenantId;
      return onReplica(req, async (s) => {
        if ((await s.tasks.getByWorkflowId(tenantId, req.params.workflowId)) === null) throw notFound('task');
        return s.events.listByWorkflow(tenantId, req.params.workflowId, page(req.query));
      });
    },
  );

  app.get<{ Params: { workflowId: string } }>(
    '/v1/tasks/:workflowId/usage',
    {
      config: read,
      schema: {
        tags: ['usage'],
        security,
        summary: 'Token usage of a task: totals, per model, per agent.',
        params: workflowParams,
      },
    },
    async (req) => {
      const tenantId = principalOf(req).tenantId;
      return onReplica(req, async (s) => {
        if ((await s.tasks.getByWorkflowId(tenantId, req.params.workflowId)) === null) throw notFound('task');
        return s.tokenUsage.taskUsage(tenantId, { workflowId: req.params.workflowId });
      });
    },
  );

  app.get<{ Querystring: { from: string; to: string; userId?: string; limit?: string } }>(
    '/v1/usage/report',
    {
      config: read,
      schema: {
        tags: ['usage'],
        security,
        summary: 'Usage in [from, to) by user, task, provider and model, costliest first.',
        querystring: {
          type: 'object',
          required: ['from', 'to'],
          additionalProperties: false,
          properties: {
            from: { type: 'string', maxLength: 64 },
            to: { type: 'string', maxLength: 64 },
            userId: UUID_SCHEMA,
            limit: SMALL_INT_QUERY,
          },
        },
      },
    },
    async (req) => {
      const q = req.query;
      const limit = queryInt(q.limit);
      const rows = await stores.tokenUsage.usageReport(principalOf(req).tenantId, {
        from: q.from,
        to: q.to,
        ...(q.userId === undefined ? {} : { userId: q.userId }),
        ...(limit === undefined ? {} : { limit }),
      });
      return { rows };
    },
  );

  app.get<{ Querystring: { agentIds: string; from?: string; to?: string; sessionId?: string } }>(
    '/v1/agents/performance',
    {
      config: read,
      schema: {
        tags: ['agents'],
        security,
        summary: 'Runs, success rate, tokens and duration per agent over [from, to) (default: 7 days).',
        querystring: {
          type: 'object',
          required: ['agentIds'],
          additionalProperties: false,
          properties: {
            agentIds: {
              type: 'string',
              minLength: 1,
              maxLength: 100 * (limits.idChars + 1),
              description: 'comma-separated',
            },
            from: { type: 'string', maxLength: 64 },
            to: { type: 'string', maxLength: 64 },
            sessionId: text,
          },
        },
      },
    },
    async (req) => {
      const q = req.query;
      const agents = await stores.agents.performance(principalOf(req).tenantId, q.agentIds.split(','), {
        ...(q.from === undefined ? {} : { from: q.from }),
        ...(q.to === undefined ? {} : { to: q.to }),
        ...(q.sessionId === undefined ? {} : { sessionId: q.sessionId }),
      });
      return { agents };
    },
  );

  app.get<{ Querystring: PageQuery & { userId?: string } }>(
    '/v1/sessions',
    {
      config: read,
      schema: {
        tags: ['sessions'],
        security,
        summary: 'Live sessions newest first, of one user or the tenant; keyset pages.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...pageProps, userId: UUID_SCHEMA },
        },
      },
    },
    async (req) =>
      stores.sessions.list(principalOf(req).tenantId, {
        ...page(req.query),
        ...(req.query.userId === undefined ? {} : { userId: req.query.userId }),
      }),
  );

  app.post<{
    Body: {
      id?: string;
      userId?: string;
      externalId?: string;
      context?: Record<string, unknown>;
      tokenBudget?: number;
    };
  }>(
    '/v1/sessions',
    {
      config: { scope: 'data:write' },
      schema: {
        tags: ['sessions'],
        security,
        summary: 'Create a session; idempotent on (user, externalId) — a replay returns the stored one.',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            userId: UUID_SCHEMA,
            externalId: text,
            context: { type: 'object' },
            tokenBudget: { type: 'integer', minimum: 0, maximum: 2_147_483_647 },
          },
        },
      },
    },
    async (req, reply) => {
      const principal = principalOf(req);
      const result = await stores.sessions.create(principal.tenantId, req.body);
      if (result.created || principal.scopes.includes('data:read'))
        return reply.code(result.created ? 201 : 200).send(result);
      // A replay names a session that already exists. A key that may only write learns which
      // session that is, not what it holds (context and usage are for keys that may read).
      const { id, userId, externalId, createdAt } = result.session;
      return reply.code(200).send({ session: { id, userId, externalId, createdAt }, created: false });
    },
  );

  app.get<{ Params: { sessionId: string } }>(
    '/v1/sessions/:sessionId',
    {
      config: read,
      schema: {
        tags: ['sessions'],
        security,
        summary: 'A live session by uuid or external id.',
        params: sessionParams,
      },
    },
    async (req) => {
      const session = await stores.sessions.resolve(principalOf(req).tenantId, req.params.sessionId);
      if (session === null) throw notFound('session');
      return session;
    },
  );

  app.get<{ Params: { sessionId: string }; Querystring: { limit?: string } }>(
    '/v1/sessions/:sessionId/tasks',
    {
      config: {
        ...read,
        swaggerTransform: documentOnly({
          ok: {
            type: 'object',
            description: 'The latest tasks of the session, newest first.',
            required: ['items'],
            properties: { items: { type: 'array', items: TASK } },
          },
        }),
      },
      schema: {
        tags: ['sessions'],
        security,
        summary: 'The latest tasks of a session (default 5).',
        params: sessionParams,
        querystring: { type: 'object', additionalProperties: false, properties: { limit: SMALL_INT_QUERY } },
      },
    },
    async (req) => {
      const limit = queryInt(req.query.limit);
      const tasks = await stores.tasks.recentOfSession(
        principalOf(req).tenantId,
        req.params.sessionId,
        limit === undefined ? {} : { limit },
      );
      return { items: tasks };
    },
  );

  app.get<{ Params: { sessionId: string } }>(
    '/v1/sessions/:sessionId/aggregates',
    {
      config: read,
      schema: {
        tags: ['sessions'],
        security,
        summary: 'Task count, tokens and cost of a session.',
        params: sessionParams,
      },
    },
    async (req) => stores.tasks.sessionAggregates(principalOf(req).tenantId, req.params.sessionId),
  );
}
