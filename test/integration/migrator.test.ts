import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { isShannonError } from '../../src/errors/errors.js';
import {
  DEFAULT_MIGRATIONS_DIR,
  migrateUp,
  migrationStatus,
  readMigrations,
} from '../../src/schema/migrator.js';
import { dumpSchema } from '../../src/schema/schema-dump.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

describe('migrate up on an empty database', () => {
  let empty: TestDatabase;
  before(async () => {
    empty = await createTestDatabase({ migrate: false });
  });
  after(() => empty.drop());

  it('8 concurrent processes all exit 0 and apply each migration exactly once', async () => {
    const files = readMigrations();
    const runs = await Promise.all(
      Array.from({ length: 8 }, () => runCli(['--database-url', empty.url, 'migrate', 'up', '--json'])),
    );
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    const appliedPerRun = runs.map((r) => (JSON.parse(r.stdout) as { applied: number }).applied);
    assert.equal(
      appliedPerRun.reduce((a, b) => a + b, 0),
      files.length,
      'the applications across all processes add up to one per file',
    );
    const rows = await withClient(empty.url, (c) =>
      c.query<{ version: number; n: string }>(
        'SELECT version, count(*) AS n FROM shannon_schema_migrations GROUP BY version ORDER BY version',
      ),
    );
    assert.deepEqual(
      rows.rows.map((r) => r.version),
      files.map((f) => f.version),
    );
    assert.ok(rows.rows.every((r) => r.n === '1'));
  });

  it('a second run applies nothing', async () => {
    const run = await runCli(['--database-url', empty.url, 'migrate', 'up', '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { applied: number }).applied, 0);
    const status = await runCli(['--database-url', empty.url, 'migrate', 'status', '--json']);
    assert.equal((JSON.parse(status.stdout) as { pending: number }).pending, 0);
  });
});

describe('checksums', () => {
  let t: TestDatabase;
  let dir: string;
  before(async () => {
    t = await createTestDatabase({ migrate: false });
    dir = mkdtempSync(join(tmpdir(), 'shannon-migrations-'));
    cpSync(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.drop();
  });

  it('refuses an edited, already-applied migration, naming the file, and applies nothing', async () => {
    await withClient(t.url, (c) => migrateUp(c, { dir }));
    const [first] = readMigrations(dir);
    const path = join(dir, first!.file);
    writeFileSync(path, `${readFileSync(path, 'utf8')}\n-- an edit after the fact\n`);
    writeFileSync(join(dir, '9999_later.sql'), 'CREATE TABLE should_not_exist (id int);');
    await withClient(t.url, async (c) => {
      await assert.rejects(
        () => migrateUp(c, { dir }),
        (error: unknown) =>
          isShannonError(error) &&
          error.code === 'MIGRATION_CHECKSUM_MISMATCH' &&
          error.message.includes(first!.file),
      );
      const status = await migrationStatus(c, dir);
      assert.equal(status.find((s) => s.version === first!.version)?.state, 'checksum_mismatch');
      const exists = await c.query(`SELECT to_regclass('should_not_exist') AS t`);
      assert.equal(exists.rows[0].t, null);
    });
  });

  it('the CLI refuses with a non-zero exit naming the file', async () => {
    const fresh = await createTestDatabase();
    try {
      // What the database remembers no longer matches the shipped file: as if the file had been edited.
      await fresh.db.query(`UPDATE shannon_schema_migrations SET checksum = 'edited' WHERE version = $1`, [
        readMigrations()[0]!.version,
      ]);
      const cli = await runCli(['--database-url', fresh.url, 'migrate', 'up']);
      // Exit 3: migrate could not do its work (README, Commands: exit statuses).
      assert.equal(cli.code, 3);
      assert.match(cli.stderr, /MIGRATION_CHECKSUM_MISMATCH/);
      assert.ok(cli.stderr.includes(readMigrations()[0]!.file), cli.stderr);
    } finally {
      await fresh.drop();
    }
  });

  it('reports the failing file when a migration fails, and keeps earlier ones', async () => {
    writeFileSync(join(dir, '9998_broken.sql'), 'CREATE TABLE broken (id int);\nSELECT no_such_function();');
    const fresh = await createTestDatabase({ migrate: false });
    try {
      const cleanDir = mkdtempSync(join(tmpdir(), 'shannon-migrations-'));
      cpSync(DEFAULT_MIGRATIONS_DIR, cleanDir, { recursive: true });
      cpSync(join(dir, '9998_broken.sql'), join(cleanDir, '9998_broken.sql'));
      await withClient(fresh.url, async (c) => {
        await assert.rejects(
          () => migrateUp(c, { dir: cleanDir }),
          (error: unknown) =>
            isShannonError(error) &&
            error.code === 'MIGRATION_FAILED' &&
            error.message.includes('9998_broken.sql'),
        );
        const broken = await c.query(`SELECT to_regclass('broken') AS t`);
        assert.equal(broken.rows[0].t, null, 'the failing file rolled back as a whole');
        const status = await migrationStatus(c, cleanDir);
        assert.equal(status.filter((s) => s.state === 'applied').length, readMigrations().length);
      });
      rmSync(cleanDir, { recursive: true, force: true });
    } finally {
      await fresh.drop();
    }
  });
});

describe('schema dump', () => {
  it('matches the checked-in src/schema/schema.dump.sql (run scripts/update-schema-dump.ts after a schema change)', async () => {
    const t = await createTestDatabase();
    try {
      const actual = await dumpSchema(t.db);
      const expected = readFileSync(new URL('../../src/schema/schema.dump.sql', import.meta.url), 'utf8');
      if (actual !== expected) {
        const a = actual.split('\n');
        const e = expected.split('\n');
        const extra = a.filter((l) => !e.includes(l)).slice(0, 10);
        const missing = e.filter((l) => !a.includes(l)).slice(0, 10);
        assert.fail(
          `schema drifted from schema.dump.sql\nonly in the database:\n${extra.join('\n')}\nonly in the file:\n${missing.join('\n')}`,
        );
      }
    } finally {
      await t.drop();
    }
  });
});
