/** Tool executions: idempotent insert only (nothing in Shannon reads this table). */
import { ValidationError } from '../errors/errors.js';
import {
  optionalCount,
  optionalDate,
  requireCount,
  requireObject,
  requireText,
  requireUuid,
} from '../validation/checks.js';
import { type InsertResult, insertOnce, requireIdempotencyKey } from './idempotent-insert.js';
import * as sql from './sql/tool-executions.js';
import { type CallOptions, inTenant, type TenantScope } from './tenant-scope.js';

export interface ToolExecutionInput {
  idempotencyKey: string;
  createdAt?: Date | string;
  agentExecutionId?: string | null;
  toolName: string;
  inputParams?: Record<string, unknown>;
  output?: string | null;
  /** Default true. */
  success?: boolean;
  error?: string | null;
  durationMs?: number | null;
  tokensConsumed?: number;
  workflowId?: string | null;
  agentId?: string | null;
  metadata?: Record<string, unknown>;
}

/** Repository of `public.tool_executions`; every method is scoped to one tenant. */
export class ToolExecutionStore {
  constructor(private readonly scope: TenantScope) {}

  /** Records one tool call once per idempotency key. @throws ValidationError. */
  async insert(
    tenantId: string,
    input: ToolExecutionInput,
    options: CallOptions = {},
  ): Promise<InsertResult> {
    requireUuid('tenantId', tenantId);
    if (input.success !== undefined && typeof input.success !== 'boolean') {
      throw new ValidationError('success', 'success must be a boolean');
    }
    const values = [
      tenantId,
      requireIdempotencyKey(input.idempotencyKey),
      optionalDate('createdAt', input.createdAt),
      input.agentExecutionId == null ? null : requireUuid('agentExecutionId', input.agentExecutionId),
      requireText('toolName', input.toolName),
      input.inputParams === undefined ? null : requireObject('inputParams', input.inputParams),
      input.output ?? null,
      input.success ?? true,
      input.error ?? null,
      optionalCount('durationMs', input.durationMs),
      requireCount('tokensConsumed', input.tokensConsumed),
      input.workflowId == null ? null : requireText('workflowId', input.workflowId),
      input.agentId == null ? null : requireText('agentId', input.agentId),
      input.metadata === undefined ? null : requireObject('metadata', input.metadata),
    ];
    return inTenant(
      this.scope,
      tenantId,
      'tools.insert',
      (q) =>
        insertOnce(
          q,
          'tool_executions',
          'tools.insert',
          sql.INSERT_TOOL_EXECUTION,
          sql.SELECT_TOOL_EXECUTION_BY_KEY,
          values,
        ),
      options,
    );
  }
}
