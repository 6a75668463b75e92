/**
 * Every metric of the data layer, defined in one module on one registry (no global default
 * registry). Names follow `shannon_<subsystem>_<name>_<unit>`; label sets are fixed and bounded
 * (operation names come from code, never from user input).
 */
import { readFileSync } from 'node:fs';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Latency buckets in seconds, from 0.5 ms to 10 s. */
export const DEFAULT_LATENCY_BUCKETS_SECONDS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Numeric breaker state for the state gauge: closed 0, half-open 1, open 2, isolated 3. */
export const BREAKER_STATE_VALUE = { closed: 0, 'half-open': 1, open: 2, isolated: 3 } as const;

/**
 * prom-client's default gauges whose names end in `_total`, which the exposition format keeps for
 * counters (`promtool check metrics` rejects them); `sum(nodejs_active_handles)` etc. give the same.
 */
export const DROPPED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

/** The package's version; package.json sits two levels above both src/observability and dist/observability. */
function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

/**
 * A registry with every metric of the data layer; `defaultMetrics` (default false) adds the process
 * and Node.js metrics under their standard names (`process_cpu_seconds_total`, `nodejs_eventloop_lag_seconds`…).
 */
export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  // Scrape-time values (pool sizes, queue depths) are pulled by collectors registered by their owners.
  const collectors = new Set<() => void>();
  if (options.defaultMetrics ?? false) {
    // No prefix: the standard Node.js dashboards and alerts query these names as they are.
    collectDefaultMetrics({ register: registry });
    for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
  }
  const registers = [registry];

  const metrics = {
    registry,
    /** Registers a function run before every scrape, to publish current values. */
    addCollector(fn: () => void): () => void {
      collectors.add(fn);
      return () => collectors.delete(fn);
    },
    /** Runs every collector; `metricsText()` calls it. */
    collect(): void {
      for (const fn of collectors) fn();
    },
    /** The Prometheus text exposition of every metric, with fresh scrape-time values. */
    async metricsText(): Promise<string> {
      metrics.collect();
      return registry.metrics();
    },

    // PostgreSQL access
    dbQueryDuration: new Histogram({
      name: 'shannon_db_query_duration_seconds',
      help: 'PostgreSQL call latency by operation and outcome (ok, error, timeout, rejected).',
      labelNames: ['pool', 'operation', 'outcome'] as const,
      buckets: DEFAULT_LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    dbPoolConnections: new Gauge({
      name: 'shannon_db_pool_connections',
      help: 'Connections of a pool by state (in_use, idle, waiting = callers queued for a connection).',
      labelNames: ['pool', 'state'] as const,
      registers,
    }),
    dbPoolMaxConnections: new Gauge({
      name: 'shannon_db_pool_max_connections',
      help: 'Most connections a pool opens (PG_POOL_MAX); in_use + waiting against it is saturation.',
      labelNames: ['pool'] as const,
      registers,
    }),
    dbHealthPingFailures: new Counter({
      name: 'shannon_db_health_ping_failures_total',
      help: 'Periodic health pings that failed.',
      labelNames: ['pool'] as const,
      registers,
    }),
    dbHostChanges: new Counter({
      name: 'shannon_db_host_changes_total',
      help: 'Times a pool whose URL lists several hosts moved to another host that accepts writes (failover).',
      labelNames: ['pool'] as const,
      registers,
    }),

    // breakers (all dependencies)
    breakerState: new Gauge({
      name: 'shannon_breaker_state',
      help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open, 3 isolated.',
      labelNames: ['breaker'] as const,
      registers,
    }),
    breakerTransitions: new Counter({
      name: 'shannon_breaker_transitions_total',
      help: 'Circuit breaker state changes, by the state entered.',
      labelNames: ['breaker', 'to'] as const,
      registers,
    }),
    breakerRejections: new Counter({
      name: 'shannon_breaker_rejections_total',
      help: 'Calls rejected without being attempted because the breaker was open.',
      labelNames: ['breaker'] as const,
      registers,
    }),
    retries: new Counter({
      name: 'shannon_retries_total',
      help: 'Retried dependency calls, by dependency and failure class.',
      labelNames: ['dependency', 'class'] as const,
      registers,
    }),

    // write path (kind is one of the nine record kinds; outcome committed | spooled | rejected)
    ingestQueueRecords: new Gauge({
      name: 'shannon_ingest_queue_records',
      help: 'Records accepted by the write queue and not yet settled (queued or in flight).',
      registers,
    }),
    ingestQueueBytes: new Gauge({
      name: 'shannon_ingest_queue_bytes',
      help: 'Serialised bytes of the records accepted and not yet settled.',
      registers,
    }),
    ingestQueueOldestAge: new Gauge({
      name: 'shannon_ingest_queue_oldest_age_seconds',
      help: 'Age of the oldest record waiting in the write queue.',
      registers,
    }),
    ingestBatchSize: new Histogram({
      name: 'shannon_ingest_batch_size_records',
      help: 'Records per flushed batch after coalescing, by kind.',
      labelNames: ['kind'] as const,
      buckets: [1, 5, 10, 50, 100, 250, 500, 1000, 2500],
      registers,
    }),
    ingestFlushDuration: new Histogram({
      name: 'shannon_ingest_flush_duration_seconds',
      help: 'Time to make one batch durable, by kind and where it went (committed | spooled | failed).',
      labelNames: ['kind', 'outcome'] as const,
      buckets: DEFAULT_LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    ingestRecords: new Counter({
      name: 'shannon_ingest_records_total',
      help: 'Records settled by the write path, by kind and outcome (committed | spooled | rejected).',
      labelNames: ['kind', 'outcome'] as const,
      registers,
    }),
    ingestFailures: new Counter({
      name: 'shannon_ingest_failures_total',
      help: 'Failed batch writes and spool appends, by class (transient | conflict | client | fatal | spool).',
      labelNames: ['class'] as const,
      registers,
    }),
    ingestBackpressureWaits: new Counter({
      name: 'shannon_ingest_backpressure_waits_total',
      help: 'Callers that had to wait for queue capacity (reason queue) or were refused (queue_timeout | spool_full).',
      labelNames: ['reason'] as const,
      registers,
    }),
    ingestSpoolRecords: new Gauge({
      name: 'shannon_ingest_spool_records',
      help: 'Records in the local spool waiting for replay.',
      registers,
    }),
    ingestSpoolBytes: new Gauge({
      name: 'shannon_ingest_spool_bytes',
      help: 'Bytes of the local spool segment files.',
      registers,
    }),
    ingestSpoolSegments: new Gauge({
      name: 'shannon_ingest_spool_segments',
      help: 'Segment files in the local spool.',
      registers,
    }),
    ingestReplayedRecords: new Counter({
      name: 'shannon_ingest_replayed_records_total',
      help: 'Spooled records written to PostgreSQL by the replayer.',
      registers,
    }),
    ingestDeadLetters: new Counter({
      name: 'shannon_ingest_dead_letter_records_total',
      help: 'Spooled records PostgreSQL rejected on replay (kept in spool/rejected/ for an operator).',
      registers,
    }),
    ingestCopyFallbacks: new Counter({
      name: 'shannon_ingest_copy_fallbacks_total',
      help: 'Batches written by upsert after their COPY failed (reason: stored_key | rejected | not_permitted).',
      labelNames: ['kind', 'reason'] as const,
      registers,
    }),

    // vector memory (collection is one of the six registry names; outcome ok | error | rejected)
    memorySearchDuration: new Histogram({
      name: 'shannon_memory_search_duration_seconds',
      help: 'Vector search latency (incl. MMR) by collection, backend and outcome; _count is the search count.',
      labelNames: ['collection', 'backend', 'outcome'] as const,
      buckets: DEFAULT_LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    memorySearchRecall: new Histogram({
      name: 'shannon_memory_search_recall',
      help: 'Recall@k of sampled live dense searches against an exact search of the same request (MEMORY_RECALL_SAMPLE_RATE).',
      labelNames: ['collection'] as const,
      buckets: [0.5, 0.8, 0.9, 0.95, 0.99, 1],
      registers,
    }),
    memoryUpsertDuration: new Histogram({
      name: 'shannon_memory_upsert_duration_seconds',
      help: 'Latency of writing memory points (+ outbox rows) to PostgreSQL by collection and outcome.',
      labelNames: ['collection', 'outcome'] as const,
      buckets: DEFAULT_LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    memoryPointsWritten: new Counter({
      name: 'shannon_memory_points_written_total',
      help: 'Memory points changed in PostgreSQL, by collection and operation (upsert, delete, payload).',
      labelNames: ['collection', 'op'] as const,
      registers,
    }),
    memoryRelayDelivered: new Counter({
      name: 'shannon_memory_relay_delivered_total',
      help: 'Outbox rows delivered to the index backend, by collection.',
      labelNames: ['collection'] as const,
      registers,
    }),
    memoryRelayFailures: new Counter({
      name: 'shannon_memory_relay_failures_total',
      help: 'Relay batches the index backend refused or failed, by collection.',
      labelNames: ['collection'] as const,
      registers,
    }),
    memoryRelayDeferred: new Counter({
      name: 'shannon_memory_relay_deferred_total',
      help: 'Outbox rows the index backend asked to send later (rate limit), by collection.',
      labelNames: ['collection'] as const,
      registers,
    }),
    memoryOutboxDepth: new Gauge({
      name: 'shannon_memory_outbox_depth',
      help: 'Undelivered memory outbox rows (as of the last relay pass).',
      registers,
    }),
    memoryFollowerErrors: new Counter({
      name: 'shannon_memory_follower_errors_total',
      help: "Failed passes of the embedded index's outbox follower (each is retried from the same cursor).",
      registers,
    }),
    memoryOutboxLag: new Gauge({
      name: 'shannon_memory_outbox_lag_seconds',
      help: 'Age of the oldest undelivered memory outbox row (as of the last relay pass).',
      registers,
    }),
    memoryEmbeddingDuration: new Histogram({
      name: 'shannon_memory_embedding_duration_seconds',
      help: 'Embedding service call latency by outcome (one call embeds a batch).',
      labelNames: ['outcome'] as const,
      buckets: DEFAULT_LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    memoryEmbeddingCache: new Counter({
      name: 'shannon_memory_embedding_cache_total',
      help: 'Embedding cache lookups by layer (lru, redis) and result (hit, miss).',
      labelNames: ['layer', 'result'] as const,
      registers,
    }),
    memoryEmbeddingCacheHitRatio: new Gauge({
      name: 'shannon_memory_embedding_cache_hit_ratio',
      help: 'Share of embedding lookups served from a cache (LRU or Redis) since start.',
      registers,
    }),

    // HTTP service (route is the route template, never the raw URL; unmatched routes are "unmatched")
    httpRequestDuration: new Histogram({
      name: 'shannon_http_request_duration_seconds',
      help: 'HTTP request latency by method, route template and status code.',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: DEFAULT_LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    httpInFlight: new Gauge({
      name: 'shannon_http_requests_in_flight',
      help: 'HTTP requests being processed.',
      registers,
    }),
    httpShed: new Counter({
      name: 'shannon_http_requests_shed_total',
      help: '/v1 requests refused at once (503 BACKPRESSURE) because SHANNON_HTTP_MAX_IN_FLIGHT were being handled.',
      registers,
    }),
    httpAuthFailures: new Counter({
      name: 'shannon_http_auth_failures_total',
      help: 'Requests refused for authentication (reason: invalid, rate_limited).',
      labelNames: ['reason'] as const,
      registers,
    }),

    // Redis (operation names come from code; outcome ok | error | timeout | rejected)
    redisCommandDuration: new Histogram({
      name: 'shannon_redis_command_duration_seconds',
      help: 'Redis call latency by operation and outcome (rejected = not attempted, breaker open).',
      labelNames: ['operation', 'outcome'] as const,
      buckets: DEFAULT_LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    httpRateLimitFallbacks: new Counter({
      name: 'shannon_http_rate_limit_fallbacks_total',
      help: 'Rate-limit checks counted in-process because Redis failed or its breaker was open.',
      registers,
    }),

    // sessions cache (backend: redis | memory)
    sessionCacheLookups: new Counter({
      name: 'shannon_sessions_cache_lookups_total',
      help: 'Session cache lookups by backend and result (hit, miss).',
      labelNames: ['backend', 'result'] as const,
      registers,
    }),
    sessionCacheEvictions: new Counter({
      name: 'shannon_sessions_cache_evictions_total',
      help: 'Sessions removed from the cache, by reason (expired, capacity, tenant_share, deleted).',
      labelNames: ['backend', 'reason'] as const,
      registers,
    }),
    sessionCacheSnapshots: new Counter({
      name: 'shannon_sessions_cache_snapshots_total',
      help: 'Session snapshots written to session_archives, by trigger (periodic, expiry) and outcome.',
      labelNames: ['trigger', 'outcome'] as const,
      registers,
    }),
    sessionCacheEntries: new Gauge({
      name: 'shannon_sessions_cache_entries',
      help: 'Sessions held in the in-process cache (the Redis backend reports its tracked keys).',
      labelNames: ['backend'] as const,
      registers,
    }),
    sessionCacheBytes: new Gauge({
      name: 'shannon_sessions_cache_bytes',
      help: 'Serialized session state held in the cache (the Redis backend reports its per-tenant counters).',
      labelNames: ['backend'] as const,
      registers,
    }),

    // operations toolkit (operation is one of the toolkit's entry points; severity info | warning | critical)
    opsOperationDuration: new Histogram({
      name: 'shannon_ops_operation_duration_seconds',
      help: 'Duration of toolkit operations (doctor, explain, advise, partitions, retention, archive, aggregates) by outcome.',
      labelNames: ['operation', 'outcome'] as const,
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800],
      registers,
    }),
    replicaServing: new Gauge({
      name: 'shannon_db_replica_serving',
      help: 'Whether a read replica serves reads (1) or is out (0: unreachable, promoted or lagging), as of its last check.',
      labelNames: ['replica'] as const,
      registers,
    }),
    replicaLagBytes: new Gauge({
      name: 'shannon_db_replica_lag_bytes',
      help: "WAL bytes between the primary's position and a replica's replay position, as of the last check.",
      labelNames: ['replica'] as const,
      registers,
    }),
    replicaReads: new Counter({
      name: 'shannon_db_replica_reads_total',
      help: 'Routed reads, by where they ran (replica or primary).',
      labelNames: ['target'] as const,
      registers,
    }),
    opsDoctorFindings: new Gauge({
      name: 'shannon_ops_doctor_findings',
      help: 'Findings of the last doctor run, by severity.',
      labelNames: ['severity'] as const,
      registers,
    }),
    opsDoctorLastRun: new Gauge({
      name: 'shannon_ops_doctor_last_run_timestamp_seconds',
      help: 'When the doctor last ran in this process (Unix time); the findings gauge is as of then.',
      registers,
    }),
    opsArchivedRows: new Counter({
      name: 'shannon_ops_archived_rows_total',
      help: 'Rows written to archive files by retention and archive export.',
      registers,
    }),
    buildInfo: new Gauge({
      name: 'shannon_build_info',
      help: 'Always 1; the labels say which version of the service runs on which Node.js.',
      labelNames: ['version', 'node_version'] as const,
      registers,
    }),
  };
  metrics.buildInfo.set({ version: packageVersion(), node_version: process.versions.node }, 1);
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
