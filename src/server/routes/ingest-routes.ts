/**
 * Batch ingest: `POST /v1/ingest/:kind` with `{records: [...]}` for every record kind of the write
 * path. The tenant is the key's; a record naming a tenant is rejected. The answer is 200 only when
 * every record is durable (committed or fsynced to the spool). Otherwise it carries the first
 * failure's status — 429/503 with Retry-After for backpressure and shutdown — and the per-record
 * outcomes; records are idempotent, so resending the whole batch is always safe.
 */
import type { FastifyInstance } from 'fastify';
import type { StoreReads } from '../../data-layer.js';
import { ShannonError, ValidationError } from '../../errors/errors.js';
import type { Ingest } from '../../ingest/ingest.js';
import { RECORD_KINDS, type RecordKind } from '../../ingest/record-kinds.js';
import { RECORD_TABLES, type RecordOf } from '../../ingest/record-schemas.js';
import { recordJsonSchema } from '../../schema/tables/json-schema.js';
import type { HttpLimits } from '../limits.js';
import { CONSISTENCY_TOKEN_HEADER, checkBatch, documentOnly, principalOf } from './route-helpers.js';

/**
 * The request body as /openapi.json documents it: each kind's record schema, derived from its table
 * definition. Documentation only — Fastify validates the route's own `body` (records are objects),
 * and the write path's validation decides on every record, with its error codes and field names.
 */
function documentedBody(batchRecords: number): Record<string, unknown> {
  return {
    type: 'object',
    required: ['records'],
    additionalProperties: false,
    properties: {
      records: {
        type: 'array',
        minItems: 1,
        maxItems: batchRecords,
        description: "Records of the kind named in the path; the tenant is the API key's.",
        items: { anyOf: RECORD_KINDS.map((kind) => recordJsonSchema(RECORD_TABLES[kind], kind)) },
      },
    },
  };
}

const DOCUMENTED_RESPONSE = {
  type: 'object',
  description: 'Every record is durable (committed, or fsynced to the spool and written later).',
  properties: {
    accepted: { type: 'integer' },
    results: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          key: { type: 'string', description: 'The idempotency key, supplied or derived.' },
          outcome: { type: 'string', enum: ['committed', 'spooled'] },
        },
      },
    },
  },
};

export function ingestRoutes(
  app: FastifyInstance,
  ingest: Ingest,
  reads: StoreReads,
  limits: HttpLimits,
): void {
  const body = documentedBody(limits.batchRecords);
  app.post<{ Params: { kind: RecordKind }; Body: { records: Array<Record<string, unknown>> } }>(
    '/v1/ingest/:kind',
    {
      config: { scope: 'data:write', swaggerTransform: documentOnly({ body, ok: DOCUMENTED_RESPONSE }) },
      schema: {
        tags: ['ingest'],
        security: [{ apiKey: [] }],
        summary: `Write a batch of records of one kind (at most ${limits.batchRecords}; 413 beyond). 200 means every record is durable.`,
        params: {
          type: 'object',
          required: ['kind'],
          properties: { kind: { type: 'string', enum: [...RECORD_KINDS] } },
        },
        body: {
          type: 'object',
          required: ['records'],
          additionalProperties: false,
          properties: { records: { type: 'array', minItems: 1, items: { type: 'object' } } },
        },
      },
    },
    async (req, reply) => {
      const { tenantId } = principalOf(req);
      const { records } = req.body;
      checkBatch('records', records, limits.batchRecords);
      const scoped = records.map((record, i) => {
        if ('tenant_id' in record || 'tenantId' in record) {
          throw new ValidationError(
            `records[${i}].tenantId`,
            'the tenant is taken from the API key; remove this field',
          );
        }
        return { ...record, tenant_id: tenantId };
      });
      // Request data, typed only as objects: the write path validates each record against its kind.
      const results = await ingest.writeBatch(req.params.kind, scoped as RecordOf<RecordKind>[]);
      const failed = results.find((r) => r.outcome === 'rejected');
      const summary = results.map((r) =>
        r.outcome === 'rejected'
          ? { key: r.key, outcome: r.outcome, error: { code: r.error?.code ?? 'INTERNAL' } }
          : { key: r.key, outcome: r.outcome },
      );
      if (failed === undefined) {
        // With read replicas: the position a read must wait for to see these records. Only when all
        // are committed; a spooled record is in no database yet, so no token can promise it.
        if (reads.replicas > 0 && results.every((r) => r.outcome === 'committed')) {
          reply.header(CONSISTENCY_TOKEN_HEADER, await reads.token());
        }
        return reply.code(200).send({ accepted: results.length, results: summary });
      }
      const error = failed.error ?? new ShannonError('INTERNAL', 'a record was rejected');
      throw new ShannonError(error.code, error.message, {
        ...(error.field === undefined ? {} : { field: error.field }),
        details: {
          ...error.details,
          accepted: results.length - results.filter((r) => r.outcome === 'rejected').length,
          results: summary,
        },
      });
    },
  );
}
