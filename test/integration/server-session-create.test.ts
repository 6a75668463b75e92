/** POST /v1/sessions replays: a key that may only write learns the session's id, not its content. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createApiKey } from '../../src/auth/api-keys.js';
import { type ServerHarness, startServerHarness } from './server-harness.js';

let h: ServerHarness;
before(async () => {
  h = await startServerHarness();
});
after(() => h.close());

test('a replayed externalId answers a write-only key without the context; a reading key gets it', async () => {
  const tenant = await h.tenantWithKey({ scopes: ['data:read', 'data:write'] });
  const writer = (
    await createApiKey(h.dataLayer.db, { tenantId: tenant.tenantId, name: 'writer', scopes: ['data:write'] })
  ).key;
  const create = (key: string) =>
    h.app.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: { authorization: `Bearer ${key}` },
      payload: { externalId: 'shared-ext', context: { secret: 'the plan' } },
    });
  const first = await create(tenant.key);
  assert.equal(first.statusCode, 201, first.body);
  const replay = await create(writer);
  assert.equal(replay.statusCode, 200, replay.body);
  assert.equal(replay.json().session.id, first.json().session.id);
  assert.equal(replay.json().created, false);
  assert.ok(!replay.body.includes('the plan'), `context leaked: ${replay.body}`);
  const reader = await create(tenant.key);
  assert.equal(reader.json().session.context.secret, 'the plan');
});
