/**
 * Request limits of the HTTP API, checked before work is done. Every limit answers with a
 * documented status when exceeded by one: 413 for sizes (body, batch, strings, vectors), 400 for
 * shapes (depth, page size), 429 for rates.
 */

export interface HttpLimits {
  /** Largest request body in bytes; larger bodies get 413 before they are read (Content-Length). */
  bodyBytes: number;
  /** Records in one ingest batch. */
  batchRecords: number;
  /** Points in one memory upsert. */
  upsertPoints: number;
  /** Nesting depth of any JSON body. */
  jsonDepth: number;
  /** Characters of an id or short text field. */
  idChars: number;
  /** Characters of a long text field (query, result, payload strings). */
  textChars: number;
  /** Largest top-k of a memory search. */
  searchTopK: number;
  /** Failed authentication attempts per client IP per minute before 429. */
  authFailuresPerMinute: number;
  /**
   * `/v1` requests handled at once; beyond it a request is refused at once with 503 BACKPRESSURE
   * before its body is read, so overload is shed cheaply instead of queueing in the event loop.
   */
  maxInFlight: number;
}

export const DEFAULT_BODY_LIMIT_BYTES = 4 * 1024 * 1024;
export const DEFAULT_BATCH_RECORDS = 1_000;
export const DEFAULT_UPSERT_POINTS = 256;
export const DEFAULT_JSON_DEPTH = 32;
export const DEFAULT_ID_CHARS = 255;
export const DEFAULT_TEXT_CHARS = 100_000;
export const DEFAULT_SEARCH_TOP_K = 100;
export const DEFAULT_AUTH_FAILURES_PER_MINUTE = 10;
/**
 * Requests mostly wait for one of the pool's connections (PG_POOL_MAX, 10 by default); beyond a
 * few per connection they only queue. 64 kept refusals fast at 3 × capacity in the overload test.
 */
export const DEFAULT_MAX_IN_FLIGHT = 64;

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = Object.freeze({
  bodyBytes: DEFAULT_BODY_LIMIT_BYTES,
  batchRecords: DEFAULT_BATCH_RECORDS,
  upsertPoints: DEFAULT_UPSERT_POINTS,
  jsonDepth: DEFAULT_JSON_DEPTH,
  idChars: DEFAULT_ID_CHARS,
  textChars: DEFAULT_TEXT_CHARS,
  searchTopK: DEFAULT_SEARCH_TOP_K,
  authFailuresPerMinute: DEFAULT_AUTH_FAILURES_PER_MINUTE,
  maxInFlight: DEFAULT_MAX_IN_FLIGHT,
});
