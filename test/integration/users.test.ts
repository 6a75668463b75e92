/**
 * Users end to end: created through the library store and through POST /v1/users; records naming
 * them written through dataLayer.ingest and POST /v1/ingest/:kind and read back; a record naming an
 * unknown user refused 400 with the field user_id; another tenant's user reads like an absent one.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { isShannonError, isValidationError } from '../../src/errors/errors.js';
import { type ServerHarness, startServerHarness } from './server-harness.js';

let h: ServerHarness;
before(async () => {
  h = await startServerHarness();
});
after(() => h.close());

const auth = (key: string) => ({ authorization: `Bearer ${key}` });

/** The token usage of a workflow is keyed by a task id of its own (one per workflow). */
const taskIds = new Map<string, string>();
function taskIdOf(workflowId: string): string {
  if (!taskIds.has(workflowId)) taskIds.set(workflowId, randomUUID());
  return taskIds.get(workflowId)!;
}

const USAGE = {
  provider: 'openai',
  model: 'gpt',
  prompt_tokens: 1,
  completion_tokens: 2,
  total_tokens: 3,
  cost_usd: 0.01,
  call_sequence: 1,
} as const;

/** Writes a task, an agent execution of it and the token usage of one call, all through HTTP. */
async function writeOverHttp(key: string, userId: string, workflowId: string): Promise<void> {
  const post = (kind: string, record: Record<string, unknown>) =>
    h.app.inject({
      method: 'POST',
      url: `/v1/ingest/${kind}`,
      headers: auth(key),
      payload: { records: [record] },
    });
  const task = await post('task_execution', {
    workflow_id: workflowId,
    user_id: userId,
    query: 'q',
    status: 'RUNNING',
  });
  assert.equal(task.statusCode, 200, task.body);
  const agent = await post('agent_execution', {
    agent_id: 'agent-http',
    input: `in ${workflowId}`,
    state: 'COMPLETED',
    workflow_id: workflowId,
    metadata: { user_id: userId },
  });
  assert.equal(agent.statusCode, 200, agent.body);
  const usage = await post('token_usage', {
    user_id: userId,
    provider: 'openai',
    model: 'gpt',
    prompt_tokens: 1,
    completion_tokens: 2,
    total_tokens: 3,
    cost_usd: 0.01,
    task_id: taskIdOf(workflowId),
    call_sequence: 1,
  });
  assert.equal(usage.statusCode, 200, usage.body);
}

async function readBack(tenantId: string, userId: string, workflowId: string): Promise<void> {
  await h.ingest.flush();
  const task = await h.stores.tasks.getByWorkflowId(tenantId, workflowId);
  assert.equal(task?.userId, userId);
  const agents = await h.t.db.query<{ n: string }>(
    `SELECT count(*) AS n FROM public.agent_executions WHERE tenant_id = $1 AND workflow_id = $2 AND metadata->>'user_id' = $3`,
    [tenantId, workflowId, userId],
  );
  assert.equal(Number(agents.rows[0]?.n), 1);
  const usage = await h.t.db.query<{ n: string }>(
    `SELECT count(*) AS n FROM public.token_usage WHERE tenant_id = $1 AND user_id = $2 AND task_id = $3`,
    [tenantId, userId, taskIdOf(workflowId)],
  );
  assert.equal(Number(usage.rows[0]?.n), 1);
}

describe('users', () => {
  test('a user created through the store names the records the library writes', async () => {
    const { tenantId } = await h.tenantWithKey();
    const user = await h.stores.users.create(tenantId, { externalId: 'lib-user', email: 'lib@example.com' });
    assert.equal(user.externalId, 'lib-user');
    assert.equal(user.active, true);
    assert.deepEqual(await h.stores.users.getById(tenantId, user.id), user);
    assert.equal((await h.stores.users.findByExternalId(tenantId, 'lib-user'))?.id, user.id);

    const workflowId = `wf-${randomUUID()}`;
    const write = h.dataLayer.ingest.write;
    await write('task_execution', {
      tenant_id: tenantId,
      workflow_id: workflowId,
      user_id: user.id,
      query: 'q',
      status: 'RUNNING',
    });
    await write('agent_execution', {
      tenant_id: tenantId,
      agent_id: 'agent-lib',
      input: `in ${workflowId}`,
      state: 'COMPLETED',
      workflow_id: workflowId,
      metadata: { user_id: user.id },
    });
    await write('token_usage', {
      tenant_id: tenantId,
      user_id: user.id,
      provider: 'openai',
      model: 'gpt',
      prompt_tokens: 1,
      completion_tokens: 2,
      total_tokens: 3,
      cost_usd: 0.01,
      task_id: taskIdOf(workflowId),
      call_sequence: 1,
    });
    await readBack(tenantId, user.id, workflowId);

    const page = await h.stores.users.list(tenantId);
    assert.deepEqual(
      page.items.map((u) => u.id),
      [user.id],
    );
    const gone = await h.stores.users.deactivate(tenantId, user.id);
    assert.equal(gone?.active, false);
    assert.ok(gone?.deactivatedAt instanceof Date);
  });

  test('the store refuses a taken external id with CONFLICT and bad fields with ValidationError', async () => {
    const { tenantId } = await h.tenantWithKey();
    await h.stores.users.create(tenantId, { externalId: 'twice' });
    await assert.rejects(h.stores.users.create(tenantId, { externalId: 'twice' }), (error: unknown) => {
      assert.ok(isShannonError(error));
      assert.equal(error.code, 'CONFLICT');
      assert.equal(error.status, 409);
      assert.equal(error.field, 'externalId');
      return true;
    });
    await assert.rejects(h.stores.users.create(tenantId, { externalId: '' }), (e: unknown) => {
      assert.ok(isValidationError(e));
      assert.equal(e.field, 'externalId');
      return true;
    });
    await assert.rejects(
      h.stores.users.create(tenantId, { externalId: 'x', email: 'no-at-sign' }),
      (e: unknown) => {
        assert.ok(isValidationError(e));
        assert.equal(e.field, 'email');
        return true;
      },
    );
  });

  test('a user created over HTTP names the records written over HTTP', async () => {
    const { tenantId, key } = await h.tenantWithKey();
    const created = await h.app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: auth(key),
      payload: { externalId: 'http-user', email: 'http@example.com', metadata: { plan: 'trial' } },
    });
    assert.equal(created.statusCode, 201, created.body);
    const user = created.json();
    assert.equal(user.externalId, 'http-user');
    assert.equal(user.tenantId, tenantId);
    assert.equal(user.active, true);

    const again = await h.app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: auth(key),
      payload: { externalId: 'http-user' },
    });
    assert.equal(again.statusCode, 409, again.body);
    assert.equal(again.json().error.code, 'CONFLICT');
    assert.equal(again.json().error.field, 'externalId');

    const got = await h.app.inject({ method: 'GET', url: `/v1/users/${user.id}`, headers: auth(key) });
    assert.equal(got.statusCode, 200, got.body);
    assert.equal(got.json().email, 'http@example.com');
    const found = await h.app.inject({
      method: 'GET',
      url: '/v1/users?externalId=http-user',
      headers: auth(key),
    });
    assert.equal(found.statusCode, 200, found.body);
    assert.deepEqual(
      found.json().items.map((u: { id: string }) => u.id),
      [user.id],
    );
    const none = await h.app.inject({
      method: 'GET',
      url: '/v1/users?externalId=nobody',
      headers: auth(key),
    });
    assert.deepEqual(none.json(), { items: [], nextCursor: null });

    const workflowId = `wf-${randomUUID()}`;
    await writeOverHttp(key, user.id, workflowId);
    await readBack(tenantId, user.id, workflowId);

    const off = await h.app.inject({
      method: 'POST',
      url: `/v1/users/${user.id}/deactivate`,
      headers: auth(key),
    });
    assert.equal(off.statusCode, 200, off.body);
    assert.equal(off.json().active, false);
  });

  test('a record naming an unknown user is refused 400 with the field user_id', async () => {
    const { tenantId, key } = await h.tenantWithKey();
    const unknown = randomUUID();
    for (const [kind, record] of [
      ['token_usage', { ...USAGE, user_id: unknown }],
      [
        'task_execution',
        { workflow_id: `wf-${randomUUID()}`, user_id: unknown, query: 'q', status: 'RUNNING' },
      ],
    ] as const) {
      const res = await h.app.inject({
        method: 'POST',
        url: `/v1/ingest/${kind}`,
        headers: auth(key),
        payload: { records: [record] },
      });
      assert.equal(res.statusCode, 400, `${kind}: ${res.body}`);
      assert.equal(res.json().error.code, 'VALIDATION_FAILED', res.body);
      assert.equal(res.json().error.field, 'user_id', res.body);
      assert.match(
        res.json().error.message,
        /user_id does not name an existing row of users in the record's tenant/,
      );
    }
    // The same through the library.
    await assert.rejects(
      h.dataLayer.ingest.write('token_usage', {
        ...USAGE,
        tenant_id: tenantId,
        user_id: unknown,
      }),
      (e: unknown) => {
        assert.ok(isValidationError(e), String(e));
        assert.equal(e.field, 'user_id');
        return true;
      },
    );
    // Another tenant's user is unknown too.
    const other = await h.tenantWithKey();
    const foreign = await h.stores.users.create(other.tenantId, { externalId: 'theirs' });
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/ingest/token_usage',
      headers: auth(key),
      payload: {
        records: [{ ...USAGE, user_id: foreign.id }],
      },
    });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error.field, 'user_id');
  });

  test("another tenant's user reads exactly like an absent one", async () => {
    const a = await h.tenantWithKey();
    const b = await h.tenantWithKey();
    const theirs = await h.stores.users.create(b.tenantId, { externalId: 'b-user' });
    const foreign = await h.app.inject({
      method: 'GET',
      url: `/v1/users/${theirs.id}`,
      headers: auth(a.key),
    });
    const absent = await h.app.inject({
      method: 'GET',
      url: `/v1/users/${randomUUID()}`,
      headers: auth(a.key),
    });
    assert.equal(foreign.statusCode, 404);
    assert.equal(absent.statusCode, 404);
    assert.deepEqual(foreign.json(), absent.json());
    const off = await h.app.inject({
      method: 'POST',
      url: `/v1/users/${theirs.id}/deactivate`,
      headers: auth(a.key),
    });
    assert.equal(off.statusCode, 404);
    assert.equal((await h.stores.users.getById(b.tenantId, theirs.id))?.active, true);
    const byExternal = await h.app.inject({
      method: 'GET',
      url: '/v1/users?externalId=b-user',
      headers: auth(a.key),
    });
    assert.deepEqual(byExternal.json().items, []);
  });

  test('reads need data:read and writes data:write', async () => {
    const reader = await h.tenantWithKey({ scopes: ['data:read'] });
    const denied = await h.app.inject({
      method: 'POST',
      url: '/v1/users',
      headers: auth(reader.key),
      payload: { externalId: 'nope' },
    });
    assert.equal(denied.statusCode, 403, denied.body);
    const writer = await h.tenantWithKey({ scopes: ['data:write'] });
    const read = await h.app.inject({ method: 'GET', url: '/v1/users', headers: auth(writer.key) });
    assert.equal(read.statusCode, 403, read.body);
  });
});

test('the users endpoints are documented in /openapi.json', async () => {
  const res = await h.app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  const paths = res.json().paths as Record<string, Record<string, unknown>>;
  assert.ok(paths['/v1/users']?.['post'] && paths['/v1/users']?.['get'], Object.keys(paths).join(' '));
  assert.ok(paths['/v1/users/{id}']?.['get']);
  assert.ok(paths['/v1/users/{id}/deactivate']?.['post']);
  const created = paths['/v1/users']!['post'] as { responses: Record<string, unknown> };
  assert.ok(created.responses['201'], 'the created user is documented');
});
