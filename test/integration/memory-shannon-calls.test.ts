import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Memory } from '../../src/memory/memory.js';
import {
  findSimilarQueries,
  getAgentContext,
  getSessionContext,
  getSessionContextSemanticByEmbedding,
  groupChunks,
  recordChunkedQA,
  searchDecompositionPatterns,
  searchSummaries,
  upsertSummaryEmbedding,
  upsertTaskEmbedding,
} from '../../src/memory/shannon-calls.js';
import { createTenant, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { createTestMemory } from '../helpers/memory.js';

const DIM = 8;
const vec = (axis: number, w = 0) =>
  Array.from({ length: DIM }, (_, i) => (i === axis ? 1 : 0.01 * ((i + w) % 4)));

describe("Shannon's memory calls", () => {
  let t: TestDatabase;
  let memory: Memory;
  let tenant: string;
  let other: string;

  before(async () => {
    t = await createTestDatabase();
    tenant = await createTenant(t.db);
    other = await createTenant(t.db);
    memory = createTestMemory({
      db: t.db,
      config: {
        vectorDimension: DIM,
        dataDir: '/nonexistent',
        qdrantUrl: undefined,
        qdrantApiKey: undefined,
      },
      snapshotDir: null,
      startRelay: false,
    });
    await upsertTaskEmbedding(memory, tenant, {
      qaId: 'qa-1',
      query: 'q1',
      answer: 'a1',
      sessionId: 's',
      agentId: 'ag',
      vector: vec(0),
      timestamp: 10,
    });
    await upsertTaskEmbedding(memory, other, {
      qaId: 'qa-1',
      query: 'theirs',
      answer: 'x',
      sessionId: 's',
      vector: vec(0),
      timestamp: 10,
    });
    await recordChunkedQA(memory, tenant, {
      qaId: 'qa-2',
      query: 'q2',
      sessionId: 's',
      timestamp: 20,
      chunks: [
        { text: 'first ', vector: vec(1, 1) },
        { text: 'second', vector: vec(1, 2) },
      ],
    });
    await upsertSummaryEmbedding(memory, tenant, {
      summaryId: 'sum-1',
      sessionId: 's',
      content: 'summary',
      vector: vec(2),
    });
    await memory.upsert(tenant, 'decomposition_patterns', [
      { key: ['p1'], vector: vec(3), payload: { pattern: 'plan', session_id: 's' } },
    ]);
    await memory.flush();
  });

  after(async () => {
    await memory?.close();
    await t?.drop();
  });

  it('retried task records are idempotent and searches never cross tenants', async () => {
    await upsertTaskEmbedding(memory, tenant, {
      qaId: 'qa-1',
      query: 'q1',
      answer: 'a1',
      sessionId: 's',
      agentId: 'ag',
      vector: vec(0),
      timestamp: 10,
    });
    await memory.flush();
    const similar = await findSimilarQueries(memory, tenant, vec(0));
    assert.deepEqual(
      similar.map((h) => h.payload['query']),
      ['q1'],
    );
  });

  it('session, agent, summary and pattern lookups', async () => {
    assert.deepEqual(
      (await getSessionContext(memory, tenant, 's')).map((h) => h.payload['timestamp']),
      [20, 20, 10],
    );
    assert.deepEqual(
      (await getAgentContext(memory, tenant, 's', 'ag')).map((h) => h.payload['query']),
      ['q1'],
    );
    const semantic = await getSessionContextSemanticByEmbedding(memory, tenant, 's', vec(1, 1), { limit: 3 });
    assert.equal(semantic[0]?.payload['chunk_text'], 'first ');
    assert.equal((await searchSummaries(memory, tenant, 's', vec(2)))[0]?.payload['content'], 'summary');
    assert.equal((await searchDecompositionPatterns(memory, tenant, vec(3)))[0]?.payload['pattern'], 'plan');
    assert.equal((await searchDecompositionPatterns(memory, other, vec(3))).length, 0);
  });

  it('groups chunks in chunk order and keeps the hit order', async () => {
    const hits = await getSessionContextSemanticByEmbedding(memory, tenant, 's', vec(1, 2), { limit: 5 });
    const groups = groupChunks(hits);
    assert.equal(groups[0]?.qaId, 'qa-2');
    assert.equal(groups[0]?.answer, 'first second');
    assert.equal(groups[0]?.chunks, 2);
    assert.ok(groups.some((g) => g.qaId === 'qa-1' && g.answer === 'a1'));
  });
});
