/**
 * The dashboard's routes over the real service, fed by the demo workload:
 * - its polls are not charged to the tenant's hourly budget (an operator's and a tenant
 *   administrator's), while other requests still are;
 * - the page's own renderers, run on the routes' actual answers, show the values the API sent
 *   (the index advice's createStatement, the doctor's fixes, sizes…) and never `undefined`; every
 *   chart of the page finds its series in the ring;
 * - partitioned tables report the rows of their partitions; slow queries come from the first call;
 * - uPlot and the page's files are served from this process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadDashboard } from '../helpers/dashboard-sandbox.js';
import { plantedQuery, startDashboardFixture } from './dashboard-fixture.js';
import type { ServerHarness } from './server-harness.js';

const PLANTED_QUERY = plantedQuery('dash_routes_orders');
const DATA_ROUTES = [
  '/v1/admin/dashboard/series',
  '/v1/admin/dashboard/slow-queries',
  '/v1/admin/dashboard/collections',
  '/v1/admin/overview',
  '/v1/admin/partitions',
  '/v1/admin/tables',
];

describe('dashboard routes', () => {
  let h: ServerHarness;
  let operator: string;
  const get = async (url: string, key = operator) => {
    const res = await h.app.inject({ url, headers: { authorization: `Bearer ${key}` } });
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    return res.json();
  };

  before(async () => {
    ({ h, operatorKey: operator } = await startDashboardFixture({ table: 'dash_routes_orders', tasks: 20 }));
  });
  after(() => h?.close());

  it("polls are not charged to the tenant's hourly budget; other requests are", async () => {
    const { key } = await h.tenantWithKey({ operator: true, rateLimitPerHour: 2 });
    for (let i = 0; i < 3; i++) {
      for (const url of [...DATA_ROUTES, '/v1/admin/doctor', '/v1/admin/indexes/advice']) await get(url, key);
    }
    const whoami = () => h.app.inject({ url: '/v1/whoami', headers: { authorization: `Bearer ${key}` } });
    const first = await whoami();
    assert.equal(first.statusCode, 200);
    assert.equal(first.headers['x-ratelimit-remaining'], '1', 'the whole budget was left after 24 polls');
    assert.equal((await whoami()).statusCode, 200);
    assert.equal((await whoami()).statusCode, 429);

    const admin = await h.tenantWithKey({ rateLimitPerHour: 1 });
    for (let i = 0; i < 3; i++) await get('/v1/admin/tenant', admin.key);
  });

  it("the page's renderers show the API's values", async () => {
    const page = loadDashboard(['dashboard-format.js', 'dashboard-charts.js', 'dashboard-panels.js']);
    const P = page.context['ShannonPanels'] as Record<string, (body: unknown) => void>;
    const text = (id: string) => page.element(id).textContent;
    const answers: Record<string, unknown> = {};
    for (const [panel, url] of [
      ['overview', '/v1/admin/overview'],
      ['doctor', '/v1/admin/doctor'],
      ['slow', '/v1/admin/dashboard/slow-queries'],
      ['advice', '/v1/admin/indexes/advice'],
      ['partitions', '/v1/admin/partitions'],
      ['tables', '/v1/admin/tables'],
      ['collections', '/v1/admin/dashboard/collections'],
    ] as const) {
      answers[panel] = await get(url);
      P[panel]!(answers[panel]);
    }
    const tenant = await h.tenantWithKey();
    P['tenant']!(await get('/v1/admin/tenant', tenant.key));

    const advice = answers['advice'] as { suggestions: { table: string; createStatement: string }[] };
    const planted = advice.suggestions.find((s) => s.table === 'dash_routes_orders');
    assert.ok(planted !== undefined, JSON.stringify(advice));
    assert.ok(text('advice').includes(planted.createStatement), text('advice'));
    const doctor = answers['doctor'] as { findings: { fix: string }[] };
    assert.ok(doctor.findings.length > 0);
    for (const f of doctor.findings.slice(0, 100)) assert.ok(text('findings').includes(f.fix), f.fix);
    assert.match(text('slow'), /dash_routes_orders/);
    assert.match(text('partitions'), /event_logs7\d{4}-\d{2}-01 → \d{4}-\d{2}-01\d+ kB/);
    assert.match(text('tables'), /\d+(\.\d)? (kB|MB)/);
    assert.match(text('collections'), /task_embeddings v1/);
    assert.match(text('pool'), /connections in use\d+ \/ 10/);
    assert.match(text('ingest'), /queued0 records, 0 B/);
    for (const id of [
      'pool',
      'ingest',
      'findings',
      'slow',
      'advice',
      'partitions',
      'tables',
      'collections',
      'tenant-tasks',
      'tenant-stores',
    ]) {
      assert.doesNotMatch(text(id), /undefined|NaN|\[object Object\]/, `${id}: ${text(id)}`);
    }
  });

  it('every chart of the page finds its series in the ring', async () => {
    // A sample taken after the demo's traffic (the ring samples every 5 s) holds every series.
    await new Promise((r) => setTimeout(r, 5_500));
    const snapshot = (await get('/v1/admin/dashboard/series')) as {
      intervalMs: number;
      times: number[];
      series: Record<string, (number | null)[]>;
    };
    assert.equal(snapshot.intervalMs, 5_000);
    assert.ok(snapshot.times.length >= 2, JSON.stringify(snapshot.times));
    for (const column of Object.values(snapshot.series)) assert.equal(column.length, snapshot.times.length);
    const page = loadDashboard(['dashboard-format.js', 'dashboard-charts.js']);
    const charts = page.context['ShannonCharts'] as {
      CHARTS: { id: string; group: string }[];
      keysOf(group: string, series: Record<string, unknown>): string[];
    };
    for (const chart of charts.CHARTS)
      assert.ok(
        charts.keysOf(chart.group, snapshot.series).length > 0,
        `${chart.id}: no ${chart.group} in ${Object.keys(snapshot.series).join(', ')}`,
      );
    assert.ok(
      (snapshot.series['ingest_records_per_second:event_log'] ?? []).some((v) => v !== null && v > 0),
    );
  });

  it('partitioned tables report the rows of their partitions', async () => {
    const tables = (await get('/v1/admin/tables')).tables as { table: string; estimatedRows: number }[];
    const events = tables.find((t) => t.table === 'public.event_logs');
    assert.ok(events !== undefined && events.estimatedRows > 0, JSON.stringify(events));
    const partitions = (await get('/v1/admin/partitions')).tables as {
      table: string;
      bytes: number;
      estimatedRows: number;
    }[];
    // partitionStatus names tables as regclass spells them: unqualified when on the search_path.
    const eventPartitions = partitions.find((t) => t.table === 'event_logs');
    assert.ok(eventPartitions !== undefined && eventPartitions.bytes > 0, JSON.stringify(eventPartitions));
    assert.equal(eventPartitions.estimatedRows, events.estimatedRows);
  });

  it('slow queries are there on the first call, most total time first', async () => {
    const report = await get('/v1/admin/dashboard/slow-queries');
    assert.equal(report.available, true, report.reason);
    const totals = report.queries.map((q: { totalMs: number }) => q.totalMs);
    assert.deepEqual(
      totals,
      [...totals].sort((a: number, b: number) => b - a),
    );
    const planted = report.queries.find((q: { query: string }) => q.query === PLANTED_QUERY);
    assert.ok(planted !== undefined && planted.calls >= 120, JSON.stringify(report.queries.slice(0, 3)));
  });

  it('serves uPlot and the page files from this process, nothing else under assets', async () => {
    const uplot = await h.app.inject({ url: '/dashboard/assets/uPlot.iife.min.js' });
    assert.equal(uplot.statusCode, 200);
    assert.match(uplot.headers['content-type'] as string, /text\/javascript/);
    assert.match(uplot.body, /uPlot/);
    const css = await h.app.inject({ url: '/dashboard/assets/uPlot.min.css' });
    assert.match(css.headers['content-type'] as string, /text\/css/);
    for (const name of [
      'dashboard.js',
      'dashboard-format.js',
      'dashboard-charts.js',
      'dashboard-panels.js',
      'dashboard.css',
    ])
      assert.equal((await h.app.inject({ url: `/dashboard/assets/${name}` })).statusCode, 200, name);
    assert.equal((await h.app.inject({ url: '/dashboard/assets/../../package.json' })).statusCode, 404);
    assert.equal((await h.app.inject({ url: '/dashboard/assets/dashboard-assets.ts' })).statusCode, 404);
  });
});
