/**
 * The error catalogue: one base class with a stable `code`, subclasses only where a caller acts
 * differently. Every code is listed in `ERROR_CODES` with the HTTP status the service answers
 * with and a one-line description (docs/errors.md is generated from it; a test checks both agree).
 */

/** Every stable error code, its HTTP status and what it means. */
export const ERROR_CODES = {
  // configuration
  CONFIG_INVALID: { status: 500, description: 'A setting is missing or has an invalid value.' },
  // input validation
  VALIDATION_FAILED: { status: 400, description: 'A field of the input is missing or invalid.' },
  PAYLOAD_TOO_LARGE: { status: 413, description: 'The body, batch, string or vector exceeds a limit.' },
  NOT_FOUND: { status: 404, description: 'The resource does not exist (or belongs to another tenant).' },
  CONFLICT: { status: 409, description: 'The write conflicts with existing data.' },
  TENANT_REQUIRED: { status: 500, description: 'A tenant-scoped operation ran without a tenant context.' },
  // auth
  UNAUTHENTICATED: { status: 401, description: 'The API key is missing, unknown, revoked or expired.' },
  FORBIDDEN: { status: 403, description: 'The API key lacks the scope this operation needs.' },
  RATE_LIMITED: { status: 429, description: 'Too many requests; retry after the given delay.' },
  // HTTP service
  MALFORMED_BODY: { status: 400, description: 'The request body is not valid JSON (or is truncated).' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'The Content-Type is not application/json.' },
  METHOD_NOT_ALLOWED: { status: 405, description: 'The route does not accept this HTTP method.' },
  // dependencies
  DB_UNAVAILABLE: { status: 503, description: 'PostgreSQL could not be reached or refused the connection.' },
  DB_TIMEOUT: { status: 503, description: 'A PostgreSQL call exceeded its client-side timeout.' },
  DB_QUERY_FAILED: {
    status: 500,
    description: 'PostgreSQL rejected a statement for a non-transient reason.',
  },
  BREAKER_OPEN: { status: 503, description: 'The circuit breaker for a dependency is open.' },
  CACHE_UNAVAILABLE: { status: 503, description: 'Redis (session cache) could not be reached.' },
  PACKAGE_MISSING: {
    status: 500,
    description: 'An optional or development package this operation needs is not installed.',
  },
  // write path
  BACKPRESSURE: {
    status: 503,
    description: 'The write queue or spool is full; retry after the given delay.',
  },
  SHUTTING_DOWN: { status: 503, description: 'The data layer is closing and accepts no new work.' },
  SPOOL_FAILED: { status: 503, description: 'The local spool could not durably store a record.' },
  // migrations
  MIGRATION_CHECKSUM_MISMATCH: {
    status: 500,
    description: 'An applied migration file was edited after it ran.',
  },
  MIGRATION_FAILED: { status: 500, description: 'A migration file failed to apply.' },
  MIGRATIONS_PENDING: { status: 503, description: 'The database schema is behind the code.' },
  // vector memory
  VECTOR_BACKEND_FAILED: { status: 502, description: 'The vector index backend answered with an error.' },
  VECTOR_BACKEND_BUSY: {
    status: 503,
    description:
      "The vector index backend refused the call for now (Qdrant's strict-mode rate limit); retry after the given delay.",
  },
  // operations toolkit
  UNSAFE_STATEMENT: { status: 400, description: 'The statement is not allowed in this operation.' },
  ARCHIVE_UNTRUSTED: {
    status: 400,
    description:
      'The archive is unsigned or wrongly signed, or its manifest names a table, file, range or row restore refuses.',
  },
  BACKUP_INVALID: {
    status: 400,
    description:
      'A backup fails verification: its manifest is malformed or wrongly signed, or a file it lists is missing or altered (the file is named).',
  },
  BACKUP_TARGET_NOT_EMPTY: {
    status: 409,
    description: 'Restore refuses a database that already holds tables; restore into a new, empty database.',
  },
  BACKUP_TOOL_FAILED: {
    status: 500,
    description:
      'pg_dump or pg_restore is missing, too old for the server, or exited with an error (its message is kept).',
  },
  ADOPT_ROW_REFUSED: {
    status: 409,
    description:
      "adopt shannon: a row of Shannon's cannot go into Shannon Data's schema (the table, row and reason are named; fix it and run again, it resumes).",
  },
  ADOPT_MISMATCH: {
    status: 500,
    description:
      "adopt shannon: a table's row count or checksum differs between Shannon's rows and the copy.",
  },
  EXTENSION_MISSING: { status: 503, description: 'A PostgreSQL extension this operation needs is absent.' },
  INTERNAL: { status: 500, description: 'An unexpected internal error.' },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Codes that mean "fix how you called it" (a setting, flag or argument, such as a statement
 * `explain` refuses): the CLI exits 2 for these
 * and 3 for every other code (docs/errors.md, README "Commands").
 */
export const CLI_USAGE_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'CONFIG_INVALID',
  'VALIDATION_FAILED',
  'UNSAFE_STATEMENT',
]);

/** The CLI's exit status when a command stops with `code`: 2 for configuration or usage, else 3. */
export function cliExitStatus(code: ErrorCode): 2 | 3 {
  return CLI_USAGE_ERROR_CODES.has(code) ? 2 : 3;
}

export interface ShannonErrorOptions {
  /** The input field the error is about, as a dotted path (`records[3].status`). */
  field?: string;
  cause?: unknown;
  /** Extra facts a caller or operator can act on (limits, delays, names). */
  details?: Record<string, unknown>;
}

/** Base error of the data layer: a stable `code`, a message that says what to change, a cause. */
export class ShannonError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ShannonErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ShannonError';
    this.code = code;
    this.field = options.field;
    this.details = options.details;
  }

  /** HTTP status the service answers with for this error. */
  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  toJSON(): { code: ErrorCode; message: string; field?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.field === undefined ? {} : { field: this.field }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

/** Input that fails validation; names the offending field. */
export class ValidationError extends ShannonError {
  constructor(field: string, message: string, options: Omit<ShannonErrorOptions, 'field'> = {}) {
    super('VALIDATION_FAILED', message, { ...options, field });
    this.name = 'ValidationError';
  }
}

/** A limit was exceeded (body, batch, string, vector); names the field and the limit. */
export class LimitExceededError extends ShannonError {
  constructor(field: string, limit: number, actual: number, unit = 'items') {
    super('PAYLOAD_TOO_LARGE', `${field} exceeds the limit of ${limit} ${unit} (got ${actual})`, {
      field,
      details: { limit, actual, unit },
    });
    this.name = 'LimitExceededError';
  }
}

/** The system is saturated; the caller should retry after `retryAfterMs`. */
export class BackpressureError extends ShannonError {
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, options: ShannonErrorOptions = {}) {
    super('BACKPRESSURE', message, { ...options, details: { ...options.details, retryAfterMs } });
    this.name = 'BackpressureError';
    this.retryAfterMs = retryAfterMs;
  }
}

/** A PostgreSQL failure, classified by SQLSTATE (see `postgres/sqlstate.ts`). */
export class DatabaseError extends ShannonError {
  readonly sqlstate: string | undefined;
  constructor(
    code: 'DB_UNAVAILABLE' | 'DB_TIMEOUT' | 'DB_QUERY_FAILED' | 'CONFLICT',
    message: string,
    options: ShannonErrorOptions & { sqlstate?: string } = {},
  ) {
    super(code, message, options);
    this.name = 'DatabaseError';
    this.sqlstate = options.sqlstate;
  }
}

export function isShannonError(error: unknown): error is ShannonError {
  return error instanceof ShannonError;
}

export function isValidationError(error: unknown): error is ValidationError {
  return error instanceof ValidationError;
}

export function isBackpressureError(error: unknown): error is BackpressureError {
  return error instanceof BackpressureError;
}

export function isDatabaseError(error: unknown): error is DatabaseError {
  return error instanceof DatabaseError;
}

/** Wraps anything thrown by foreign code into a ShannonError, keeping it as the cause. */
export function toShannonError(error: unknown): ShannonError {
  if (error instanceof ShannonError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ShannonError('INTERNAL', message, { cause: error });
}
