/**
 * docs/library.md's example runs as it stands: its first TypeScript block is written to a file in
 * the repository (with the package name pointed at src/index.ts) and run in a child process on a
 * test database, whose output must show a durable write and the memory hit.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
let t: TestDatabase;
let dataDir: string;
before(async () => {
  t = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'library-doc-'));
});
after(async () => {
  await t?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

test("docs/library.md's example runs", () => {
  const doc = readFileSync(join(ROOT, 'docs/library.md'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block !== undefined, 'the doc has a ts block');
  const script = join(ROOT, 'test', `.library-doc-${process.pid}.ts`);
  writeFileSync(script, block.replace(`from 'shannon-data'`, `from '../src/index.js'`));
  try {
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        DATABASE_URL: t.url,
        SHANNON_DATA_DIR: dataDir,
        LOG_LEVEL: 'silent',
        REDIS_URL: '',
        QDRANT_URL: '',
        EMBEDDING_URL: '',
      },
    });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines[0], 'committed');
    assert.match(lines[1] ?? '', /user: 'alice'/);
  } finally {
    rmSync(script, { force: true });
  }
});
