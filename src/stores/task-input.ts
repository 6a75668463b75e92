/** Validation of task store inputs: statuses, the upsert's parameter list, session id lists. */
import { ValidationError } from '../errors/errors.js';
import {
  optionalAmount,
  optionalCount,
  optionalDate,
  requireObject,
  requireText,
  requireUuid,
} from '../validation/checks.js';
import { TASK_STATUSES, type TaskStatus, type TaskUpsert } from './task-types.js';

/** Accepts a status in any letter case (Shannon's callers send lower case) and returns it upper case. */
export function parseTaskStatus(field: string, value: unknown): TaskStatus {
  const upper = typeof value === 'string' ? value.toUpperCase() : value;
  if (!TASK_STATUSES.includes(upper as TaskStatus)) {
    throw new ValidationError(field, `${field} must be one of ${TASK_STATUSES.join(', ')}`);
  }
  return upper as TaskStatus;
}

/** The 30 parameters of UPSERT_TASK, validated. @throws ValidationError naming the field. */
export function upsertValues(tenantId: string, input: TaskUpsert): unknown[] {
  const workflowId = requireText('workflowId', input.workflowId);
  const status = parseTaskStatus('status', input.status);
  const triggerType = input.triggerType ?? null;
  if (triggerType !== null && triggerType !== 'api' && triggerType !== 'schedule') {
    throw new ValidationError('triggerType', "triggerType must be 'api' or 'schedule'");
  }
  return [
    tenantId,
    workflowId,
    crypto.randomUUID(),
    optionalDate('startedAt', input.startedAt),
    input.userId == null ? null : requireUuid('userId', input.userId),
    input.sessionId == null ? null : requireText('sessionId', input.sessionId),
    input.query ?? null,
    input.mode == null ? null : requireText('mode', input.mode, 50),
    status,
    optionalDate('completedAt', input.completedAt),
    input.result ?? null,
    input.errorMessage ?? null,
    optionalCount('totalTokens', input.totalTokens),
    optionalCount('promptTokens', input.promptTokens),
    optionalCount('completionTokens', input.completionTokens),
    optionalAmount('totalCostUsd', input.totalCostUsd),
    optionalCount('durationMs', input.durationMs),
    optionalCount('agentsUsed', input.agentsUsed),
    optionalCount('toolsInvoked', input.toolsInvoked),
    optionalCount('cacheHits', input.cacheHits),
    optionalAmount('complexityScore', input.complexityScore),
    input.metadata == null ? null : requireObject('metadata', input.metadata),
    input.response == null ? null : requireObject('response', input.response),
    input.modelUsed == null ? null : requireText('modelUsed', input.modelUsed, 100),
    input.provider == null ? null : requireText('provider', input.provider, 50),
    triggerType,
    input.scheduleId == null ? null : requireUuid('scheduleId', input.scheduleId),
    optionalCount('cacheReadTokens', input.cacheReadTokens),
    optionalCount('cacheCreationTokens', input.cacheCreationTokens),
    optionalCount('cacheAwareTotalTokens', input.cacheAwareTotalTokens),
  ];
}

/** One or up to 10 session ids (uuid text and external id). @throws ValidationError. */
export function sessionKeys(value: string | readonly string[]): string[] {
  const keys = typeof value === 'string' ? [value] : [...value];
  if (keys.length === 0 || keys.length > 10) {
    throw new ValidationError('sessionId', 'give between 1 and 10 session ids');
  }
  return keys.map((k, i) => requireText(`sessionId[${i}]`, k));
}
