/**
 * A loopback stand-in for Qdrant that enforces one version's OpenAPI document: every request's
 * path, method, query parameters and JSON body are validated against the schema (objects are
 * made closed, so an unknown field is a violation), routes absent from that version answer 404,
 * and every response is built in memory and validated against the documented response schema
 * before it is sent. Violations are collected for the test to assert on.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';
import type { Filter } from '../../src/memory/filter.js';
import { matchesFilter } from '../../src/memory/filter-evaluator.js';
import { mmrRerank } from '../../src/memory/mmr.js';
import { cosine } from '../../src/memory/vector.js';

export const QDRANT_VERSIONS = ['v1.9.x', 'v1.15.x', 'v1.19.x'] as const;
export type QdrantSpecVersion = (typeof QDRANT_VERSIONS)[number];
const SPEC_DIR = new URL('../fixtures/qdrant-openapi/', import.meta.url);

type Json = Record<string, unknown>;

interface Operation {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: Json }>;
  requestBody?: { content: { 'application/json': { schema: Json } } };
  responses: Record<string, { content?: { 'application/json'?: { schema: Json } } }>;
}

interface StoredPoint {
  vector: number[];
  payload: Json;
  version: number;
  /** The shard key it was written under (custom sharding). */
  shardKey?: string;
}

interface FakeCollection {
  params: Json;
  points: Map<string, StoredPoint>;
  payloadSchema: Map<string, unknown>;
  /** Shard keys created (`PUT …/shards`), for `sharding_method: custom`; none when absent. */
  shardKeys?: Set<string>;
}

/** A recorded request. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** Deep-copies a schema, closing every object that lists its properties (additionalProperties: false). */
function closeObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (typeof node !== 'object' || node === null) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node))
    out[k] =
      k === 'properties'
        ? Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, closeObjects(s)]))
        : closeObjects(v);
  if ('properties' in out && !('additionalProperties' in out) && !('allOf' in out))
    out['additionalProperties'] = false;
  return out;
}

/** OpenAPI 3.0 `nullable` without `type` (e.g. `anyOf: [{$ref}, {nullable: true}]`) in JSON Schema terms. */
function normaliseNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normaliseNullable);
  if (typeof node !== 'object' || node === null) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node))
    out[k] =
      k === 'properties'
        ? Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, normaliseNullable(s)]))
        : normaliseNullable(v);
  if (out['nullable'] === true && !('type' in out)) {
    const { nullable: _n, description: _d, ...rest } = out;
    return Object.keys(rest).length === 0 ? { type: 'null' } : { anyOf: [rest, { type: 'null' }] };
  }
  return out;
}

function makeAjv(doc: Json): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  const uint = (x: number) => Number.isInteger(x) && x >= 0;
  for (const f of ['uint', 'uint8', 'uint32', 'uint64']) ajv.addFormat(f, { type: 'number', validate: uint });
  ajv.addFormat('int64', { type: 'number', validate: Number.isInteger });
  for (const f of ['float', 'double']) ajv.addFormat(f, { type: 'number', validate: Number.isFinite });
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  for (const f of ['binary', 'date-time', 'partial-date-time', 'uri']) ajv.addFormat(f, () => true);
  ajv.addSchema(doc, 'qdrant');
  return ajv;
}

/** Rewrites local refs to point into the registered document. */
function rooted(schema: Json): Json {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"qdrant#/components/')) as Json;
}

export class QdrantContractServer {
  readonly version: QdrantSpecVersion;
  readonly requests: RecordedRequest[] = [];
  readonly violations: string[] = [];
  readonly collections = new Map<string, FakeCollection>();
  readonly aliases = new Map<string, string>();
  /** Version string `GET /` reports (set to e.g. 'dev' to force the client's 404 fallback path). */
  reportedVersion: string;
  /** When set, every points write answers this HTTP status (an outage). */
  failWritesWith: number | undefined;
  /**
   * Strict mode's rate limits (Qdrant ≥ 1.13): writes and/or reads of points answer 429
   * "Rate limiting exceeded", with Retry-After when `retryAfterSeconds` is set, as Qdrant does.
   */
  rateLimit: { writes?: boolean; reads?: boolean; retryAfterSeconds?: number } | undefined;
  /** When true, every request answers 503 (the server is down). */
  down = false;
  /**
   * Replica states `GET …/cluster` reports, per collection: shard id → state of this peer's replica
   * (default Active) and of one remote replica per shard when the replication factor is above 1.
   */
  readonly replicaStates = new Map<string, Map<number, { local?: string; remote?: string }>>();
  /** Snapshots made on this server, by `<collection>/<snapshot name>`: the collection as JSON bytes. */
  readonly snapshots = new Map<string, Buffer>();
  /** The file part of the latest snapshot upload. */
  private uploaded: Buffer | undefined;
  private readonly operations: Array<{ method: string; pattern: RegExp; template: string; op: Operation }> =
    [];
  private readonly requestAjv: Ajv;
  private readonly responseAjv: Ajv;
  private readonly validators = new Map<string, ValidateFunction>();
  private server: Server | undefined;
  private operationCounter = 0;

  constructor(version: QdrantSpecVersion) {
    this.version = version;
    const doc = JSON.parse(readFileSync(new URL(`${version}.json`, SPEC_DIR), 'utf8')) as Json;
    this.reportedVersion = `${version.slice(1).replace('.x', '')}.0`;
    const normalised = normaliseNullable(doc) as Json;
    this.requestAjv = makeAjv(closeObjects(normalised) as Json);
    this.responseAjv = makeAjv(normalised);
    for (const [template, methods] of Object.entries(
      normalised['paths'] as Record<string, Record<string, Operation>>,
    )) {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '([^/]+)')}$`);
      for (const [method, op] of Object.entries(methods))
        this.operations.push({ method: method.toUpperCase(), pattern, template, op });
    }
  }

  private validator(ajv: Ajv, key: string, schema: Json): ValidateFunction {
    const cacheKey = `${ajv === this.requestAjv ? 'req' : 'res'}:${key}`;
    let fn = this.validators.get(cacheKey);
    if (fn === undefined) {
      fn = ajv.compile(rooted(schema));
      this.validators.set(cacheKey, fn);
    }
    return fn;
  }

  /** The base URL once listening. */
  get url(): string {
    const address = this.server?.address() as AddressInfo;
    return `http://127.0.0.1:${address.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        this.violations.push(`server error: ${(error as Error).stack}`);
        res.writeHead(500).end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    const raw = bytes.toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    const contentType = String(req.headers['content-type'] ?? '');
    // A snapshot upload is multipart/form-data: its file part is kept as bytes, the body is none.
    const multipart = contentType.startsWith('multipart/form-data')
      ? await new Response(bytes, { headers: { 'content-type': contentType } }).formData()
      : undefined;
    const body = multipart !== undefined || raw === '' ? undefined : (JSON.parse(raw) as unknown);
    const method = req.method ?? 'GET';
    this.requests.push({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
      headers: req.headers,
    });
    if (this.down) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
      return;
    }
    const route = this.operations.find((o) => o.method === method && o.pattern.test(url.pathname));
    if (route === undefined) {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end(`no route ${method} ${url.pathname} in ${this.version}`);
      return;
    }
    const label = `${method} ${route.template}`;
    const params = route.op.parameters ?? [];
    for (const [name, value] of url.searchParams) {
      const param = params.find((p) => p.in === 'query' && p.name === name);
      if (param === undefined) this.violations.push(`${label}: unknown query parameter ${name}`);
      else if (param.schema?.['type'] === 'boolean' && value !== 'true' && value !== 'false') {
        this.violations.push(`${label}: ${name}=${value} is not a boolean`);
      }
    }
    if (multipart !== undefined) {
      if (
        (route.op.requestBody?.content as Record<string, unknown> | undefined)?.['multipart/form-data'] ===
        undefined
      )
        this.violations.push(`${label}: multipart/form-data sent to an operation that does not take it`);
      const file = multipart.get('snapshot');
      if (!(file instanceof Blob)) this.violations.push(`${label}: no "snapshot" file part`);
      else this.uploaded = Buffer.from(await file.arrayBuffer());
    }
    const bodySchema = route.op.requestBody?.content['application/json']?.schema;
    if (multipart !== undefined) {
      // validated above
    } else if (bodySchema !== undefined) {
      const validate = this.validator(this.requestAjv, label, bodySchema);
      if (!validate(body))
        this.violations.push(`${label} request: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
    } else if (body !== undefined) {
      this.violations.push(`${label}: a body was sent to an operation without one`);
    }
    const match = route.pattern.exec(url.pathname) as RegExpExecArray;
    const name = match[1] === undefined ? undefined : decodeURIComponent(match[1]);
    if (method === 'GET' && route.template === '/collections/{collection_name}/snapshots/{snapshot_name}') {
      const snapshot = this.snapshots.get(`${name}/${decodeURIComponent(match[2] ?? '')}`);
      if (snapshot === undefined)
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no such snapshot');
      else res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(snapshot);
      return;
    }
    const [status, result] = this.answer(
      method,
      route.template,
      name,
      body as Json | undefined,
      url.searchParams,
      match[2],
    );
    const responseSchema =
      route.op.responses[status === 200 ? '200' : '4XX']?.content?.['application/json']?.schema;
    // Most answers are enveloped ({result, status, time}); some versions document `GET /` bare.
    const enveloped = responseSchema === undefined || status !== 200 || 'properties' in responseSchema;
    const envelope =
      status !== 200
        ? { status: { error: String(result) }, time: 0.001 }
        : enveloped
          ? { result, status: 'ok', time: 0.001 }
          : result;
    if (responseSchema !== undefined) {
      const validate = this.validator(this.responseAjv, `${label}:${status}`, responseSchema);
      if (!validate(envelope))
        this.violations.push(`${label} response: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
    }
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (status === 429 && this.rateLimit?.retryAfterSeconds !== undefined)
      headers['retry-after'] = String(this.rateLimit.retryAfterSeconds);
    res.writeHead(status, headers).end(JSON.stringify(envelope));
  }

  private resolve(name: string | undefined): FakeCollection | undefined {
    if (name === undefined) return undefined;
    return this.collections.get(this.aliases.get(name) ?? name);
  }

  private update(): Json {
    this.operationCounter += 1;
    return { operation_id: this.operationCounter, status: 'completed' };
  }

  private matching(collection: FakeCollection, filter: unknown): Array<[string, StoredPoint]> {
    return [...collection.points].filter(
      ([id, p]) =>
        filter === undefined ||
        filter === null ||
        matchesFilter(filter as Filter, { id, payload: p.payload }),
    );
  }

  private scored(id: string, p: StoredPoint, score: number, body: Json): Json {
    const withVector = body['with_vector'] === true;
    return { id, version: p.version, score, payload: p.payload, ...(withVector ? { vector: p.vector } : {}) };
  }

  private search(collection: FakeCollection, body: Json, vector: number[]): Json[] {
    const threshold =
      typeof body['score_threshold'] === 'number' ? body['score_threshold'] : Number.NEGATIVE_INFINITY;
    return this.matching(collection, body['filter'])
      .map(([id, p]) => ({ id, p, score: cosine(vector, p.vector) }))
      .filter((h) => h.score >= threshold)
      .sort((a, b) => b.score - a.score)
      .slice(0, Number(body['limit'] ?? 10))
      .map((h) => this.scored(h.id, h.p, h.score, body));
  }

  private answer(
    method: string,
    template: string,
    name: string | undefined,
    body: Json | undefined,
    query: URLSearchParams = new URLSearchParams(),
    second?: string,
  ): [number, unknown] {
    const b = body ?? {};
    const collection = this.resolve(name);
    const needs =
      template.startsWith('/collections/{collection_name}') &&
      !(method === 'PUT' && template === '/collections/{collection_name}') &&
      !template.endsWith('/snapshots/upload');
    if (needs && collection === undefined) return [404, `Collection ${name} not found`];
    const col = collection as FakeCollection;
    const pointsWrite = template.includes('/points') && (method === 'PUT' || template.endsWith('/delete'));
    if (this.failWritesWith !== undefined && pointsWrite) {
      return [this.failWritesWith, 'service unavailable'];
    }
    const pointsRead = /\/points\/(query|search)$/.test(template);
    if ((this.rateLimit?.writes === true && pointsWrite) || (this.rateLimit?.reads === true && pointsRead)) {
      return [
        429,
        `Rate limiting exceeded: ${pointsWrite ? 'Write' : 'Read'} rate limit exceeded, retry later`,
      ];
    }
    switch (`${method} ${template}`) {
      case 'GET /':
        return [200, { title: 'qdrant - vector search engine', version: this.reportedVersion }];
      case 'PUT /collections/{collection_name}': {
        if (collection !== undefined) return [409, `Collection ${name} already exists`];
        this.collections.set(name as string, {
          params: b,
          points: new Map(),
          payloadSchema: new Map(),
          shardKeys: new Set(),
        });
        return [200, true];
      }
      case 'DELETE /collections/{collection_name}':
        this.collections.delete(name as string);
        return [200, true];
      case 'GET /collections/{collection_name}':
        return [200, this.info(col)];
      case 'GET /collections/{collection_name}/cluster':
        return [200, this.cluster(name as string, col)];
      case 'PUT /collections/{collection_name}/index':
        col.payloadSchema.set(String(b['field_name']), b['field_schema']);
        return [200, this.update()];
      case 'PUT /collections/{collection_name}/shards': {
        // As Qdrant: keys exist only in custom-sharded collections, once each.
        if (col.params['sharding_method'] !== 'custom')
          return [400, 'Bad request: shard keys can only be created with custom sharding'];
        const key = String(b['shard_key']);
        col.shardKeys ??= new Set();
        if (col.shardKeys.has(key)) return [400, `Bad request: Shard key ${key} already exists`];
        col.shardKeys.add(key);
        return [200, true];
      }
      case 'PUT /collections/{collection_name}/points': {
        const key = b['shard_key'] === undefined ? undefined : String(b['shard_key']);
        const problem = this.shardProblem(col, key, true);
        if (problem !== undefined) return [400, problem];
        const guard = b['update_filter'] as Filter | undefined | null;
        for (const p of b['points'] as Array<{ id: string; vector: number[]; payload?: Json }>) {
          const existing = col.points.get(String(p.id));
          // A conditional update: a stored point is replaced only when it matches the filter.
          if (
            existing !== undefined &&
            guard !== undefined &&
            guard !== null &&
            !matchesFilter(guard, { id: String(p.id), payload: existing.payload })
          )
            continue;
          // Qdrant keeps ids unique per key only: one id under two keys is two points, the
          // anti-pattern its documentation warns of. A client that does it is in violation.
          if (existing !== undefined && existing.shardKey !== key)
            this.violations.push(
              `point ${p.id} written under shard key ${key}, already under ${existing.shardKey}`,
            );
          col.points.set(String(p.id), {
            vector: p.vector,
            payload: p.payload ?? {},
            version: this.operationCounter + 1,
            ...(key === undefined ? {} : { shardKey: key }),
          });
        }
        return [200, this.update()];
      }
      case 'POST /collections/{collection_name}/points/delete': {
        for (const id of b['points'] as string[]) col.points.delete(String(id));
        return [200, this.update()];
      }
      case 'POST /collections/{collection_name}/points/query':
      case 'POST /collections/{collection_name}/points/search':
      case 'POST /collections/{collection_name}/points/count':
      case 'POST /collections/{collection_name}/points/scroll': {
        const problem = this.shardProblem(
          col,
          b['shard_key'] === undefined ? undefined : String(b['shard_key']),
          false,
        );
        if (problem !== undefined) return [400, problem];
        return this.read(template, col, b);
      }
      case 'POST /collections/{collection_name}/snapshots': {
        const snapshotName = `${name}-${this.operationCounter + 1}.snapshot`;
        const data = Buffer.from(
          JSON.stringify({
            params: col.params,
            points: [...col.points],
            payloadSchema: [...col.payloadSchema],
            shardKeys: [...(col.shardKeys ?? [])],
          }),
        );
        this.snapshots.set(`${name}/${snapshotName}`, data);
        this.operationCounter += 1;
        return [
          200,
          {
            name: snapshotName,
            creation_time: '2026-12-04T00:00:00',
            size: data.length,
            checksum: createHash('sha256').update(data).digest('hex'),
          },
        ];
      }
      case 'DELETE /collections/{collection_name}/snapshots/{snapshot_name}':
        this.snapshots.delete(`${name}/${decodeURIComponent(second ?? '')}`);
        return [200, true];
      case 'POST /collections/{collection_name}/snapshots/upload': {
        // As Qdrant: the checksum is compared before anything is recovered; the collection is
        // created from the snapshot, or replaced by it (priority snapshot).
        const data = this.uploaded ?? Buffer.alloc(0);
        const checksum = query.get('checksum');
        if (checksum !== null && checksum !== createHash('sha256').update(data).digest('hex'))
          return [400, 'Bad request: Snapshot checksum mismatch'];
        const parsed = JSON.parse(data.toString('utf8')) as {
          params: Json;
          points: Array<[string, StoredPoint]>;
          payloadSchema: Array<[string, unknown]>;
          shardKeys: string[];
        };
        this.collections.set(name as string, {
          params: parsed.params,
          points: new Map(parsed.points),
          payloadSchema: new Map(parsed.payloadSchema),
          shardKeys: new Set(parsed.shardKeys),
        });
        return [200, true];
      }
      case 'GET /aliases':
        return [
          200,
          {
            aliases: [...this.aliases].map(([alias_name, collection_name]) => ({
              alias_name,
              collection_name,
            })),
          },
        ];
      case 'POST /collections/aliases': {
        for (const action of b['actions'] as Json[]) {
          const del = action['delete_alias'] as Json | undefined;
          const add = action['create_alias'] as Json | undefined;
          if (del !== undefined) this.aliases.delete(String(del['alias_name']));
          if (add !== undefined) this.aliases.set(String(add['alias_name']), String(add['collection_name']));
        }
        return [200, true];
      }
      default:
        return [400, `the contract server does not implement ${method} ${template}`];
    }
  }

  /** The answer of a read (query, search, count, scroll) over the shard key's points, or all. */
  private read(template: string, col: FakeCollection, b: Json): [number, unknown] {
    const key = b['shard_key'] === undefined ? undefined : String(b['shard_key']);
    const scope: FakeCollection =
      key === undefined
        ? col
        : { ...col, points: new Map([...col.points].filter(([, p]) => p.shardKey === key)) };
    if (template.endsWith('/query')) {
      const query = b['query'] as
        | number[]
        | { nearest: number[]; mmr: { diversity?: number; candidates_limit?: number } };
      if (Array.isArray(query)) return [200, { points: this.search(scope, b, query) }];
      // MMR as the server does it: the candidates_limit nearest, re-ranked with λ = 1 − diversity.
      const limit = Number(b['limit'] ?? 10);
      const pool = this.search(
        scope,
        { ...b, limit: query.mmr.candidates_limit ?? limit, with_vector: true },
        query.nearest,
      );
      const ranked = mmrRerank(
        query.nearest,
        pool.map((p) => ({ ...p, vector: p['vector'] as number[] })),
        1 - (query.mmr.diversity ?? 0.5),
        limit,
      );
      const withVector = b['with_vector'] === true;
      return [200, { points: ranked.map(({ vector, ...p }) => (withVector ? { ...p, vector } : p)) }];
    }
    if (template.endsWith('/search')) return [200, this.search(scope, b, b['vector'] as number[])];
    if (template.endsWith('/count')) return [200, { count: this.matching(scope, b['filter']).length }];
    let rows = this.matching(scope, b['filter']);
    const order = b['order_by'] as { key: string; direction?: string } | undefined;
    if (order !== undefined) {
      const v = (p: StoredPoint) => Number(p.payload[order.key] ?? Number.NEGATIVE_INFINITY);
      rows.sort((x, y) => (order.direction === 'desc' ? v(y[1]) - v(x[1]) : v(x[1]) - v(y[1])));
    } else {
      rows.sort((x, y) => (x[0] < y[0] ? -1 : 1));
      if (b['offset'] !== undefined) rows = rows.filter(([id]) => id >= String(b['offset']));
    }
    const limit = Number(b['limit'] ?? 10);
    const page = rows.slice(0, limit);
    const include = Array.isArray(b['with_payload']) ? (b['with_payload'] as string[]) : undefined;
    const points = page.map(([id, p]) => ({
      id,
      payload: include === undefined ? p.payload : Object.fromEntries(include.map((k) => [k, p.payload[k]])),
      ...(b['with_vector'] === true ? { vector: p.vector } : {}),
    }));
    const next =
      order === undefined && rows.length > limit ? (rows[limit] as [string, StoredPoint])[0] : null;
    return [200, { points, next_page_offset: next }];
  }

  /** Why a request's shard key is refused, as Qdrant refuses it; undefined when it is fine. */
  private shardProblem(col: FakeCollection, key: string | undefined, write: boolean): string | undefined {
    const custom = col.params['sharding_method'] === 'custom';
    if (key !== undefined && !custom)
      return 'Bad request: shard key given for a collection with auto sharding';
    if (key === undefined) return custom && write ? 'Bad request: Shard key not specified' : undefined;
    return col.shardKeys?.has(key) === true ? undefined : `Bad request: Shard key ${key} not found`;
  }

  /** One local replica per shard (points split by id hash), a remote one when replicated. */
  private cluster(name: string, col: FakeCollection): Json {
    if (col.params['sharding_method'] === 'custom') return this.customCluster(col);
    const shards = Number(col.params['shard_number'] ?? 1);
    const replicated = Number(col.params['replication_factor'] ?? 1) > 1;
    const counts = Array.from({ length: shards }, () => 0);
    for (const id of col.points.keys()) {
      let h = 0;
      for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
      counts[h % shards] = (counts[h % shards] ?? 0) + 1;
    }
    const states = this.replicaStates.get(name);
    return {
      peer_id: 1,
      shard_count: shards,
      local_shards: counts.map((points_count, shard_id) => ({
        shard_id,
        points_count,
        state: states?.get(shard_id)?.local ?? 'Active',
      })),
      remote_shards: replicated
        ? counts.map((_, shard_id) => ({
            shard_id,
            peer_id: 2,
            state: states?.get(shard_id)?.remote ?? 'Active',
          }))
        : [],
      shard_transfers: [],
    };
  }

  /** Custom sharding: `shard_number` local shards per key, each with its key and its points. */
  private customCluster(col: FakeCollection): Json {
    const perKey = Number(col.params['shard_number'] ?? 1);
    const local: Json[] = [];
    for (const key of col.shardKeys ?? []) {
      const points = [...col.points.values()].filter((p) => p.shardKey === key).length;
      for (let i = 0; i < perKey; i += 1) {
        const shard_id = local.length;
        local.push({ shard_id, shard_key: key, points_count: i === 0 ? points : 0, state: 'Active' });
      }
    }
    return {
      peer_id: 1,
      shard_count: local.length,
      local_shards: local,
      remote_shards: [],
      shard_transfers: [],
    };
  }

  private info(col: FakeCollection): Json {
    const params = col.params;
    const hnsw = (params['hnsw_config'] ?? {}) as Json;
    const optimizers = (params['optimizers_config'] ?? {}) as Json;
    const dataType = (schema: unknown) =>
      typeof schema === 'string' ? schema : String((schema as Json)['type']);
    return {
      status: 'green',
      optimizer_status: 'ok',
      indexed_vectors_count: 0,
      points_count: col.points.size,
      segments_count: 1,
      config: {
        params: {
          vectors: params['vectors'],
          shard_number: params['shard_number'] ?? 1,
          ...(params['sharding_method'] === undefined ? {} : { sharding_method: params['sharding_method'] }),
          replication_factor: params['replication_factor'] ?? 1,
          write_consistency_factor: params['write_consistency_factor'] ?? 1,
          on_disk_payload: true,
        },
        hnsw_config: {
          m: hnsw['m'] ?? 16,
          ef_construct: hnsw['ef_construct'] ?? 100,
          full_scan_threshold: hnsw['full_scan_threshold'] ?? 10000,
        },
        optimizer_config: {
          deleted_threshold: 0.2,
          vacuum_min_vector_number: 1000,
          default_segment_number: 0,
          flush_interval_sec: 5,
          indexing_threshold: optimizers['indexing_threshold'] ?? 20000,
        },
        wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
      },
      payload_schema: Object.fromEntries(
        [...col.payloadSchema].map(([field, schema]) => [
          field,
          { data_type: dataType(schema), points: col.points.size },
        ]),
      ),
    };
  }
}
