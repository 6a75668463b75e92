/**
 * Cross-tenant enumeration (S1): tenants A and B both hold data in every resource. For every
 * endpoint that takes an id or a filter, B asks for each of A's ids. Pass: no byte of A's data in
 * any answer, the same 404 body for A's ids as for absent ones, A's rows unchanged afterwards.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { type ServerHarness, startServerHarness, TEST_DIMENSION } from './server-harness.js';

interface Seeded {
  tenantId: string;
  key: string;
  userId: string;
  workflowId: string;
  sessionId: string;
  sessionExternalId: string;
  stateSessionId: string;
  pointId: string;
  memorySessionId: string;
  marker: string;
}

const vector = Array.from({ length: TEST_DIMENSION }, (_, i) => (i + 1) / TEST_DIMENSION);

async function seed(h: ServerHarness, label: string): Promise<Seeded> {
  const { tenantId, key } = await h.tenantWithKey();
  const auth = { authorization: `Bearer ${key}` };
  const marker = `secret-${label}-${randomUUID()}`;
  const userId = randomUUID();
  const admin = new pg.Client({ connectionString: h.t.url });
  await admin.connect();
  await admin.query(`INSERT INTO public.users (id, external_id, tenant_id) VALUES ($1, $2, $3)`, [
    userId,
    `${marker}-user`,
    tenantId,
  ]);
  await admin.end();
  const workflowId = `wf-${label}-${randomUUID()}`;
  const sessionExternalId = `ext-${label}-${randomUUID()}`;
  const created = await h.app.inject({
    method: 'POST',
    url: '/v1/sessions',
    headers: auth,
    payload: { userId, externalId: sessionExternalId, context: { marker } },
  });
  assert.equal(created.statusCode, 201, created.body);
  const sessionId: string = created.json().session.id;
  const post = async (kind: string, records: unknown[]) => {
    const res = await h.app.inject({
      method: 'POST',
      url: `/v1/ingest/${kind}`,
      headers: auth,
      payload: { records },
    });
    assert.equal(res.statusCode, 200, `${kind}: ${res.body}`);
  };
  await post('task_execution', [
    {
      workflow_id: workflowId,
      query: marker,
      status: 'COMPLETED',
      user_id: userId,
      session_id: sessionId,
      total_tokens: 42,
    },
  ]);
  await post('agent_execution', [
    { workflow_id: workflowId, agent_id: 'planner', input: marker, state: 'COMPLETED', tokens_used: 7 },
  ]);
  await post('event_log', [{ workflow_id: workflowId, type: 'AGENT_STARTED', message: marker, seq: 1 }]);
  const task = await h.app.inject({ url: `/v1/tasks/${workflowId}`, headers: auth });
  assert.equal(task.statusCode, 200, task.body);
  await post('token_usage', [
    {
      provider: 'openai',
      model: 'gpt-x',
      prompt_tokens: 1,
      completion_tokens: 2,
      total_tokens: 3,
      cost_usd: 0.5,
      user_id: userId,
      task_id: task.json().id,
      call_sequence: 1,
      agent_id: marker.slice(0, 40),
    },
  ]);
  const stateSessionId = `state-${label}-${randomUUID()}`;
  const st = await h.app.inject({
    method: 'PUT',
    url: `/v1/sessions/${stateSessionId}/state`,
    headers: auth,
    payload: { state: { data: { marker } } },
  });
  assert.equal(st.statusCode, 200, st.body);
  const memorySessionId = `msess-${label}-${randomUUID()}`;
  const up = await h.app.inject({
    method: 'POST',
    url: '/v1/memory/task_embeddings/points',
    headers: auth,
    payload: { points: [{ key: [marker], vector, payload: { session_id: memorySessionId, query: marker } }] },
  });
  assert.equal(up.statusCode, 200, up.body);
  return {
    tenantId,
    key,
    userId,
    workflowId,
    sessionId,
    sessionExternalId,
    stateSessionId,
    pointId: up.json().ids[0],
    memorySessionId,
    marker,
  };
}

async function checksum(url: string, tenantId: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const parts: string[] = [];
    for (const table of [
      'task_executions',
      'event_logs',
      'token_usage',
      'sessions',
      'memory_points',
      'session_archives',
    ]) {
      const { rows } = await client.query(
        `SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') AS c FROM public.${table} t WHERE tenant_id = $1`,
        [tenantId],
      );
      parts.push(`${table}=${rows[0].c}`);
    }
    return parts.join(' ');
  } finally {
    await client.end();
  }
}

describe('cross-tenant enumeration over every endpoint taking an id or filter', () => {
  let h: ServerHarness;
  let a: Seeded;
  let b: Seeded;
  before(async () => {
    h = await startServerHarness();
    a = await seed(h, 'A');
    b = await seed(h, 'B');
    await h.memory.flush({ timeoutMs: 10_000 });
    await h.ingest.flush();
  });
  after(() => h.close());

  it('B sees none of A’s data, gets the same 404 for A’s ids as for absent ones, and A is unchanged', async () => {
    const before = await checksum(h.t.url, a.tenantId);
    const authB = { authorization: `Bearer ${b.key}` };
    const absent = {
      workflowId: `wf-absent-${randomUUID()}`,
      sessionId: randomUUID(),
      ext: `ext-absent-${randomUUID()}`,
      pointId: randomUUID(),
      user: randomUUID(),
    };
    const aSecrets = [
      a.marker,
      a.workflowId,
      a.sessionId,
      a.sessionExternalId,
      a.stateSessionId,
      a.pointId,
      a.userId,
      a.memorySessionId,
      a.tenantId,
    ];
    let checked = 0;

    const call = async (method: string, url: string, payload?: unknown) => {
      const res = await h.app.inject({
        method: method as 'GET',
        url,
        headers: authB,
        ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      });
      for (const secret of aSecrets) {
        // A's ids may be echoed only where B itself put them into the request.
        if (url.includes(secret) || JSON.stringify(payload ?? '').includes(secret)) continue;
        assert.ok(!res.body.includes(secret), `${method} ${url} leaked ${secret}: ${res.body.slice(0, 300)}`);
      }
      assert.ok(res.statusCode < 500, `${method} ${url}: ${res.statusCode} ${res.body}`);
      checked += 1;
      return res;
    };
    /** A's id and an absent id must get byte-identical answers. */
    const same = async (
      method: string,
      foreignUrl: string,
      absentUrl: string,
      payload?: (id: string) => unknown,
      ids?: [string, string],
    ) => {
      const foreign = await call(method, foreignUrl, payload?.(ids![0]));
      const missing = await call(method, absentUrl, payload?.(ids![1]));
      assert.equal(foreign.statusCode, missing.statusCode, `${method} ${foreignUrl}`);
      assert.equal(foreign.body, missing.body, `${method} ${foreignUrl}: ${foreign.body} vs ${missing.body}`);
      return foreign;
    };

    // tasks, events, usage by workflow id
    for (const suffix of ['', '/events', '/usage']) {
      const r = await same(
        'GET',
        `/v1/tasks/${a.workflowId}${suffix}`,
        `/v1/tasks/${absent.workflowId}${suffix}`,
      );
      assert.equal(r.statusCode, 404);
    }
    // task listings filtered by A's session and user
    for (const q of [
      `sessionId=${a.sessionId}`,
      `sessionId=${a.sessionExternalId}`,
      `userId=${a.userId}`,
      'status=COMPLETED',
    ]) {
      const r = await call('GET', `/v1/tasks?${q}`);
      assert.equal(r.statusCode, 200);
      assert.ok(r.json().items.every((t: { workflowId?: string }) => t.workflowId !== a.workflowId));
    }
    // sessions by uuid and external id, and their sub-resources
    for (const [foreign, missing] of [
      [a.sessionId, absent.sessionId],
      [a.sessionExternalId, absent.ext],
    ] as const) {
      for (const suffix of ['', '/tasks', '/aggregates', '/state']) {
        await same('GET', `/v1/sessions/${foreign}${suffix}`, `/v1/sessions/${missing}${suffix}`);
      }
    }
    const agents = await call('GET', `/v1/agents/performance?agentIds=planner,${a.marker.slice(0, 40)}`);
    assert.equal(agents.statusCode, 200, agents.body);
    // B has one planner run of its own; A's run must not be counted.
    assert.deepEqual(
      agents.json().agents.map((x: { agentId: string; executions: number }) => [x.agentId, x.executions]),
      [['planner', 1]],
    );
    const sessionsOfUser = await call('GET', `/v1/sessions?userId=${a.userId}`);
    assert.deepEqual(sessionsOfUser.json().items, []);
    const report = await call(
      'GET',
      `/v1/usage/report?from=2000-01-01T00:00:00Z&to=2000-12-31T00:00:00Z&userId=${a.userId}`,
    );
    assert.equal(report.statusCode, 200);
    const recentReport = await call(
      'GET',
      `/v1/usage/report?from=${new Date(Date.now() - 86_400_000).toISOString()}&to=${new Date(Date.now() + 86_400_000).toISOString()}&userId=${a.userId}`,
    );
    assert.deepEqual(recentReport.json().rows, []);
    // hot session state: read and delete A's
    await same('GET', `/v1/sessions/${a.stateSessionId}/state`, `/v1/sessions/${absent.ext}/state`);
    await same('DELETE', `/v1/sessions/${a.stateSessionId}/state`, `/v1/sessions/${absent.ext}/state`);
    // memory: delete by id, delete by ids, search by id filter, recent by A's session
    await same(
      'DELETE',
      `/v1/memory/task_embeddings/points/${a.pointId}`,
      `/v1/memory/task_embeddings/points/${absent.pointId}`,
    );
    await same(
      'POST',
      '/v1/memory/task_embeddings/points/delete',
      '/v1/memory/task_embeddings/points/delete',
      (id) => ({ ids: [id] }),
      [a.pointId, absent.pointId],
    );
    await same(
      'POST',
      '/v1/memory/task_embeddings/search',
      '/v1/memory/task_embeddings/search',
      (id) => ({ vector, filter: { must: [{ has_id: [id] }] } }),
      [a.pointId, absent.pointId],
    );
    await same(
      'POST',
      '/v1/memory/task_embeddings/search',
      '/v1/memory/task_embeddings/search',
      (id) => ({ vector, filter: { must: [{ key: 'session_id', match: { value: id } }] } }),
      [a.memorySessionId, absent.ext],
    );
    await same(
      'POST',
      '/v1/memory/task_embeddings/search',
      '/v1/memory/task_embeddings/search',
      (id) => ({ vector, filter: { must: [{ key: 'tenant_id', match: { value: id } }] } }),
      [a.tenantId, absent.user],
    );
    await same(
      'GET',
      `/v1/memory/task_embeddings/sessions/${a.memorySessionId}/recent`,
      `/v1/memory/task_embeddings/sessions/${absent.ext}/recent`,
    );
    const unfiltered = await call('POST', '/v1/memory/task_embeddings/search', { vector, limit: 100 });
    assert.ok(unfiltered.json().hits.every((hit: { id: string }) => hit.id !== a.pointId));
    await same(
      'POST',
      '/v1/memory/task_embeddings/points/delete',
      '/v1/memory/task_embeddings/points/delete',
      (id) => ({ filter: { must: [{ key: 'session_id', match: { value: id } }] } }),
      [a.memorySessionId, absent.ext],
    );

    // writes naming A's ids create B's own rows and never touch A's
    const wf = await call('POST', '/v1/ingest/task_execution', {
      records: [{ workflow_id: a.workflowId, query: 'from B', status: 'FAILED' }],
    });
    assert.equal(wf.statusCode, 200, wf.body);
    const rawId = await call('POST', '/v1/memory/task_embeddings/points', {
      points: [{ id: a.pointId, key: ['x'], vector, payload: { query: 'from B' } }],
    });
    assert.equal(rawId.statusCode, 400, 'a raw point id is refused (ids are derived per tenant)');
    const up = await call('POST', '/v1/memory/task_embeddings/points', {
      points: [{ key: [a.marker], vector, payload: { query: 'from B', session_id: a.memorySessionId } }],
    });
    assert.equal(up.statusCode, 200, up.body);
    assert.notEqual(up.json().ids[0], a.pointId, 'the same key gives another tenant another id');
    const put = await call('PUT', `/v1/sessions/${a.stateSessionId}/state`, {
      state: { data: { from: 'B' } },
    });
    assert.equal(put.statusCode, 200);
    const mass = await call('POST', '/v1/ingest/event_log', {
      records: [{ workflow_id: a.workflowId, type: 'X', tenant_id: a.tenantId }],
    });
    assert.equal(mass.statusCode, 400, 'a tenant in the body is refused');
    await h.ingest.flush();
    await h.memory.flush({ timeoutMs: 10_000 });

    // A's view is intact
    const authA = { authorization: `Bearer ${a.key}` };
    const task = await h.app.inject({ url: `/v1/tasks/${a.workflowId}`, headers: authA });
    assert.equal(task.json().status, 'COMPLETED');
    assert.equal(task.json().query, a.marker);
    const state = await h.app.inject({ url: `/v1/sessions/${a.stateSessionId}/state`, headers: authA });
    assert.equal(state.json().state.data.marker, a.marker);
    const search = await h.app.inject({
      method: 'POST',
      url: '/v1/memory/task_embeddings/search',
      headers: authA,
      payload: { vector, filter: { must: [{ has_id: [a.pointId] }] } },
    });
    assert.equal(search.json().hits[0]?.payload.query, a.marker);
    assert.equal(await checksum(h.t.url, a.tenantId), before);
    assert.ok(checked >= 40, `only ${checked} requests checked`);
  });
});
