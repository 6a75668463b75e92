/**
 * The Qdrant index backend over REST. Writes carry `wait=true` and count as done only when Qdrant
 * answers status `completed`; searches use `/points/query` on servers that have it (≥ 1.10) and
 * `/points/search` otherwise (decided from `GET /`, or from a 404 once, then cached); recency uses
 * scroll with `order_by`; upserts are chunked under the request-size limit.
 */

import type { QdrantClusterConfig } from '../../config/config.js';
import type {
  BackendScrollRequest,
  BackendSearchRequest,
  BootstrapResult,
  ClusterState,
  CollectionState,
  IndexedPoint,
  IndexedVersion,
  ScoredPoint,
  VectorBackend,
} from '../backend.js';
import type { CollectionDefinition, PayloadIndexSpec } from '../collections.js';
import type { Filter } from '../filter.js';
import { QdrantHttp, type QdrantHttpOptions, qdrantStatus } from './qdrant-http.js';
import {
  assertCompleted,
  type CollectionInfo,
  compareWithRegistry,
  type Envelope,
  toScored,
  type UpdateResult,
  versionGuard,
  type WireScoredPoint,
} from './qdrant-wire.js';
import { configuredKeys, ShardLayout, shardingDrift } from './tenant-shards.js';

/** Upsert bodies stay below this many bytes (Qdrant's default limit is 32 MiB). */
export const DEFAULT_MAX_REQUEST_BYTES = 8 * 1024 * 1024;
export const DEFAULT_MAX_POINTS_PER_REQUEST = 256;
/** How long a collection's sharding layout is used before it is read again. */
const LAYOUT_TTL_MS = 10_000;

export interface QdrantBackendOptions extends QdrantHttpOptions {
  maxRequestBytes?: number;
  maxPointsPerRequest?: number;
  /** Shards, replicas and consistency of the collections it creates and of its reads. */
  cluster?: QdrantClusterConfig;
}

/** Server capabilities, from its version. */
export interface QdrantCapabilities {
  version: string | undefined;
  /** `/points/query` exists (≥ 1.10). */
  query: boolean;
  /** Keyword `is_tenant` / integer `is_principal` index parameters exist (≥ 1.11). */
  tenantIndex: boolean;
  /** `/points/count` takes a read `consistency` (≥ 1.19). */
  countConsistency: boolean;
  /** `/points/query` re-ranks by MMR itself (`{nearest, mmr}`, ≥ 1.15 in the documents we hold). */
  serverMmr: boolean;
  /** Upserts take an `update_filter` (a conditional update; ≥ 1.19 in the documents we hold). */
  conditionalUpdate: boolean;
  /** Searches take `params.acorn` (filter-aware HNSW traversal, ≥ 1.16). */
  acorn: boolean;
}

function parseVersion(version: string): [number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)/.exec(version);
  return match === null ? undefined : [Number(match[1]), Number(match[2])];
}

function atLeast(v: [number, number] | undefined, major: number, minor: number): boolean | undefined {
  if (v === undefined) return undefined;
  return v[0] > major || (v[0] === major && v[1] >= minor);
}

const c = (name: string) => `/collections/${encodeURIComponent(name)}`;

/** Qdrant backend. */
export class QdrantBackend implements VectorBackend {
  readonly kind = 'qdrant' as const;
  readonly http: QdrantHttp;
  private readonly options: QdrantBackendOptions;
  private capabilities: Promise<QdrantCapabilities> | undefined;
  private queryUnsupported = false;
  /** Each collection's sharding and when it was read (src/memory/qdrant/tenant-shards.ts). */
  private readonly layouts = new Map<string, { layout: Promise<ShardLayout>; readAt: number }>();

  constructor(options: QdrantBackendOptions) {
    this.options = options;
    this.http = new QdrantHttp(options);
  }

  /** The read-consistency query string, or nothing when Qdrant's default (one replica) applies. */
  private consistency(): string {
    const level = this.options.cluster?.readConsistency;
    return level === undefined ? '' : `?consistency=${encodeURIComponent(String(level))}`;
  }

  /** Shards and replica states of a collection, from this peer's view (`GET /collections/…/cluster`). */
  async clusterState(physical: string): Promise<ClusterState> {
    const answer = await this.http.request<
      Envelope<{
        shard_count: number;
        local_shards: Array<{
          shard_id: number;
          points_count: number;
          state: string;
          shard_key?: string | number | null;
        }>;
        remote_shards: Array<{
          shard_id: number;
          peer_id: number;
          state: string;
          shard_key?: string | number | null;
        }>;
      }>
    >('GET', `${c(physical)}/cluster`);
    const r = answer.result;
    return {
      shardCount: r.shard_count,
      replicas: [
        ...r.local_shards.map((s) => ({
          shardId: s.shard_id,
          peer: 'local' as const,
          state: s.state,
          points: s.points_count,
          ...(s.shard_key === undefined || s.shard_key === null ? {} : { shardKey: s.shard_key }),
        })),
        ...r.remote_shards.map((s) => ({
          shardId: s.shard_id,
          peer: s.peer_id,
          state: s.state,
          points: null,
          ...(s.shard_key === undefined || s.shard_key === null ? {} : { shardKey: s.shard_key }),
        })),
      ],
    };
  }

  /**
   * How `physical` is sharded, read from Qdrant and kept LAYOUT_TTL_MS: a collection's keys change
   * only when it is recreated (`collections rebuild`), which other processes notice within that time.
   * Past that, the known layout is still used while a fresh read runs in the background, so no
   * search or write waits for the two extra requests.
   */
  private layout(physical: string): Promise<ShardLayout> {
    const cached = this.layouts.get(physical);
    if (cached !== undefined && Date.now() - cached.readAt < LAYOUT_TTL_MS) return cached.layout;
    const fresh = this.readLayout(physical);
    if (cached === undefined) {
      this.layouts.set(physical, { layout: fresh, readAt: Date.now() });
      fresh.catch(() => this.layouts.delete(physical));
      return fresh;
    }
    cached.readAt = Date.now();
    fresh.then(
      (layout) => this.layouts.set(physical, { layout: Promise.resolve(layout), readAt: Date.now() }),
      // A failed refresh keeps the known layout; the next one tries again.
      () => undefined,
    );
    return cached.layout;
  }

  private async readLayout(physical: string): Promise<ShardLayout> {
    const info = await this.info(physical);
    if (info?.config.params.sharding_method !== 'custom') return ShardLayout.AUTO;
    const keys = (await this.clusterState(physical)).replicas.flatMap((r) =>
      r.shardKey === undefined ? [] : [String(r.shardKey)],
    );
    return new ShardLayout(true, new Set(keys));
  }

  /**
   * Gives a custom-sharded collection its shard keys. A collection with no key yet holds no point
   * (no write is possible without one), so it gets every configured key; one with keys keeps them
   * (tenant-shards.ts: moving a tenant's points takes a rebuild), except that `shared` is always there.
   */
  private async ensureShardKeys(physical: string): Promise<void> {
    this.layouts.delete(physical);
    const layout = await this.layout(physical);
    if (!layout.custom) return;
    const tenants = this.options.cluster?.tenantShards ?? [];
    const wanted = layout.keys.size === 0 ? configuredKeys(tenants) : configuredKeys([]);
    for (const key of wanted.filter((k) => !layout.keys.has(k))) {
      await this.http.request('PUT', `${c(physical)}/shards`, { shard_key: key });
    }
    this.layouts.delete(physical);
  }

  /** Reads the server version once (`GET /`); unknown versions assume the modern API and fall back on 404. */
  serverCapabilities(): Promise<QdrantCapabilities> {
    this.capabilities ??= this.http
      .request<{ version?: unknown; result?: { version?: unknown } }>('GET', '/')
      .then((info) => {
        // Qdrant answers {title, version} at the root; some OpenAPI documents describe it enveloped.
        const raw = info.version ?? info.result?.version;
        const version = typeof raw === 'string' ? raw : undefined;
        const v = version === undefined ? undefined : parseVersion(version);
        return {
          version,
          query: atLeast(v, 1, 10) ?? true,
          tenantIndex: atLeast(v, 1, 11) ?? false,
          countConsistency: atLeast(v, 1, 19) ?? false,
          serverMmr: atLeast(v, 1, 15) ?? false,
          conditionalUpdate: atLeast(v, 1, 19) ?? false,
          acorn: atLeast(v, 1, 16) ?? false,
        };
      })
      .catch((error) => {
        this.capabilities = undefined;
        throw error;
      });
    return this.capabilities;
  }

  private async fieldSchema(spec: PayloadIndexSpec): Promise<unknown> {
    const caps = await this.serverCapabilities();
    if (caps.tenantIndex && spec.isTenant === true) return { type: 'keyword', is_tenant: true };
    if (caps.tenantIndex && spec.isPrincipal === true) return { type: 'integer', is_principal: true };
    return spec.type;
  }

  private async info(physical: string): Promise<CollectionInfo | undefined> {
    try {
      return (await this.http.request<Envelope<CollectionInfo>>('GET', c(physical))).result;
    } catch (error) {
      if (qdrantStatus(error) === 404) return undefined;
      throw error;
    }
  }

  async ensureCollection(physical: string, definition: CollectionDefinition): Promise<BootstrapResult> {
    let info = await this.info(physical);
    let created = false;
    if (info === undefined) {
      const cluster = this.options.cluster;
      await this.http.request('PUT', c(physical), {
        vectors: { size: definition.dimension, distance: definition.distance },
        ...(cluster?.shardNumber === undefined ? {} : { shard_number: cluster.shardNumber }),
        ...((cluster?.tenantShards ?? []).length === 0 ? {} : { sharding_method: 'custom' }),
        ...(cluster?.replicationFactor === undefined
          ? {}
          : { replication_factor: cluster.replicationFactor }),
        ...(cluster?.writeConsistencyFactor === undefined
          ? {}
          : { write_consistency_factor: cluster.writeConsistencyFactor }),
        hnsw_config: {
          m: definition.hnsw.m,
          ef_construct: definition.hnsw.efConstruct,
          full_scan_threshold: definition.hnsw.fullScanThresholdKb,
        },
        optimizers_config: { indexing_threshold: definition.optimizers.indexingThresholdKb },
      });
      created = true;
      info = await this.info(physical);
    }
    if (info?.config.params.sharding_method === 'custom') await this.ensureShardKeys(physical);
    const existing = new Set(Object.keys(info?.payload_schema ?? {}));
    const added: string[] = [];
    for (const spec of definition.payloadIndexes) {
      if (existing.has(spec.field)) continue;
      const result = await this.http.request<Envelope<UpdateResult>>(
        'PUT',
        `${c(physical)}/index?wait=true`,
        {
          field_name: spec.field,
          field_schema: await this.fieldSchema(spec),
        },
      );
      assertCompleted(result.result, `payload index ${spec.field}`);
      added.push(spec.field);
    }
    return { collection: physical, created, addedPayloadIndexes: added };
  }

  async dropCollection(physical: string): Promise<void> {
    this.layouts.delete(physical);
    try {
      await this.http.request('DELETE', c(physical));
    } catch (error) {
      if (qdrantStatus(error) !== 404) throw error;
    }
  }

  async upsert(physical: string, points: readonly IndexedPoint[]): Promise<void> {
    const maxBytes = this.options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    const maxPoints = this.options.maxPointsPerRequest ?? DEFAULT_MAX_POINTS_PER_REQUEST;
    // Where the server can, a point already there is replaced only by a newer version of it, so
    // a delivery that raced a newer one (two relays, a retry) can never put back older content.
    const guarded = (await this.serverCapabilities()).conditionalUpdate;
    let chunk: IndexedPoint[] = [];
    let wires: unknown[] = [];
    let bytes = 0;
    let shardKey: string | undefined;
    const flush = async () => {
      if (chunk.length === 0) return;
      const result = await this.http.request<Envelope<UpdateResult>>(
        'PUT',
        `${c(physical)}/points?wait=true`,
        {
          points: wires,
          ...(shardKey === undefined ? {} : { shard_key: shardKey }),
          ...(guarded ? { update_filter: versionGuard(chunk) } : {}),
        },
      );
      assertCompleted(result.result, 'upsert');
      chunk = [];
      wires = [];
      bytes = 0;
    };
    for (const [key, group] of (await this.layout(physical)).group(points)) {
      shardKey = key;
      for (const point of group) {
        const wire = { id: point.id, vector: Array.from(point.vector), payload: point.payload };
        const size = JSON.stringify(wire).length + 1;
        if (chunk.length > 0 && (bytes + size > maxBytes || chunk.length >= maxPoints)) await flush();
        chunk.push(point);
        wires.push(wire);
        bytes += size;
      }
      await flush();
    }
  }

  async delete(physical: string, ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 1000) {
      const result = await this.http.request<Envelope<UpdateResult>>(
        'POST',
        `${c(physical)}/points/delete?wait=true`,
        {
          points: ids.slice(i, i + 1000),
        },
      );
      assertCompleted(result.result, 'delete');
    }
  }

  async supportsServerMmr(): Promise<boolean> {
    const caps = await this.serverCapabilities();
    return caps.query && caps.serverMmr && !this.queryUnsupported;
  }

  async search(physical: string, request: BackendSearchRequest): Promise<ScoredPoint[]> {
    const caps = await this.serverCapabilities();
    // ACORN (≥ 1.16) keeps a filtered HNSW search on the filter's points where the filter is not
    // selective enough for Qdrant's full scan: the case where a post-filtered graph walk loses
    // recall. Only for a caller's filter (the tenant condition alone is the payload index's job);
    // Qdrant applies it up to its default max_selectivity (0.4).
    const filtered =
      (request.filter.must?.length ?? 0) > 1 ||
      (request.filter.should?.length ?? 0) > 0 ||
      (request.filter.must_not?.length ?? 0) > 0;
    const params =
      request.exact === true
        ? { exact: true }
        : caps.acorn && filtered
          ? { acorn: { enable: true } }
          : undefined;
    const common = {
      limit: request.limit,
      filter: request.filter,
      with_payload: true,
      with_vector: request.withVector,
      ...(request.scoreThreshold === undefined ? {} : { score_threshold: request.scoreThreshold }),
      ...(await this.layout(physical)).selector(request.tenantId),
      ...(params === undefined ? {} : { params }),
    };
    const vector = Array.from(request.vector);
    if (caps.query && !this.queryUnsupported) {
      try {
        const answer = await this.http.request<Envelope<{ points: WireScoredPoint[] }>>(
          'POST',
          `${c(physical)}/points/query${this.consistency()}`,
          {
            query:
              request.mmr === undefined
                ? vector
                : // Qdrant's diversity is the weight of dissimilarity: 1 − our λ (weight of relevance).
                  {
                    nearest: vector,
                    mmr: { diversity: 1 - request.mmr.lambda, candidates_limit: request.mmr.candidates },
                  },
            ...common,
          },
        );
        return answer.result.points.map(toScored);
      } catch (error) {
        // A server without /points/query answers 404 for the route; remember and use search.
        if (qdrantStatus(error) !== 404 || (await this.info(physical)) === undefined) throw error;
        this.queryUnsupported = true;
      }
    }
    const answer = await this.http.request<Envelope<WireScoredPoint[]>>(
      'POST',
      `${c(physical)}/points/search${this.consistency()}`,
      {
        vector,
        ...common,
      },
    );
    return answer.result.map(toScored);
  }

  async scroll(physical: string, request: BackendScrollRequest): Promise<ScoredPoint[]> {
    const answer = await this.http.request<Envelope<{ points: WireScoredPoint[] }>>(
      'POST',
      `${c(physical)}/points/scroll${this.consistency()}`,
      {
        filter: request.filter,
        limit: request.limit,
        with_payload: true,
        with_vector: request.withVector ?? false,
        ...(await this.layout(physical)).selector(request.tenantId),
        ...(request.orderBy === undefined
          ? {}
          : { order_by: { key: request.orderBy.key, direction: request.orderBy.direction } }),
      },
    );
    return answer.result.points.map(toScored);
  }

  async count(physical: string, filter: Filter, tenantId?: string): Promise<number> {
    const caps = await this.serverCapabilities();
    const answer = await this.http.request<Envelope<{ count: number }>>(
      'POST',
      `${c(physical)}/points/count${caps.countConsistency ? this.consistency() : ''}`,
      { filter, exact: true, ...(await this.layout(physical)).selector(tenantId) },
    );
    return answer.result.count;
  }

  async *listVersions(physical: string): AsyncIterable<IndexedVersion[]> {
    let offset: string | number | null | undefined;
    for (;;) {
      const answer = await this.http.request<
        Envelope<{ points: WireScoredPoint[]; next_page_offset?: string | number | null }>
      >('POST', `${c(physical)}/points/scroll${this.consistency()}`, {
        limit: 1000,
        with_payload: ['_version'],
        with_vector: false,
        ...(offset === undefined || offset === null ? {} : { offset }),
      });
      yield answer.result.points.map((p) => ({
        id: String(p.id),
        version: Number(p.payload?.['_version'] ?? 0),
      }));
      offset = answer.result.next_page_offset;
      if (offset === undefined || offset === null) return;
    }
  }

  async describe(physical: string, definition: CollectionDefinition): Promise<CollectionState> {
    const info = await this.info(physical);
    const wanted = definition.payloadIndexes.map((p) => p.field);
    if (info === undefined) {
      return {
        collection: physical,
        exists: false,
        points: 0,
        indexedVectors: 0,
        status: 'missing',
        payloadIndexes: [],
        missingPayloadIndexes: wanted,
        drift: [],
      };
    }
    const { present, drift } = compareWithRegistry(info, definition);
    const layout = await this.layout(physical);
    drift.push(...shardingDrift(layout, this.options.cluster?.tenantShards ?? []));
    return {
      collection: physical,
      exists: true,
      points: info.points_count ?? 0,
      indexedVectors: info.indexed_vectors_count ?? 0,
      status: info.status,
      payloadIndexes: present,
      missingPayloadIndexes: wanted.filter((f) => !present.includes(f)),
      drift,
      cluster: {
        shardNumber: info.config.params.shard_number ?? 1,
        replicationFactor: info.config.params.replication_factor ?? 1,
        writeConsistencyFactor: info.config.params.write_consistency_factor ?? 1,
        ...(layout.custom ? { shardKeys: [...layout.keys] } : {}),
      },
    };
  }

  async setAlias(alias: string, physical: string): Promise<void> {
    const existing = await this.http.request<
      Envelope<{ aliases: Array<{ alias_name: string; collection_name: string }> }>
    >('GET', '/aliases');
    const current = existing.result.aliases.find((a) => a.alias_name === alias);
    if (current?.collection_name === physical) return;
    const actions: unknown[] = [];
    if (current !== undefined) actions.push({ delete_alias: { alias_name: alias } });
    actions.push({ create_alias: { collection_name: physical, alias_name: alias } });
    // Both actions run atomically in one request: searches never see the alias missing.
    await this.http.request('POST', '/collections/aliases', { actions });
  }

  async close(): Promise<void> {}
}
