/**
 * Public entry point of the `shannon-data` library. Import from here only; deep imports are not
 * part of the supported API.
 */
export {
  type ApiKeyInfo,
  type CreateApiKeyInput,
  type CreatedApiKey,
  createApiKey,
  listApiKeys,
  revokeApiKey,
} from './auth/api-keys.js';
export { DEFAULT_SCOPES, SCOPES, type Scope } from './auth/scopes.js';
export {
  type CreateTenantInput,
  createTenant,
  getTenant,
  listTenants,
  TENANT_PLANS,
  type Tenant,
  type TenantPlan,
  type UpdateTenantInput,
  updateTenant,
} from './auth/tenants.js';
export { type Config, ConfigError, type ConfigSources, describeConfig, loadConfig } from './config/config.js';
export { createDataLayer, type DataLayer, type DataLayerOptions, runMigrations } from './data-layer.js';
export {
  BackpressureError,
  DatabaseError,
  ERROR_CODES,
  type ErrorCode,
  isBackpressureError,
  isDatabaseError,
  isShannonError,
  isValidationError,
  LimitExceededError,
  ShannonError,
  ValidationError,
} from './errors/errors.js';
export {
  createIngest,
  type Ingest,
  type IngestOptions,
  type IngestStats,
  type RecordResult,
} from './ingest/ingest.js';
export { type IngestRecord, RECORD_KINDS, type RecordKind } from './ingest/record-kinds.js';
export type { RecordOf } from './ingest/record-schemas.js';
export { COLLECTION_NAMES, type CollectionName, collectionRegistry } from './memory/collections.js';
export { EmbeddingCache } from './memory/embedder/embedding-cache.js';
export { HttpEmbedder, type HttpEmbedderOptions } from './memory/embedder/http-embedder.js';
export { LexicalHashEmbedder } from './memory/embedder/lexical-hash-embedder.js';
export type { Filter } from './memory/filter.js';
export { type FusionWeights, SEARCH_MODES, type SearchMode } from './memory/hybrid-search.js';
export {
  type CreateMemoryOptions,
  createMemory,
  type Memory,
  type MemoryHit,
  type SearchOptions,
  type SearchQuery,
} from './memory/memory.js';
export { mmrRerank } from './memory/mmr.js';
export { pointId } from './memory/point-id.js';
export type { MemoryPointInput } from './memory/point-input.js';
export * as shannonMemory from './memory/shannon-calls.js';
export { createMetrics, type Metrics } from './observability/metrics.js';
export { Database, type PoolStats, type Transaction } from './postgres/database.js';
export type { Queryable, QueryOptions, QueryResult, TransactionOptions } from './postgres/queryable.js';
export { type MigrationResult, type MigrationStatus, migrateUp, migrationStatus } from './schema/migrator.js';
export type { ArchivedSession, SessionRead } from './sessions/archived-session.js';
export type { SessionCache } from './sessions/session-cache.js';
export type { SessionEntry, SessionState } from './sessions/session-entry.js';
export {
  type AgentExecutionInput,
  type AgentPerformance,
  type CreateUserInput,
  createStores,
  type EventInput,
  type EventLog,
  type InsertResult,
  type Page,
  type Session,
  type Stores,
  type Task,
  type TaskSummary,
  type TaskUpsert,
  type TokenUsageInput,
  type ToolExecutionInput,
  type User,
  UserStore,
} from './stores/index.js';
