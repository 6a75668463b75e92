/** Public surface of the stores layer. */
export * from './agent-execution-store.js';
export * from './create-stores.js';
export * from './event-store.js';
export type { InsertResult } from './idempotent-insert.js';
export { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, type Page } from './keyset.js';
export * from './session-store.js';
export * from './task-store.js';
export type { CallOptions, TenantScope } from './tenant-scope.js';
export * from './token-usage-store.js';
export * from './tool-execution-store.js';
export * from './user-store.js';
