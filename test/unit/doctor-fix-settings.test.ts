/**
 * Every setting a doctor finding's fix tells the operator to change is a real setting: a fix once
 * named SHANNON_POOL_MAX, which does not exist (the pool size is PG_POOL_MAX).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SETTING_ENV_NAMES } from '../../src/config/config.js';

test('the fixes of doctor findings name only settings that exist', () => {
  const dir = new URL('../../src/ops/', import.meta.url);
  const named = new Map<string, string>();
  for (const file of readdirSync(dir).filter((f) => f.startsWith('doctor') && f.endsWith('.ts'))) {
    const text = readFileSync(new URL(file, dir), 'utf8');
    for (const fix of text.matchAll(/fix:\s*(?:`[^`]*`|'[^']*'|"[^"]*")/g)) {
      for (const [name] of fix[0].matchAll(/\b(?:SHANNON|PG|REDIS|QDRANT|EMBEDDING|VECTOR)_[A-Z0-9_]+\b/g))
        named.set(name, file);
    }
  }
  assert.ok(named.size > 0, 'some fix names a setting');
  const unknown = [...named].filter(([name]) => !SETTING_ENV_NAMES.includes(name));
  assert.deepEqual(unknown, [], 'settings named in fixes that do not exist');
});
