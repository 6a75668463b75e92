/**
 * API key scopes. A route names the scope it needs; a key without it gets 403 FORBIDDEN.
 */
import { ValidationError } from '../errors/errors.js';

/**
 * Every scope a key can hold. `admin` is a tenant administrator: its own tenant's figures only.
 * `operator` is the platform operator: whole-database state (query texts of every tenant,
 * sessions, table sizes, index advice); only a key created with the explicit operator flag holds it.
 */
export const SCOPES = [
  'data:read',
  'data:write',
  'memory:read',
  'memory:write',
  'admin',
  'operator',
] as const;
export type Scope = (typeof SCOPES)[number];

export const OPERATOR_SCOPE = 'operator' satisfies Scope;

/** Scopes of a key created without `--scopes`: everything except the admin endpoints. */
export const DEFAULT_SCOPES: readonly Scope[] = ['data:read', 'data:write', 'memory:read', 'memory:write'];

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

/**
 * Validates a scope list (deduplicated, sorted). The operator scope is refused unless `operator`
 * is set: naming it in a scope list by accident must not hand out every tenant's data.
 * @throws ValidationError('scopes').
 */
export function parseScopes(values: readonly unknown[], options: { operator?: boolean } = {}): Scope[] {
  if (values.length === 0) throw new ValidationError('scopes', 'a key needs at least one scope');
  if (values.includes(OPERATOR_SCOPE) && options.operator !== true) {
    throw new ValidationError(
      'scopes',
      "the operator scope sees every tenant's data; create an operator key with `keys create --operator`",
    );
  }
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
