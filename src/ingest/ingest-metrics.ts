/**
 * The write path's one metrics subscriber: maps its events (ingest-events.ts) onto the Prometheus
 * metrics defined in src/observability/metrics.ts, and publishes the queue and spool depths at
 * scrape time. Metric names and label values are what dashboards and alerts read: change none here
 * without changing them there.
 */
import type { Metrics } from '../observability/metrics.js';
import type { IngestEvents } from './ingest-events.js';
import type { SpoolStats } from './spool.js';
import type { WriteQueueStats } from './write-queue.js';

/** Events that count into `metrics`. */
export function ingestMetricsEvents(metrics: Metrics): IngestEvents {
  return {
    batchFlushing: (kind, records) => metrics.ingestBatchSize.observe({ kind }, records),
    // Counted even when 0: the series then exists from the first batch of its kind.
    recordsCommitted: (kind, records) => metrics.ingestRecords.inc({ kind, outcome: 'committed' }, records),
    recordRejected: (kind) => {
      metrics.ingestFailures.inc({ class: 'client' });
      metrics.ingestRecords.inc({ kind, outcome: 'rejected' });
    },
    directWriteFailed: (_kind, failure) => metrics.ingestFailures.inc({ class: failure }),
    recordsSpooled: (kind, records) => metrics.ingestRecords.inc({ kind, outcome: 'spooled' }, records),
    spoolRefused: (_kind, reason) => {
      if (reason === 'full') metrics.ingestBackpressureWaits.inc({ reason: 'spool_full' });
      else metrics.ingestFailures.inc({ class: 'spool' });
    },
    flushSettled: (kind, outcome, durationMs) =>
      metrics.ingestFlushDuration.observe({ kind, outcome }, durationMs / 1000),
    queueWaited: () => metrics.ingestBackpressureWaits.inc({ reason: 'queue' }),
    queueRefused: () => metrics.ingestBackpressureWaits.inc({ reason: 'queue_timeout' }),
    spoolSealed: () => metrics.ingestFailures.inc({ class: 'spool' }),
    replayCommitted: (records) => metrics.ingestReplayedRecords.inc(records),
    replayInterrupted: () =>
      metrics.retries.inc({ dependency: 'postgres_ingest_replay', class: 'transient' }),
    deadLettered: (records) => metrics.ingestDeadLetters.inc(records),
    copyFallback: (kind, reason) => metrics.ingestCopyFallbacks.inc({ kind, reason }),
  };
}

/**
 * Publishes the queue's and the spool's depths before every scrape.
 * @returns the function that stops it (close() calls it).
 */
export function collectIngestGauges(
  metrics: Metrics,
  current: { queue: () => WriteQueueStats; spool: () => SpoolStats },
): () => void {
  return metrics.addCollector(() => {
    const q = current.queue();
    metrics.ingestQueueRecords.set(q.pendingRecords);
    metrics.ingestQueueBytes.set(q.pendingBytes);
    metrics.ingestQueueOldestAge.set(q.oldestAgeMs / 1000);
    const s = current.spool();
    metrics.ingestSpoolRecords.set(s.records);
    metrics.ingestSpoolBytes.set(s.bytes);
    metrics.ingestSpoolSegments.set(s.segments);
  });
}
