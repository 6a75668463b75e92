/**
 * The service as deployed (`shannon-data serve`, default process metrics on) after real use: its
 * `/metrics` passes `promtool check metrics`, carries the standard process/Node.js names, the pool
 * maximum and the build info, and a real Prometheus on loopback scrapes it and answers queries.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApiKey } from '../../src/auth/api-keys.js';
import { createTenant } from '../../src/auth/tenants.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { freePort } from '../helpers/free-port.js';
import { Prometheus, promtool } from '../helpers/prometheus.js';

const ROOT = join(import.meta.dirname, '../..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('the service under Prometheus', () => {
  let t: TestDatabase;
  let service: ChildProcess | undefined;
  let output = '';
  let base: string;
  let port: number;
  let key: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'shannon-prom-'));

  before(async () => {
    t = await createTestDatabase();
    const tenant = await createTenant(t.db, { slug: `prom-${process.pid}` });
    key = (await createApiKey(t.db, { tenantId: tenant.id, name: 'scrape', operator: true })).key;
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (v !== undefined && k !== 'REDIS_URL' && k !== 'QDRANT_URL') env[k] = v;
    }
    Object.assign(env, {
      DATABASE_URL: t.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      SHANNON_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      PG_POOL_MAX: '7',
    });
    service = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    service.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const until = Date.now() + 120_000;
    for (;;) {
      assert.equal(service.exitCode, null, `the service exited:\n${output}`);
      assert.ok(Date.now() < until, `the service did not become ready:\n${output}`);
      const ready = await fetch(`${base}/readyz`).catch(() => undefined);
      if (ready?.status === 200) break;
      await sleep(250);
    }
  });

  after(async () => {
    if (service !== undefined && service.exitCode === null) {
      const child = service;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
    await t?.drop();
  });

  /** Ingest, a memory write and search, a task read, the doctor: the metrics of real use. */
  async function use(): Promise<void> {
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const ingest = await fetch(`${base}/v1/ingest/task_execution`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        records: [
          { workflow_id: 'wf-prom', query: 'What is Shannon?', status: 'COMPLETED', result: 'A platform.' },
        ],
      }),
    });
    assert.ok(ingest.status < 300, await ingest.text());
    const points = await fetch(`${base}/v1/memory/task_embeddings/points`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ points: [{ key: ['wf-prom', 0], text: 'What is Shannon? A platform.' }] }),
    });
    assert.ok(points.status < 300, await points.text());
    const search = await fetch(`${base}/v1/memory/task_embeddings/search`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ text: 'what is shannon', limit: 3 }),
    });
    assert.equal(search.status, 200, await search.text());
    const doctor = await fetch(`${base}/v1/admin/doctor`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(doctor.status, 200, await doctor.text());
  }

  it('exposes metrics that promtool check metrics accepts, under the standard names', async () => {
    await use();
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    const lint = promtool(['check', 'metrics'], text);
    assert.deepEqual({ status: lint.status, output: lint.output }, { status: 0, output: '' });
    // promtool passes an empty exposition too: the text must be the service's, after use.
    for (const line of [
      /^process_cpu_seconds_total \d/m,
      /^process_resident_memory_bytes \d/m,
      /^nodejs_eventloop_lag_seconds \d/m,
      /^nodejs_heap_size_used_bytes \d/m,
      /^shannon_db_pool_max_connections\{pool="primary"\} 7$/m,
      new RegExp(
        `^shannon_build_info\\{version="${VERSION}",node_version="${process.versions.node}"\\} 1$`,
        'm',
      ),
      /^shannon_ingest_records_total\{kind="task_execution",outcome="committed"\} [1-9]/m,
      /^shannon_memory_search_duration_seconds_count\{collection="task_embeddings",[^}]*outcome="ok"\} [1-9]/m,
      /^shannon_ops_doctor_findings\{severity="critical"\} \d/m,
    ]) {
      assert.match(text, line);
    }
    const doctorRun = Number(/^shannon_ops_doctor_last_run_timestamp_seconds (\S+)$/m.exec(text)?.[1]);
    assert.ok(Math.abs(Date.now() / 1000 - doctorRun) < 300, `the doctor ran just now: ${doctorRun}`);
    assert.doesNotMatch(text, /shannon_process_/, 'no prefixed default metrics');
    assert.doesNotMatch(text, /^# TYPE \S+_total gauge$/m, 'no gauge ends in _total');
  });

  it('is scraped by a real Prometheus, which answers queries for its metrics', async () => {
    const prometheus = await Prometheus.start({ target: `127.0.0.1:${port}`, job: 'shannon-data' });
    try {
      const up = await prometheus.waitForSamples('up{job="shannon-data"} == 1', 60_000);
      assert.equal(up.length, 1, `no successful scrape:\n${prometheus.log}`);
      const build = await prometheus.waitForSamples('shannon_build_info', 10_000);
      assert.equal(build[0]?.metric['version'], VERSION);
      const pool = await prometheus.waitForSamples('shannon_db_pool_max_connections{pool="primary"}', 10_000);
      assert.equal(pool[0]?.value[1], '7');
      const cpu = await prometheus.waitForSamples('process_cpu_seconds_total{job="shannon-data"}', 10_000);
      assert.equal(cpu.length, 1);
    } finally {
      await prometheus.stop();
    }
  });
});
