/**
 * What archive restore refuses to trust: unsigned or wrongly signed manifests (unless told to),
 * tables retention never archives (auth.api_keys above all), file names that leave the archive
 * directory, dates that are not exactly what export writes, and rows outside the manifest's range
 * or tenant. A refused file restores nothing.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { describeConfig, loadConfig } from '../../src/config/config.js';
import { isShannonError } from '../../src/errors/errors.js';
import { exportArchive } from '../../src/ops/archive.js';
import { type ArchiveManifest, signManifest } from '../../src/ops/archive-manifest.js';
import { restoreArchive } from '../../src/ops/archive-restore.js';
import { monthStart } from '../../src/ops/partition-catalog.js';
import { runCli } from '../helpers/cli.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';

const KEY = 'archive-trust-test-key-0123456789abcdef01';

/** The error code and reason a restore fails with ('none' when it succeeds). */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'none';
  } catch (error) {
    if (!isShannonError(error)) throw error;
    return `${error.code}:${String(error.details?.['reason'] ?? '')}`;
  }
}

describe('archive restore trust', () => {
  let t: TestDatabase;
  let root: string;
  let tenantA: string;
  let tenantB: string;
  const month = monthStart(new Date(), -2);
  const monthEnd = monthStart(new Date(), -1);
  let counter = 0;

  const count = async (sql: string, values: unknown[] = []) =>
    Number((await t.db.query<{ n: string }>(sql, values)).rows[0]!.n);
  const eventRows = () =>
    count(`SELECT count(*) AS n FROM public.event_logs WHERE created_at >= $1 AND created_at < $2`, [
      month,
      monthEnd,
    ]);

  /** Exports the month of event logs (one tenant's, or all) into a fresh directory. */
  async function exportMonth(options: { key?: string; tenantId?: string } = {}): Promise<string> {
    counter += 1;
    const directory = join(root, `archive-${counter}`);
    await exportArchive(t.db, t.db, {
      directory,
      ranges: [
        {
          table: 'public.event_logs',
          from: month,
          to: monthEnd,
          ...(options.tenantId === undefined ? {} : { tenantId: options.tenantId }),
        },
      ],
      ...(options.key === undefined ? {} : { key: options.key }),
    });
    return directory;
  }

  /** Copies an archive, edits its manifest and signs the result with `key` (unsigned without). */
  async function edited(
    directory: string,
    edit: (m: ArchiveManifest) => void,
    key: string | undefined = KEY,
  ): Promise<string> {
    counter += 1;
    const copy = join(root, `edited-${counter}`);
    await cp(directory, copy, { recursive: true });
    const manifest = JSON.parse(await readFile(join(copy, 'manifest.json'), 'utf8')) as ArchiveManifest;
    edit(manifest);
    manifest.signature = null;
    if (key !== undefined)
      manifest.signature = signManifest(manifest as unknown as Record<string, unknown>, key);
    await writeFile(join(copy, 'manifest.json'), JSON.stringify(manifest, null, 2));
    return copy;
  }

  /** Deletes the month's event logs, so a restore has something to bring back. */
  const clearMonth = () =>
    t.db.query(`DELETE FROM public.event_logs WHERE created_at >= $1 AND created_at < $2`, [month, monthEnd]);

  /** The month holds 300 event logs of tenant A and 200 of tenant B again. */
  async function seedMonth(): Promise<void> {
    await clearMonth();
    for (const [tenant, n] of [
      [tenantA, 300],
      [tenantB, 200],
    ] as const) {
      await t.db.query(
        `INSERT INTO public.event_logs (workflow_id, type, tenant_id, idempotency_key, created_at)
         SELECT 'wf', 'progress', $1::uuid, $4::text || '-' || g, $2::timestamptz + g * interval '1 hour'
           FROM generate_series(1, $3::int) g`,
        [tenant, month, n, tenant],
      );
    }
  }

  before(async () => {
    t = await createTestDatabase();
    root = await mkdtemp(join(tmpdir(), 'shannon-archive-trust-'));
    tenantA = await createTenant(t.db);
    tenantB = await createTenant(t.db);
  });
  beforeEach(() => seedMonth());
  after(async () => {
    await t?.drop();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it('never restores into auth.api_keys, signed or trusted unsigned, and plants no key', async () => {
    // A self-consistent archive of a key row: correct hashes, the real table's columns.
    await t.db.query(
      `INSERT INTO auth.api_keys (key_hash, key_prefix, tenant_id, name, scopes, created_at)
       VALUES ('forged-digest', 'sk_forged', $1, 'planted', ARRAY['admin'], $2)`,
      [tenantA, new Date(month.getTime() + 3_600_000)],
    );
    counter += 1;
    const forged = join(root, `forged-${counter}`);
    await exportArchive(t.db, t.db, {
      directory: forged,
      ranges: [{ table: 'auth.api_keys', column: 'created_at', from: month, to: monthEnd }],
    });
    await t.db.query(`DELETE FROM auth.api_keys WHERE key_prefix = 'sk_forged'`);
    const keys = () => count(`SELECT count(*) AS n FROM auth.api_keys WHERE key_prefix = 'sk_forged'`);

    assert.equal(
      await refusal(restoreArchive(t.db, t.db, { directory: forged, trustUnsigned: true })),
      'ARCHIVE_UNTRUSTED:table_not_restorable',
    );
    const signed = await edited(forged, () => undefined, KEY);
    assert.equal(
      await refusal(restoreArchive(t.db, t.db, { directory: signed, key: KEY })),
      'ARCHIVE_UNTRUSTED:table_not_restorable',
    );
    // Spelled differently, the name still resolves to the same table; still refused.
    const quoted = await edited(forged, (m) => {
      m.files[0]!.table = '"auth"."api_keys"';
    });
    assert.equal(
      await refusal(restoreArchive(t.db, t.db, { directory: quoted, key: KEY })),
      'ARCHIVE_UNTRUSTED:table_not_restorable',
    );
    assert.equal(await keys(), 0, 'no key row was added');
  });

  it('refuses an unsigned archive unless trusted, then restores it', async () => {
    const unsigned = await exportMonth();
    const manifest = JSON.parse(await readFile(join(unsigned, 'manifest.json'), 'utf8')) as ArchiveManifest;
    assert.equal(manifest.signature, null);
    await clearMonth();
    assert.equal(
      await refusal(restoreArchive(t.db, t.db, { directory: unsigned, key: KEY })),
      'ARCHIVE_UNTRUSTED:unsigned',
    );
    assert.equal(await eventRows(), 0, 'nothing restored');
    const restored = await restoreArchive(t.db, t.db, {
      directory: unsigned,
      key: KEY,
      trustUnsigned: true,
    });
    assert.equal(restored.trust, 'unsigned_trusted');
    assert.ok(restored.files.every((f) => f.verified));
    assert.equal(await eventRows(), 500);
  });

  it('refuses a signed manifest that was altered, or signed with another key, even when trusting unsigned', async () => {
    const signed = await exportMonth({ key: KEY });
    const tampered = await edited(
      signed,
      (m) => {
        m.files[0]!.to = new Date(monthEnd.getTime() + 86_400_000).toISOString();
      },
      undefined,
    );
    // Put the original signature back on the altered body.
    const original = JSON.parse(await readFile(join(signed, 'manifest.json'), 'utf8')) as ArchiveManifest;
    const body = JSON.parse(await readFile(join(tampered, 'manifest.json'), 'utf8')) as ArchiveManifest;
    body.signature = original.signature;
    await writeFile(join(tampered, 'manifest.json'), JSON.stringify(body));
    const otherKey = await edited(signed, () => undefined, 'some-other-key-0123456789abcdef0123456');
    await clearMonth();
    for (const directory of [tampered, otherKey]) {
      assert.equal(
        await refusal(restoreArchive(t.db, t.db, { directory, key: KEY, trustUnsigned: true })),
        'ARCHIVE_UNTRUSTED:bad_signature',
      );
    }
    // Signed, but this process has no key to check it with.
    assert.equal(
      await refusal(restoreArchive(t.db, t.db, { directory: signed })),
      'ARCHIVE_UNTRUSTED:no_key',
    );
    assert.equal(await eventRows(), 0);
    const ok = await restoreArchive(t.db, t.db, { directory: signed, key: KEY });
    assert.equal(ok.trust, 'verified');
    assert.equal(await eventRows(), 500);
  });

  it('refuses file names outside the archive directory', async () => {
    const signed = await exportMonth({ key: KEY });
    // A copy of the real file one level up, where `../` would find it.
    const manifest = JSON.parse(await readFile(join(signed, 'manifest.json'), 'utf8')) as ArchiveManifest;
    const name = manifest.files[0]!.file;
    await cp(join(signed, name), join(root, name));
    await clearMonth();
    for (const file of [`../${name}`, `sub/../../${name}`, `..`, '/etc/passwd', `${root}/${name}`]) {
      const directory = await edited(signed, (m) => {
        m.files[0]!.file = file;
      });
      assert.equal(
        await refusal(restoreArchive(t.db, t.db, { directory, key: KEY })),
        'ARCHIVE_UNTRUSTED:bad_file',
        file,
      );
    }
    assert.equal(await eventRows(), 0);
    await rm(join(root, name));
  });

  it('refuses dates that are not exactly what export writes', async () => {
    const signed = await exportMonth({ key: KEY });
    await clearMonth();
    const y = month.getUTCFullYear();
    for (const [field, value] of [
      ['from', `${y}-02-30T00:00:00.000Z`],
      ['from', `${month.toISOString().slice(0, 10)}`],
      ['to', `${monthEnd.toISOString()}') TO ('${y + 5}-01-01T00:00:00.000Z`],
      ['to', `${monthEnd.toISOString().replace('Z', '+00:00')}`],
    ] as const) {
      const directory = await edited(signed, (m) => {
        m.files[0]![field] = value;
      });
      assert.equal(
        await refusal(restoreArchive(t.db, t.db, { directory, key: KEY })),
        'ARCHIVE_UNTRUSTED:bad_date',
        value,
      );
    }
    assert.equal(await eventRows(), 0);
  });

  it("refuses a file with a row outside the manifest's range or of another tenant, restoring none of it", async () => {
    const all = await exportMonth({ key: KEY });
    // The manifest claims only tenant A's rows; the file holds tenant B's too.
    const claimsTenant = await edited(all, (m) => {
      m.files[0]!.tenantId = tenantA;
    });
    // The manifest claims a range that ends before the file's last rows.
    const narrower = await edited(all, (m) => {
      m.files[0]!.to = new Date(month.getTime() + 100 * 3_600_000).toISOString();
    });
    // A column the table does not have.
    const extraColumn = await edited(all, (m) => {
      m.files[0]!.columns = [...m.files[0]!.columns, 'is_admin'];
    });
    await clearMonth();
    assert.equal(
      await refusal(restoreArchive(t.db, t.db, { directory: claimsTenant, key: KEY })),
      'ARCHIVE_UNTRUSTED:row_of_other_tenant',
    );
    assert.equal(
      await refusal(restoreArchive(t.db, t.db, { directory: narrower, key: KEY })),
      'ARCHIVE_UNTRUSTED:row_outside_range',
    );
    assert.equal(
      await refusal(restoreArchive(t.db, t.db, { directory: extraColumn, key: KEY })),
      'ARCHIVE_UNTRUSTED:unknown_columns',
    );
    assert.equal(await eventRows(), 0, 'no row of a refused file was restored');
    // The unedited archive still restores.
    await restoreArchive(t.db, t.db, { directory: all, key: KEY });
    assert.equal(await eventRows(), 500);
  });

  it('archive restore on the command line: refuses unsigned, restores with --trust-unsigned', async () => {
    const unsigned = await exportMonth();
    await clearMonth();
    const env = {
      DATABASE_URL: t.url,
      SHANNON_DATA_DIR: join(root, 'data'),
      SHANNON_ARCHIVE_KEY: KEY,
      LOG_LEVEL: 'silent',
    };
    const refused = await runCli(['archive', 'restore', '--dir', unsigned, '--json'], env);
    assert.notEqual(refused.code, 0);
    assert.equal(
      (JSON.parse(refused.stderr) as { error: { code: string } }).error.code,
      'ARCHIVE_UNTRUSTED',
      refused.stderr,
    );
    assert.equal(await eventRows(), 0);
    const trusted = await runCli(
      ['archive', 'restore', '--dir', unsigned, '--trust-unsigned', '--json'],
      env,
    );
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.equal((JSON.parse(trusted.stdout) as { trust: string }).trust, 'unsigned_trusted');
    assert.equal(await eventRows(), 500);
  });

  it('never shows the archive key in the configuration description', () => {
    const config = loadConfig({ env: { SHANNON_ARCHIVE_KEY: KEY } });
    assert.equal(config.archiveKey, KEY);
    assert.ok(!JSON.stringify(describeConfig(config)).includes(KEY));
    assert.throws(() => loadConfig({ env: { SHANNON_ARCHIVE_KEY: 'short' } }), /at least 32/);
  });
});
