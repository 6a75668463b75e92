import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { EVENT_LOGS } from '../../src/schema/tables/event-logs.js';
import { fieldName } from '../../src/schema/tables/json-schema.js';
import { recordColumns } from '../../src/schema/tables/table.js';
import { TASK_EXECUTIONS } from '../../src/schema/tables/task-executions.js';
import { type ServerHarness, startServerHarness } from './server-harness.js';

interface RecordSchemaDoc {
  title: string;
  required: string[];
  additionalProperties: boolean;
  properties: Record<string, { type?: unknown; minimum?: number; maxLength?: number; format?: string }>;
}

describe('OpenAPI document', () => {
  let h: ServerHarness;
  before(async () => {
    h = await startServerHarness();
  });
  after(() => h.close());

  it('lists every /v1 route with its security, and the error shape', async () => {
    const res = await h.app.inject({ url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json() as {
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown[]; responses?: Record<string, unknown> }>>;
    };
    assert.equal(doc.openapi, '3.1.0');
    const routes = h.app.printRoutes({ commonPrefix: false });
    for (const path of [
      '/v1/ingest/{kind}',
      '/v1/tasks',
      '/v1/tasks/{workflowId}',
      '/v1/tasks/{workflowId}/events',
      '/v1/tasks/{workflowId}/usage',
      '/v1/usage/report',
      '/v1/sessions',
      '/v1/sessions/{sessionId}',
      '/v1/sessions/{sessionId}/state',
      '/v1/memory/{collection}/points',
      '/v1/memory/{collection}/search',
      '/v1/admin/overview',
    ]) {
      const ops = doc.paths[path];
      assert.ok(ops, `${path} missing from the document (routes: ${routes})`);
      for (const [method, op] of Object.entries(ops)) {
        assert.deepEqual(op.security, [{ apiKey: [] }], `${method} ${path} security`);
        assert.ok(op.responses?.['4XX'] ?? op.responses?.['4xx'], `${method} ${path} documents its errors`);
      }
    }
  });

  it("documents each kind's records with the columns of its table definition", async () => {
    const doc = (await h.app.inject({ url: '/openapi.json' })).json() as {
      paths: Record<string, { post: { requestBody: { content: Record<string, { schema: unknown }> } } }>;
    };
    const body = doc.paths['/v1/ingest/{kind}']!.post.requestBody.content['application/json']!.schema as {
      properties: { records: { items: { anyOf: RecordSchemaDoc[] } } };
    };
    const events = body.properties.records.items.anyOf.find((s) => s.title === 'event_log');
    assert.ok(events, 'event_log records are documented');
    assert.deepEqual(Object.keys(events.properties), [
      ...recordColumns(EVENT_LOGS).map(([name]) => name),
      'idempotency_key',
    ]);
    assert.deepEqual(events.required, ['workflow_id', 'type']);
    assert.equal(events.additionalProperties, false);
    assert.deepEqual(events.properties['workflow_id'], { type: 'string', maxLength: 255 });
    assert.deepEqual(events.properties['seq'], {
      type: ['integer', 'null'],
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
    });
    assert.deepEqual(events.properties['created_at'], { type: ['string', 'null'], format: 'date-time' });
  });

  it('keeps deciding on records in the write path: the documented schema does not validate', async () => {
    const { key } = await h.tenantWithKey();
    const res = await h.app.inject({
      method: 'POST',
      url: '/v1/ingest/event_log',
      headers: { authorization: `Bearer ${key}` },
      payload: { records: [{ workflow_id: 'w', type: 't', seq: 0, unknown_column: 1 }] },
    });
    assert.equal(res.statusCode, 400);
    const { error } = res.json() as { error: { code: string; field: string; message: string } };
    assert.equal(error.code, 'VALIDATION_FAILED');
    assert.equal(error.field, 'records[0].seq');
    assert.equal(error.message, 'records[0].seq must be an integer between 1 and 9007199254740991, got 0');
  });

  it('documents the task and event answers with the columns of their tables, as they are returned', async () => {
    const doc = (await h.app.inject({ url: '/openapi.json' })).json() as {
      paths: Record<
        string,
        { get: { responses: Record<string, { content: Record<string, { schema: object }> }> } }
      >;
    };
    const documented = (path: string) =>
      doc.paths[path]!.get.responses['200']!.content['application/json']!.schema;
    const { tenantId, key } = await h.tenantWithKey();
    const workflow = `wf-${randomUUID()}`;
    const session = `s-${randomUUID()}`;
    await h.ingest.write('task_execution', {
      tenant_id: tenantId,
      workflow_id: workflow,
      query: 'q',
      status: 'COMPLETED',
      session_id: session,
      result: 'r',
      complexity_score: 1.5,
      metadata: { a: 1 },
    });
    await h.ingest.write('event_log', { tenant_id: tenantId, workflow_id: workflow, type: 't', seq: 1 });
    await h.ingest.write('event_log', {
      tenant_id: tenantId,
      workflow_id: workflow,
      type: 'u',
      payload: { p: 1 },
    });

    // Formats are not checked here (ajv-formats is not a dependency); types, nulls and presence are.
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const answers: Array<[string, string, readonly string[]]> = [
      ['/v1/tasks', '/v1/tasks', Object.keys(TASK_EXECUTIONS.columns)],
      ['/v1/tasks/{workflowId}', `/v1/tasks/${workflow}`, Object.keys(TASK_EXECUTIONS.columns)],
      ['/v1/tasks/{workflowId}/events', `/v1/tasks/${workflow}/events`, Object.keys(EVENT_LOGS.columns)],
      [
        '/v1/sessions/{sessionId}/tasks',
        `/v1/sessions/${session}/tasks`,
        Object.keys(TASK_EXECUTIONS.columns),
      ],
    ];
    for (const [path, url, columns] of answers) {
      const schema = documented(path);
      const res = await h.app.inject({ url, headers: { authorization: `Bearer ${key}` } });
      assert.equal(res.statusCode, 200, url);
      const body = res.json() as { items?: Array<Record<string, unknown>> };
      const validate = ajv.compile(schema);
      assert.ok(validate(body), `${url}: ${ajv.errorsText(validate.errors)}`);
      // Every field of the answer is documented, and every documented field is in the answer.
      const items = body.items ?? [body as Record<string, unknown>];
      assert.ok(items.length > 0, url);
      const rowSchema = (
        'items' in (schema as { properties: object }).properties
          ? (schema as { properties: { items: { items: object } } }).properties.items.items
          : schema
      ) as { properties: Record<string, unknown> };
      for (const item of items)
        assert.deepEqual(Object.keys(item).sort(), Object.keys(rowSchema.properties).sort(), url);
      // The names are the table's columns in camelCase (the listing leaves out its detail columns).
      for (const name of Object.keys(rowSchema.properties))
        assert.ok(columns.map(fieldName).includes(name), `${url}: ${name}`);
    }
  });
});
