/**
 * Without pg_stat_statements and hypopg (the embedded PostgreSQL's situation) the toolkit degrades:
 * the doctor reports EXTENSION_MISSING as info and still runs every other check; advise fails with
 * the typed EXTENSION_MISSING error. Also: every finding code is documented in docs/operations.md.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { runDoctor } from '../../src/ops/doctor.js';
import { FINDING_CODES } from '../../src/ops/finding.js';
import { adviseIndexes } from '../../src/ops/index-advisor.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

describe('toolkit without the optional extensions', () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase();
    await t.db.query('DROP EXTENSION IF EXISTS pg_stat_statements');
    await t.db.query('DROP EXTENSION IF EXISTS hypopg');
  });
  after(async () => t?.drop());

  it('doctor reports EXTENSION_MISSING as info and runs the other checks', async () => {
    const report = await runDoctor(t.db, { connections: t.db });
    const missing = report.findings.find((f) => f.code === 'EXTENSION_MISSING');
    assert.equal(missing?.severity, 'info');
    assert.equal(missing?.object, 'pg_stat_statements');
    assert.ok(
      report.checks.every((c) => c.error === null),
      JSON.stringify(report.checks),
    );
    assert.equal(report.exitCode, 0);
  });

  it('advise fails with the typed EXTENSION_MISSING error', async () => {
    await assert.rejects(adviseIndexes(t.db, t.db), { code: 'EXTENSION_MISSING' });
  });
});

describe('docs/operations.md', () => {
  it('documents every finding code', () => {
    const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    const undocumented = Object.keys(FINDING_CODES).filter((code) => !doc.includes(`\`${code}\``));
    assert.deepEqual(undocumented, []);
  });
});
