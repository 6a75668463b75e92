/**
 * `engines.node` of package.json must be true for every package a user installs (the runtime and
 * optional ones in package-lock.json): the oldest Node we claim must satisfy each package's own
 * engines range. Node 20 is the only Node on the test machine, so this is checked from the
 * lockfile's engines fields rather than by running the oldest Node.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import semver from 'semver';

const ROOT = new URL('../../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as {
  engines: { node: string };
};
const lock = JSON.parse(readFileSync(new URL('package-lock.json', ROOT), 'utf8')) as {
  packages: Record<string, { version?: string; dev?: boolean; engines?: unknown }>;
};

/**
 * Packages whose declared range leaves out our oldest Node, each with why it is kept. The test
 * fails when an exception is no longer needed, so the list cannot go stale.
 */
const EXCEPTIONS: Readonly<Record<string, string>> = {
  // 2.26.x declares >=22, but its prebuilt N-API binary runs on Node 20: the whole suite, including
  // the embedded index's tests, runs on Node 20. 2.25.3, the last release declaring >=20, can loop
  // forever in remove() (docs/memory.md), which is worse than a declaration.
  'node_modules/usearch': 'declares node >=22; runs on Node 20',
};

const oldest = semver.minVersion(manifest.engines.node);

function installed(): Array<[string, string]> {
  return Object.entries(lock.packages).flatMap(([path, p]) => {
    if (path === '' || p.dev === true) return [];
    const engines = p.engines;
    const node =
      engines !== null && typeof engines === 'object' && !Array.isArray(engines)
        ? (engines as Record<string, unknown>)['node']
        : undefined;
    return typeof node === 'string' ? [[path, node] as [string, string]] : [];
  });
}

test('the oldest Node package.json claims satisfies every installed package', () => {
  assert.ok(oldest !== null, `engines.node ${manifest.engines.node} has a minimum`);
  const refused = installed()
    .filter(([path, range]) => !semver.satisfies(oldest, range) && !(path in EXCEPTIONS))
    .map(([path, range]) => `${path} needs node ${range}`);
  assert.deepEqual(refused, [], `engines.node is ${manifest.engines.node}`);
});

test('every exception is still needed', () => {
  const ranges = new Map(installed());
  for (const path of Object.keys(EXCEPTIONS)) {
    const range = ranges.get(path);
    assert.ok(range !== undefined, `${path} is still installed with an engines field`);
    assert.equal(
      semver.satisfies(oldest!, range),
      false,
      `${path} (node ${range}) no longer needs an exception`,
    );
  }
});
