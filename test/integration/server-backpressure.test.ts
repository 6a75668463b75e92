/**
 * Write-path refusals through HTTP: a full queue or spool (BackpressureError) and a closing write
 * path become 503 with Retry-After and the per-record outcomes; accepted records are reported as such.
 * The write path here is a stand-in that refuses on demand; the real one is exercised by the
 * ingest and SIGTERM tests.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BackpressureError, ShannonError } from '../../src/errors/errors.js';
import type { Ingest, RecordResult } from '../../src/ingest/ingest.js';
import { createServer } from '../../src/server/create-server.js';
import { type ServerHarness, startServerHarness } from './server-harness.js';

describe('write-path backpressure over HTTP', () => {
  let h: ServerHarness;
  let key: string;
  before(async () => {
    h = await startServerHarness();
    key = (await h.tenantWithKey()).key;
  });
  after(() => h.close());

  async function answer(writeBatch: Ingest['writeBatch']) {
    const ingest = { ...h.dataLayer.ingest, writeBatch } as Ingest;
    const app = await createServer({ ...h.dataLayer, ingest }, { logger: false });
    try {
      return await app.inject({
        method: 'POST',
        url: '/v1/ingest/event_log',
        headers: { authorization: `Bearer ${key}` },
        payload: {
          records: [
            { workflow_id: 'w', type: 'a' },
            { workflow_id: 'w', type: 'b' },
          ],
        },
      });
    } finally {
      await app.close();
    }
  }

  it('a full queue refusing the call: 503 BACKPRESSURE with Retry-After rounded up', async () => {
    const res = await answer(async () => {
      throw new BackpressureError('the write queue is full', 2_500);
    });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error.code, 'BACKPRESSURE');
    assert.equal(res.headers['retry-after'], '3');
  });

  it('one record refused, one committed: 503 with the per-record outcomes (resending is safe)', async () => {
    const res = await answer(async (_kind, records) =>
      records.map(
        (_r, i): RecordResult =>
          i === 0
            ? { key: 'k0', outcome: 'committed' }
            : { key: 'k1', outcome: 'rejected', error: new BackpressureError('the spool is full', 1_000) },
      ),
    );
    assert.equal(res.statusCode, 503);
    const body = res.json();
    assert.equal(body.error.code, 'BACKPRESSURE');
    assert.equal(res.headers['retry-after'], '1');
    assert.equal(body.error.details.accepted, 1);
    assert.deepEqual(
      body.error.details.results.map((r: { outcome: string }) => r.outcome),
      ['committed', 'rejected'],
    );
  });

  it('a closing write path: 503 SHUTTING_DOWN with Retry-After', async () => {
    const res = await answer(async () => {
      throw new ShannonError('SHUTTING_DOWN', 'the write path is closing');
    });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error.code, 'SHUTTING_DOWN');
    assert.ok(Number(res.headers['retry-after']) >= 1);
  });
});

describe('write-path settings reach the running service', () => {
  let h: ServerHarness;
  let key: string;
  before(async () => {
    h = await startServerHarness({ env: { SHANNON_INGEST_QUEUE_MAX_RECORDS: '5' } });
    key = (await h.tenantWithKey()).key;
  });
  after(() => h.close());

  it('SHANNON_INGEST_QUEUE_MAX_RECORDS bounds a request: 6 records never fit a queue of 5', async () => {
    const post = (n: number) =>
      h.app.inject({
        method: 'POST',
        url: '/v1/ingest/event_log',
        headers: { authorization: `Bearer ${key}` },
        payload: {
          records: Array.from({ length: n }, (_, i) => ({ workflow_id: 'w', type: 't', seq: i + 1 })),
        },
      });
    const tooMany = await post(6);
    assert.equal(tooMany.statusCode, 413);
    assert.equal(tooMany.json().error.code, 'PAYLOAD_TOO_LARGE');
    const fits = await post(5);
    assert.equal(fits.statusCode, 200);
  });
});
