/**
 * The write path's metrics subscriber (src/ingest/ingest-metrics.ts): each event lands on the
 * metric and label values dashboards and alerts read, and the queue and spool depths are published
 * at scrape time until the write path stops them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectIngestGauges, ingestMetricsEvents } from '../../src/ingest/ingest-metrics.js';
import { createMetrics } from '../../src/observability/metrics.js';

function lines(text: string): Set<string> {
  return new Set(text.split('\n').filter((line) => line !== '' && !line.startsWith('#')));
}

test('every write-path event counts into its metric, with the labels the dashboards use', async () => {
  const metrics = createMetrics();
  const events = ingestMetricsEvents(metrics);
  events.batchFlushing('event_log', 5);
  events.recordsCommitted('token_usage', 0);
  events.recordsCommitted('event_log', 3);
  events.recordRejected('audit_log');
  events.directWriteFailed('event_log', 'transient');
  events.recordsSpooled('event_log', 2);
  events.spoolRefused('event_log', 'full');
  events.spoolRefused('event_log', 'failed');
  events.spoolSealed('segment-0000000000000001.log', new Error('EIO'));
  events.flushSettled('event_log', 'spooled', 1_500);
  events.queueWaited();
  events.queueRefused();
  events.replayCommitted(4);
  events.replayInterrupted();
  events.deadLettered(2);
  events.copyFallback('event_log', 'stored_key');
  const text = lines(await metrics.metricsText());
  for (const expected of [
    'shannon_ingest_batch_size_records_sum{kind="event_log"} 5',
    'shannon_ingest_batch_size_records_count{kind="event_log"} 1',
    'shannon_ingest_records_total{kind="token_usage",outcome="committed"} 0',
    'shannon_ingest_records_total{kind="event_log",outcome="committed"} 3',
    'shannon_ingest_records_total{kind="audit_log",outcome="rejected"} 1',
    'shannon_ingest_records_total{kind="event_log",outcome="spooled"} 2',
    'shannon_ingest_failures_total{class="client"} 1',
    'shannon_ingest_failures_total{class="transient"} 1',
    // One refused append and one sealed segment.
    'shannon_ingest_failures_total{class="spool"} 2',
    'shannon_ingest_backpressure_waits_total{reason="spool_full"} 1',
    'shannon_ingest_backpressure_waits_total{reason="queue"} 1',
    'shannon_ingest_backpressure_waits_total{reason="queue_timeout"} 1',
    'shannon_ingest_flush_duration_seconds_sum{kind="event_log",outcome="spooled"} 1.5',
    'shannon_ingest_flush_duration_seconds_count{kind="event_log",outcome="spooled"} 1',
    'shannon_ingest_replayed_records_total 4',
    'shannon_retries_total{dependency="postgres_ingest_replay",class="transient"} 1',
    'shannon_ingest_dead_letter_records_total 2',
    'shannon_ingest_copy_fallbacks_total{kind="event_log",reason="stored_key"} 1',
  ])
    assert.ok(text.has(expected), `missing: ${expected}`);
});

test('queue and spool depths are published at scrape time, until stopped', async () => {
  const metrics = createMetrics();
  let pendingRecords = 7;
  const stop = collectIngestGauges(metrics, {
    queue: () => ({
      pendingRecords,
      pendingBytes: 700,
      queuedRecords: 5,
      queuedBytes: 500,
      oldestAgeMs: 250,
      waiting: 0,
    }),
    spool: () => ({ records: 3, bytes: 300, segments: 1 }),
  });
  let text = lines(await metrics.metricsText());
  for (const expected of [
    'shannon_ingest_queue_records 7',
    'shannon_ingest_queue_bytes 700',
    'shannon_ingest_queue_oldest_age_seconds 0.25',
    'shannon_ingest_spool_records 3',
    'shannon_ingest_spool_bytes 300',
    'shannon_ingest_spool_segments 1',
  ])
    assert.ok(text.has(expected), `missing: ${expected}`);
  stop();
  pendingRecords = 9;
  text = lines(await metrics.metricsText());
  assert.ok(text.has('shannon_ingest_queue_records 7'), 'a stopped collector no longer runs');
});
