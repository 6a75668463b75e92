/** The breaker admits one probe when half-open and refuses every other call at once. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isShannonError } from '../../src/errors/errors.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { createBreaker } from '../../src/resilience/policies.js';

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: unknown) => (isShannonError(e) ? e.code : 'failed'),
  );

test('half-open: the probe runs, calls arriving meanwhile are refused without waiting for it', async () => {
  const breaker = createBreaker({
    name: 'test',
    isFailure: () => true,
    failureThreshold: 2,
    halfOpenAfterMs: 30,
  });
  for (let i = 0; i < 2; i += 1) await outcome(breaker.execute(() => Promise.reject(new Error('down'))));
  assert.equal(breaker.state, 'open');
  assert.equal(await outcome(breaker.execute(() => Promise.resolve(1))), 'BREAKER_OPEN');
  await new Promise((r) => setTimeout(r, 40));

  let finishProbe!: () => void;
  let probes = 0;
  const probe = breaker.execute(() => {
    probes += 1;
    return new Promise<void>((resolve) => {
      finishProbe = resolve;
    });
  });
  assert.equal(breaker.state, 'half-open');
  // A call during the probe must settle now, not when the probe does: race it against a timer
  // that cannot fire first unless the call waits on the probe.
  const during = outcome(breaker.execute(() => Promise.resolve(2)));
  const settledFirst = await Promise.race([during, new Promise((r) => setImmediate(() => r('waiting')))]);
  assert.equal(settledFirst, 'BREAKER_OPEN');
  assert.equal(probes, 1, 'only the probe reached the dependency');
  finishProbe();
  await probe;
  assert.equal(breaker.state, 'closed');
  assert.equal(await outcome(breaker.execute(() => Promise.resolve(3))), 'ok');
});

test('reset closes an open breaker at once (its dependency was replaced) and reports the state', async () => {
  const metrics = createMetrics();
  const breaker = createBreaker({
    name: 'replaced',
    isFailure: () => true,
    failureThreshold: 1,
    halfOpenAfterMs: 60_000,
    metrics,
  });
  await outcome(breaker.execute(() => Promise.reject(new Error('down'))));
  assert.equal(breaker.state, 'open');
  breaker.reset();
  assert.equal(breaker.state, 'closed');
  assert.equal(await outcome(breaker.execute(() => Promise.resolve(1))), 'ok');
  const state = (await metrics.breakerState.get()).values.find((v) => v.labels['breaker'] === 'replaced');
  assert.equal(state?.value, 0, 'the state gauge says closed');
});
