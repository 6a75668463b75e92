/**
 * Load shedding: past SHANNON_HTTP_MAX_IN_FLIGHT requests being handled, a /v1 request is refused
 * at once with 503 BACKPRESSURE and Retry-After, before its body is read; health and metrics stay
 * answerable. Two requests are held in flight by sending their headers and not yet their bodies.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { type ServerHarness, startServerHarness } from './server-harness.js';

let h: ServerHarness;
let port: number;
let key: string;
before(async () => {
  h = await startServerHarness({ limits: { maxInFlight: 2 } });
  key = (await h.tenantWithKey({ rateLimitPerHour: 1_000_000 })).key;
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  port = (h.app.server.address() as { port: number }).port;
});
after(() => h.close());

const body = JSON.stringify({ records: [{ workflow_id: 'wf-shed', type: 't', message: 'm' }] });

/** Sends a request's headers (and, later, its body); resolves with the status line's code. */
function startRequest(): { socket: Socket; finish(): Promise<number> } {
  const socket = connect(port, '127.0.0.1');
  socket.write(
    `POST /v1/ingest/event_log HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`,
  );
  let response = '';
  const done = new Promise<number>((resolve) => {
    socket.on('data', (c: Buffer) => {
      response += c.toString();
    });
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0)));
  });
  return {
    socket,
    finish() {
      socket.write(body);
      return done;
    },
  };
}

test('past the in-flight limit a request is refused at once with 503 and Retry-After', async () => {
  const held = [startRequest(), startRequest()];
  // Both must have reached the service (their headers handled) before the third one arrives.
  for (let i = 0; i < 100; i += 1) {
    const m = await h.t.metrics.httpInFlight.get();
    if ((m.values[0]?.value ?? 0) >= 2) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  const refused = await fetch(`http://127.0.0.1:${port}/v1/ingest/event_log`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body,
  });
  assert.equal(refused.status, 503);
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'BACKPRESSURE');
  assert.ok(Number(refused.headers.get('retry-after')) >= 1);
  assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200, 'health is not shed');
  assert.deepEqual(await Promise.all(held.map((r) => r.finish())), [200, 200]);
  const after = await fetch(`http://127.0.0.1:${port}/v1/ingest/event_log`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body,
  });
  assert.equal(after.status, 200, 'the slots are given back');
});
