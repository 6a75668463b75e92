/**
 * The dashboard's own scripts in a vm with a stand-in DOM: without a key the page sends nothing at
 * all (each request without a valid key would count as a failed authentication against the
 * operator's address) and shows the key form; with one, every request carries it; a refused key
 * is forgotten and the form shows why. The formatting helpers read as a person would.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadDashboard } from '../helpers/dashboard-sandbox.js';

const PAGE = ['dashboard-format.js', 'dashboard-charts.js', 'dashboard-panels.js', 'dashboard.js'];

test('without a key the page sends no request and shows the key form', () => {
  const page = loadDashboard(PAGE, { storedKey: null });
  assert.deepEqual(page.requests, []);
  assert.equal(page.element('key-form').hidden, false);
  assert.equal(page.element('operator').hidden, true);
});

test('with a key every request carries it, starting with the series', () => {
  const page = loadDashboard(PAGE, { storedKey: 'sdk_example' });
  assert.equal(page.requests[0]?.url, '/v1/admin/dashboard/series');
  for (const r of page.requests) assert.equal(r.authorization, 'Bearer sdk_example', r.url);
});

test('a refused key is forgotten and the form says why', async () => {
  const page = loadDashboard(PAGE, {
    storedKey: 'sdk_revoked',
    fetch: async () => ({
      ok: false,
      status: 401,
      json: async () => ({ error: { code: 'UNAUTHENTICATED', message: 'unknown or revoked API key' } }),
    }),
  });
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(page.element('key-form').hidden, false);
  assert.match(page.element('key-error').textContent, /UNAUTHENTICATED/);
  assert.equal(
    (page.context['sessionStorage'] as { getItem(k: string): string | null }).getItem('shannonDashboardKey'),
    null,
  );
  assert.equal(page.requests.length, 1, 'nothing more is sent with the refused key');
});

test('numbers, sizes, durations and ages read as a person would', () => {
  const { context } = loadDashboard(['dashboard-format.js']);
  const f = context['ShannonFormat'] as Record<string, (...a: unknown[]) => string>;
  assert.equal(f['count']!(950), '950');
  assert.equal(f['count']!(1234), '1.2 k');
  assert.equal(f['count']!(3_400_000), '3.4 M');
  assert.equal(f['count']!(0.25), '0.25');
  assert.equal(f['bytes']!(3_400_000), '3.4 MB');
  assert.equal(f['bytes']!(512), '512 B');
  assert.equal(f['duration']!(0.012), '12 ms');
  assert.equal(f['duration']!(1.23), '1.2 s');
  assert.equal(f['duration']!(0.0004), '400 µs');
  assert.equal(f['millis']!(1500), '1.5 s');
  assert.equal(f['ago']!(0, 120_000), '2 min ago');
  assert.equal(f['ago']!(0, 500), 'just now');
  assert.equal(f['ago']!(0, 7_200_000), '2 h ago');
  assert.equal(f['date']!('2026-12-01T00:00:00.000Z'), '2026-12-01');
  assert.equal(f['date']!('2026-12-01T10:30:00.000Z'), '2026-12-01 10:30 UTC');
  assert.equal(f['rate']!(1234.5), '1.2 k/s');
});

test('a panel whose read failed is marked stale with the reason; one that answered says when', async () => {
  const page = loadDashboard(PAGE, {
    storedKey: 'sdk_example',
    fetch: async (url) =>
      url === '/v1/admin/dashboard/series'
        ? {
            ok: true,
            status: 200,
            json: async () => ({ intervalMs: 5000, capacity: 720, times: [], series: {} }),
          }
        : url === '/readyz'
          ? { ok: true, status: 200, json: async () => ({}) }
          : {
              ok: false,
              status: 503,
              json: async () => ({
                error: { code: 'DEPENDENCY_UNAVAILABLE', message: 'PostgreSQL is away' },
              }),
            },
  });
  await new Promise((r) => setTimeout(r, 20));
  const section = (panel: string) =>
    page
      .element('__body')
      .all('[data-panel]')
      .find((s) => s.getAttribute('data-panel') === panel)!;
  const doctor = section('doctor');
  assert.ok(doctor.classList.contains('stale'));
  assert.match(doctor.querySelector('.updated')!.textContent, /not loaded — DEPENDENCY_UNAVAILABLE/);
  const series = section('series');
  assert.equal(series.classList.contains('stale'), false);
  assert.match(series.querySelector('.updated')!.textContent, /^updated just now$/);
});
