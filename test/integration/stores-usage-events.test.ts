import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isValidationError } from '../../src/errors/errors.js';
import { createStores, type Stores } from '../../src/stores/index.js';
import { createTenant, createTestDatabase, createUser, type TestDatabase } from '../helpers/database.js';

let t: TestDatabase;
let stores: Stores;
let tenantA: string;
let tenantB: string;
let userA: string;

async function count(sql: string, values: unknown[] = []): Promise<number> {
  const { rows } = await t.db.query<{ n: number }>(sql, values);
  return rows[0]!.n;
}

before(async () => {
  t = await createTestDatabase();
  stores = createStores(t.db);
  tenantA = await createTenant(t.db);
  tenantB = await createTenant(t.db);
  userA = await createUser(t.db, tenantA, 'alice');
});
after(() => t.drop());

describe('token usage store', () => {
  it('stores a call once per idempotency key, even when a retry carries another created_at (W12)', async () => {
    const input = {
      idempotencyKey: 'call-1',
      provider: 'openai',
      model: 'gpt-4o',
      promptTokens: 10,
      completionTokens: 5,
      costUsd: 0.01,
    };
    const first = await stores.tokenUsage.insert(tenantA, { ...input, createdAt: new Date() });
    const retry = await stores.tokenUsage.insert(tenantA, {
      ...input,
      createdAt: new Date(Date.now() - 40 * 86_400_000),
    });
    assert.equal(first.created, true);
    assert.equal(retry.created, false);
    assert.equal(retry.id, first.id);
    const racing = await Promise.all(
      Array.from({ length: 8 }, () =>
        stores.tokenUsage.insert(tenantA, { ...input, idempotencyKey: 'call-2' }),
      ),
    );
    assert.equal(racing.filter((r) => r.created).length, 1);
    assert.equal(
      await count(
        "SELECT count(*)::int AS n FROM public.token_usage WHERE idempotency_key IN ('call-1', 'call-2')",
      ),
      2,
    );
    // Tenant B may use the same key for its own row.
    assert.equal((await stores.tokenUsage.insert(tenantB, input)).created, true);
  });

  it('breaks a task down by model and agent in one query, resolving the task from its workflow (U2/U3)', async () => {
    const task = await stores.tasks.upsert(tenantA, {
      workflowId: 'wf-usage',
      status: 'RUNNING',
      query: 'q',
    });
    const calls = [
      ['openai', 'gpt-4o', 'agent-1', 100, 0.3],
      ['openai', 'gpt-4o', 'agent-2', 50, 0.2],
      ['anthropic', 'claude', 'agent-1', 10, 0.9],
    ] as const;
    for (const [i, [provider, model, agentId, prompt, cost]] of calls.entries()) {
      await stores.tokenUsage.insert(tenantA, {
        idempotencyKey: `u-${i}`,
        provider,
        model,
        agentId,
        workflowId: 'wf-usage',
        userId: userA,
        promptTokens: prompt,
        completionTokens: 1,
        costUsd: cost,
      });
    }
    const byWorkflow = await stores.tokenUsage.taskUsage(tenantA, { workflowId: 'wf-usage' });
    const byId = await stores.tokenUsage.taskUsage(tenantA, { taskId: task.id });
    assert.deepEqual(byId, byWorkflow);
    assert.equal(byWorkflow.totals.calls, 3);
    assert.equal(byWorkflow.totals.promptTokens, 160);
    assert.equal(byWorkflow.totals.totalTokens, 163);
    assert.ok(Math.abs(byWorkflow.totals.costUsd - 1.4) < 1e-9);
    assert.deepEqual(
      byWorkflow.byModel.map((m) => [m.provider, m.model, m.calls]),
      [
        ['anthropic', 'claude', 1],
        ['openai', 'gpt-4o', 2],
      ],
    );
    assert.equal(byWorkflow.byAgent.length, 3);
    const other = await stores.tokenUsage.taskUsage(tenantB, { workflowId: 'wf-usage' });
    assert.equal(other.totals.calls, 0);
  });

  it('reports usage by time range and user without casts (U4), bounded', async () => {
    const now = Date.now();
    const from = new Date(now - 3_600_000);
    const to = new Date(now + 3_600_000);
    const mine = await stores.tokenUsage.usageReport(tenantA, { from, to, userId: userA });
    assert.equal(
      mine.reduce((n, r) => n + r.calls, 0),
      3,
    );
    const all = await stores.tokenUsage.usageReport(tenantA, { from, to });
    assert.equal(
      all.reduce((n, r) => n + r.calls, 0),
      5,
    );
    assert.equal((await stores.tokenUsage.usageReport(tenantB, { from, to, userId: userA })).length, 0);
    await assert.rejects(
      stores.tokenUsage.usageReport(tenantA, { from, to: new Date(now + 400 * 86_400_000) }),
      (e: unknown) => isValidationError(e) && e.field === 'to',
    );
  });
});

describe('event store', () => {
  it('appends once per key; events without a sequence do not collapse (W5)', async () => {
    const a = await stores.events.append(tenantA, { idempotencyKey: 'e-1', workflowId: 'wf-ev', type: 'X' });
    const again = await stores.events.append(tenantA, {
      idempotencyKey: 'e-1',
      workflowId: 'wf-ev',
      type: 'X',
    });
    const b = await stores.events.append(tenantA, { idempotencyKey: 'e-2', workflowId: 'wf-ev', type: 'X' });
    assert.equal(a.created, true);
    assert.equal(again.created, false);
    assert.equal(b.created, true);
    assert.equal(
      await count("SELECT count(*)::int AS n FROM public.event_logs WHERE workflow_id = 'wf-ev'"),
      2,
    );
    await assert.rejects(
      stores.events.append(tenantA, { idempotencyKey: 'e-3', workflowId: 'wf-ev', type: 'X', seq: 0 }),
      (e: unknown) => isValidationError(e) && e.field === 'seq',
    );
  });

  it('reads a workflow in order with keyset pages, every event exactly once (E2) and several workflows (E3)', async () => {
    const base = Date.UTC(2026, 10, 2, 12, 0, 0);
    for (let i = 0; i < 40; i += 1) {
      await stores.events.append(tenantA, {
        idempotencyKey: `pg-${i}`,
        workflowId: i < 30 ? 'wf-order' : 'wf-order-2',
        type: i % 5 === 0 ? 'LLM_PARTIAL' : 'LLM_OUTPUT',
        // four events share each timestamp: the id breaks the tie
        timestamp: new Date(base + Math.floor(i / 4) * 1000),
        seq: i + 1,
      });
    }
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await stores.events.listByWorkflow(tenantA, 'wf-order', { limit: 7, cursor });
      seen.push(...page.items.map((e) => e.seq ?? -1));
      cursor = page.nextCursor;
    } while (cursor !== null);
    assert.equal(seen.length, 30);
    assert.equal(new Set(seen).size, 30);
    const times = seen.map((s) => Math.floor((s - 1) / 4));
    assert.deepEqual(
      times,
      [...times].sort((x, y) => x - y),
    );

    const both: string[] = [];
    cursor = null;
    do {
      const page = await stores.events.listByWorkflows(tenantA, ['wf-order', 'wf-order-2'], {
        limit: 9,
        cursor,
      });
      both.push(...page.items.map((e) => e.type));
      cursor = page.nextCursor;
    } while (cursor !== null);
    assert.equal(both.length, 32, 'LLM_PARTIAL left out by default');
    assert.ok(!both.includes('LLM_PARTIAL'));
    assert.equal((await stores.events.listByWorkflow(tenantB, 'wf-order')).items.length, 0);
    assert.equal((await stores.events.listByWorkflows(tenantB, ['wf-order'])).items.length, 0);
  });
});

describe('agent and tool execution stores', () => {
  it('insert once per key (A1) and rank all candidate agents over a bounded window in one query (A2/A3)', async () => {
    const now = Date.now();
    for (let i = 0; i < 12; i += 1) {
      const r = await stores.agents.insert(tenantA, {
        idempotencyKey: `ag-${i}`,
        agentId: `agent-${i % 3}`,
        input: 'in',
        state: i % 4 === 0 ? 'failed' : 'COMPLETED',
        tokensUsed: 10,
        workflowId: i < 6 ? 'wf-agents' : 'wf-agents-2',
        // two runs are older than the default 7-day window
        createdAt: new Date(now - (i >= 10 ? 20 : 1) * 86_400_000),
        durationMs: 100 * (i + 1),
      });
      assert.equal(r.created, true);
    }
    const dup = await stores.agents.insert(tenantA, {
      idempotencyKey: 'ag-0',
      agentId: 'agent-0',
      input: 'in',
    });
    assert.equal(dup.created, false);
    const perf = await stores.agents.performance(tenantA, ['agent-0', 'agent-1', 'agent-9']);
    assert.deepEqual(
      perf.map((p) => [p.agentId, p.executions, p.successes]),
      [
        ['agent-0', 4, 3],
        ['agent-1', 3, 2],
      ],
    );
    const wide = await stores.agents.performance(tenantA, ['agent-0'], {
      from: new Date(now - 30 * 86_400_000),
    });
    assert.equal(wide[0]?.executions, 4);
    await assert.rejects(
      stores.agents.performance(tenantA, ['agent-0'], { from: new Date(now - 400 * 86_400_000) }),
      isValidationError,
    );
    const top = await stores.agents.topAgents(tenantA, { minRuns: 3 });
    assert.deepEqual(
      top.map((p) => p.agentId),
      ['agent-0', 'agent-1', 'agent-2'],
    );
    assert.deepEqual(await stores.agents.workflowTokens(tenantA, 'wf-agents'), {
      tokensUsed: 60,
      executions: 6,
    });
    assert.equal((await stores.agents.performance(tenantB, ['agent-0'])).length, 0);
    assert.equal((await stores.agents.topAgents(tenantB)).length, 0);
    assert.equal((await stores.agents.workflowTokens(tenantB, 'wf-agents')).executions, 0);

    const tool = await stores.tools.insert(tenantA, { idempotencyKey: 'tool-1', toolName: 'web_search' });
    const toolAgain = await stores.tools.insert(tenantA, {
      idempotencyKey: 'tool-1',
      toolName: 'web_search',
    });
    assert.equal(tool.created, true);
    assert.equal(toolAgain.created, false);
    assert.equal(
      await count("SELECT count(*)::int AS n FROM public.tool_executions WHERE idempotency_key = 'tool-1'"),
      1,
    );
  });
});
