/**
 * Maps anything a request can throw to the one error shape of the API,
 * `{error: {code, message, field?, details?}}`, with the catalogue's status. Client mistakes never
 * become 5xx: Fastify's parser and validation errors, and PostgreSQL data errors (class 22/23)
 * that slipped past validation, are 4xx with a stable code.
 */
import { ERROR_CODES, type ErrorCode, isShannonError, type ShannonError } from '../errors/errors.js';
import { classifyError, isUnwrappedDatabaseFailure, toDatabaseError } from '../postgres/sqlstate.js';

export interface HttpErrorBody {
  error: { code: ErrorCode; message: string; field?: string; details?: Record<string, unknown> };
}

export interface HttpError {
  status: number;
  body: HttpErrorBody;
  /** Seconds for the Retry-After header (429/503). */
  retryAfterSeconds?: number;
}

interface AjvError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** `/records/3/status` + context `body` → `records[3].status`; a missing property is appended. */
export function fieldFromAjv(context: string | undefined, error: AjvError | undefined): string {
  const parts = (error?.instancePath ?? '').split('/').filter((p) => p !== '');
  const missing = error?.params?.['missingProperty'] ?? error?.params?.['additionalProperty'];
  if (typeof missing === 'string') parts.push(missing);
  let field = '';
  for (const part of parts) {
    const unescaped = part.replace(/~1/g, '/').replace(/~0/g, '~');
    field += /^\d+$/.test(unescaped) ? `[${unescaped}]` : field === '' ? unescaped : `.${unescaped}`;
  }
  if (field === '') return context ?? 'body';
  return context === undefined || context === 'body' ? field : `${context}.${field}`;
}

function body(
  code: ErrorCode,
  message: string,
  field?: string,
  details?: Record<string, unknown>,
): HttpErrorBody {
  return {
    error: {
      code,
      message,
      ...(field === undefined ? {} : { field }),
      ...(details === undefined ? {} : { details }),
    },
  };
}

function fromCode(
  code: ErrorCode,
  message: string,
  field?: string,
  details?: Record<string, unknown>,
): HttpError {
  return { status: ERROR_CODES[code].status, body: body(code, message, field, details) };
}

function retryAfter(error: ShannonError): number | undefined {
  const ms = error.details?.['retryAfterMs'];
  if (typeof ms === 'number' && Number.isFinite(ms)) return Math.max(1, Math.ceil(ms / 1000));
  if (error.status === 503 || error.status === 429) return 1;
  return undefined;
}

const FASTIFY_CODES: Record<string, () => HttpError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () =>
    fromCode('PAYLOAD_TOO_LARGE', 'the request body exceeds the body limit', 'body'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    fromCode('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json', 'content-type'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    fromCode('MALFORMED_BODY', 'the body length does not match Content-Length', 'body'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => fromCode('MALFORMED_BODY', 'the JSON body is empty', 'body'),
  FST_ERR_CTP_INVALID_JSON_BODY: () => fromCode('MALFORMED_BODY', 'the body is not valid JSON', 'body'),
  FST_ERR_BAD_URL: () => fromCode('NOT_FOUND', 'no such route', 'url'),
  FST_ERR_ASYNC_CONSTRAINT: () => fromCode('NOT_FOUND', 'no such route', 'url'),
};

/** Converts a thrown value into the HTTP answer. */
export function toHttpError(error: unknown): HttpError {
  if (isUnwrappedDatabaseFailure(error)) return toHttpError(toDatabaseError(error, 'request'));
  if (isShannonError(error)) {
    let answer: HttpError;
    if (error.code === 'DB_QUERY_FAILED' && classifyError(error) === 'client') {
      // A data exception PostgreSQL raised on a value we should have rejected at the edge.
      answer = fromCode(
        'VALIDATION_FAILED',
        error.field === undefined
          ? 'a value was rejected by the database'
          : `${error.field}: a value was rejected by the database`,
        error.field,
      );
    } else {
      const status = error.status;
      // Internal details (SQL, stack) stay in the log; 5xx bodies carry only the code, except the
      // refusals a client acts on (retry later, resend the batch), whose details say how.
      const actionable = error.code === 'BACKPRESSURE' || error.code === 'SHUTTING_DOWN';
      const message = status >= 500 && !actionable ? ERROR_CODES[error.code].description : error.message;
      answer = {
        status,
        body: body(
          error.code,
          message,
          error.field,
          status >= 500 && !actionable ? undefined : error.details,
        ),
      };
    }
    const seconds = retryAfter(error);
    if (seconds !== undefined) answer.retryAfterSeconds = seconds;
    return answer;
  }
  const e = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    statusCode?: unknown;
    validation?: AjvError[];
    validationContext?: string;
    message?: unknown;
  };
  if (Array.isArray(e.validation)) {
    const first = e.validation[0];
    const field = fieldFromAjv(e.validationContext, first);
    const message = `${field} ${first?.message ?? 'is invalid'}`;
    return fromCode('VALIDATION_FAILED', message, field);
  }
  if (typeof e.code === 'string' && FASTIFY_CODES[e.code] !== undefined) return FASTIFY_CODES[e.code]!();
  if (error instanceof SyntaxError) return fromCode('MALFORMED_BODY', 'the body is not valid JSON', 'body');
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 413) return fromCode('PAYLOAD_TOO_LARGE', 'the request exceeds a size limit', 'body');
  if (status === 415)
    return fromCode('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json', 'content-type');
  if (status === 404) return fromCode('NOT_FOUND', 'no such route', 'url');
  if (status >= 400 && status < 500) {
    return fromCode('VALIDATION_FAILED', typeof e.message === 'string' ? e.message : 'bad request');
  }
  return fromCode('INTERNAL', ERROR_CODES.INTERNAL.description);
}
