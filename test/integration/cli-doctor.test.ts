import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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

  it('takes thresholds from the config file, SHANNON_DOCTOR_THRESHOLDS and --threshold, the flag last', async () => {
    // Half of its range used: under the default 0.9, a finding under 0.4.
    await t.db.query(`CREATE SEQUENCE doctor_half MAXVALUE 100`);
    await t.db.query(`SELECT setval('doctor_half', 50)`);
    const env = { DATABASE_URL: t.url, SHANNON_DATA_DIR: join(root, 'thresholds'), LOG_LEVEL: 'silent' };
    const flagged = (report: DoctorReport) =>
      report.findings.some((f) => f.code === 'SEQUENCE_NEAR_OVERFLOW' && f.object.includes('doctor_half'));
    const run = async (args: string[], extra: Record<string, string> = {}) => {
      const r = await runCli(['doctor', '--json', ...args], { ...env, ...extra });
      return { ...r, report: JSON.parse(r.stdout) as DoctorReport };
    };

    const plain = await run([]);
    assert.equal(flagged(plain.report), false, plain.stdout);
    assert.deepEqual(plain.report.thresholds, {});

    const file = join(root, 'doctor.json');
    await writeFile(file, JSON.stringify({ doctorThresholds: { sequenceUsedRatio: 0.4 } }));
    const fromFile = await run(['--config', file]);
    assert.equal(flagged(fromFile.report), true, fromFile.stdout);
    assert.deepEqual(fromFile.report.thresholds, { sequenceUsedRatio: 0.4 });

    const fromEnv = await run([], { SHANNON_DOCTOR_THRESHOLDS: 'sequenceUsedRatio=0.4,largeTableRows=5' });
    assert.equal(flagged(fromEnv.report), true, fromEnv.stdout);
    assert.deepEqual(fromEnv.report.thresholds, { sequenceUsedRatio: 0.4, largeTableRows: 5 });

    // The flag wins over the file for the names it gives.
    const both = await run([
      '--config',
      file,
      '--threshold',
      'sequenceUsedRatio=0.6',
      '--threshold',
      'blockedSeconds=9',
    ]);
    assert.equal(flagged(both.report), false, both.stdout);
    assert.deepEqual(both.report.thresholds, { sequenceUsedRatio: 0.6, blockedSeconds: 9 });

    const text = await runCli(['doctor', '--threshold', 'sequenceUsedRatio=0.4'], env);
    assert.match(text.stdout, /^thresholds changed from the defaults: sequenceUsedRatio=0\.4$/m);
    assert.match(text.stdout, /SEQUENCE_NEAR_OVERFLOW +public\.doctor_half/);
  });

  it('refuses an unknown threshold, a ratio above 1 or a malformed pair with exit 2 before connecting', async () => {
    const unreachable = { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', LOG_LEVEL: 'silent' };
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [
        ['--threshold', 'slowQueryMeanMz=5'],
        {},
        /--threshold: unknown doctor threshold slowQueryMeanMz; known: slowQueryMinCalls, /,
      ],
      [
        ['--threshold', 'cacheHitRatioMin=99'],
        {},
        /--threshold: cacheHitRatioMin is a ratio between 0 and 1, got 99/,
      ],
      [['--threshold', 'blockedSeconds'], {}, /--threshold: "blockedSeconds" is not name=value/],
      [['--threshold', 'blockedSeconds=-1'], {}, /--threshold: blockedSeconds must be a non-negative number/],
      [
        [],
        { SHANNON_DOCTOR_THRESHOLDS: 'nope=1' },
        /SHANNON_DOCTOR_THRESHOLDS: unknown doctor threshold nope/,
      ],
    ];
    for (const [args, extra, message] of cases) {
      const r = await runCli(['doctor', ...args], { ...unreachable, ...extra });
      assert.equal(r.code, 2, `${args.join(' ')} ${JSON.stringify(extra)}: ${r.stderr}`);
      assert.match(r.stderr, /^error \[CONFIG_INVALID\]: /);
      assert.match(r.stderr, message);
    }
  });
});
