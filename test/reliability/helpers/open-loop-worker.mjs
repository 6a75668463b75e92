// The load generator of the overload test (Q2), in a worker thread so its timing is not the test
// runner's. Open loop (`rate`): requests are sent on a fixed schedule; closed loop (`clients`): each
// client sends its next request when the last one is answered. node:http over keep-alive sockets,
// each with new idempotency keys, and each one's status and latency is recorded. Plain JavaScript
// (no TypeScript loader needed in the worker). Input: workerData; output: one message at the end.
import { Agent, request } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';

const { baseUrl, apiKey, rate, clients, durationMs, maxOutstanding, batch, createdAt, prefix, timeoutMs } =
  workerData;
const url = new URL('/v1/ingest/event_log', baseUrl);
const agent = new Agent({ keepAlive: true, maxSockets: maxOutstanding });

function body(index) {
  let records = '';
  for (let i = 0; i < batch; i += 1) {
    const key = `${prefix}-r${index}-${i}`;
    records += `${i === 0 ? '' : ','}{"workflow_id":"wf-${prefix}","type":"RELIABILITY","message":"${key}","idempotency_key":"${key}","created_at":"${createdAt}"}`;
  }
  return `{"records":[${records}]}`;
}

/** index, status (0 network error, -1 timeout), latency ms, error code */
const results = [];
let outstanding = 0;
let sent = 0;
let notSent = 0;

function send(index, onDone) {
  const payload = body(index);
  const started = performance.now();
  outstanding += 1;
  let done = false;
  const finish = (status, code) => {
    if (done) return;
    done = true;
    outstanding -= 1;
    results.push([index, status, performance.now() - started, code]);
    onDone?.();
  };
  const req = request(
    url,
    {
      method: 'POST',
      agent,
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
      },
      timeout: timeoutMs,
    },
    (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        let code;
        if (res.statusCode >= 400) {
          try {
            code = JSON.parse(Buffer.concat(chunks).toString()).error?.code;
          } catch {
            code = undefined;
          }
        }
        finish(res.statusCode, code);
      });
      res.on('error', () => finish(0));
    },
  );
  req.on('timeout', () => {
    finish(-1);
    req.destroy();
  });
  req.on('error', () => finish(0));
  req.end(payload);
}

// Its own event-loop delay is reported: a figure measured by a starved client says nothing.
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
const started = performance.now();
if (clients !== undefined) {
  // Closed loop: `clients` requests in flight at all times until the duration ends.
  const client = () => {
    if (performance.now() - started < durationMs) send(sent++, client);
  };
  for (let c = 0; c < clients; c += 1) client();
} else {
  await new Promise((resolve) => {
    const tick = () => {
      const elapsed = performance.now() - started;
      const due = Math.floor((Math.min(elapsed, durationMs) / 1000) * rate);
      while (sent + notSent < due) {
        if (outstanding >= maxOutstanding) notSent += 1;
        else send(sent++);
      }
      if (elapsed < durationMs) setTimeout(tick, 2);
      else resolve();
    };
    tick();
  });
}
while (outstanding > 0 || performance.now() - started < durationMs)
  await new Promise((r) => setTimeout(r, 20));
agent.destroy();
loop.disable();
parentPort.postMessage({ sent, notSent, results, loopDelayP99Ms: loop.percentile(99) / 1e6 });
