/**
 * Daily aggregates (issue 6 acceptance, W10): 50 concurrent completions for one user and day add up
 * to exactly what a from-scratch recount gives; a damaged row is found by verify and fixed by rebuild.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rebuildDailyAggregates, verifyDailyAggregates } from '../../src/ops/aggregates.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('daily aggregates', () => {
  let t: TestDatabase;
  let tenant: string;
  let user: string;
  const today = new Date().toISOString().slice(0, 10);
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

  before(async () => {
    t = await createTestDatabase({ pool: { max: 25 } });
    tenant = await createTenant(t.db);
    const { rows } = await t.db.query<{ id: string }>(
      `INSERT INTO public.users (external_id, tenant_id) VALUES ('u-1', $1) RETURNING id`,
      [tenant],
    );
    user = rows[0]!.id;
    await t.db.query(
      `INSERT INTO public.task_executions (workflow_id, user_id, query, status, tenant_id, started_at)
       SELECT 'wf-' || g, $2, 'q', 'RUNNING', $1, date_trunc('day', now()) + g * interval '1 second'
         FROM generate_series(1, 50) g`,
      [tenant, user],
    );
  });
  after(async () => t?.drop());

  it('50 concurrent completions equal a from-scratch recount', async () => {
    const statuses = ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'COMPLETED'];
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        t.db.withTransaction(async (tx) => {
          await tx.query(
            `UPDATE public.task_executions
                SET status = $2, total_tokens = $3::int, cache_aware_total_tokens = $3::int,
                    total_cost_usd = $3::int / 1000.0, tools_invoked = $4::int,
                    duration_ms = CASE WHEN $4::int % 3 = 0 THEN NULL ELSE $3::int END, cache_hits = $4::int,
                    completed_at = now()
              WHERE tenant_id = $1 AND workflow_id = $5`,
            [tenant, statuses[i % statuses.length], 100 + i, i % 4, `wf-${i + 1}`],
          );
          // Hold the transaction a moment so the completions really overlap.
          await tx.query('SELECT pg_sleep(0.02)');
        }),
      ),
    );
    const diffs = await verifyDailyAggregates(t.db, { from: today, to: tomorrow, tenantId: tenant });
    assert.deepEqual(diffs, []);
    const { rows } = await t.db.query<{ total_tasks: number; successful_tasks: number }>(
      `SELECT total_tasks, successful_tasks FROM public.usage_daily_aggregates WHERE tenant_id = $1 AND user_id = $2`,
      [tenant, user],
    );
    assert.deepEqual(rows, [{ total_tasks: 50, successful_tasks: 20 }]);
  });

  it('verify finds a damaged row and rebuild repairs it', async () => {
    await t.db.query(
      `UPDATE public.usage_daily_aggregates SET total_tasks = 1, total_tokens = 0 WHERE tenant_id = $1`,
      [tenant],
    );
    const diffs = await verifyDailyAggregates(t.db, { from: today, to: tomorrow, tenantId: tenant });
    assert.equal(diffs.length, 1);
    assert.equal(diffs[0]!.stored?.['total_tasks'], 1);
    assert.equal(diffs[0]!.recount?.['total_tasks'], 50);
    const result = await rebuildDailyAggregates(t.db, { from: today, to: tomorrow, tenantId: tenant });
    assert.deepEqual([result.deleted, result.inserted], [1, 1]);
    assert.deepEqual(await verifyDailyAggregates(t.db, { from: today, to: tomorrow, tenantId: tenant }), []);
  });

  it('a rebuild racing with completions loses none', async () => {
    await t.db.query(
      `INSERT INTO public.task_executions (workflow_id, user_id, query, status, tenant_id, started_at)
       SELECT 'race-' || g, $2, 'q', 'RUNNING', $1, date_trunc('day', now()) + g * interval '1 second'
         FROM generate_series(1, 20) g`,
      [tenant, user],
    );
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) =>
        t.db.query(
          `UPDATE public.task_executions SET status = 'COMPLETED' WHERE tenant_id = $1 AND workflow_id = $2`,
          [tenant, `race-${i + 1}`],
        ),
      ),
      rebuildDailyAggregates(t.db, { from: today, to: tomorrow, tenantId: tenant }),
    ]);
    assert.deepEqual(await verifyDailyAggregates(t.db, { from: today, to: tomorrow, tenantId: tenant }), []);
  });
});
