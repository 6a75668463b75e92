/**
 * HTTP benchmark runner: `npx tsx bench/http.ts [--duration S] [--connections N] [--batch N] [--json]`,
 * the same as `shannon-data bench http`, against DATABASE_URL (default: the local test server's
 * `postgres` database is NOT used — a scratch database `bench_http` is created and dropped).
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../src/config/config.js';
import { createDataLayer } from '../src/data-layer.js';
import { runHttpBenchmark } from '../src/devtools/bench/http-benchmark.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '8' },
    batch: { type: 'string', default: '100' },
    json: { type: 'boolean', default: false },
  },
});

const server = process.env['BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const scratch = new URL(server);
scratch.pathname = '/bench_http';
const admin = new pg.Client({ connectionString: server });
await admin.connect();
await admin.query('DROP DATABASE IF EXISTS bench_http WITH (FORCE)');
await admin.query('CREATE DATABASE bench_http');
try {
  const config = loadConfig({
    env: { DATABASE_URL: scratch.toString(), LOG_LEVEL: 'silent', SHANNON_DATA_DIR: '/tmp/bench-http-data' },
  });
  const dataLayer = await createDataLayer(config);
  try {
    const result = await runHttpBenchmark(dataLayer, {
      durationSeconds: Number(values.duration),
      connections: Number(values.connections),
      batch: Number(values.batch),
      ...(values.json ? {} : { onPhase: (p: string) => process.stderr.write(`${p}…\n`) }),
    });
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await dataLayer.close();
  }
} finally {
  await admin.query('DROP DATABASE IF EXISTS bench_http WITH (FORCE)');
  await admin.end();
}
