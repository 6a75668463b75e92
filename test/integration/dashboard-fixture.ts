/**
 * What the dashboard tests feed a service before they look at it: a table with a planted slow
 * query the index advisor can prove an index for (hypopg), the demo workload, the partitions
 * analyzed as autovacuum does (never their partitioned parent), and an operator key.
 */
import type { AddressInfo } from 'node:net';
import { runDemo } from '../../src/devtools/demo/demo-workload.js';
import { type ServerHarness, startServerHarness } from './server-harness.js';

/** The planted query on `table`: a lookup by an unindexed column. */
export const plantedQuery = (table: string) => `SELECT id, note FROM ${table} WHERE customer_ref = $1`;

export interface DashboardFixture {
  h: ServerHarness;
  /** The listening service's base URL. */
  url: string;
  operatorKey: string;
  /** The key of the tenant the demo wrote for. */
  tenantKey: string;
}

export async function startDashboardFixture(options: {
  table: string;
  tasks: number;
}): Promise<DashboardFixture> {
  const h = await startServerHarness();
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  const { table } = options;
  await h.t.db.query(
    `CREATE TABLE ${table} (id int PRIMARY KEY, customer_ref int NOT NULL, note text NOT NULL)`,
  );
  await h.t.db.query(
    `INSERT INTO ${table} SELECT g, g % 5000, 'note ' || g FROM generate_series(1, 60000) g`,
  );
  await h.t.db.query(`ANALYZE ${table}`);
  for (let i = 0; i < 120; i++) await h.t.db.query(plantedQuery(table), [i]);
  const tenant = await h.tenantWithKey();
  await runDemo({ url, apiKey: tenant.key, tasks: options.tasks });
  // As autovacuum does: it analyzes the partitions, never their partitioned parent (whose own
  // reltuples then stays 0 or -1).
  await h.t.db.query(`DO $$ DECLARE r record; BEGIN
    FOR r IN SELECT oid::regclass AS t FROM pg_class WHERE relispartition AND relkind = 'r' LOOP
      EXECUTE 'ANALYZE ' || r.t;
    END LOOP; END $$`);
  const operatorKey = (await h.tenantWithKey({ operator: true })).key;
  return { h, url, operatorKey, tenantKey: tenant.key };
}
