/**
 * The Grafana dashboard of `deploy/grafana/shannon-data.json`, built here so that its queries are
 * code: `scripts/update-grafana-dashboard.ts` writes the file, and tests check the committed file
 * equals this output and that every metric its queries name exists in the service's registry.
 * Panels follow the operator dashboard (`/dashboard`): write path, pool, breakers, HTTP, latency,
 * memory, replicas, then the process.
 */

/** The dashboard's uid, stable so links and provisioning keep pointing at it. */
export const GRAFANA_DASHBOARD_UID = 'shannon-data';

/** Panels query the data source chosen in the dashboard's `datasource` variable. */
const DATASOURCE_UID = '$datasource';
/** Every query is filtered to the instances chosen in the dashboard's `instance` variable. */
const SEL = 'instance=~"$instance"';
/** Grafana picks a window of at least four scrape intervals for rate(). */
const RATE = '$__rate_interval';

interface Query {
  expr: string;
  legend: string;
}

interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  /** Panel type; default a time series. */
  type?: 'timeseries' | 'state-timeline';
  /** Value → text for state panels. */
  mappings?: Record<string, string>;
  /** Width in grid columns (of 24); default 8. */
  width?: number;
}

const PANELS: readonly PanelSpec[] = [
  {
    title: 'Ingest records/s by kind',
    description:
      'Records settled by the write path per second, by kind and outcome (committed, spooled, rejected).',
    unit: 'reqps',
    queries: [
      {
        expr: `sum by (kind, outcome) (rate(shannon_ingest_records_total{${SEL}}[${RATE}]))`,
        legend: '{{kind}} {{outcome}}',
      },
    ],
    width: 12,
  },
  {
    title: 'Write queue depth',
    description: 'Records accepted and not yet durable (queued or being written).',
    unit: 'short',
    queries: [{ expr: `sum by (instance) (shannon_ingest_queue_records{${SEL}})`, legend: '{{instance}}' }],
    width: 6,
  },
  {
    title: 'Write queue oldest record age',
    description: 'How long the oldest record in the write queue has waited.',
    unit: 's',
    queries: [
      { expr: `max by (instance) (shannon_ingest_queue_oldest_age_seconds{${SEL}})`, legend: '{{instance}}' },
    ],
    width: 6,
  },
  {
    title: 'Spool size',
    description: 'Bytes in the local spool waiting for replay (grows while PostgreSQL is unreachable).',
    unit: 'bytes',
    queries: [
      { expr: `sum by (instance) (shannon_ingest_spool_bytes{${SEL}})`, legend: '{{instance}} bytes' },
    ],
  },
  {
    title: 'Pool connections vs maximum',
    description: 'Connections in use, idle and callers waiting, against the pool maximum (PG_POOL_MAX).',
    unit: 'short',
    queries: [
      {
        expr: `sum by (pool, state) (shannon_db_pool_connections{${SEL}})`,
        legend: '{{pool}} {{state}}',
      },
      { expr: `sum by (pool) (shannon_db_pool_max_connections{${SEL}})`, legend: '{{pool}} max' },
    ],
  },
  {
    title: 'Breaker states',
    description: 'Circuit breakers: closed, half-open, open or isolated.',
    unit: 'short',
    type: 'state-timeline',
    mappings: { '0': 'closed', '1': 'half-open', '2': 'open', '3': 'isolated' },
    queries: [{ expr: `max by (breaker) (shannon_breaker_state{${SEL}})`, legend: '{{breaker}}' }],
  },
  {
    title: 'HTTP requests/s and 5xx',
    description: 'Requests answered per second, and those answered with a 5xx status.',
    unit: 'reqps',
    queries: [
      {
        expr: `sum(rate(shannon_http_request_duration_seconds_count{${SEL}}[${RATE}]))`,
        legend: 'all',
      },
      {
        expr: `sum(rate(shannon_http_request_duration_seconds_count{${SEL},status=~"5.."}[${RATE}]))`,
        legend: '5xx',
      },
    ],
  },
  {
    title: 'PostgreSQL query latency p95',
    description: 'p95 of PostgreSQL calls by pool (all operations and outcomes).',
    unit: 's',
    queries: [
      {
        expr: `histogram_quantile(0.95, sum by (pool, le) (rate(shannon_db_query_duration_seconds_bucket{${SEL}}[${RATE}])))`,
        legend: '{{pool}}',
      },
    ],
  },
  {
    title: 'HTTP latency p95 by route',
    description: 'p95 of request latency by route template.',
    unit: 's',
    queries: [
      {
        expr: `histogram_quantile(0.95, sum by (route, le) (rate(shannon_http_request_duration_seconds_bucket{${SEL}}[${RATE}])))`,
        legend: '{{route}}',
      },
    ],
  },
  {
    title: 'Memory search latency p95 by collection',
    description: 'p95 of successful vector searches (with MMR) by collection.',
    unit: 's',
    queries: [
      {
        expr: `histogram_quantile(0.95, sum by (collection, le) (rate(shannon_memory_search_duration_seconds_bucket{${SEL},outcome="ok"}[${RATE}])))`,
        legend: '{{collection}}',
      },
    ],
  },
  {
    title: 'Memory outbox lag',
    description: 'Age of the oldest memory outbox row not yet delivered to the index.',
    unit: 's',
    queries: [
      { expr: `max by (instance) (shannon_memory_outbox_lag_seconds{${SEL}})`, legend: '{{instance}} lag' },
    ],
  },
  {
    title: 'Memory outbox depth',
    description: 'Undelivered memory outbox rows.',
    unit: 'short',
    queries: [{ expr: `max by (instance) (shannon_memory_outbox_depth{${SEL}})`, legend: '{{instance}}' }],
  },
  {
    title: 'Replica lag',
    description: "WAL bytes between the primary's position and each read replica's replay position.",
    unit: 'bytes',
    queries: [{ expr: `max by (replica) (shannon_db_replica_lag_bytes{${SEL}})`, legend: '{{replica}}' }],
  },
  {
    title: 'Write failures/s by class',
    description: 'Failed batch writes and spool appends per second, by class.',
    unit: 'short',
    queries: [
      {
        expr: `sum by (class) (rate(shannon_ingest_failures_total{${SEL}}[${RATE}]))`,
        legend: '{{class}}',
      },
    ],
  },
  {
    title: 'Process CPU',
    description: 'CPU seconds per second used by the service process.',
    unit: 'percentunit',
    queries: [{ expr: `rate(process_cpu_seconds_total{${SEL}}[${RATE}])`, legend: '{{instance}}' }],
  },
  {
    title: 'Event-loop delay p99',
    description: 'p99 of the Node.js event-loop delay (requests wait this long before running).',
    unit: 's',
    queries: [{ expr: `nodejs_eventloop_lag_p99_seconds{${SEL}}`, legend: '{{instance}}' }],
  },
];

function panel(spec: PanelSpec, id: number, x: number, y: number): Record<string, unknown> {
  const type = spec.type ?? 'timeseries';
  const mappings =
    spec.mappings === undefined
      ? []
      : [
          {
            type: 'value',
            options: Object.fromEntries(
              Object.entries(spec.mappings).map(([value, text], index) => [value, { text, index }]),
            ),
          },
        ];
  return {
    id,
    type,
    title: spec.title,
    description: spec.description,
    datasource: { type: 'prometheus', uid: DATASOURCE_UID },
    gridPos: { x, y, w: spec.width ?? 8, h: 8 },
    fieldConfig: { defaults: { unit: spec.unit, mappings }, overrides: [] },
    options:
      type === 'timeseries'
        ? {
            legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
            tooltip: { mode: 'multi' },
          }
        : { showValue: 'auto', mergeValues: true },
    targets: spec.queries.map((q, index) => ({
      refId: String.fromCharCode(65 + index),
      datasource: { type: 'prometheus', uid: DATASOURCE_UID },
      expr: q.expr,
      legendFormat: q.legend,
    })),
  };
}

/** The dashboard model (Grafana schema 39), with panels laid out left to right in rows of 24. */
export function grafanaDashboard(): Record<string, unknown> {
  let x = 0;
  let y = 0;
  const panels = PANELS.map((spec, index) => {
    const width = spec.width ?? 8;
    if (x + width > 24) {
      x = 0;
      y += 8;
    }
    const built = panel(spec, index + 1, x, y);
    x += width;
    return built;
  });
  return {
    uid: GRAFANA_DASHBOARD_UID,
    title: 'Shannon Data',
    description: 'Write path, PostgreSQL pool, breakers, HTTP, latency and vector memory of Shannon Data.',
    tags: ['shannon-data'],
    editable: true,
    schemaVersion: 39,
    version: 1,
    refresh: '10s',
    time: { from: 'now-1h', to: 'now' },
    timezone: 'browser',
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus' },
        {
          name: 'instance',
          label: 'Instance',
          type: 'query',
          datasource: { type: 'prometheus', uid: DATASOURCE_UID },
          query: { query: 'label_values(shannon_build_info, instance)', refId: 'instance' },
          definition: 'label_values(shannon_build_info, instance)',
          includeAll: true,
          multi: true,
          allValue: '.*',
          current: { text: 'All', value: '$__all' },
          refresh: 2,
        },
      ],
    },
    annotations: { list: [] },
    panels,
  };
}

/** The file's text: the model as indented JSON with a final newline. */
export function renderGrafanaDashboard(): string {
  return `${JSON.stringify(grafanaDashboard(), null, 2)}\n`;
}
