/**
 * The dashboard's static files: its page, script and styles (next to this module, copied into
 * dist by scripts/copy-assets.mjs) and uPlot's browser build, resolved from node_modules so the
 * same code serves them from src (tsx) and from dist. Nothing is fetched from a CDN.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface DashboardAsset {
  contentType: string;
  path: string;
}

const require = createRequire(import.meta.url);
const own = (name: string) => fileURLToPath(new URL(`./static/${name}`, import.meta.url));
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** The page itself (served at `/dashboard`). */
export const DASHBOARD_PAGE: DashboardAsset = {
  contentType: 'text/html; charset=utf-8',
  path: own('dashboard.html'),
};

/** Files under `/dashboard/assets/<name>`; nothing else is served from there. */
export const DASHBOARD_ASSETS: Readonly<Record<string, DashboardAsset>> = Object.freeze({
  'dashboard.js': { contentType: JS, path: own('dashboard.js') },
  'dashboard-format.js': { contentType: JS, path: own('dashboard-format.js') },
  'dashboard-charts.js': { contentType: JS, path: own('dashboard-charts.js') },
  'dashboard-panels.js': { contentType: JS, path: own('dashboard-panels.js') },
  'dashboard.css': { contentType: CSS, path: own('dashboard.css') },
  'uPlot.iife.min.js': { contentType: JS, path: require.resolve('uplot/dist/uPlot.iife.min.js') },
  'uPlot.min.css': { contentType: CSS, path: require.resolve('uplot/dist/uPlot.min.css') },
});

/**
 * Only what the page needs: its own scripts and styles, fetches to its own origin, no framing.
 * uPlot sizes its elements through the CSSOM, which `style-src` does not restrict.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const cache = new Map<string, Buffer>();

/** The file's bytes, read once per process. @throws when the file is missing (a broken build). */
export function readAsset(asset: DashboardAsset): Buffer {
  let body = cache.get(asset.path);
  if (body === undefined) {
    body = readFileSync(asset.path);
    cache.set(asset.path, body);
  }
  return body;
}
