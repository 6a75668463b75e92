/**
 * Server-side SQL of the seed generator. Every synthetic value derives from md5(seed, entity, index),
 * so a row can be recomputed from its index alone: a task's tenant, user, session and start time are
 * the same expressions wherever they are needed, with no staging tables and no client round trips.
 *
 * Parameters shared by every statement: $1 seed (text), $2 tenants, $3 users per tenant,
 * $4 sessions, $5 months, $6 first index, $7 last index (inclusive) of the batch, $8 average rows
 * per task, $9 average tools per agent execution. Every statement declares all nine in a leading
 * CTE, because PostgreSQL cannot type a parameter a statement never mentions.
 */

const PARAMS = `params AS (SELECT $1::text, $2::int, $3::int, $4::int, $5::int, $6::int, $7::int, $8::float8, $9::float8)`;

/** A deterministic number in [0, 1) from md5 of the seed and a key expression. */
function h(key: string): string {
  return `((('x' || substr(md5($1 || ':' || ${key}), 1, 8))::bit(32)::bigint)::float8 / 4294967296.0)`;
}

/** Per-row count in [lo, hi] for an average: the range [0.4, 1.6] × average (5–20 for 12.5). */
function count(key: string, avg: string): string {
  return `(round(${avg} * 0.4)::int + floor((round(${avg} * 1.6) - round(${avg} * 0.4) + 1) * ${h(key)})::int)`;
}

/**
 * Ids of high-volume rows are ordered (a per-seed, per-kind prefix, then the indexes in hex), so primary
 * key inserts append to the right edge of the b-tree instead of touching a random page per row (about
 * 25 % faster loads); they remain deterministic and unique per seed.
 */
function orderedId(kind: string, ...parts: [string, number][]): string {
  const hex = parts.map(([expr, width]) => `lpad(to_hex(${expr}), ${width}, '0')`).join(' || ');
  return `(substr(md5($1 || ':${kind}'), 1, 8) || ${hex})::uuid`;
}

const tenantId = (t: string) => `md5($1 || ':t:' || (${t}))::uuid`;
// Users are skewed: squaring the uniform pushes most sessions to the first users of a tenant.
const userIndex = (k: string) => `floor($3 * power(${h(`'su:' || (${k})`)}, 2))::int`;
const userId = (t: string, u: string) => `md5($1 || ':u:' || (${t}) || ':' || (${u}))::uuid`;
const sessionId = (k: string) => `md5($1 || ':s:' || (${k}))::uuid`;
const sessionHasExternalId = (k: string) => `(${h(`'se:' || (${k})`)} < 0.2)`;
// Sessions are skewed too: some conversations hold many tasks.
const taskSession = `floor($4 * power(${h(`'tk:' || i`)}, 1.5))::int`;
const taskStarted = `(now() - $5 * interval '30 days' * ${h(`'tt:' || i`)})`;
const taskStatusDraw = h(`'ts:' || i`);
const workflowId = `('wf-' || $1 || '-' || i)`;
const taskId = orderedId('task', ['i', 24]);
const agentExecutionId = orderedId('ae', ['i', 12], ['j', 12]);

/** Columns every per-task statement derives from the task index `i` (used in a LATERAL). */
const TASK_CONTEXT = `
  SELECT s.k, ${taskStarted} AS started_at, ${workflowId} AS workflow_id, ${taskId} AS task_id,
         ${tenantId('s.k % $2')} AS tenant_id, ${userId('s.k % $2', userIndex('s.k'))} AS user_id
    FROM (SELECT ${taskSession} AS k) AS s`;

/** A seed whose first tenant exists has been loaded before (its ids would collide). */
export const SEED_ALREADY_LOADED = `SELECT 1 FROM auth.tenants WHERE slug = 'seed-' || $1::text || '-0'`;

export const SEED_TENANTS = `
WITH ${PARAMS}
INSERT INTO auth.tenants (id, name, slug, plan, token_limit)
SELECT ${tenantId('t')}, 'Seed tenant ' || t, 'seed-' || $1 || '-' || t,
       (ARRAY['free', 'pro', 'enterprise'])[1 + t % 3], 1000000000
  FROM generate_series($6::int, $7::int) AS t`;

export const SEED_USERS = `
WITH ${PARAMS}
INSERT INTO public.users (id, external_id, email, tenant_id, created_at)
SELECT ${userId('t', 'u')}, 'seed-user-' || u, 'user' || u || '@tenant' || t || '.example',
       ${tenantId('t')}, now() - ($5 + 1) * interval '30 days'
  FROM generate_series($6::int, $7::int) AS t, generate_series(0, $3 - 1) AS u`;

export const SEED_SESSIONS = `
WITH ${PARAMS}
INSERT INTO public.sessions (id, user_id, external_id, tenant_id, context, created_at, updated_at, deleted_at, expires_at)
SELECT ${sessionId('k')},
       ${userId('k % $2', userIndex('k'))},
       CASE WHEN ${sessionHasExternalId('k')} THEN 'ext-' || $1 || '-' || k END,
       ${tenantId('k % $2')},
       jsonb_build_object('title', 'Seed session ' || k),
       x.created_at, x.created_at, d.deleted_at,
       -- As the store sets it: 30 days after the last write, or the deletion time.
       coalesce(d.deleted_at, x.created_at + interval '30 days')
  FROM generate_series($6::int, $7::int) AS k,
       LATERAL (SELECT now() - ($5 + 1) * interval '30 days' * ${h(`'sc:' || k`)} AS created_at) AS x,
       LATERAL (SELECT CASE WHEN ${h(`'sd:' || k`)} < 0.05 THEN x.created_at + interval '1 day' END AS deleted_at) AS d`;

/** Tasks and their key rows in one statement (the key table fixes workflow_id → started_at). */
export const SEED_TASKS = `
WITH ${PARAMS}, src AS (
  SELECT i, c.*,
         CASE WHEN ${sessionHasExternalId('c.k')} THEN 'ext-' || $1 || '-' || c.k
              ELSE ${sessionId('c.k')}::text END AS session_id,
         CASE WHEN ${taskStatusDraw} < 0.86 THEN 'COMPLETED'
              WHEN ${taskStatusDraw} < 0.93 THEN 'FAILED'
              WHEN ${taskStatusDraw} < 0.95 THEN 'CANCELLED'
              WHEN ${taskStatusDraw} < 0.96 THEN 'TIMEOUT'
              WHEN ${taskStatusDraw} < 0.99 THEN 'RUNNING'
              ELSE 'PENDING' END AS status,
         (200 + floor(8000 * ${h(`'tn:' || i`)}))::int AS tokens,
         (500 + floor(120000 * power(${h(`'td:' || i`)}, 2)))::int AS duration_ms
    FROM generate_series($6::int, $7::int) AS i, LATERAL (${TASK_CONTEXT}) AS c
), keys AS (
  INSERT INTO public.task_execution_keys (tenant_id, workflow_id, task_id, started_at)
  SELECT tenant_id, workflow_id, task_id, started_at FROM src
)
INSERT INTO public.task_executions (
  id, workflow_id, user_id, session_id, query, mode, status, started_at, completed_at, result, error_message,
  total_tokens, prompt_tokens, completion_tokens, total_cost_usd, duration_ms, agents_used, tools_invoked,
  cache_hits, complexity_score, metadata, created_at, updated_at, tenant_id, model_used, provider,
  trigger_type, cache_aware_total_tokens)
SELECT task_id, workflow_id, user_id, session_id, 'Seed question ' || i,
       (ARRAY['simple', 'standard', 'complex', 'research'])[1 + i % 4], status, started_at,
       CASE WHEN status IN ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT')
            THEN started_at + duration_ms * interval '1 millisecond' END,
       CASE WHEN status = 'COMPLETED' THEN 'Seed answer ' || i END,
       CASE WHEN status IN ('FAILED', 'TIMEOUT') THEN 'seed failure' END,
       tokens, (tokens * 0.7)::int, tokens - (tokens * 0.7)::int, round((tokens * 0.000002)::numeric, 6),
       CASE WHEN status IN ('COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT') THEN duration_ms END,
       1 + i % 4, i % 6, i % 3, round((${h(`'cx:' || i`)})::numeric, 3), '{}'::jsonb,
       started_at, started_at, tenant_id,
       (ARRAY['gpt-4o-mini', 'gpt-4o', 'claude-sonnet', 'claude-haiku'])[1 + i % 4],
       (ARRAY['openai', 'openai', 'anthropic', 'anthropic'])[1 + i % 4],
       CASE WHEN i % 20 = 0 THEN 'schedule' ELSE 'api' END, tokens
  FROM src`;

export const SEED_EVENTS = `
WITH ${PARAMS}
INSERT INTO public.event_logs (id, workflow_id, type, agent_id, message, payload, "timestamp", seq, created_at,
                               tenant_id, idempotency_key)
SELECT ${orderedId('ev', ['i', 12], ['j', 12])}, c.workflow_id,
       (ARRAY['WORKFLOW_STARTED', 'AGENT_STARTED', 'LLM_PARTIAL', 'LLM_OUTPUT', 'TOOL_INVOKED', 'AGENT_COMPLETED'])[1 + j % 6],
       'agent-' || (1 + j % 4), 'event ' || j, '{}'::jsonb,
       c.started_at + j * interval '2 seconds', j, c.started_at + j * interval '2 seconds',
       c.tenant_id, 'seed-ev-' || i || '-' || j
  FROM generate_series($6::int, $7::int) AS i,
       LATERAL (${TASK_CONTEXT}) AS c,
       LATERAL generate_series(1, ${count(`'ec:' || i`, '$8::float8')}) AS j`;

export const SEED_TOKEN_USAGE = `
WITH ${PARAMS}
INSERT INTO public.token_usage (id, user_id, provider, model, prompt_tokens, completion_tokens, total_tokens, cost_usd,
                                created_at, task_id, agent_id, call_sequence, cache_aware_total_tokens, tenant_id,
                                idempotency_key)
SELECT ${orderedId('tu', ['i', 12], ['j', 12])}, c.user_id,
       (ARRAY['openai', 'openai', 'anthropic', 'anthropic'])[1 + (i + j) % 4],
       (ARRAY['gpt-4o-mini', 'gpt-4o', 'claude-sonnet', 'claude-haiku'])[1 + (i + j) % 4],
       p.prompt, p.completion, p.prompt + p.completion, round(((p.prompt + p.completion) * 0.000002)::numeric, 6),
       c.started_at + j * interval '3 seconds', c.task_id, 'agent-' || (1 + j % 4), j, p.prompt + p.completion,
       c.tenant_id, 'seed-tu-' || i || '-' || j
  FROM generate_series($6::int, $7::int) AS i,
       LATERAL (${TASK_CONTEXT}) AS c,
       LATERAL generate_series(1, ${count(`'uc:' || i`, '$8::float8')}) AS j,
       LATERAL (SELECT (100 + floor(3000 * ${h(`'up:' || i || ':' || j`)}))::int AS prompt,
                       (50 + floor(1500 * ${h(`'uo:' || i || ':' || j`)}))::int AS completion) AS p`;

export const SEED_AGENT_EXECUTIONS = `
WITH ${PARAMS}
INSERT INTO public.agent_executions (id, agent_id, input, output, state, tokens_used, model_used, duration_ms,
                                     created_at, updated_at, workflow_id, task_id, metadata, tenant_id,
                                     idempotency_key)
SELECT ${agentExecutionId}, 'agent-' || (1 + floor(8 * ${h(`'aa:' || i || ':' || j`)})::int),
       'subtask ' || j, 'output ' || j,
       CASE WHEN ${h(`'as:' || i || ':' || j`)} < 0.9 THEN 'COMPLETED' ELSE 'FAILED' END,
       (100 + floor(4000 * ${h(`'at:' || i || ':' || j`)}))::int, 'gpt-4o-mini',
       (200 + floor(30000 * ${h(`'ad:' || i || ':' || j`)}))::bigint,
       c.started_at + j * interval '5 seconds', c.started_at + j * interval '5 seconds',
       c.workflow_id, c.task_id,
       jsonb_build_object('strategy', (ARRAY['react', 'cot', 'tot', 'debate'])[1 + (i + j) % 4]),
       c.tenant_id, 'seed-ae-' || i || '-' || j
  FROM generate_series($6::int, $7::int) AS i,
       LATERAL (${TASK_CONTEXT}) AS c,
       LATERAL generate_series(1, ${count(`'ac:' || i`, '$8::float8')}) AS j`;

export const SEED_TOOL_EXECUTIONS = `
WITH ${PARAMS}
INSERT INTO public.tool_executions (id, agent_execution_id, tool_name, input_params, output, success, duration_ms,
                                    tokens_consumed, workflow_id, agent_id, created_at, tenant_id, idempotency_key)
SELECT ${orderedId('te', ['i', 10], ['j', 7], ['m', 7])}, ${agentExecutionId},
       (ARRAY['web_search', 'calculator', 'code_exec', 'file_read', 'http_get'])[1 + (i + j + m) % 5],
       '{}'::jsonb, 'result ' || m, ${h(`'ts:' || i || ':' || j || ':' || m`)} < 0.95,
       (10 + floor(5000 * ${h(`'tl:' || i || ':' || j || ':' || m`)}))::bigint, 0, c.workflow_id,
       'agent-' || (1 + floor(8 * ${h(`'aa:' || i || ':' || j`)})::int),
       c.started_at + j * interval '5 seconds' + m * interval '1 second',
       c.tenant_id, 'seed-te-' || i || '-' || j || '-' || k
  FROM generate_series($6::int, $7::int) AS i,
       LATERAL (${TASK_CONTEXT}) AS c,
       LATERAL generate_series(1, ${count(`'ac:' || i`, '$8::float8')}) AS j,
       LATERAL generate_series(1, ${count(`'tc:' || i || ':' || j`, '$9::float8')}) AS m`;

/** Partitioned tables the seed writes into; their monthly partitions must cover the seeded months. */
export const SEEDED_PARTITIONED_TABLES = [
  'public.task_executions',
  'public.event_logs',
  'public.token_usage',
  'public.agent_executions',
  'public.tool_executions',
] as const;

export const CREATE_PARTITIONS = `SELECT count(*)::int AS created FROM public.shannon_create_monthly_partitions($1::regclass, $2, 3)`;

/** Tables analysed after loading (a partitioned parent's ANALYZE covers its partitions). */
export const SEEDED_TABLES = [
  'auth.tenants',
  'public.users',
  'public.sessions',
  'public.task_execution_keys',
  'public.usage_daily_aggregates',
  ...SEEDED_PARTITIONED_TABLES,
] as const;
