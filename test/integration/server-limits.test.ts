/**
 * Limit boundaries (S9): at each limit the request is accepted, one beyond it is rejected with the
 * documented status; the body limit answers 413 from Content-Length before any body byte is read.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { inspectJson } from '../../src/server/json-body.js';
import { type ServerHarness, startServerHarness } from './server-harness.js';

const BODY_LIMIT = 64 * 1024;
const BATCH_LIMIT = 10;

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i += 1) value = { a: value };
  return value;
}

describe('request limits', () => {
  let h: ServerHarness;
  let auth: Record<string, string>;
  before(async () => {
    h = await startServerHarness({ limits: { bodyBytes: BODY_LIMIT, batchRecords: BATCH_LIMIT } });
    auth = { authorization: `Bearer ${(await h.tenantWithKey()).key}`, 'content-type': 'application/json' };
  });
  after(() => h.close());

  const events = (n: number) =>
    Array.from({ length: n }, () => ({ workflow_id: 'wf-limits', type: 'T', message: randomUUID() }));

  it('body: exactly the limit accepted, one byte more 413', async () => {
    const base = JSON.stringify({ records: events(1) });
    const exact = base + ' '.repeat(BODY_LIMIT - Buffer.byteLength(base));
    assert.equal(Buffer.byteLength(exact), BODY_LIMIT);
    const ok = await h.app.inject({
      method: 'POST',
      url: '/v1/ingest/event_log',
      headers: auth,
      payload: exact,
    });
    assert.equal(ok.statusCode, 200, ok.body);
    const over = await h.app.inject({
      method: 'POST',
      url: '/v1/ingest/event_log',
      headers: auth,
      payload: `${exact} `,
    });
    assert.equal(over.statusCode, 413);
    assert.equal(over.json().error.code, 'PAYLOAD_TOO_LARGE');
  });

  it('body: 413 comes from Content-Length before any body byte is sent', async () => {
    const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = new URL(address);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let data = '';
      socket.on('data', (c) => {
        data += c.toString();
        if (data.includes('\r\n\r\n') && data.includes('}')) {
          socket.destroy();
          resolve(data);
        }
      });
      socket.on('error', reject);
      const timer = setTimeout(() => reject(new Error('no answer without a body')), 5_000);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(data);
      });
      // Headers only: the body (100 MB announced) never comes.
      socket.write(
        `POST /v1/ingest/event_log HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth['authorization']}\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n`,
      );
    });
    assert.match(answer, /^HTTP\/1\.1 413/);
    assert.match(answer, /"PAYLOAD_TOO_LARGE"/);
  });

  it('batch: exactly the limit accepted, one more 413 naming records', async () => {
    const ok = await h.app.inject({
      method: 'POST',
      url: '/v1/ingest/event_log',
      headers: auth,
      payload: { records: events(BATCH_LIMIT) },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().accepted, BATCH_LIMIT);
    const over = await h.app.inject({
      method: 'POST',
      url: '/v1/ingest/event_log',
      headers: auth,
      payload: { records: events(BATCH_LIMIT + 1) },
    });
    assert.equal(over.statusCode, 413);
    assert.equal(over.json().error.field, 'records');
  });

  it('page size: 200 accepted, 201 rejected with 400 naming limit', async () => {
    const ok = await h.app.inject({ url: '/v1/tasks?limit=200', headers: auth });
    assert.equal(ok.statusCode, 200, ok.body);
    const over = await h.app.inject({ url: '/v1/tasks?limit=201', headers: auth });
    assert.equal(over.statusCode, 400);
    assert.equal(over.json().error.field, 'limit');
  });

  it('id length: 255 characters accepted, 256 rejected with 400', async () => {
    const ok = await h.app.inject({ url: `/v1/tasks/${'w'.repeat(255)}`, headers: auth });
    assert.equal(ok.statusCode, 404, ok.body);
    const over = await h.app.inject({ url: `/v1/tasks/${'w'.repeat(256)}`, headers: auth });
    assert.equal(over.statusCode, 400);
    assert.equal(over.json().error.field, 'params.workflowId');
  });

  it('JSON depth: 32 levels accepted by the parser, 33 rejected with 400 naming the field', async () => {
    assert.doesNotThrow(() => inspectJson(nested(32), 32));
    assert.throws(() => inspectJson(nested(33), 32), /nesting deeper than 32/);
    const deep = await h.app.inject({
      method: 'POST',
      url: '/v1/ingest/event_log',
      headers: auth,
      payload: JSON.stringify({ records: [{ workflow_id: 'w', type: 't', payload: nested(40) }] }),
    });
    assert.equal(deep.statusCode, 400);
    assert.equal(deep.json().error.code, 'VALIDATION_FAILED');
    assert.match(deep.json().error.field, /^records\[0\]\.payload(\.a)+$/);
  });

  it('text fields: NUL characters are refused at the edge (PostgreSQL cannot store them)', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/ingest/event_log',
      headers: auth,
      payload: JSON.stringify({ records: [{ workflow_id: 'w', type: 't', message: 'a\u0000b' }] }),
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.field, 'records[0].message');
  });

  it('text fields: a lone surrogate is refused like in jsonb, and a UTF-16 charset is refused with 415', async () => {
    const surrogate = await h.app.inject({
      method: 'POST',
      url: '/v1/ingest/event_log',
      headers: auth,
      payload: '{"records":[{"workflow_id":"w","type":"t","message":"a\\ud800b"}]}',
    });
    assert.equal(surrogate.statusCode, 400, surrogate.body);
    assert.equal(surrogate.json().error.field, 'records[0].message');
    const utf16 = await h.app.inject({
      method: 'POST',
      url: '/v1/ingest/event_log',
      headers: { ...auth, 'content-type': 'application/json; charset=utf-16' },
      payload: JSON.stringify({ records: events(1) }),
    });
    assert.equal(utf16.statusCode, 415, utf16.body);
    assert.equal(utf16.json().error.field, 'content-type');
  });
});
