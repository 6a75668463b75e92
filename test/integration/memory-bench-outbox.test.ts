/**
 * The outbox phase of `bench memory` (src/devtools/bench/memory-bench-outbox.ts): the commit rate
 * and the time until the same run's points are searchable, measured in one run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { outboxThroughput } from '../../src/devtools/bench/memory-bench-outbox.js';
import { lowRankVectors } from '../../src/devtools/bench/memory-benchmark.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('bench memory outbox phase', () => {
  let t: TestDatabase;

  before(async () => {
    t = await createTestDatabase();
  });

  after(async () => {
    await t?.drop();
  });

  it('reports the commit rate and the time from the last commit until every point is searchable', async () => {
    const dim = 16;
    const count = 1_200;
    const figures = await outboxThroughput(
      t.db,
      lowRankVectors(count, dim, 3),
      dim,
      count,
      () => undefined,
      (c, d) => lowRankVectors(c, d, 5),
    );
    assert.equal(figures.points, count);
    assert.ok(figures.upsert_points_per_second > 0);
    assert.ok(figures.time_to_searchable_seconds > 0);
    // Both rates come from the same run: the relay's is the run's points over that time.
    const expected = count / figures.time_to_searchable_seconds;
    assert.ok(
      Math.abs(figures.relay_points_per_second - expected) / expected < 0.05,
      `${figures.relay_points_per_second} vs ${expected}`,
    );
    const left = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM public.memory_outbox WHERE delivered_at IS NULL`,
    );
    assert.equal(left.rows[0]?.n, 0);
  });
});
