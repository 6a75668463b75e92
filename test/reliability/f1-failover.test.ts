/**
 * F1: failover under HTTP ingest. A primary with a synchronous streaming standby (its commits wait
 * for the standby's flush); the service is given both hosts in one DATABASE_URL
 * (`postgres://…@primary,standby/shannon`). Under retrying clients the primary is killed (-9), the
 * standby promoted a moment later (`pg_ctl promote`, as an operator or a failover manager does).
 * Pass: the service moves to the promoted host by itself (shannon_db_host_changes_total) and keeps
 * acknowledging; the spool carries what was acknowledged while no host took writes; every
 * acknowledged record is stored exactly once on the promoted host. Prints acknowledged vs stored.
 * The full tier also runs it with an asynchronous standby, where commits the standby had not
 * received when the primary died are gone after the promotion: there it prints the loss and
 * asserts only that the service follows and stores nothing twice.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { Checker, countStored, runLoad } from './helpers/checker.js';
import { type Stack, startStack } from './helpers/stack.js';
import { FULL, TIER_NAME, tier } from './helpers/tiers.js';
import { sleep, waitFor } from './helpers/timing.js';

const BEFORE_MS = tier(2_000, 5_000);
const GAP_MS = tier(1_500, 5_000);
const AFTER_MS = tier(4_000, 15_000);

function metricValue(text: string, name: string): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

const MODES = FULL ? (['synchronous', 'asynchronous'] as const) : (['synchronous'] as const);

for (const mode of MODES) {
  test(`F1: primary killed under HTTP ingest, ${mode} standby promoted: the service follows it${mode === 'synchronous' ? ', 0 acknowledged writes lost' : ''}`, async () => {
    let stack: Stack | undefined;
    let promoted: pg.Pool | undefined;
    const checkers: Checker[] = [];
    try {
      stack = await startStack({
        standby: mode,
        env: {
          PG_QUERY_TIMEOUT_MS: '2000',
          PG_CONNECT_TIMEOUT_MS: '1000',
          PG_HEALTH_PING_INTERVAL_MS: '500',
        },
      });
      const standby = stack.standby!;
      const service = stack.service;
      const checker = new Checker({ baseUrl: service.baseUrl, apiKey: stack.apiKey, maxRetryAfterMs: 1_000 });
      checkers.push(checker);
      let stop = false;
      const load = runLoad({
        checker,
        prefix: 'f1',
        clients: 3,
        batchRecords: 20,
        stopped: () => stop,
        pauseMs: 20,
      });

      await sleep(BEFORE_MS);
      const ackedBefore = checker.acknowledged.size;
      assert.ok(ackedBefore > 0, 'nothing was acknowledged before the failover');
      await stack.cluster.kill9();
      const killedAt = performance.now();
      await sleep(GAP_MS);
      const ackedInGap = checker.acknowledged.size - ackedBefore;
      await standby.promote();
      const promotedAt = performance.now();
      const moveMs = await waitFor(
        'the service to move to the promoted host',
        async () => metricValue(await service.metricsText(), 'shannon_db_host_changes_total') >= 1,
        30_000,
        100,
      );
      const ackedAtMove = checker.acknowledged.size;
      await sleep(AFTER_MS);
      stop = true;
      await load;
      const ackedAfter = checker.acknowledged.size - ackedAtMove;
      const drainMs = await waitFor(
        'the spool to drain',
        async () => (await service.spoolRecords()) === 0,
        60_000,
        200,
      );

      promoted = new pg.Pool({ connectionString: standby.url('shannon'), max: 2 });
      promoted.on('error', () => undefined);
      const count = await countStored(promoted, stack.tenantId, 'f1', checker.acknowledged);
      const failed = checker.attempts.filter((a) => a.status < 200 || a.status >= 300);
      const answers: Record<string, number> = {};
      for (const a of failed)
        answers[`${a.status}${a.code === undefined ? '' : ` ${a.code}`}`] =
          (answers[`${a.status}${a.code === undefined ? '' : ` ${a.code}`}`] ?? 0) + 1;
      console.log(
        `F1 (${TIER_NAME}): ${mode} standby; ${ackedBefore} records acknowledged before the kill, ${ackedInGap} in the ` +
          `${GAP_MS} ms with no writable host (spooled), ${ackedAfter} after the move; service on the promoted host ` +
          `${Math.round(moveMs)} ms after the promotion (${Math.round(promotedAt - killedAt)} ms after the kill); ` +
          `spool drained ${Math.round(drainMs)} ms after the load stopped; acknowledged ${count.acknowledged}, stored ` +
          `${count.rows}, lost ${count.lost}, duplicated ${count.duplicated}; refused attempts ${JSON.stringify(answers)}`,
      );
      assert.ok(ackedAfter > 0, 'the service acknowledged nothing once on the promoted host');
      assert.deepEqual(
        { lost: mode === 'synchronous' ? count.lost : 0, duplicated: count.duplicated },
        { lost: 0, duplicated: 0 },
        `lost ${count.lostExamples.join(',')}; duplicated ${count.duplicatedExamples.join(',')}`,
      );
      assert.deepEqual(service.crashes, [], 'the service exited on its own');
    } finally {
      for (const c of checkers) c.close();
      await promoted?.end().catch(() => undefined);
      await stack?.close();
    }
  });
}
