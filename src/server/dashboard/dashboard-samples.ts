/**
 * The dashboard's history: a ring of samples taken in the service process from its own metrics
 * registry and pool, every `intervalMs` (5 s) for `capacity` samples (720: an hour). Counters
 * become rates and histograms become a p95 over each interval, from the difference with the
 * previous sample, so the page draws time series without a Prometheus server.
 */
import type { Metrics } from '../../observability/metrics.js';

/** Sampling period of the dashboard's ring. */
export const DEFAULT_SAMPLE_INTERVAL_MS = 5_000;
/** Samples kept: an hour at the default period. */
export const DEFAULT_SAMPLE_CAPACITY = 720;

/** What the pool reports (`Database.stats()`). */
export interface PoolCounts {
  inUse: number;
  idle: number;
  waiting: number;
  max: number;
}

export interface DashboardSamplesOptions {
  metrics: Metrics;
  pool: () => PoolCounts;
  intervalMs?: number;
  capacity?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

/** The ring as the series endpoint sends it: one timestamp column and one value column per series. */
export interface SeriesSnapshot {
  intervalMs: number;
  capacity: number;
  /** Unix seconds of each sample, oldest first. */
  times: number[];
  /** Series key → one value per time (null where the series had no data in that interval). */
  series: Record<string, (number | null)[]>;
}

interface MetricValue {
  value: number;
  labels: Record<string, string | number | undefined>;
  metricName?: string;
}

/** The quantile `q` of histogram bucket counts (cumulative by upper bound), as histogram_quantile. */
export function bucketQuantile(q: number, buckets: ReadonlyMap<number, number>): number | null {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Number.POSITIVE_INFINITY) ?? buckets.get(bounds.at(-1) ?? 0) ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const bound of bounds) {
    const count = buckets.get(bound) ?? 0;
    if (count >= rank) {
      if (bound === Number.POSITIVE_INFINITY) return lower;
      return count === below ? bound : lower + ((bound - lower) * (rank - below)) / (count - below);
    }
    lower = bound;
    below = count;
  }
  return lower;
}

/** Sums a histogram's bucket series by `le`, keeping the label sets `keep` accepts. */
function bucketsOf(values: readonly MetricValue[], keep: (v: MetricValue) => boolean): Map<number, number> {
  const out = new Map<number, number>();
  for (const v of values) {
    if (!v.metricName?.endsWith('_bucket') || !keep(v)) continue;
    const le = v.labels['le'] === '+Inf' ? Number.POSITIVE_INFINITY : Number(v.labels['le']);
    out.set(le, (out.get(le) ?? 0) + v.value);
  }
  return out;
}

function difference(current: Map<number, number>, previous: Map<number, number> | undefined) {
  const out = new Map<number, number>();
  for (const [le, n] of current) out.set(le, Math.max(0, n - (previous?.get(le) ?? 0)));
  return out;
}

/** The ring of samples with its timer; `start()` takes the first sample at once. */
export class DashboardSamples {
  readonly intervalMs: number;
  readonly capacity: number;
  private readonly metrics: Metrics;
  private readonly pool: () => PoolCounts;
  private readonly now: () => number;
  private readonly times: number[] = [];
  private readonly columns = new Map<string, (number | null)[]>();
  /** Cumulative counters and histogram buckets of the previous sample, for rates and quantiles. */
  private previousCounters = new Map<string, number>();
  private previousBuckets = new Map<string, Map<number, number>>();
  private previousAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(options: DashboardSamplesOptions) {
    this.metrics = options.metrics;
    this.pool = options.pool;
    this.intervalMs = options.intervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS;
    this.capacity = options.capacity ?? DEFAULT_SAMPLE_CAPACITY;
    this.now = options.now ?? Date.now;
  }

  /** Starts sampling (first sample now); the timer is unref'd so it never holds the process open. */
  start(): void {
    if (this.timer !== undefined) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sample in progress. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Takes one sample now (one at a time; a failure leaves a gap, never an exception). */
  sample(): Promise<void> {
    this.running ??= this.takeSample()
      .catch(() => undefined)
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  snapshot(): SeriesSnapshot {
    return {
      intervalMs: this.intervalMs,
      capacity: this.capacity,
      times: [...this.times],
      series: Object.fromEntries([...this.columns].map(([key, values]) => [key, [...values]])),
    };
  }

  private async takeSample(): Promise<void> {
    const at = this.now();
    const seconds = this.previousAt === undefined ? undefined : (at - this.previousAt) / 1000;
    const row = new Map<string, number | null>();
    const counters = new Map<string, number>();
    const buckets = new Map<string, Map<number, number>>();
    const rate = (key: string, cumulative: number) => {
      counters.set(key, cumulative);
      const before = this.previousCounters.get(key);
      row.set(
        key,
        seconds === undefined || seconds <= 0 ? null : Math.max(0, cumulative - (before ?? 0)) / seconds,
      );
    };
    const p95 = (key: string, cumulative: Map<number, number>) => {
      buckets.set(key, cumulative);
      row.set(
        key,
        seconds === undefined
          ? null
          : bucketQuantile(0.95, difference(cumulative, this.previousBuckets.get(key))),
      );
    };
    const m = this.metrics;
    m.collect();
    const read = async (metric: { get(): Promise<{ values: MetricValue[] }> | { values: MetricValue[] } }) =>
      (await metric.get()).values;

    const byKind = new Map<string, number>();
    for (const v of await read(m.ingestRecords)) {
      if (v.labels['outcome'] === 'rejected') continue;
      const kind = String(v.labels['kind']);
      byKind.set(kind, (byKind.get(kind) ?? 0) + v.value);
    }
    for (const [kind, n] of byKind) rate(`ingest_records_per_second:${kind}`, n);
    row.set('queue_records', (await read(m.ingestQueueRecords))[0]?.value ?? 0);
    row.set('queue_oldest_age_seconds', (await read(m.ingestQueueOldestAge))[0]?.value ?? 0);
    row.set('spool_bytes', (await read(m.ingestSpoolBytes))[0]?.value ?? 0);

    const pool = this.pool();
    row.set('pool:in use', pool.inUse);
    row.set('pool:idle', pool.idle);
    row.set('pool:waiting', pool.waiting);
    row.set('pool:max', pool.max);
    for (const v of await read(m.breakerState))
      row.set(`breaker_state:${String(v.labels['breaker'])}`, v.value);

    let requests = 0;
    let errors = 0;
    for (const v of await read(m.httpRequestDuration)) {
      if (!v.metricName?.endsWith('_count')) continue;
      requests += v.value;
      if (String(v.labels['status']).startsWith('5')) errors += v.value;
    }
    rate('http_requests_per_second:all', requests);
    rate('http_requests_per_second:5xx', errors);

    p95(
      'db_query_p95_seconds',
      bucketsOf(await read(m.dbQueryDuration), () => true),
    );
    const searches = await read(m.memorySearchDuration);
    const collections = new Set(searches.map((v) => String(v.labels['collection'])));
    for (const c of collections)
      p95(
        `memory_search_p95_seconds:${c}`,
        bucketsOf(searches, (v) => String(v.labels['collection']) === c),
      );
    row.set('outbox_lag_seconds', (await read(m.memoryOutboxLag))[0]?.value ?? 0);
    row.set('outbox_depth', (await read(m.memoryOutboxDepth))[0]?.value ?? 0);

    this.previousAt = at;
    this.previousCounters = counters;
    this.previousBuckets = buckets;
    this.append(Math.round(at / 1000), row);
  }

  private append(time: number, row: Map<string, number | null>): void {
    for (const [key, value] of row) {
      let column = this.columns.get(key);
      if (column === undefined) {
        column = this.times.map(() => null);
        this.columns.set(key, column);
      }
      column.push(value);
    }
    this.times.push(time);
    for (const column of this.columns.values()) if (column.length < this.times.length) column.push(null);
    if (this.times.length > this.capacity) {
      this.times.shift();
      for (const column of this.columns.values()) column.shift();
    }
  }
}
