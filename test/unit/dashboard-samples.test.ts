/**
 * The dashboard's sample ring over a real metrics registry and a fake clock: counters become
 * per-second rates over each interval, histograms a p95 of that interval only, the pool and
 * gauges are read as they are, and the ring keeps only its capacity.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics } from '../../src/observability/metrics.js';
import { bucketQuantile, DashboardSamples } from '../../src/server/dashboard/dashboard-samples.js';

function ring(capacity = 720) {
  const metrics = createMetrics();
  let now = 1_000_000;
  const pool = { inUse: 2, idle: 3, waiting: 1, max: 10 };
  const samples = new DashboardSamples({ metrics, pool: () => pool, capacity, now: () => now });
  return {
    metrics,
    pool,
    samples,
    advance(ms: number) {
      now += ms;
    },
  };
}

test('p95 interpolates inside the bucket holding the 95th percentile, as histogram_quantile', () => {
  const buckets = new Map([
    [0.1, 50],
    [0.5, 90],
    [1, 100],
    [Number.POSITIVE_INFINITY, 100],
  ]);
  assert.equal(bucketQuantile(0.95, buckets), 0.75);
  assert.equal(bucketQuantile(0.5, buckets), 0.1);
  assert.equal(bucketQuantile(0.95, new Map([[Number.POSITIVE_INFINITY, 0]])), null);
});

test('counters become rates per kind and histograms a p95 of each interval', async () => {
  const r = ring();
  const { metrics } = r;
  metrics.ingestRecords.inc({ kind: 'event_log', outcome: 'committed' }, 100);
  await r.samples.sample();
  r.advance(5_000);
  metrics.ingestRecords.inc({ kind: 'event_log', outcome: 'committed' }, 40);
  metrics.ingestRecords.inc({ kind: 'event_log', outcome: 'spooled' }, 10);
  metrics.ingestRecords.inc({ kind: 'event_log', outcome: 'rejected' }, 1_000);
  metrics.ingestRecords.inc({ kind: 'task_execution', outcome: 'committed' }, 5);
  for (let i = 0; i < 100; i++)
    metrics.httpRequestDuration.observe({ method: 'GET', route: '/x', status: i < 10 ? '503' : '200' }, 0.01);
  for (let i = 0; i < 18; i++)
    metrics.dbQueryDuration.observe({ pool: 'primary', operation: 'q', outcome: 'ok' }, 0.002);
  metrics.dbQueryDuration.observe({ pool: 'primary', operation: 'q', outcome: 'ok' }, 4);
  metrics.dbQueryDuration.observe({ pool: 'replica', operation: 'q', outcome: 'ok' }, 4.5);
  metrics.memorySearchDuration.observe({ collection: 'cases', backend: 'qdrant', outcome: 'ok' }, 0.02);
  metrics.ingestQueueRecords.set(7);
  await r.samples.sample();

  const s = r.samples.snapshot();
  assert.deepEqual(s.times, [1_000, 1_005]);
  assert.deepEqual(s.series['ingest_records_per_second:event_log'], [null, 10]);
  assert.deepEqual(s.series['ingest_records_per_second:task_execution'], [null, 1]);
  assert.deepEqual(s.series['http_requests_per_second:all'], [null, 20]);
  assert.deepEqual(s.series['http_requests_per_second:5xx'], [null, 2]);
  assert.deepEqual(s.series['queue_records'], [0, 7]);
  assert.deepEqual(s.series['pool:in use'], [2, 2]);
  assert.deepEqual(s.series['pool:max'], [10, 10]);
  // 18 of 20 at 2 ms, 2 in the (2.5 s, 5 s] bucket: the 19th lies half-way into that bucket.
  assert.deepEqual(s.series['db_query_p95_seconds'], [null, 3.75]);
  assert.equal(
    s.series['memory_search_p95_seconds:cases']?.[0],
    null,
    'no collection before its first search',
  );
  assert.ok((s.series['memory_search_p95_seconds:cases']?.[1] ?? 0) > 0.01);

  // An interval without queries has no p95 (a gap), not the previous interval's.
  r.advance(5_000);
  await r.samples.sample();
  assert.equal(r.samples.snapshot().series['db_query_p95_seconds']?.[2], null);
  assert.equal(r.samples.snapshot().series['ingest_records_per_second:event_log']?.[2], 0);
});

test('the ring keeps only its capacity, oldest out first', async () => {
  const r = ring(3);
  for (let i = 0; i < 5; i++) {
    r.pool.inUse = i;
    await r.samples.sample();
    r.advance(5_000);
  }
  const s = r.samples.snapshot();
  assert.equal(s.times.length, 3);
  assert.deepEqual(s.series['pool:in use'], [2, 3, 4]);
});

test('start samples at once and stop ends the timer', async () => {
  const r = ring();
  r.samples.start();
  await r.samples.stop();
  assert.equal(r.samples.snapshot().times.length, 1);
});
