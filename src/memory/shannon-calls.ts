/**
 * Equivalents of Shannon's memory calls (internal/vectordb), as thin functions over the memory API.
 * Public API: exported from src/index.ts as `shannonMemory` for orchestrators moving off the
 * original client, and documented in docs/memory.md; change it as you would any export.
 * Differences from the original, on purpose: every call needs a tenant (no cross-tenant search,
 * W26); ids are deterministic (qa_id + chunk index, W25); "recent" is true recency (W24); chunk
 * groups keep the search/MMR order instead of re-sorting by raw score (W23).
 */
import type { MemoryHit, MemorySearch, MemoryWriter } from './memory.js';

/** Defaults from the original's call sites (inventory §6.4). */
export const SHANNON_DEFAULTS = Object.freeze({
  topK: 5,
  threshold: 0.75,
  summariesLimit: 3,
  patternsLimit: 5,
  patternsThreshold: 0.7,
});

type Vector = ArrayLike<number>;

/** FindSimilarQueries: similar past tasks of the tenant. */
export function findSimilarQueries(
  memory: MemorySearch,
  tenantId: string,
  embedding: Vector,
  limit = SHANNON_DEFAULTS.topK,
  threshold = SHANNON_DEFAULTS.threshold,
) {
  return memory.search(tenantId, 'task_embeddings', { vector: embedding, limit, scoreThreshold: threshold });
}

/** GetSessionContext: the most recent task memories of a session. */
export function getSessionContext(
  memory: MemorySearch,
  tenantId: string,
  sessionId: string,
  limit = SHANNON_DEFAULTS.topK,
) {
  return memory.recentBySession(tenantId, 'task_embeddings', sessionId, limit);
}

/** GetSessionContextSemanticByEmbedding: semantic search within one session (threshold 0 = none). */
export function getSessionContextSemanticByEmbedding(
  memory: MemorySearch,
  tenantId: string,
  sessionId: string,
  embedding: Vector,
  options: {
    limit?: number;
    threshold?: number;
    mmr?: boolean | { lambda?: number; poolMultiplier?: number };
  } = {},
) {
  return memory.search(tenantId, 'task_embeddings', {
    vector: embedding,
    limit: options.limit ?? SHANNON_DEFAULTS.topK,
    ...(options.threshold === undefined || options.threshold <= 0
      ? {}
      : { scoreThreshold: options.threshold }),
    filter: { must: [{ key: 'session_id', match: { value: sessionId } }] },
    ...(options.mmr === undefined ? {} : { mmr: options.mmr }),
  });
}

/** GetAgentContext: the most recent memories of one agent in a session. */
export function getAgentContext(
  memory: MemorySearch,
  tenantId: string,
  sessionId: string,
  agentId: string,
  limit = SHANNON_DEFAULTS.topK,
) {
  return memory.recentBySession(tenantId, 'task_embeddings', sessionId, limit, {
    must: [{ key: 'agent_id', match: { value: agentId } }],
  });
}

/** SearchSummaries: context summaries of a session. */
export function searchSummaries(
  memory: MemorySearch,
  tenantId: string,
  sessionId: string,
  embedding: Vector,
  limit = SHANNON_DEFAULTS.summariesLimit,
) {
  return memory.search(tenantId, 'summaries', {
    vector: embedding,
    limit,
    filter: { must: [{ key: 'session_id', match: { value: sessionId } }] },
  });
}

/** SearchDecompositionPatterns: similar decompositions of the tenant (optionally of one session). */
export function searchDecompositionPatterns(
  memory: MemorySearch,
  tenantId: string,
  embedding: Vector,
  options: { sessionId?: string; limit?: number; threshold?: number } = {},
) {
  return memory.search(tenantId, 'decomposition_patterns', {
    vector: embedding,
    limit: options.limit ?? SHANNON_DEFAULTS.patternsLimit,
    scoreThreshold: options.threshold ?? SHANNON_DEFAULTS.patternsThreshold,
    ...(options.sessionId === undefined
      ? {}
      : { filter: { must: [{ key: 'session_id', match: { value: options.sessionId } }] } }),
  });
}

/** Fields of a task memory (RecordQuery / RecordAgentMemory). */
export interface TaskMemory {
  qaId: string;
  query: string;
  sessionId: string;
  userId?: string;
  agentId?: string;
  model?: string;
  timestamp?: number;
  metadata?: Record<string, unknown>;
}

function taskPayload(task: TaskMemory): Record<string, unknown> {
  return {
    ...task.metadata,
    query: task.query,
    qa_id: task.qaId,
    session_id: task.sessionId,
    ...(task.userId === undefined ? {} : { user_id: task.userId }),
    ...(task.agentId === undefined ? {} : { agent_id: task.agentId }),
    ...(task.model === undefined ? {} : { model: task.model }),
    ...(task.timestamp === undefined ? {} : { timestamp: task.timestamp }),
  };
}

/** UpsertTaskEmbedding: one Q/A point whose vector embeds the answer; id from qa_id (idempotent). */
export function upsertTaskEmbedding(
  memory: MemoryWriter,
  tenantId: string,
  task: TaskMemory & { answer: string; vector: Vector },
) {
  return memory.upsert(tenantId, 'task_embeddings', [
    {
      key: [task.qaId, 0],
      vector: task.vector,
      payload: { ...taskPayload(task), answer: task.answer, is_chunked: false },
    },
  ]);
}

/** Chunked Q/A record: one point per answer chunk, ids from (qa_id, chunk_index), written in one batch. */
export function recordChunkedQA(
  memory: MemoryWriter,
  tenantId: string,
  task: TaskMemory & { chunks: ReadonlyArray<{ text: string; vector: Vector }> },
) {
  return memory.upsert(
    tenantId,
    'task_embeddings',
    task.chunks.map((chunk, i) => ({
      key: [task.qaId, i],
      vector: chunk.vector,
      payload: {
        ...taskPayload(task),
        chunk_text: chunk.text,
        chunk_index: i,
        chunk_count: task.chunks.length,
        is_chunked: true,
      },
    })),
  );
}

/** UpsertSummaryEmbedding: a context summary of a session; id from summary_id. */
export function upsertSummaryEmbedding(
  memory: MemoryWriter,
  tenantId: string,
  summary: {
    summaryId: string;
    sessionId: string;
    content: string;
    vector: Vector;
    userId?: string;
    timestamp?: number;
    metadata?: Record<string, unknown>;
  },
) {
  return memory.upsert(tenantId, 'summaries', [
    {
      key: [summary.summaryId],
      vector: summary.vector,
      payload: {
        ...summary.metadata,
        type: 'summary',
        summary_id: summary.summaryId,
        session_id: summary.sessionId,
        content: summary.content,
        ...(summary.userId === undefined ? {} : { user_id: summary.userId }),
        ...(summary.timestamp === undefined ? {} : { timestamp: summary.timestamp }),
      },
    },
  ]);
}

/** A Q/A answer reassembled from its chunks. */
export interface QaGroup {
  qaId: string;
  score: number;
  query: unknown;
  answer: string;
  chunks: number;
}

/**
 * Groups chunked hits by qa_id, joining chunk texts in chunk order; the group order is the order of
 * each group's first hit, so an MMR ordering survives (the original re-sorted by score, W23).
 */
export function groupChunks(hits: readonly MemoryHit[]): QaGroup[] {
  const groups = new Map<
    string,
    { score: number; query: unknown; parts: Map<number, string>; answer?: string }
  >();
  for (const hit of hits) {
    const qaId = String(hit.payload['qa_id'] ?? hit.id);
    const group = groups.get(qaId) ?? {
      score: hit.score,
      query: hit.payload['query'],
      parts: new Map<number, string>(),
    };
    group.score = Math.max(group.score, hit.score);
    if (hit.payload['is_chunked'] === true)
      group.parts.set(Number(hit.payload['chunk_index'] ?? 0), String(hit.payload['chunk_text'] ?? ''));
    else group.answer = String(hit.payload['answer'] ?? '');
    groups.set(qaId, group);
  }
  return [...groups].map(([qaId, g]) => ({
    qaId,
    score: g.score,
    query: g.query,
    answer:
      g.answer ??
      [...g.parts]
        .sort((a, b) => a[0] - b[0])
        .map(([, text]) => text)
        .join(''),
    chunks: g.parts.size,
  }));
}
