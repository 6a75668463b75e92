/**
 * Malformed-input fuzzing of every route in the OpenAPI document (S8, T1 size): 10,000 generated
 * requests through `inject` plus a few hundred raw ones over a real socket (truncated bodies,
 * invalid UTF-8, broken request lines). Pass: 0 answers with status 5xx, every 4xx a JSON error
 * with a catalogue code, no unhandled rejection, the service still serves afterwards.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ERROR_CODES } from '../../src/errors/errors.js';
import { type ServerHarness, startServerHarness, TEST_DIMENSION } from './server-harness.js';

const INJECT_REQUESTS = Number(process.env['FUZZ_REQUESTS'] ?? 10_000);
const SOCKET_REQUESTS = 300;

interface Route {
  method: string;
  path: string;
  bodyProps: string[];
  params: Record<string, string[] | undefined>;
}

interface FuzzRequest {
  kind: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  remoteAddress?: string;
}

const ASCII_GARBAGE = fc.string({ maxLength: 40 });
const HUGE_STRING_200K = 'x'.repeat(200_000);
const HUGE_STRING_5M = 'y'.repeat(5_000_000);

function routesOf(doc: {
  paths: Record<
    string,
    Record<
      string,
      {
        requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
        parameters?: Array<{ in: string; name: string; schema?: { enum?: string[] } }>;
      }
    >
  >;
}): Route[] {
  const out: Route[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const schema = op.requestBody?.content?.['application/json']?.schema;
      const params: Record<string, string[] | undefined> = {};
      for (const p of op.parameters ?? []) if (p.in === 'path') params[p.name] = p.schema?.enum;
      out.push({
        method: method.toUpperCase(),
        path,
        bodyProps: Object.keys(schema?.properties ?? {}),
        params,
      });
    }
  }
  return out;
}

function requestArbitrary(routes: Route[], key: string): fc.Arbitrary<FuzzRequest> {
  const validVector = fc.array(fc.float({ noNaN: true, noDefaultInfinity: true, min: -1, max: 1 }), {
    minLength: TEST_DIMENSION,
    maxLength: TEST_DIMENSION,
  });
  const jsonValue = fc.jsonValue({ maxDepth: 4 });
  const pathValue = (choices: string[] | undefined) =>
    fc.oneof(
      choices === undefined ? fc.uuid() : fc.constantFrom(...choices),
      fc.constantFrom(
        '..',
        '%00',
        '%ff%fe',
        'a'.repeat(300),
        '__proto__',
        "' OR '1'='1",
        '00000000-0000-0000-0000-000000000000',
      ),
      ASCII_GARBAGE.filter((s) => s.length > 0).map(encodeURIComponent),
    );
  const bodyText = (props: string[]) =>
    fc.oneof(
      {
        weight: 4,
        arbitrary: fc.tuple(
          fc.constant('random-json'),
          jsonValue.map((v) => JSON.stringify(v)),
        ),
      },
      {
        weight: 6,
        arbitrary: fc.tuple(
          fc.constant('wrong-types'),
          fc
            .dictionary(
              fc.oneof(fc.constantFrom(...(props.length > 0 ? props : ['x'])), fc.string({ maxLength: 8 })),
              fc.oneof(jsonValue, validVector, fc.constant(null)),
              { maxKeys: 5 },
            )
            .map((o) => JSON.stringify(o)),
        ),
      },
      {
        weight: 2,
        arbitrary: fc.tuple(
          fc.constant('proto'),
          fc.constantFrom(
            '{"__proto__":{"admin":true},"vector":[1,2]}',
            '{"constructor":{"prototype":{"polluted":1}}}',
            '{"points":[{"__proto__":{"x":1},"vector":[0,0,0,0,0,0,0,1]}]}',
            '{"filter":{"__proto__":{"must":[]}}}',
          ),
        ),
      },
      {
        weight: 2,
        arbitrary: fc.tuple(
          fc.constant('deep'),
          fc
            .integer({ min: 33, max: 20_000 })
            .chain((n) =>
              fc.constantFrom(
                '['.repeat(n) + ']'.repeat(n),
                '{"a":'.repeat(n) + '1' + '}'.repeat(n),
                `{"filter":${'{"must":['.repeat(n >> 2)}${']}'.repeat(n >> 2)}}`,
              ),
            ),
        ),
      },
      {
        weight: 1,
        arbitrary: fc.tuple(
          fc.constant('huge'),
          fc.constantFrom(HUGE_STRING_200K, HUGE_STRING_5M).map((big) => `{"${props[0] ?? 'x'}":"${big}"}`),
        ),
      },
      {
        weight: 2,
        arbitrary: fc.tuple(
          fc.constant('non-finite'),
          fc.constantFrom(
            '{"vector":[NaN,0,0,0,0,0,0,0]}',
            '{"vector":[Infinity,0,0,0,0,0,0,0]}',
            '{"vector":[-0,0,0,0,0,0,0,0]}',
            '{"vector":[1e39,0,0,0,0,0,0,0]}',
            '{"points":[{"key":["a"],"vector":[1e39,0,0,0,0,0,0,0]}]}',
            '{"points":[{"key":["a"],"vector":[1,2,3,4,5,6,7,8,9]}]}',
            '{"points":[{"key":["a"],"vector":[]}]}',
            '{"limit":1e400}',
          ),
        ),
      },
      {
        weight: 2,
        arbitrary: fc.tuple(
          fc.constant('truncated'),
          fc.tuple(jsonValue, fc.nat()).map(([v, cut]) => {
            const text = JSON.stringify({ points: [v], vector: v });
            return text.slice(0, cut % text.length);
          }),
        ),
      },
      {
        weight: 1,
        arbitrary: fc.tuple(
          fc.constant('nul'),
          fc.constantFrom(
            '{"points":[{"key":["a\\u0000"],"vector":[0,0,0,0,0,0,0,1],"payload":{"q":"x\\u0000"}}]}',
            '{"filter":{"must":[{"key":"a\\u0000","match":{"value":"b"}}]},"vector":[0,0,0,0,0,0,0,1]}',
          ),
        ),
      },
      {
        weight: 1,
        arbitrary: fc.tuple(
          fc.constant('duplicate-keys'),
          fc.constant('{"vector":[1],"vector":"x","limit":1,"limit":-1}'),
        ),
      },
    );
  const binaryBody = fc
    .uint8Array({ minLength: 1, maxLength: 200 })
    .map((bytes) =>
      Buffer.concat([
        Buffer.from('{"vector":"'),
        Buffer.from(bytes),
        Buffer.from([0xff, 0xc0, 0x80]),
        Buffer.from('"}'),
      ]),
    );
  return fc.constantFrom(...routes).chain((route) => {
    const url = fc
      .record(
        Object.fromEntries(
          Object.entries(route.params).map(([name, choices]) => [name, pathValue(choices)]),
        ) as Record<string, fc.Arbitrary<string>>,
      )
      .chain((params) =>
        fc
          .option(
            fc.oneof(
              fc.constantFrom(
                'limit=0',
                'limit=-1',
                'limit=99999',
                'limit=abc',
                'cursor=%ff',
                'limit=1&limit=2',
                'x=1',
              ),
              ASCII_GARBAGE.map((s) => `limit=${encodeURIComponent(s)}`),
            ),
            { nil: undefined },
          )
          .map((query) => {
            let path = route.path;
            for (const [name, value] of Object.entries(params)) path = path.replace(`{${name}}`, value);
            return query === undefined ? path : `${path}?${query}`;
          }),
      );
    const authHeaders = fc.oneof(
      { weight: 9, arbitrary: fc.constant({ authorization: `Bearer ${key}` }) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          {},
          { authorization: 'Bearer x' },
          { authorization: `Bearer ${key.slice(0, -1)}A` },
          { 'x-api-key': 'sdk_' },
          { authorization: 'Basic Zm9vOmJhcg==' },
        ),
      },
    );
    const contentType = fc.oneof(
      { weight: 8, arbitrary: fc.constant('application/json') },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          'text/plain',
          'application/xml',
          'multipart/form-data; boundary=x',
          'application/x-www-form-urlencoded',
          'application/json; charset=utf-16',
          '',
          'application/jsonx',
        ),
      },
    );
    const body = fc.oneof(
      { weight: 9, arbitrary: bodyText(route.bodyProps) },
      { weight: 1, arbitrary: fc.tuple(fc.constant('invalid-utf8'), binaryBody) },
    );
    return fc
      .record({
        url,
        auth: authHeaders,
        contentType,
        body,
        method: fc.oneof(
          { weight: 9, arbitrary: fc.constant(route.method) },
          { weight: 1, arbitrary: fc.constantFrom('PUT', 'PATCH', 'GET', 'POST', 'DELETE') },
        ),
      })
      .map((r) => {
        const headers: Record<string, string> = { ...(r.auth as Record<string, string>) };
        if (r.contentType !== '') headers['content-type'] = r.contentType;
        const hasBody = r.method !== 'GET';
        const unauthenticated = headers['authorization'] !== `Bearer ${key}`;
        return {
          kind: r.body[0],
          method: r.method,
          url: r.url,
          headers,
          ...(hasBody ? { body: r.body[1] } : {}),
          // Failed-auth limiting is per address; spread unauthenticated requests so it does not mask the rest.
          ...(unauthenticated
            ? { remoteAddress: `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.1` }
            : {}),
        };
      });
  });
}

function checkAnswer(req: FuzzRequest, status: number, contentType: string | undefined, text: string): void {
  const where = `${req.kind} ${req.method} ${req.url.slice(0, 120)} → ${status} ${text.slice(0, 200)}`;
  assert.ok(status < 500, where);
  if (status >= 400) {
    assert.match(contentType ?? '', /application\/json/, where);
    const parsed = JSON.parse(text) as { error?: { code?: string } };
    assert.ok(parsed.error?.code !== undefined && parsed.error.code in ERROR_CODES, where);
  }
}

describe('fuzzing every route with malformed requests', () => {
  let h: ServerHarness;
  let key: string;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    h = await startServerHarness();
    key = (await h.tenantWithKey({ rateLimitPerHour: 10_000_000 })).key;
  });
  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    await h.close();
  });

  it(`${INJECT_REQUESTS} generated requests: 0 5xx, every error a JSON body with a code`, async () => {
    const routes = routesOf(h.app.swagger() as never).filter(
      // The doctor and the index advisor take seconds per call and read no request input.
      (r) => r.path.startsWith('/v1/') && !['/v1/admin/doctor', '/v1/admin/indexes/advice'].includes(r.path),
    );
    assert.ok(routes.length >= 6, `routes found: ${routes.map((r) => `${r.method} ${r.path}`).join(', ')}`);
    const requests = fc.sample(requestArbitrary(routes, key), { numRuns: INJECT_REQUESTS, seed: 20261126 });
    const byStatus = new Map<number, number>();
    const rejectedByKind = new Map<string, number>();
    for (let i = 0; i < requests.length; i += 16) {
      await Promise.all(
        requests.slice(i, i + 16).map(async (req) => {
          const res = await h.app.inject({
            method: req.method as 'POST',
            url: req.url,
            headers: req.headers,
            ...(req.body === undefined ? {} : { payload: req.body }),
            ...(req.remoteAddress === undefined ? {} : { remoteAddress: req.remoteAddress }),
          });
          checkAnswer(req, res.statusCode, res.headers['content-type'] as string | undefined, res.body);
          byStatus.set(res.statusCode, (byStatus.get(res.statusCode) ?? 0) + 1);
          if (res.statusCode >= 400) rejectedByKind.set(req.kind, (rejectedByKind.get(req.kind) ?? 0) + 1);
        }),
      );
    }
    assert.equal(requests.length, INJECT_REQUESTS);
    for (const kind of [
      'proto',
      'deep',
      'huge',
      'non-finite',
      'truncated',
      'nul',
      'invalid-utf8',
      'wrong-types',
    ]) {
      assert.ok(
        (rejectedByKind.get(kind) ?? 0) > 0,
        `no ${kind} request was rejected: generator or validation broken`,
      );
    }
    assert.equal(unhandled.length, 0, String(unhandled[0]));
    console.log('fuzz statuses', Object.fromEntries([...byStatus].sort((a, b) => a[0] - b[0])));
  });

  it(`${SOCKET_REQUESTS} raw requests over a socket (truncated, invalid UTF-8, broken framing): no 5xx, still serving`, async () => {
    const address = await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = new URL(address);
    const rng = fc.sample(fc.tuple(fc.nat(9), fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.nat(400)), {
      numRuns: SOCKET_REQUESTS,
      seed: 7,
    });
    let answered = 0;
    for (const [variant, bytes, n] of rng) {
      const body = Buffer.concat([Buffer.from('{"vector":"'), Buffer.from(bytes), Buffer.from('"}')]);
      const head = (len: number, extra = '') =>
        `POST /v1/memory/task_embeddings/search HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${len}\r\n${extra}\r\n`;
      const raw: Buffer = [
        () => Buffer.concat([Buffer.from(head(body.length + 1 + n)), body]), // truncated: fewer bytes than announced
        () => Buffer.concat([Buffer.from(head(body.length)), body]), // invalid UTF-8 inside a string
        () => Buffer.from(head(10, 'Transfer-Encoding: chunked\r\n') + '5\r\n{"vec\r\n'), // CL + TE, truncated chunk
        () => Buffer.from(`GARBAGE ${'x'.repeat(n)}\r\n\r\n`),
        () =>
          Buffer.from(
            `POST /v1/memory/task_embeddings/search HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n`,
          ),
        () =>
          Buffer.from(
            `POST /v1/memory/task_embeddings/search HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`,
          ),
        () => Buffer.concat([Buffer.from(head(4_000_000 + n)), body]), // over the body limit, never sent
        () =>
          Buffer.from(
            `GET /v1/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nX-Long: ${'y'.repeat(20_000 + n)}\r\n\r\n`,
          ),
        () => Buffer.concat([Buffer.from(head(body.length)), body.subarray(0, Math.max(1, body.length - 3))]),
        () =>
          Buffer.from(
            `POST /v1/memory/task_embeddings/points HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{"poi`,
          ),
      ][variant]!();
      const answer = await new Promise<string>((resolve) => {
        const socket = connect(Number(port), '127.0.0.1');
        const chunks: Buffer[] = [];
        socket.on('data', (c) => chunks.push(c));
        socket.on('error', () => resolve(Buffer.concat(chunks).toString('latin1')));
        socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
        socket.setTimeout(300, () => socket.destroy());
        socket.write(raw);
        socket.end();
      });
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      if (status !== null) {
        answered += 1;
        assert.ok(Number(status[1]) < 500, `variant ${variant}: ${answer.slice(0, 300)}`);
      }
    }
    assert.ok(answered > 0);
    const res = await fetch(`${address}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(res.status, 200);
    assert.equal(unhandled.length, 0, String(unhandled[0]));
  });
});
