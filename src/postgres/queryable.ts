/**
 * The narrow database port. Code that touches PostgreSQL takes a `Queryable`; a pool-backed
 * executor and a transaction handle both satisfy it, so a store works the same inside and
 * outside a transaction.
 */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface QueryOptions {
  /** Operation name for metrics and tracing (bounded set, e.g. `tasks.get_by_workflow`). */
  operation?: string;
  /** Overrides the configured client-side timeout for this call. */
  timeoutMs?: number;
}

export interface Queryable {
  query<Row = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<Row>>;
}

/** A tenant id as stored in `tenant_id` columns (uuid text). */
export type TenantId = string;

/** What a transaction runs with: the tenant whose rows it may see, or none for admin work. */
export interface TransactionOptions {
  /** Sets `app.tenant_id` for the transaction so row-level security admits that tenant's rows. */
  tenantId?: TenantId;
  /** Marks the transaction read-only. */
  readOnly?: boolean;
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
  operation?: string;
}
