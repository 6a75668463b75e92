/**
 * S5, generators that live in SQL or touch the database:
 * - physical collection names (`<collection>_v<n>`, built by the ADD_VERSION statement itself) are
 *   allow-listed, at most 63 bytes and distinct over 1,000,000 (collection, version) pairs, each
 *   made by the product's own statement run server-side;
 * - archive file names, the only name built from a tenant id: two tenants' exports of the same
 *   table and range into one directory (what retention does per tenant) get different files.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COLLECTION_NAMES } from '../../src/memory/collections.js';
import { ADD_VERSION, ENSURE_FIRST_VERSION } from '../../src/memory/memory-queries.js';
import { exportRange } from '../../src/ops/archive.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const VERSIONS = 1_000_000;
const IDENTIFIER = '^[a-z_][a-z0-9_]*$';

describe('generated identifiers in the database', () => {
  let t: TestDatabase;
  before(async () => {
    t = await createTestDatabase();
  });
  after(() => t?.drop());

  it(`physical collection names: ${VERSIONS} versions, allow-listed, ≤ 63 bytes, distinct`, async () => {
    const perCollection = Math.ceil(VERSIONS / COLLECTION_NAMES.length);
    for (const name of COLLECTION_NAMES) await t.db.query(ENSURE_FIRST_VERSION, [name, 8]);
    // The product's statement as written, wrapped as a SQL function of its three parameters so a
    // million calls run in one statement (no round trip per version, one plan).
    await t.db.withTransaction(
      async (tx) => {
        await tx.query(
          `CREATE FUNCTION pg_temp.add_version(text, int, text) RETURNS TABLE (version int, physical_name text)
             LANGUAGE sql VOLATILE AS $fn$${ADD_VERSION}$fn$`,
        );
        await tx.query(
          `SELECT count(*) FROM unnest($1::text[]) AS c(name)
             CROSS JOIN generate_series(2, $2) AS i
             CROSS JOIN LATERAL pg_temp.add_version(c.name, 8, 'model-' || i) AS v`,
          [COLLECTION_NAMES, perCollection],
          { timeoutMs: 600_000 },
        );
      },
      { operation: 'test.add_versions' },
    );
    const { rows } = await t.db.query<{
      n: string;
      distinct_names: string;
      bad: string;
      max_bytes: number;
      sample: string;
    }>(
      `SELECT count(*) AS n, count(DISTINCT physical_name) AS distinct_names,
              count(*) FILTER (WHERE physical_name !~ $1) AS bad,
              max(octet_length(physical_name)) AS max_bytes,
              max(physical_name) FILTER (WHERE version = $2) AS sample
         FROM public.memory_collection_versions`,
      [IDENTIFIER, perCollection],
    );
    const r = rows[0]!;
    assert.equal(Number(r.n), perCollection * COLLECTION_NAMES.length);
    assert.equal(r.distinct_names, r.n, 'two versions share a physical name');
    assert.equal(Number(r.bad), 0);
    assert.ok(r.max_bytes <= 63, `a physical name of ${r.max_bytes} bytes`);
    console.log(
      `physical names: ${r.distinct_names} distinct of ${r.n} versions over ${COLLECTION_NAMES.length} collections, longest ${r.max_bytes} bytes (e.g. ${r.sample})`,
    );
  });

  it('archive file names: tenants whose ids share the first 8 hex digits get different files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'identifiers-archive-'));
    try {
      const a = '0badcafe-0000-4000-8000-00000000000a';
      const b = '0badcafe-ffff-4fff-bfff-00000000000b';
      const range = { table: 'public.event_logs', from: new Date(0), to: new Date('2030-01-01T00:00:00Z') };
      const fa = await exportRange(t.db, t.db, dir, { ...range, tenantId: a });
      const fb = await exportRange(t.db, t.db, dir, { ...range, tenantId: b });
      // Before the fix both were `public.event_logs.19700101-20300101.0badcafe.copy.gz`: the second
      // export overwrote the first tenant's archive, whose rows retention then deletes.
      assert.notEqual(fa.file, fb.file);
      assert.equal(readdirSync(dir).length, 2);
      for (const f of [fa.file, fb.file]) assert.match(f, /^[A-Za-z0-9_][A-Za-z0-9._-]*$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
