/**
 * A DATABASE_URL listing several hosts: the pool opens on the first host that takes writes, and
 * moves to another one when its host goes away, without the caller doing anything but retrying.
 * The "hosts" are the machine's PostgreSQL reached directly and through a TCP proxy the test
 * stops; src/postgres/host-pool.ts. A real promotion is test/reliability/f1-failover.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createMetrics } from '../../src/observability/metrics.js';
import { Database } from '../../src/postgres/database.js';
import { createTestDatabase, type TestDatabase, testPoolConfig } from '../helpers/database.js';
import { freePort } from '../helpers/free-port.js';
import { TcpProxy } from '../reliability/helpers/tcp-proxy.js';

let t: TestDatabase;
const opened: Database[] = [];

before(async () => {
  t = await createTestDatabase({ migrate: false });
});

after(async () => {
  for (const db of opened) await db.close();
  await t.drop();
});

function open(hosts: string[]) {
  const metrics = createMetrics();
  const db = new Database({
    connectionString: `postgres://postgres@${hosts.join(',')}/${t.name}`,
    pool: testPoolConfig({ connectTimeoutMs: 1_000, queryTimeoutMs: 2_000 }),
    metrics,
    name: 'primary',
  });
  opened.push(db);
  return { db, metrics };
}

async function hostChanges(metrics: ReturnType<typeof createMetrics>): Promise<number> {
  const values = (await metrics.dbHostChanges.get()).values;
  return values.reduce((sum, v) => sum + v.value, 0);
}

test('a host that does not answer is passed over at the first use', async () => {
  const dead = await freePort();
  const { db, metrics } = open([`127.0.0.1:${dead}`, '127.0.0.1:5432']);
  const { rows } = await db.query<{ one: number }>('SELECT 1 AS one');
  assert.equal(rows[0]?.one, 1);
  assert.equal(db.host, '127.0.0.1:5432');
  assert.equal(await hostChanges(metrics), 0, 'finding the host at the start is not a failover');
});

test('when its host goes away, the pool moves to the next writable host and calls succeed again', async () => {
  const proxy = await TcpProxy.start({ targetPort: 5432 });
  try {
    const { db, metrics } = open([`127.0.0.1:${proxy.port}`, '127.0.0.1:5432']);
    await db.query('CREATE TABLE IF NOT EXISTS hosts_probe (n int)');
    assert.equal(db.host, `127.0.0.1:${proxy.port}`, 'both take writes: the first listed one is used');
    await proxy.stop();
    let failures = 0;
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await db.query('INSERT INTO hosts_probe VALUES (1)');
        break;
      } catch (error) {
        failures += 1;
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    assert.ok(failures >= 1, 'the call on the stopped host failed first (it is not hidden)');
    assert.equal(db.host, '127.0.0.1:5432');
    assert.equal(await hostChanges(metrics), 1);
  } finally {
    await proxy.stop().catch(() => undefined);
  }
});
