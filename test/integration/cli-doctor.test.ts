import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DoctorReport } from '../../src/ops/doctor.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('shannon-data doctor', () => {
  let t: TestDatabase;
  let root: string;
  before(async () => {
    t = await createTestDatabase({ migrate: false });
    root = await mkdtemp(join(tmpdir(), 'shannon-doctor-'));
  });
  after(async () => {
    await t.drop();
    await rm(root, { recursive: true, force: true });
  });

  it('only reads: no migration applied, no spool created', async () => {
    const dataDir = join(root, 'data');
    const run = await runCli(['doctor', '--json'], {
      DATABASE_URL: t.url,
      SHANNON_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
    });
    const report = JSON.parse(run.stdout) as DoctorReport;
    assert.ok(
      report.checks.some((c) => c.name === 'vector_collections'),
      'the vector check runs against the embedded index',
    );
    assert.ok(report.checks.length > 10, run.stdout);
    const { rows } = await t.db.query<{ migrations: string | null; tables: string }>(
      `SELECT to_regclass('public.shannon_schema_migrations')::text AS migrations,
              (SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')) AS tables`,
    );
    assert.equal(rows[0]!.migrations, null, 'no migration bookkeeping table');
    assert.equal(Number(rows[0]!.tables), 0, 'no table created');
    assert.equal(existsSync(join(dataDir, 'spool')), false, 'no spool directory');
  });
});
