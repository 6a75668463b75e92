/**
 * Daily aggregates follow a counted task's totals after it finished (migration 0063): a re-sent
 * COMPLETED record with new totals, a user filled in or removed, a deleted task and concurrent
 * updates from several connections all leave usage_daily_aggregates equal to a from-scratch recount
 * (`aggregates verify` clean); replaying the same record changes nothing.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createIngest, type Ingest } from '../../src/ingest/ingest.js';
import { verifyDailyAggregates } from '../../src/ops/aggregates.js';
import { createStores, type Stores } from '../../src/stores/index.js';
import { createTenant, createTestDatabase, createUser, type TestDatabase } from '../helpers/database.js';

const DAY_MS = 86_400_000;

/**
 * Runs `fn` again when PostgreSQL chose it as a deadlock's victim (40P01), as any writer retries
 * it. Writers updating the same tasks in different orders can deadlock through the aggregate
 * trigger (task row, then aggregate row); the victim's transaction is rolled back whole, so the
 * aggregates stay consistent and the retry is what a real writer does.
 */
async function retryDeadlock<T>(fn: () => Promise<T>, counter: { retries: number }): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if ((error as { sqlstate?: string }).sqlstate !== '40P01' || attempt >= 10) throw error;
      counter.retries += 1;
    }
  }
}
const today = new Date().toISOString().slice(0, 10);
const yesterday = new Date(Date.now() - DAY_MS).toISOString().slice(0, 10);
const tomorrow = new Date(Date.now() + DAY_MS).toISOString().slice(0, 10);

describe('daily aggregates after completion', () => {
  let t: TestDatabase;
  let stores: Stores;
  let ingest: Ingest;
  let dir: string;

  before(async () => {
    t = await createTestDatabase({ pool: { max: 12 } });
    stores = createStores(t.db);
    dir = await mkdtemp(join(tmpdir(), 'aggregate-deltas-'));
    ingest = await createIngest({ db: t.db, dataDir: dir });
  });
  after(async () => {
    await ingest?.close();
    await t?.drop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  async function verify(tenantId: string) {
    return verifyDailyAggregates(t.db, { from: yesterday, to: tomorrow, tenantId });
  }

  async function aggregates(tenantId: string) {
    const { rows } = await t.db.query<{
      user_id: string | null;
      date: string;
      total_tasks: number;
      successful_tasks: number;
      failed_tasks: number;
      total_tokens: string;
      total_cost_usd: string;
    }>(
      `SELECT user_id, date::text, total_tasks, successful_tasks, failed_tasks, total_tokens::text,
              total_cost_usd::text
         FROM public.usage_daily_aggregates WHERE tenant_id = $1 ORDER BY date, user_id NULLS FIRST`,
      [tenantId],
    );
    return rows;
  }

  it('a re-sent COMPLETED task with new totals moves its day (write path), and a replay adds nothing', async () => {
    const tenant = await createTenant(t.db);
    const user = await createUser(t.db, tenant, 'u-resend');
    const record = {
      tenant_id: tenant,
      workflow_id: 'wf-resend',
      user_id: user,
      query: 'q',
      status: 'COMPLETED' as const,
      started_at: `${today}T00:00:05.000Z`,
      total_tokens: 50,
      total_cost_usd: 0.75,
    };
    await ingest.write('task_execution', record);
    await ingest.write('task_execution', { ...record, total_tokens: 80, total_cost_usd: 1.5 });
    const expected = [
      {
        user_id: user,
        date: today,
        total_tasks: 1,
        successful_tasks: 1,
        failed_tasks: 0,
        total_tokens: '80',
        total_cost_usd: '1.500000',
      },
    ];
    assert.deepEqual(await aggregates(tenant), expected);
    assert.deepEqual(await verify(tenant), []);

    // The same record again, through the write path and through the task store: no change.
    await ingest.write('task_execution', { ...record, total_tokens: 80, total_cost_usd: 1.5 });
    await stores.tasks.upsert(tenant, {
      workflowId: 'wf-resend',
      status: 'COMPLETED',
      userId: user,
      totalTokens: 80,
      totalCostUsd: 1.5,
    });
    await ingest.writeBatch('task_execution', [
      { ...record, total_tokens: 80, total_cost_usd: 1.5 },
      { ...record, total_tokens: 80, total_cost_usd: 1.5 },
    ]);
    assert.deepEqual(await aggregates(tenant), expected);
    assert.deepEqual(await verify(tenant), []);
  });

  it('a user filled in after completion, then deleted, moves the task between rows', async () => {
    const tenant = await createTenant(t.db);
    const user = await createUser(t.db, tenant, 'u-late');
    const base = { workflowId: 'wf-late', status: 'COMPLETED', startedAt: `${today}T00:00:06.000Z` };
    await stores.tasks.upsert(tenant, { ...base, totalTokens: 10 });
    await stores.tasks.upsert(tenant, { ...base, workflowId: 'wf-other', totalTokens: 5 });
    // A finished task's empty user_id is filled by a later write (TASK_CONFLICT_UPDATE).
    await stores.tasks.upsert(tenant, { ...base, userId: user, totalTokens: 10 });
    assert.deepEqual(
      (await aggregates(tenant)).map((r) => [r.user_id, r.total_tasks, r.total_tokens]),
      [
        [null, 1, '5'],
        [user, 1, '10'],
      ],
    );
    assert.deepEqual(await verify(tenant), []);
    // The user's delete sets the task's user_id to NULL (ON DELETE SET NULL): it joins the NULL row.
    await t.db.query(`DELETE FROM public.users WHERE tenant_id = $1 AND id = $2`, [tenant, user]);
    assert.deepEqual(
      (await aggregates(tenant)).map((r) => [r.user_id, r.total_tasks, r.total_tokens]),
      [[null, 2, '15']],
    );
    assert.deepEqual(await verify(tenant), []);
  });

  it('a changed terminal status and a deleted task leave the aggregate; an emptied row goes', async () => {
    const tenant = await createTenant(t.db);
    const user = await createUser(t.db, tenant, 'u-del');
    for (const [workflowId, startedAt] of [
      ['wf-a', `${today}T00:00:07.000Z`],
      ['wf-b', `${today}T00:00:08.000Z`],
      ['wf-c', `${yesterday}T12:00:00.000Z`],
    ] as const) {
      await stores.tasks.upsert(tenant, {
        workflowId,
        startedAt,
        userId: user,
        status: 'COMPLETED',
        totalTokens: 7,
        durationMs: 100,
      });
    }
    await t.db.query(
      `UPDATE public.task_executions SET status = 'FAILED' WHERE tenant_id = $1 AND workflow_id = 'wf-a'`,
      [tenant],
    );
    await t.db.query(`DELETE FROM public.task_executions WHERE tenant_id = $1 AND workflow_id = 'wf-b'`, [
      tenant,
    ]);
    await t.db.query(`DELETE FROM public.task_executions WHERE tenant_id = $1 AND workflow_id = 'wf-c'`, [
      tenant,
    ]);
    assert.deepEqual(
      (await aggregates(tenant)).map((r) => [r.date, r.total_tasks, r.successful_tasks, r.failed_tasks]),
      [[today, 1, 0, 1]],
    );
    assert.deepEqual(await verify(tenant), []);
  });

  it('concurrent updates of the same finished tasks from several connections equal a recount', async () => {
    const tenant = await createTenant(t.db);
    const users = [await createUser(t.db, tenant, 'u-c1'), await createUser(t.db, tenant, 'u-c2'), null];
    const tasks = Array.from({ length: 24 }, (_, i) => ({
      workflowId: `wf-c-${i}`,
      userId: users[i % 3]!,
      startedAt: `${i % 2 === 0 ? today : yesterday}T00:00:${String(10 + i).padStart(2, '0')}.000Z`,
    }));
    for (const task of tasks) await stores.tasks.upsert(tenant, { ...task, status: 'RUNNING' });
    // 10 writers: the task store's upserts (counters grow, GREATEST) and raw multi-row transactions
    // holding their locks a moment, all touching the same tasks and so the same six aggregate rows.
    const deadlocks = { retries: 0 };
    const writers = Array.from({ length: 10 }, async (_, w) => {
      for (let round = 0; round < 3; round++) {
        if (w % 2 === 0) {
          for (const [i, task] of tasks.entries()) {
            await retryDeadlock(
              () =>
                stores.tasks.upsert(tenant, {
                  ...task,
                  status: i % 5 === 0 ? 'FAILED' : 'COMPLETED',
                  totalTokens: 100 * (w + 1) + round * 10 + i,
                  totalCostUsd: (w + 1) / 100,
                  toolsInvoked: w,
                  durationMs: round === 2 ? 1000 + w : null,
                }),
              deadlocks,
            );
          }
        } else {
          await retryDeadlock(
            () =>
              t.db.withTransaction(async (tx) => {
                await tx.query(
                  `UPDATE public.task_executions
                      SET total_tokens = total_tokens + $2::int, cache_hits = cache_hits + 1,
                          total_cost_usd = total_cost_usd + 0.01
                    WHERE tenant_id = $1 AND workflow_id LIKE 'wf-c-%' AND status <> 'RUNNING'`,
                  [tenant, w],
                );
                await tx.query('SELECT pg_sleep(0.01)');
              }),
            deadlocks,
          );
        }
      }
    });
    await Promise.all(writers);
    console.log(`concurrent aggregate updates: ${deadlocks.retries} deadlock victims retried`);
    assert.deepEqual(await verify(tenant), []);
    const { rows } = await t.db.query<{ tasks: number; tokens: string }>(
      `SELECT sum(total_tasks)::int AS tasks, sum(total_tokens)::text AS tokens
         FROM public.usage_daily_aggregates WHERE tenant_id = $1`,
      [tenant],
    );
    const { rows: recount } = await t.db.query<{ tokens: string }>(
      `SELECT sum(total_tokens)::text AS tokens FROM public.task_executions WHERE tenant_id = $1`,
      [tenant],
    );
    assert.deepEqual(rows, [{ tasks: 24, tokens: recount[0]!.tokens }]);
    assert.ok(Number(recount[0]!.tokens) >= 24 * 900, 'the later, larger totals were applied');
  });
});
