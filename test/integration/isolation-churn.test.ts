/**
 * S3, isolation under connection churn: two tenants send interleaved requests (2,000 by default,
 * 10,000 with RELIABILITY_FULL=1) over real sockets to the service on a pool of 2 connections,
 * while clients abort requests mid-flight and an admin connection terminates the service's
 * backends at random (pg_terminate_backend). Every request reads or writes its own tenant's data,
 * which carries a per-tenant marker. Pass: no answer carries the other tenant's marker, tenant id
 * or workflow ids; every 5xx is a 503 (transient), never a 500; and afterwards no connection of the
 * pool carries a tenant setting or the application role.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { QdrantContractServer } from '../helpers/qdrant-contract-server.js';
import { type ServerHarness, startServerHarness, TEST_DIMENSION } from './server-harness.js';

const FULL = process.env['RELIABILITY_FULL'] === '1';
const REQUESTS = FULL ? 10_000 : 2_000;
const CLIENTS = 8;
const CANCEL_PROBABILITY = 0.1;
const APPLICATION_NAME = `shannon-iso-churn-${process.pid}`;
const POOL_MAX = 2;

interface Tenant {
  label: string;
  tenantId: string;
  key: string;
  marker: string;
  sessionIds: string[];
}

const vector = Array.from({ length: TEST_DIMENSION }, (_, i) => (i + 1) / TEST_DIMENSION);
const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('tenant isolation under connection churn', () => {
  let h: ServerHarness;
  let qdrant: QdrantContractServer;
  let baseUrl: string;
  let tenants: [Tenant, Tenant];

  before(async () => {
    // The Qdrant stand-in as index backend: the subject here is the pool, not the index.
    qdrant = await new QdrantContractServer('v1.15.x').start();
    h = await startServerHarness({
      env: {
        PG_POOL_MAX: String(POOL_MAX),
        // Ingest writers hold connections of their own; they must leave one for requests.
        SHANNON_INGEST_CONCURRENCY: '1',
        PG_APPLICATION_NAME: APPLICATION_NAME,
        PG_QUERY_TIMEOUT_MS: '5000',
        QDRANT_URL: qdrant.url,
      },
    });
    const seed = async (label: string): Promise<Tenant> => {
      const { tenantId, key } = await h.tenantWithKey({ rateLimitPerHour: 1_000_000 });
      const marker = `marker-${label}-${randomUUID()}`;
      const auth = { authorization: `Bearer ${key}` };
      const ingest = await h.app.inject({
        method: 'POST',
        url: '/v1/ingest/task_execution',
        headers: auth,
        payload: {
          records: Array.from({ length: 20 }, (_, i) => ({
            workflow_id: `wf-${label}-seed-${i}`,
            query: marker,
            status: 'COMPLETED',
          })),
        },
      });
      assert.equal(ingest.statusCode, 200, ingest.body);
      const sessionIds: string[] = [];
      for (let i = 0; i < 5; i++) {
        const s = await h.app.inject({
          method: 'POST',
          url: '/v1/sessions',
          headers: auth,
          payload: { externalId: `${marker}-seed-${i}`, context: { marker } },
        });
        assert.equal(s.statusCode, 201, s.body);
        sessionIds.push(s.json().session.id);
      }
      const up = await h.app.inject({
        method: 'POST',
        url: '/v1/memory/task_embeddings/points',
        headers: auth,
        payload: { points: [{ key: [marker], vector, payload: { query: marker } }] },
      });
      assert.equal(up.statusCode, 200, up.body);
      return { label, tenantId, key, marker, sessionIds };
    };
    tenants = [await seed('A'), await seed('B')];
    await h.ingest.flush();
    await h.memory.flush({ timeoutMs: 10_000 });
    const address = await h.app.listen({ host: '127.0.0.1', port: 0 });
    baseUrl = address.startsWith('http')
      ? address
      : `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await h?.close();
    await qdrant?.stop();
  });

  /** One random request of `t` for its own data: [method, path, body]. */
  function requestOf(t: Tenant, n: number): [string, string, unknown] {
    switch (n % 6) {
      case 0:
        return ['GET', '/v1/tasks?limit=20', undefined];
      case 1:
        return ['POST', '/v1/sessions', { externalId: `${t.marker}-${n}`, context: { marker: t.marker } }];
      case 2:
        return ['GET', `/v1/sessions/${pick(t.sessionIds)}`, undefined];
      case 3:
        return [
          'POST',
          '/v1/memory/task_embeddings/points',
          { points: [{ key: [t.marker, n], vector, payload: { query: t.marker } }] },
        ];
      case 4:
        return ['POST', '/v1/memory/task_embeddings/search', { vector, limit: 10 }];
      default:
        return [
          'POST',
          '/v1/ingest/task_execution',
          { records: [{ workflow_id: `wf-${t.label}-${n}`, query: t.marker, status: 'RUNNING' }] },
        ];
    }
  }

  it(`${REQUESTS} interleaved requests of two tenants on a ${POOL_MAX}-connection pool: no cross-tenant byte, 503 not 500, no tenant left on a connection`, async () => {
    const killer = new pg.Client({ connectionString: h.t.url });
    await killer.connect();
    const statuses = new Map<number, number>();
    const fiveHundreds: string[] = [];
    const leaks: string[] = [];
    let cancelled = 0;
    let terminated = 0;
    let issued = 0;
    let checkedOwnRows = 0;
    let stop = false;

    const terminator = (async () => {
      while (!stop) {
        const r = await killer.query<{ n: string }>(
          `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n
             FROM (SELECT pid FROM pg_stat_activity
                    WHERE datname = current_database() AND application_name = $1 AND pid <> pg_backend_pid()
                    ORDER BY random() LIMIT 1) x`,
          [APPLICATION_NAME],
        );
        terminated += Number(r.rows[0]?.n ?? 0);
        await sleep(10 + Math.random() * 60);
      }
    })();

    const client = async () => {
      for (;;) {
        const n = issued++;
        if (n >= REQUESTS) return;
        const self = tenants[Math.random() < 0.5 ? 0 : 1];
        const other = self === tenants[0] ? tenants[1] : tenants[0];
        const [method, path, body] = requestOf(self, n);
        const abort = new AbortController();
        if (Math.random() < CANCEL_PROBABILITY) setTimeout(() => abort.abort(), Math.random() * 4);
        let status: number;
        let text: string;
        try {
          const res = await fetch(`${baseUrl}${path}`, {
            method,
            headers: {
              authorization: `Bearer ${self.key}`,
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
            signal: abort.signal,
          });
          status = res.status;
          text = await res.text();
        } catch (error) {
          if (abort.signal.aborted) {
            cancelled += 1;
            continue;
          }
          throw error;
        }
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        for (const secret of [other.marker, other.tenantId, `wf-${other.label}-`]) {
          if (text.includes(secret))
            leaks.push(`${self.label} ${method} ${path} ${status}: ${text.slice(0, 300)}`);
        }
        if (status >= 500 && status !== 503) fiveHundreds.push(`${method} ${path} ${status}: ${text}`);
        if (status === 200 && path.startsWith('/v1/tasks')) {
          const items = JSON.parse(text).items as { query?: string }[];
          // Every task listed is the caller's own (its marker), and the seed is always there.
          assert.ok(items.length > 0);
          for (const item of items) assert.equal(item.query, self.marker);
          checkedOwnRows += items.length;
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: CLIENTS }, client));
    } finally {
      stop = true;
      await terminator;
      await killer.end();
    }
    await h.ingest.flush().catch(() => undefined);

    // The terminations may have left the write breaker open (on a loaded machine enough of them
    // come in a row); wait, bounded, until the database answers through the pool again, as a
    // client retrying would, before checking its connections.
    const db = h.dataLayer.db;
    for (let i = 0; ; i += 1) {
      try {
        await db.query('SELECT 1', [], { operation: 'test.wait_answering' });
        break;
      } catch (error) {
        if (i >= 120) throw error;
        await sleep(250);
      }
    }

    // Every connection of the pool, taken all at once so none is skipped, several rounds; then
    // plain statements outside any tenant transaction.
    const settings: string[] = [];
    for (let round = 0; round < 10; round++) {
      // Each session waits until all POOL_MAX are held, so every connection is checked once.
      let held = 0;
      let allHeld: () => void = () => undefined;
      const barrier = new Promise<void>((resolve) => {
        allHeld = resolve;
      });
      await Promise.all(
        Array.from({ length: POOL_MAX }, () =>
          db.withSession(
            async (c) => {
              held += 1;
              if (held === POOL_MAX) allHeld();
              await barrier;
              const { rows } = await c.query<{ t: string | null; u: string }>(
                `SELECT current_setting('app.tenant_id', true) AS t, current_user::text AS u`,
              );
              settings.push(`${rows[0]!.t ?? ''}|${rows[0]!.u}`);
            },
            { operation: 'test.connection_check' },
          ),
        ),
      );
    }
    for (let i = 0; i < 50; i++) {
      const { rows } = await db.query<{ t: string | null; u: string }>(
        `SELECT current_setting('app.tenant_id', true) AS t, current_user::text AS u`,
      );
      settings.push(`${rows[0]!.t ?? ''}|${rows[0]!.u}`);
    }
    const { rows: owner } = await db.query<{ u: string }>('SELECT session_user::text AS u');
    const figure =
      `S3: ${REQUESTS} requests (${FULL ? 'full' : 'reduced; RELIABILITY_FULL=1 for 10,000'}) by 2 tenants over ${CLIENTS} clients, ` +
      `pool ${POOL_MAX}: ${cancelled} cancelled, ${terminated} backends terminated; statuses ${JSON.stringify(Object.fromEntries(statuses))}; ` +
      `${checkedOwnRows} listed tasks checked; ${leaks.length} cross-tenant answers, ${fiveHundreds.length} non-503 5xx; ` +
      `${settings.length} connection checks`;
    console.log(figure);
    assert.deepEqual(leaks, []);
    assert.deepEqual(fiveHundreds, []);
    assert.deepEqual(
      [...new Set(settings)],
      [`|${owner[0]!.u}`],
      'a pooled connection kept a tenant setting or the application role',
    );
    // The run means something only if faults happened and most requests still got through.
    assert.ok(terminated > 0 && cancelled > 0, figure);
    assert.ok((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0) > REQUESTS / 4, figure);
  });
});
