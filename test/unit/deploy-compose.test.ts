/**
 * deploy/compose/docker-compose.yml, which cannot run here (no Docker): every image is pinned to
 * an exact version (also the base images of the Dockerfiles it builds), Qdrant's version is one
 * whose OpenAPI document is vendored, the service's environment holds only settings the service
 * reads and is accepted by the config loader, Redis persists, PostgreSQL preloads
 * pg_stat_statements and has hypopg and pg_partman, and every file it mounts exists; the
 * Prometheus configuration passes `promtool check config` and scrapes the job the rules select.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/config.js';
import { SETTING_ENV_NAMES } from '../../src/config/settings.js';
import { promtool } from '../helpers/prometheus.js';

const ROOT = join(import.meta.dirname, '../..');
const COMPOSE_DIR = join(ROOT, 'deploy/compose');

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
}

const compose = parse(readFileSync(join(COMPOSE_DIR, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
};
const services = compose.services;

/** An exact version tag: `name:1.2.3`, `name:v1.2.3`, optionally `-variant`; never `latest`. */
const PINNED = /^[a-z0-9./_-]+:v?\d+\.\d+(\.\d+)?(-[a-z0-9.]+)*$/;

/** `${NAME:-default}` as compose would resolve it with NAME unset. */
function withDefaults(value: string): string {
  return value.replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
}

function dockerfileOf(service: Service): string {
  const build = service.build!;
  return resolve(COMPOSE_DIR, build.context, build.dockerfile ?? 'Dockerfile');
}

describe('docker compose deployment', () => {
  it('pins every image and every base image to an exact version', () => {
    assert.ok(Object.keys(services).length >= 6);
    for (const [name, service] of Object.entries(services)) {
      assert.ok(service.image !== undefined, `${name} names its image`);
      assert.match(service.image, PINNED, `${name}: ${service.image}`);
      if (service.build === undefined) continue;
      const froms = [...readFileSync(dockerfileOf(service), 'utf8').matchAll(/^FROM\s+(\S+)/gm)].map(
        (m) => m[1],
      );
      assert.ok(froms.length > 0, `${name}: its Dockerfile has a FROM`);
      for (const from of froms) assert.match(from ?? '', PINNED, `${name}'s Dockerfile: FROM ${from}`);
    }
  });

  it('runs a Qdrant whose OpenAPI document the backend is contract-tested against', () => {
    const tag = /:v(\d+)\.(\d+)\.\d+$/.exec(services['qdrant']?.image ?? '');
    assert.ok(tag !== null, `qdrant image ${services['qdrant']?.image}`);
    const document = join(ROOT, `test/fixtures/qdrant-openapi/v${tag[1]}.${tag[2]}.x.json`);
    assert.ok(existsSync(document), `no vendored OpenAPI document for ${services['qdrant']?.image}`);
  });

  it('sets only settings the service reads, with values its config loader accepts', () => {
    const env = services['shannon-data']?.environment ?? {};
    const known = new Set(SETTING_ENV_NAMES);
    const unknown = Object.keys(env).filter((k) => !known.has(k));
    assert.deepEqual(unknown, [], 'environment variables the service does not read');
    for (const required of ['DATABASE_URL', 'REDIS_URL', 'QDRANT_URL', 'HOST', 'SHANNON_DATA_DIR']) {
      assert.ok(required in env, `the service is given ${required}`);
    }
    const resolved = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, withDefaults(String(v))]));
    const config = loadConfig({ env: resolved });
    assert.equal(config.host, '0.0.0.0', 'listens beyond loopback inside its container');
    assert.equal(new URL(config.databaseUrl ?? '').hostname, 'postgres');
  });

  it('persists Redis and prepares PostgreSQL for the toolkit', () => {
    const redis = (services['redis']?.command ?? []).join(' ');
    assert.match(redis, /--appendonly yes/);
    const postgres = services['postgres']!;
    const dockerfile = readFileSync(dockerfileOf(postgres), 'utf8');
    assert.match(dockerfile, /postgresql-15-hypopg/);
    assert.match(dockerfile, /postgresql-15-partman/);
    assert.match(dockerfile, /config_file=\/etc\/postgresql\/postgresql\.conf/);
    const conf = readFileSync(join(ROOT, 'deploy/postgres/postgresql.conf'), 'utf8');
    assert.match(conf, /^shared_preload_libraries = '[^']*pg_stat_statements[^']*'/m);
  });

  it('mounts files that exist, and a Prometheus configuration promtool accepts', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        if (!source.startsWith('.')) continue; // a named volume
        assert.ok(existsSync(resolve(COMPOSE_DIR, source)), `${name} mounts ${source}, which is missing`);
      }
    }
    const prometheusYml = join(ROOT, 'deploy/prometheus/prometheus.yml');
    const check = promtool(['check', 'config', prometheusYml]);
    assert.equal(check.status, 0, check.output);
    const prometheus = parse(readFileSync(prometheusYml, 'utf8')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    assert.deepEqual(prometheus.rule_files, ['alerts.yml']);
    assert.ok(existsSync(join(dirname(prometheusYml), 'alerts.yml')));
    const job = prometheus.scrape_configs[0];
    const rules = readFileSync(join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8');
    assert.ok(rules.includes(`up{job="${job?.job_name}"}`), 'ShannonDown selects the scraped job');
    assert.deepEqual(job?.static_configs[0]?.targets, ['shannon-data:8080']);
    assert.ok('shannon-data' in services);
  });
});
