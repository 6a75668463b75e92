/**
 * Debian's Prometheus tools for the tests: `promtool` (lint of an exposition, rule checks and rule
 * unit tests) and a test-owned `prometheus` on a free loopback port scraping one target every
 * second, with its storage in a temporary directory. `stop()` signals only its own pid.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';
import { OwnedProcess } from './owned-process.js';

export const PROMTOOL_BIN = process.env['PROMTOOL_BIN'] ?? '/usr/bin/promtool';
export const PROMETHEUS_BIN = process.env['PROMETHEUS_BIN'] ?? '/usr/bin/prometheus';

export interface PromtoolResult {
  status: number | null;
  /** stdout and stderr together: promtool writes its findings to either. */
  output: string;
}

/** Runs promtool with `args`, `input` on its stdin. */
export function promtool(args: readonly string[], input?: string): PromtoolResult {
  const result = spawnSync(PROMTOOL_BIN, args, {
    input: input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error !== undefined) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** One sample of an instant query's answer. */
export interface QuerySample {
  metric: Record<string, string>;
  value: [number, string];
}

export class Prometheus extends OwnedProcess {
  /** Starts Prometheus scraping `target` (host:port) at `metricsPath` every second, as job `job`. */
  static async start(options: { target: string; job: string; metricsPath?: string }): Promise<Prometheus> {
    const dir = await mkdtemp(join(tmpdir(), 'prometheus-'));
    const port = await freePort();
    const config = join(dir, 'prometheus.yml');
    await writeFile(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        `  - job_name: ${options.job}`,
        `    metrics_path: ${options.metricsPath ?? '/metrics'}`,
        '    static_configs:',
        `      - targets: ['${options.target}']`,
        '',
      ].join('\n'),
    );
    const child = spawn(
      PROMETHEUS_BIN,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return new Prometheus(port, child, dir);
  }

  /** The samples of an instant query; empty while Prometheus is starting or has no data. */
  async query(promql: string): Promise<QuerySample[]> {
    try {
      const res = await fetch(
        `http://127.0.0.1:${this.port}/api/v1/query?query=${encodeURIComponent(promql)}`,
      );
      if (!res.ok) return [];
      const body = (await res.json()) as { status: string; data?: { result?: QuerySample[] } };
      return body.status === 'success' ? (body.data?.result ?? []) : [];
    } catch {
      return [];
    }
  }

  /** Polls `promql` every 500 ms until it returns samples or `timeoutMs` passes (then []). */
  async waitForSamples(promql: string, timeoutMs: number): Promise<QuerySample[]> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until && this.child.exitCode === null) {
      const samples = await this.query(promql);
      if (samples.length > 0) return samples;
      await sleep(500);
    }
    return [];
  }

  /** Stops it (SIGTERM to its own pid, SIGKILL after 10 s) and removes its directory. */
}
