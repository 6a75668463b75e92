/**
 * The demo workload: drives a running service over HTTP with a small, realistic mix — sessions,
 * tasks that start and complete, agent and tool executions, workflow events, token usage and
 * question/answer memory — then reads it back (task listing, memory search, usage report).
 */
import { randomUUID } from 'node:crypto';
import { ERROR_CODES, type ErrorCode, ShannonError } from '../../errors/errors.js';
import {
  DEFAULT_BATCH_RECORDS,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_UPSERT_POINTS,
} from '../../server/limits.js';
import { DEFAULT_DEMO_TASKS } from '../devtools-defaults.js';

const QUERIES = [
  'Summarise the latest PostgreSQL release notes',
  'Compare Qdrant and pgvector for 10M embeddings',
  'Draft a retention policy for audit logs',
  'Why is my task listing query doing a sequential scan?',
  'Plan a migration from monolith to services',
  'Estimate the token cost of a 20-step research agent',
  'Explain circuit breakers to a new engineer',
  'Find duplicate indexes in our schema',
];
const AGENTS = ['planner', 'researcher', 'writer'];
const TOOLS = ['web_search', 'sql_query', 'calculator'];
const MODELS = [
  { provider: 'openai', model: 'gpt-4o-mini', usdPer1k: 0.0006 },
  { provider: 'anthropic', model: 'claude-haiku', usdPer1k: 0.001 },
];

export interface DemoOptions {
  url: string;
  apiKey: string;
  tasks?: number;
  onProgress?: (step: string) => void;
}

export interface DemoSummary {
  run: string;
  tasks: number;
  records: Record<string, number>;
  memoryPoints: number;
  listedTasks: number;
  searchTopHit: { query: unknown; score: number } | null;
  usageRows: number;
  elapsedMs: number;
}

/**
 * Splits records into consecutive chunks of at most `maxRecords` records and about `maxBytes` of
 * JSON each (a record larger than that alone is a chunk of its own).
 */
export function chunkWithin<T>(records: readonly T[], maxRecords: number, maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = JSON.stringify(record).length + 1;
    if (current.length > 0 && (current.length >= maxRecords || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(record);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Runs the workload. @throws ShannonError with the service's error code when a call fails. */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const started = performance.now();
  const base = options.url.replace(/\/$/, '');
  const headers = { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' };
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const parsed = text === '' ? undefined : JSON.parse(text);
    if (!res.ok) {
      const error = parsed?.error ?? { code: 'INTERNAL', message: text };
      // The service's own code, so a refusal reads as what it is (413 LIMIT_EXCEEDED, 429, …).
      throw new ShannonError(
        typeof error.code === 'string' && error.code in ERROR_CODES ? (error.code as ErrorCode) : 'INTERNAL',
        `${method} ${path}: ${res.status} ${error.code}: ${error.message}`,
      );
    }
    return parsed;
  };
  const n = options.tasks ?? DEFAULT_DEMO_TASKS;
  const run = randomUUID().slice(0, 8);
  const records: Record<string, number> = {};
  const ingest = async (kind: string, batch: unknown[]) => {
    // One request per chunk within the service's default limits (records and body bytes).
    for (const chunk of chunkWithin(batch, DEFAULT_BATCH_RECORDS, DEFAULT_BODY_LIMIT_BYTES / 2)) {
      options.onProgress?.(`ingest ${chunk.length} ${kind}`);
      await call<unknown>('POST', `/v1/ingest/${kind}`, { records: chunk });
      records[kind] = (records[kind] ?? 0) + chunk.length;
    }
  };

  options.onProgress?.('sessions');
  const sessions: string[] = [];
  for (let s = 0; s < 3; s += 1) {
    const created = await call<{ session: { id: string } }>('POST', '/v1/sessions', {
      externalId: `demo-${run}-session-${s}`,
      context: { channel: 'demo' },
    });
    sessions.push(created.session.id);
  }
  const tasks = Array.from({ length: n }, (_, i) => ({
    workflowId: `demo-${run}-${i}`,
    query: QUERIES[i % QUERIES.length]!,
    sessionId: sessions[i % sessions.length]!,
    model: MODELS[i % MODELS.length]!,
  }));
  await ingest(
    'task_execution',
    tasks.map((t) => ({
      workflow_id: t.workflowId,
      query: t.query,
      status: 'RUNNING',
      session_id: t.sessionId,
      mode: 'standard',
    })),
  );
  const taskIds = new Map<string, string>();
  for (const t of tasks)
    taskIds.set(t.workflowId, (await call<{ id: string }>('GET', `/v1/tasks/${t.workflowId}`)).id);

  await ingest(
    'agent_execution',
    tasks.flatMap((t, i) =>
      AGENTS.slice(0, 2 + (i % 2)).map((agent) => ({
        workflow_id: t.workflowId,
        task_id: taskIds.get(t.workflowId),
        agent_id: agent,
        input: t.query,
        output: `${agent} finished`,
        state: 'COMPLETED',
        tokens_used: 300 + i * 10,
        model_used: t.model.model,
        duration_ms: 800 + i * 50,
        strategy: 'react',
      })),
    ),
  );
  await ingest(
    'tool_execution',
    tasks.map((t, i) => ({
      workflow_id: t.workflowId,
      agent_id: 'researcher',
      tool_name: TOOLS[i % TOOLS.length],
      input_params: { q: t.query },
      output: 'ok',
      success: i % 7 !== 3,
      duration_ms: 120 + i,
    })),
  );
  await ingest(
    'event_log',
    tasks.flatMap((t) =>
      ['WORKFLOW_STARTED', 'AGENT_STARTED', 'TOOL_INVOKED', 'WORKFLOW_COMPLETED'].map((type, seq) => ({
        workflow_id: t.workflowId,
        type,
        seq: seq + 1,
        message: `${type.toLowerCase()} ${t.workflowId}`,
      })),
    ),
  );
  await ingest(
    'token_usage',
    tasks.flatMap((t, i) =>
      [1, 2].map((sequence) => {
        const prompt = 400 + i * 7;
        const completion = 150 + sequence * 20;
        return {
          task_id: taskIds.get(t.workflowId),
          agent_id: sequence === 1 ? 'planner' : 'researcher',
          call_sequence: sequence,
          provider: t.model.provider,
          model: t.model.model,
          prompt_tokens: prompt,
          completion_tokens: completion,
          total_tokens: prompt + completion,
          cost_usd: Number((((prompt + completion) / 1000) * t.model.usdPer1k).toFixed(6)),
        };
      }),
    ),
  );
  await ingest(
    'task_execution',
    tasks.map((t, i) => ({
      workflow_id: t.workflowId,
      query: t.query,
      status: i % 9 === 4 ? 'FAILED' : 'COMPLETED',
      result: `Answer to: ${t.query}`,
      total_tokens: 1200 + i * 14,
      total_cost_usd: 0.001 * (i + 1),
      duration_ms: 2_000 + i * 100,
      agents_used: 2 + (i % 2),
      tools_invoked: 1,
      model_used: t.model.model,
      provider: t.model.provider,
    })),
  );
  options.onProgress?.('memory');
  const points = tasks.map((t) => ({
    key: [t.workflowId, 0],
    text: `${t.query}\n${`Answer to: ${t.query}`}`,
    payload: { session_id: t.sessionId, qa_id: t.workflowId, query: t.query },
  }));
  const memory = { ids: [] as string[] };
  for (const chunk of chunkWithin(points, DEFAULT_UPSERT_POINTS, DEFAULT_BODY_LIMIT_BYTES / 2)) {
    const written = await call<{ ids: string[] }>('POST', '/v1/memory/task_embeddings/points', {
      points: chunk,
    });
    memory.ids.push(...written.ids);
  }

  options.onProgress?.('reading back');
  const listed = await call<{ items: unknown[] }>('GET', '/v1/tasks?limit=5');
  // The index catches up from the outbox in the background; give it a moment.
  let hits: Array<{ payload: { query?: unknown }; score: number }> = [];
  for (let attempt = 0; attempt < 20 && hits.length === 0; attempt += 1) {
    hits = (
      await call<{ hits: typeof hits }>('POST', '/v1/memory/task_embeddings/search', {
        text: QUERIES[1],
        limit: 3,
      })
    ).hits;
    if (hits.length === 0) await new Promise((r) => setTimeout(r, 250));
  }
  const from = new Date(Date.now() - 86_400_000).toISOString();
  const to = new Date(Date.now() + 86_400_000).toISOString();
  const usage = await call<{ rows: unknown[] }>('GET', `/v1/usage/report?from=${from}&to=${to}`);
  return {
    run,
    tasks: n,
    records,
    memoryPoints: memory.ids.length,
    listedTasks: listed.items.length,
    searchTopHit: hits[0] === undefined ? null : { query: hits[0].payload.query, score: hits[0].score },
    usageRows: usage.rows.length,
    elapsedMs: Math.round(performance.now() - started),
  };
}
