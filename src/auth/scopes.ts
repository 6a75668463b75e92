/**
 * API key scopes. A route names the scope it needs; a key without it gets 403 FORBIDDEN.
 */
import { ValidationError } from '../errors/errors.js';

/** Every scope a key can hold. */
export const SCOPES = ['data:read', 'data:write', 'memory:read', 'memory:write', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Scopes of a key created without `--scopes`: everything except the admin endpoints. */
export const DEFAULT_SCOPES: readonly Scope[] = ['data:read', 'data:write', 'memory:read', 'memory:write'];

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

/** Validates a scope list (deduplicated, sorted). @throws ValidationError('scopes'). */
export function parseScopes(values: readonly unknown[]): Scope[] {
  if (values.length === 0) throw new ValidationError('scopes', 'a key needs at least one scope');
  for (const value of values) {
    if (!isScope(value)) {
      throw new ValidationError(
        'scopes',
        `unknown scope ${JSON.stringify(value)}; known: ${SCOPES.join(', ')}`,
      );
    }
  }
  return [...new Set(values as Scope[])].sort();
}
