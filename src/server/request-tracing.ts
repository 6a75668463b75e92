/**
 * OpenTelemetry for requests: a SERVER span per request whose parent is the caller's W3C
 * `traceparent`. With an SDK registered its propagator extracts the context; without one (the API
 * is a no-op then) we still parse `traceparent` ourselves, so the trace id reaches logs, the
 * `traceparent` response header and downstream calls made inside the span's context.
 */
import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  TraceFlags,
  trace,
} from '@opentelemetry/api';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const TRACER_NAME = 'shannon-data.http';

const headerGetter: TextMapGetter<Record<string, unknown>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    return typeof value === 'string' || Array.isArray(value) ? (value as string | string[]) : undefined;
  },
};

/** The parent context of a request, from its headers. */
export function extractParent(headers: Record<string, unknown>): Context {
  const extracted = propagation.extract(ROOT_CONTEXT, headers, headerGetter);
  if (trace.getSpanContext(extracted) !== undefined) return extracted;
  const raw = headers['traceparent'];
  if (typeof raw !== 'string') return ROOT_CONTEXT;
  const match = TRACEPARENT.exec(raw.trim().toLowerCase());
  if (match === null || /^0+$/.test(match[1]!) || /^0+$/.test(match[2]!)) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: Number.parseInt(match[3]!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  });
}

export interface RequestTrace {
  method: string;
  span: Span;
  context: Context;
  /** `traceparent` value for the response (trace id of the request, span id of our span or the caller's). */
  traceparent: string | undefined;
  traceId: string | undefined;
}

/** Starts the request span (name `HTTP <method>`; the route is set when known). */
export function startRequestSpan(method: string, headers: Record<string, unknown>): RequestTrace {
  const parent = extractParent(headers);
  const span = trace
    .getTracer(TRACER_NAME)
    .startSpan(
      `HTTP ${method}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': method } },
      parent,
    );
  const ctx = trace.setSpan(parent, span);
  const sc = span.spanContext();
  const valid = trace.isSpanContextValid(sc);
  return {
    method,
    span,
    context: ctx,
    traceId: valid ? sc.traceId : undefined,
    traceparent: valid ? `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & TraceFlags.SAMPLED}` : undefined,
  };
}

/** Ends the request span with route and status. */
export function endRequestSpan(t: RequestTrace, route: string, status: number): void {
  t.span.updateName(`${t.method} ${route}`);
  t.span.setAttribute('http.route', route);
  t.span.setAttribute('http.response.status_code', status);
  if (status >= 500) t.span.setStatus({ code: SpanStatusCode.ERROR });
  t.span.end();
}

/** Runs `fn` with the request's context active, so spans started inside are its children. */
export function withRequestContext<T>(t: RequestTrace | undefined, fn: () => T): T {
  return t === undefined ? fn() : context.with(t.context, fn);
}
