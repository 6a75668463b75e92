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

async function countRows(sql: string, values: unknown[]): Promise<number> {
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

describe('task store', () => {
  it('upserts one row per workflow, also when a replay carries a started_at in another month', async () => {
    const first = await stores.tasks.upsert(tenantA, {
      workflowId: 'wf-once',
      status: 'running',
      query: 'q',
      startedAt: new Date(),
    });
    const replay = await stores.tasks.upsert(tenantA, {
      workflowId: 'wf-once',
      status: 'RUNNING',
      startedAt: new Date(Date.now() - 45 * 86_400_000),
    });
    assert.equal(first.inserted, true);
    assert.equal(replay.inserted, false);
    assert.equal(replay.id, first.id);
    assert.equal(replay.startedAt.getTime(), first.startedAt.getTime());
    assert.equal(
      await countRows(
        "SELECT count(*)::int AS n FROM public.task_executions WHERE workflow_id = 'wf-once'",
        [],
      ),
      1,
    );
  });

  it('never regresses a terminal status and keeps fields a partial update omits (P3, W6, W11)', async () => {
    await stores.tasks.upsert(tenantA, {
      workflowId: 'wf-term',
      status: 'RUNNING',
      query: 'question',
      userId: userA,
      sessionId: 's-1',
      metadata: { a: 1 },
      response: { answer: 'draft' },
    });
    const done = await stores.tasks.upsert(tenantA, {
      workflowId: 'wf-term',
      status: 'COMPLETED',
      result: 'answer',
      totalTokens: 120,
      metadata: { b: 2 },
      response: {},
      completedAt: new Date(),
    });
    assert.equal(done.applied, true);
    const late = await stores.tasks.upsert(tenantA, {
      workflowId: 'wf-term',
      status: 'RUNNING',
      result: 'stale',
    });
    assert.equal(late.applied, false);
    assert.equal(late.status, 'COMPLETED');
    const other = await stores.tasks.upsert(tenantA, { workflowId: 'wf-term', status: 'FAILED' });
    assert.equal(other.applied, false);
    const task = await stores.tasks.getByWorkflowId(tenantA, 'wf-term');
    assert.equal(task?.status, 'COMPLETED');
    assert.equal(task?.result, 'answer');
    assert.equal(task?.query, 'question');
    assert.equal(task?.userId, userA);
    assert.equal(task?.sessionId, 's-1');
    assert.equal(task?.totalTokens, 120);
    assert.deepEqual(task?.metadata, { a: 1, b: 2 });
    assert.deepEqual(task?.response, { answer: 'draft' });
    // The daily aggregate counted the completion exactly once.
    assert.equal(
      await countRows(
        'SELECT COALESCE(sum(total_tasks), 0)::int AS n FROM public.usage_daily_aggregates WHERE tenant_id = $1 AND user_id = $2',
        [tenantA, userA],
      ),
      1,
    );
  });

  it('keeps one row for concurrent first writes of a workflow', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        stores.tasks.upsert(tenantA, { workflowId: 'wf-race', status: 'RUNNING', query: `q${i}` }),
      ),
    );
    assert.equal(new Set(results.map((r) => r.id)).size, 1);
    assert.equal(results.filter((r) => r.inserted).length, 1);
    assert.equal(
      await countRows(
        "SELECT count(*)::int AS n FROM public.task_executions WHERE workflow_id = 'wf-race'",
        [],
      ),
      1,
    );
  });

  it('rejects bad input naming the field', async () => {
    await assert.rejects(stores.tasks.upsert(tenantA, { workflowId: 'x', status: 'DONE' }), (e: unknown) => {
      return isValidationError(e) && e.field === 'status';
    });
    await assert.rejects(
      stores.tasks.upsert(tenantA, { workflowId: 'x', status: 'RUNNING', totalTokens: -1 }),
      (e: unknown) => isValidationError(e) && e.field === 'totalTokens',
    );
    await assert.rejects(stores.tasks.list(tenantA, { limit: 0 }), isValidationError);
    // A user of another tenant is not a foreign key this tenant may point at.
    await assert.rejects(
      stores.tasks.upsert(tenantB, { workflowId: 'x-fk', status: 'RUNNING', userId: userA }),
      (e: unknown) => isValidationError(e) && e.field === 'userId',
    );
  });

  it('lists newest first with keyset pages: every row exactly once, for every filter', async () => {
    const tenant = await createTenant(t.db);
    const { rows: users } = await t.db.query<{ id: string }>(
      "INSERT INTO public.users (tenant_id, external_id) VALUES ($1, 'u') RETURNING id",
      [tenant],
    );
    const user = users[0]!.id;
    // 60 tasks on 6 distinct start times (ties) across two months; statuses and sessions mixed.
    const base = Date.UTC(2026, 9, 31, 23, 59, 59, 999);
    for (let i = 0; i < 60; i += 1) {
      await stores.tasks.upsert(tenant, {
        workflowId: `wf-page-${i}`,
        status: i % 3 === 0 ? 'FAILED' : 'COMPLETED',
        startedAt: new Date(base + (i % 6) * 1),
        sessionId: i % 2 === 0 ? 'sess-even' : 'sess-odd',
        userId: i % 4 === 0 ? user : null,
        query: `q${i}`,
      });
    }
    const cases = [
      { filter: {}, where: 'true' },
      { filter: { status: 'failed' }, where: "status = 'FAILED'" },
      { filter: { sessionId: 'sess-even' }, where: "session_id = 'sess-even'" },
      { filter: { userId: user }, where: `user_id = '${user}'` },
      {
        filter: { sessionId: 'sess-even', status: 'FAILED' },
        where: "session_id = 'sess-even' AND status = 'FAILED'",
      },
    ];
    for (const { filter, where } of cases) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await stores.tasks.list(tenant, { ...filter, limit: 7, cursor });
        seen.push(...page.items.map((x) => x.workflowId));
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor !== null && pages < 100);
      const { rows } = await t.db.query<{ workflow_id: string }>(
        `SELECT workflow_id FROM public.task_executions WHERE tenant_id = $1 AND ${where}
         ORDER BY started_at DESC, id DESC`,
        [tenant],
      );
      assert.ok(rows.length > 0);
      assert.deepEqual(
        seen,
        rows.map((r) => r.workflow_id),
        `filter ${JSON.stringify(filter)}`,
      );
    }
  });

  it('answers the session reads (T6, T7) and the supervisor reads (T10, T11) by uuid and session', async () => {
    const tenant = await createTenant(t.db);
    const { rows: users } = await t.db.query<{ id: string }>(
      "INSERT INTO public.users (tenant_id, external_id) VALUES ($1, 'sup') RETURNING id",
      [tenant],
    );
    const user = users[0]!.id;
    for (let i = 0; i < 8; i += 1) {
      await stores.tasks.upsert(tenant, {
        workflowId: `wf-s-${i}`,
        status: 'COMPLETED',
        sessionId: i < 6 ? 'S' : 'S-ext',
        userId: user,
        query: `q${i}`,
        startedAt: new Date(Date.UTC(2026, 10, 1, 0, 0, i)),
        totalTokens: 10,
        cacheAwareTotalTokens: 12,
        totalCostUsd: 0.5,
        result: 'x'.repeat(i + 1),
        complexityScore: 0.5,
        metadata: { turn: i },
        mode: i === 0 ? 'simple' : 'standard',
      });
      await stores.agents.insert(tenant, {
        idempotencyKey: `ae-${i}`,
        agentId: 'agent-1',
        input: 'in',
        state: i % 2 === 0 ? 'COMPLETED' : 'FAILED',
        workflowId: `wf-s-${i}`,
        strategy: i % 2 === 0 ? 'react' : null,
        metadata: i % 2 === 0 ? {} : { strategy: 'cot' },
        durationMs: 100,
      });
    }
    const recent = await stores.tasks.recentOfSession(tenant, ['S', 'S-ext'], { limit: 3 });
    assert.deepEqual(
      recent.map((r) => r.workflowId),
      ['wf-s-7', 'wf-s-6', 'wf-s-5'],
    );
    const agg = await stores.tasks.sessionAggregates(tenant, 'S');
    assert.equal(agg.taskCount, 6);
    assert.equal(agg.totalTokens, 60);
    assert.equal(agg.cacheAwareTotalTokens, 72);
    assert.equal(agg.totalCostUsd, 3);
    assert.deepEqual(agg.firstMetadata, { turn: 0 });
    assert.equal(agg.firstMode, 'simple');
    assert.equal(agg.latestQuery, 'q5');
    const empty = await stores.tasks.sessionAggregates(tenant, 'nothing');
    assert.equal(empty.taskCount, 0);
    assert.equal(empty.latestQuery, null);

    const prefs = await stores.tasks.supervisorPreferences(tenant, { sessionId: 'S-ext' }, { window: 100 });
    assert.equal(prefs.taskCount, 2);
    assert.equal(prefs.avgResultLength, 7.5);
    const byUser = await stores.tasks.supervisorPreferences(
      tenant,
      { userId: user, sessionId: 'S' },
      { window: 3 },
    );
    assert.equal(byUser.taskCount, 3, 'window bounds the input, not the output');
    const strategies = await stores.tasks.supervisorStrategyPerformance(tenant, { userId: user });
    assert.deepEqual(
      strategies.map((s) => [s.strategy, s.runs, s.successes]),
      [
        ['cot', 4, 0],
        ['react', 4, 4],
      ],
    );
    await assert.rejects(stores.tasks.supervisorPreferences(tenant, {}), isValidationError);
  });

  it("never shows tenant A's tasks to tenant B, and B's upsert of the same workflow id is its own row", async () => {
    await stores.tasks.upsert(tenantA, {
      workflowId: 'wf-shared',
      status: 'RUNNING',
      query: 'A',
      sessionId: 'sx',
    });
    assert.equal(await stores.tasks.getByWorkflowId(tenantB, 'wf-shared'), null);
    assert.equal((await stores.tasks.list(tenantB)).items.length, 0);
    assert.equal((await stores.tasks.list(tenantB, { sessionId: 'sx' })).items.length, 0);
    assert.equal((await stores.tasks.recentOfSession(tenantB, 'sx')).length, 0);
    assert.equal((await stores.tasks.sessionAggregates(tenantB, 'sx')).taskCount, 0);
    assert.equal((await stores.tasks.supervisorPreferences(tenantB, { sessionId: 'sx' })).taskCount, 0);
    const b = await stores.tasks.upsert(tenantB, {
      workflowId: 'wf-shared',
      status: 'COMPLETED',
      query: 'B',
    });
    assert.equal(b.inserted, true);
    const a = await stores.tasks.getByWorkflowId(tenantA, 'wf-shared');
    assert.equal(a?.status, 'RUNNING');
    assert.equal(a?.query, 'A');
  });
});
