/**
 * A small typed HTTP client for Qdrant's REST API: api-key header, a timeout and a breaker on every
 * call, and a W3C `traceparent` (from the active OpenTelemetry span, or a fresh one when no tracer
 * is registered). Plain fetch instead of @qdrant/js-client-rest: that client fixes headers at
 * construction (no per-call traceparent) and targets one API version, while we must speak v1.9
 * through v1.19 and choose endpoints per server.
 */
import { randomBytes } from 'node:crypto';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ShannonError } from '../../errors/errors.js';
import type { Metrics } from '../../observability/metrics.js';
import { withDeadlineSignal } from '../../resilience/deadline-signal.js';
import { type Breaker, createBreaker } from '../../resilience/policies.js';

export const DEFAULT_QDRANT_TIMEOUT_MS = 5_000;

/** Options of the Qdrant HTTP client. */
export interface QdrantHttpOptions {
  url: string;
  apiKey?: string | undefined;
  timeoutMs?: number;
  metrics?: Metrics | undefined;
  breakerFailureThreshold?: number;
  breakerHalfOpenAfterMs?: number;
  fetch?: typeof fetch;
}

/** True for errors that say Qdrant is unhealthy (network, timeout, 5xx), which the breaker counts. */
export function isQdrantInfrastructureFailure(error: unknown): boolean {
  return (
    error instanceof ShannonError &&
    error.code === 'VECTOR_BACKEND_FAILED' &&
    error.details?.['infrastructure'] === true
  );
}

/** Retry-After in milliseconds (seconds, or an HTTP date), or undefined when absent or unreadable. */
function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (header.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function tracer() {
  return trace.getTracer('shannon-data.memory');
}

function traceparent(): string {
  const span = trace.getSpanContext(context.active());
  if (span !== undefined && trace.isSpanContextValid(span)) {
    return `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 1).toString(16).padStart(2, '0')}`;
  }
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`;
}

/** The HTTP status of a failed Qdrant call, if it got an answer. */
export function qdrantStatus(error: unknown): number | undefined {
  return error instanceof ShannonError ? (error.details?.['status'] as number | undefined) : undefined;
}

/** What one call sends: a JSON body or a form, whether the answer is bytes, its own deadline. */
interface SendPayload {
  json?: unknown;
  form?: FormData;
  binary?: boolean;
  timeoutMs?: number;
}

export class QdrantHttp {
  readonly breaker: Breaker;
  private readonly options: QdrantHttpOptions;
  private readonly base: string;

  constructor(options: QdrantHttpOptions) {
    this.options = options;
    this.base = options.url.replace(/\/+$/, '');
    this.breaker = createBreaker({
      name: 'qdrant',
      isFailure: isQdrantInfrastructureFailure,
      failureThreshold: options.breakerFailureThreshold,
      halfOpenAfterMs: options.breakerHalfOpenAfterMs,
      metrics: options.metrics,
    });
  }

  /**
   * Sends one request and returns the parsed JSON body of a 2xx answer.
   * @throws ShannonError VECTOR_BACKEND_FAILED (details.status, details.infrastructure),
   * VECTOR_BACKEND_BUSY (429; details.retryAfterMs when Qdrant sent Retry-After) or BREAKER_OPEN.
   */
  request<T>(method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH', path: string, body?: unknown): Promise<T> {
    return this.traced(method, path, () =>
      this.send(method, path, body === undefined ? {} : { json: body }).then((text) =>
        this.parse<T>(method, path, text),
      ),
    );
  }

  /** A GET answered with raw bytes (a snapshot download), within `timeoutMs`. */
  download(path: string, timeoutMs: number): Promise<Buffer> {
    return this.traced('GET', path, () => this.send('GET', path, { binary: true, timeoutMs }));
  }

  /** A POST of one file as multipart/form-data (a snapshot upload), within `timeoutMs`. */
  upload<T>(path: string, field: string, fileName: string, data: Buffer, timeoutMs: number): Promise<T> {
    const form = new FormData();
    form.append(field, new Blob([data]), fileName);
    return this.traced('POST', path, () =>
      this.send('POST', path, { form, timeoutMs }).then((text) => this.parse<T>('POST', path, text)),
    );
  }

  private traced<T>(method: string, path: string, call: () => Promise<T>): Promise<T> {
    // One client span per call (a no-op unless an OpenTelemetry SDK is registered); its context
    // becomes the traceparent Qdrant receives. The span name has no ids (bounded cardinality).
    const route = path.split('?')[0]?.replace(/^\/collections\/[^/]+/, '/collections/{name}') ?? path;
    return tracer().startActiveSpan(`qdrant ${method} ${route}`, { kind: SpanKind.CLIENT }, async (span) => {
      try {
        return await this.breaker.execute(call);
      } catch (error) {
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.message : String(error),
        });
        throw error;
      } finally {
        span.end();
      }
    });
  }

  private send(method: string, path: string, payload: SendPayload & { binary: true }): Promise<Buffer>;
  private send(method: string, path: string, payload: SendPayload): Promise<string>;
  private async send(method: string, path: string, payload: SendPayload): Promise<string | Buffer> {
    const headers: Record<string, string> = {
      accept: payload.binary === true ? 'application/octet-stream' : 'application/json',
    };
    propagation.inject(context.active(), headers);
    headers['traceparent'] ??= traceparent();
    // A FormData body sets its own content type, with the multipart boundary.
    if (payload.json !== undefined) headers['content-type'] = 'application/json';
    if (this.options.apiKey !== undefined) headers['api-key'] = this.options.apiKey;
    const timeoutMs = payload.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_QDRANT_TIMEOUT_MS;
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    let text: string;
    let bytes: Buffer | undefined;
    try {
      ({ response, text, bytes } = await withDeadlineSignal(timeoutMs, async (signal) => {
        const answer = await doFetch(`${this.base}${path}`, {
          method,
          headers,
          body: payload.json !== undefined ? JSON.stringify(payload.json) : payload.form,
          signal,
        });
        if (payload.binary === true && answer.ok) {
          return { response: answer, text: '', bytes: Buffer.from(await answer.arrayBuffer()) };
        }
        return { response: answer, text: await answer.text(), bytes: undefined };
      }));
    } catch (error) {
      const timedOut =
        error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new ShannonError(
        'VECTOR_BACKEND_FAILED',
        timedOut
          ? `Qdrant ${method} ${path}: no answer within ${timeoutMs} ms`
          : `Qdrant ${method} ${path}: unreachable`,
        { cause: error, details: { infrastructure: true, timeout: timedOut } },
      );
    }
    if (!response.ok) {
      let detail = text.slice(0, 300);
      try {
        const parsed = JSON.parse(text) as { status?: { error?: string } };
        detail = parsed.status?.error ?? detail;
      } catch {
        // keep the raw text
      }
      // 429 is strict mode's read or write rate limit (Qdrant ≥ 1.13, with Retry-After): Qdrant is
      // healthy and asks for less, so the breaker does not count it (isBackendBusy).
      if (response.status === 429) {
        const delay = retryAfterMs(response.headers.get('retry-after'));
        throw new ShannonError('VECTOR_BACKEND_BUSY', `Qdrant ${method} ${path} answered 429: ${detail}`, {
          details: { status: 429, ...(delay === undefined ? {} : { retryAfterMs: delay }) },
        });
      }
      throw new ShannonError(
        'VECTOR_BACKEND_FAILED',
        `Qdrant ${method} ${path} answered ${response.status}: ${detail}`,
        { details: { status: response.status, infrastructure: response.status >= 500 } },
      );
    }
    return bytes ?? text;
  }

  private parse<T>(method: string, path: string, text: string): T {
    try {
      return (text === '' ? {} : JSON.parse(text)) as T;
    } catch (error) {
      throw new ShannonError('VECTOR_BACKEND_FAILED', `Qdrant ${method} ${path}: answer is not JSON`, {
        cause: error,
        details: { status: 200, infrastructure: true },
      });
    }
  }
}
