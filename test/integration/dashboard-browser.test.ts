/**
 * The dashboard in a real browser (Debian chromium driven by playwright-core) against the service
 * fed by the demo workload, with a planted slow query the index advisor can fix:
 * - loaded without a key, the page sends no request to a data route and shows the key form;
 * - with an operator key, the time series draw non-zero data and move between two reads;
 * - the advice table shows the planted suggestion's CREATE INDEX, the doctor table its fixes,
 *   partitioned tables a non-zero row estimate, and nothing overflows at 1440 px;
 * - a tenant administrator's key opens its own tenant's figures only;
 * - a refused key returns to the form with the reason.
 * It saves the screenshot docs/operations.md shows (docs/images/dashboard.png).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { startDashboardFixture } from './dashboard-fixture.js';
import type { ServerHarness } from './server-harness.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = new URL('../../docs/images/dashboard.png', import.meta.url);

/** What the page's own globals look like from a test function run inside it (no DOM types here). */
interface InPage {
  document: {
    querySelector(selector: string): { textContent: string | null } | null;
    querySelectorAll(selector: string): ArrayLike<unknown>;
  };
  sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
  shannonDashboard?: { charts: Record<string, { data: (number | null)[][] | null }> };
}

const skip = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is missing (Debian package chromium); CI installs it`;

/** Chart data as the page holds it: per chart, its columns (times first). */
function chartData(page: Page): Promise<Record<string, (number | null)[][]>> {
  return page.evaluate(
    `Object.fromEntries(Object.entries(window.shannonDashboard.charts).map(([id, c]) => [id, c.data]))`,
  );
}

const nonZero = (columns: (number | null)[][] | null | undefined) =>
  (columns ?? []).slice(1).some((col) => col.some((v) => v !== null && v > 0));

describe('dashboard in a browser', { skip }, () => {
  let h: ServerHarness;
  let url: string;
  let browser: Browser;
  let operatorKey: string;
  let load: NodeJS.Timeout | undefined;

  before(async () => {
    let tenantKey: string;
    ({ h, url, operatorKey, tenantKey } = await startDashboardFixture({ table: 'dash_orders', tasks: 40 }));
    // Keep records arriving so the rates stay above zero while the page is open.
    let n = 0;
    load = setInterval(() => {
      n += 1;
      void fetch(`${url}/v1/ingest/task_execution`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tenantKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          records: [{ workflow_id: `dash-load-${n}`, query: 'q', status: 'COMPLETED', total_tokens: 3 }],
        }),
      }).catch(() => undefined);
    }, 300);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
  });

  after(async () => {
    if (load !== undefined) clearInterval(load);
    await browser?.close();
    await h?.close();
  });

  it('without a key sends no data request and asks for one', async () => {
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    await page.goto(`${url}/dashboard`);
    await page.waitForTimeout(2_000);
    assert.ok(await page.isVisible('#key-form'));
    assert.deepEqual(
      requested.filter((p) => p.startsWith('/v1/')),
      [],
    );
    assert.ok(requested.includes('/dashboard/assets/uPlot.iife.min.js'), requested.join(' '));
    await page.close();
  });

  it('draws moving series and the tables an operator needs, within 1440 px', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const failures: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') failures.push(m.text());
    });
    page.on('pageerror', (e) => failures.push(String(e)));
    await page.goto(`${url}/dashboard`);
    await page.fill('#key', operatorKey);
    await page.click('#key-form button[type=submit]');

    await page.waitForFunction(
      () =>
        (globalThis as unknown as InPage).document
          .querySelector('#advice')
          ?.textContent?.includes('CREATE INDEX'),
      undefined,
      { timeout: 60_000 },
    );
    const advice = await page.textContent('#advice');
    assert.match(advice ?? '', /CREATE INDEX CONCURRENTLY \S+ ON dash_orders \(customer_ref\);/);
    await page.waitForFunction(
      () => (globalThis as unknown as InPage).document.querySelectorAll('#findings tr').length > 1,
    );
    const fixes = await page.$$eval('#findings tr td:last-child', (cells) => cells.map((c) => c.textContent));
    assert.ok(
      fixes.some((f) => /shannon-data advise indexes|CREATE INDEX|VACUUM/.test(f ?? '')),
      fixes.join('\n'),
    );
    const slow = await page.textContent('#slow');
    assert.match(slow ?? '', /dash_orders/);
    const partitioned = await page.$$eval('#tables tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
    );
    const events = partitioned.find((r) => r[0] === 'public.event_logs (partitioned)');
    assert.ok(events !== undefined && events[2] !== '0', JSON.stringify(partitioned));
    const partitions = await page.textContent('#partitions');
    assert.match(partitions ?? '', /\d{4}-\d{2}-\d{2} → \d{4}-\d{2}-\d{2}/);
    assert.doesNotMatch(partitions ?? '', /T00:00:00/);

    // Two samples with traffic in between: the rates are non-zero; a later read has moved on.
    await page.waitForFunction(
      () =>
        ((globalThis as unknown as InPage).shannonDashboard?.charts['ingest']?.data?.[0]?.length ?? 0) >= 3,
      undefined,
      { timeout: 30_000 },
    );
    const first = await chartData(page);
    for (const id of ['ingest', 'pool', 'http', 'query_p95'])
      assert.ok(nonZero(first[id]), `${id}: ${JSON.stringify(first[id])}`);
    await page.waitForTimeout(11_000);
    const second = await chartData(page);
    assert.notDeepEqual(second['http']?.[0], first['http']?.[0], 'the time axis moved');
    assert.notDeepEqual(second['ingest'], first['ingest']);
    const drawn = await page.$$eval('.chart canvas', (canvases) => canvases.length);
    assert.ok(drawn >= 8, `${drawn} charts drawn`);

    // Nothing is cut off: the page and every panel fit 1440 px.
    const overflow = await page.evaluate(`[document.documentElement, ...document.querySelectorAll('section')]
      .filter((el) => el.scrollWidth > el.clientWidth + 1)
      .map((el) => (el.getAttribute('data-panel') ?? el.tagName) + ': ' + el.scrollWidth + ' > ' + el.clientWidth)`);
    assert.deepEqual(overflow, []);
    assert.deepEqual(failures, []);
    mkdirSync(new URL('.', SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT.pathname, fullPage: true });
    await page.close();
  });

  it("opens a tenant administrator's own figures, without the whole-database panels", async () => {
    const admin = await h.tenantWithKey({ scopes: ['admin'] });
    const page = await browser.newPage();
    await page.goto(`${url}/dashboard`);
    await page.fill('#key', admin.key);
    await page.click('#key-form button[type=submit]');
    await page.waitForSelector('#tenant-stores tr');
    assert.ok(await page.isVisible('#tenant'));
    assert.equal(await page.isVisible('#operator'), false);
    assert.match((await page.textContent('#who')) ?? '', new RegExp(admin.slug));
    await page.close();
  });

  it('returns to the key form with the reason when the key is refused', async () => {
    const page = await browser.newPage();
    await page.goto(`${url}/dashboard`);
    await page.evaluate(() =>
      (globalThis as unknown as InPage).sessionStorage.setItem('shannonDashboardKey', 'sdk_not_a_real_key'),
    );
    await page.reload();
    await page.waitForFunction(
      () =>
        ((globalThis as unknown as InPage).document.querySelector('#key-error')?.textContent ?? '') !== '',
    );
    assert.match((await page.textContent('#key-error')) ?? '', /UNAUTHENTICATED/);
    assert.ok(await page.isVisible('#key-form'));
    assert.equal(
      await page.evaluate(() =>
        (globalThis as unknown as InPage).sessionStorage.getItem('shannonDashboardKey'),
      ),
      null,
    );
    await page.close();
  });
});
