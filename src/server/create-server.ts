/**
 * The HTTP service: a Fastify app over a data layer. It owns request handling only — the data layer
 * is built and closed by the caller (`serve`), so tests can run many apps over one database.
 */
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Principal } from '../auth/authenticator.js';
import type { Scope } from '../auth/scopes.js';
import type { LogLevel, TrustProxy } from '../config/config.js';
import type { DataLayer } from '../data-layer.js';
import { BackpressureError, ShannonError } from '../errors/errors.js';
import type { RedisGuard } from '../resilience/redis-guard.js';
import type { SessionCache } from '../sessions/session-cache.js';
import { createAuthHook } from './auth-hook.js';
import { toHttpError } from './http-errors.js';
import { checkJsonCharset, parseJsonBody } from './json-body.js';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './limits.js';
import { redisFallbackStore } from './rate-limit-store.js';
import { PROBE_PATHS, RequestLogController } from './request-logging.js';
import {
  endRequestSpan,
  type RequestTrace,
  startRequestSpan,
  withRequestContext,
} from './request-tracing.js';
import { registerRoutes } from './routes/register-routes.js';
import { ERROR_RESPONSE } from './routes/route-helpers.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    requestTrace?: RequestTrace;
    startedAt?: number;
  }
  interface FastifyContextConfig {
    /** Scope a key needs for this route; routes without one are public (health, metrics, docs). */
    scope?: Scope;
  }
}

export interface ServerOptions {
  limits?: Partial<HttpLimits>;
  /** Log requests as JSON lines (pino); default: on unless LOG_LEVEL is silent. */
  logger?: boolean;
  /**
   * Redis for the rate-limit counters; default: the data layer's. An override stays the caller's
   * to close (tests point several apps at their own clients).
   */
  redis?: RedisGuard;
  /** Session state; default: the data layer's. An override stays the caller's to close. */
  sessions?: SessionCache;
  /** Overrides LOG_LEVEL for this app. */
  logLevel?: LogLevel;
  /** Where log lines go (default stdout); tests capture them here. */
  logStream?: NodeJS.WritableStream;
  /** Whose X-Forwarded-For is believed for the client address; default `config.trustProxy`. */
  trustProxy?: TrustProxy;
}

/** A hop count trusts the nearest n proxies (what Fastify does for a number, which its types omit). */
function toFastifyTrustProxy(
  value: TrustProxy,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof value === 'number') return (_address, hop) => hop < value;
  return typeof value === 'object' ? [...value] : value;
}

/** Builds the app (not listening). `app.close()` stops it; it never closes the data layer. */
export async function createServer(
  dataLayer: DataLayer,
  options: ServerOptions = {},
): Promise<FastifyInstance> {
  const limits: HttpLimits = {
    ...DEFAULT_HTTP_LIMITS,
    ...(dataLayer.config.httpMaxInFlight === undefined
      ? {}
      : { maxInFlight: dataLayer.config.httpMaxInFlight }),
    ...options.limits,
  };
  const { config, metrics } = dataLayer;
  const redis = options.redis ?? dataLayer.redis;

  const app = Fastify({
    logger:
      (options.logger ?? config.logLevel !== 'silent')
        ? {
            level: options.logLevel ?? config.logLevel,
            redact: {
              paths: [
                'req.headers.authorization',
                'req.headers["x-api-key"]',
                'headers.authorization',
                'key',
              ],
              censor: '[redacted]',
            },
            ...(options.logStream === undefined ? {} : { stream: options.logStream }),
          }
        : false,
    // Probes, scrapes and dashboard polls log at debug (src/server/request-logging.ts).
    logController: new RequestLogController(),
    bodyLimit: limits.bodyBytes,
    // Ids in paths may be as long as idChars (the router's default cap is 100 characters).
    routerOptions: { maxParamLength: Math.max(1_024, limits.idChars * 3) },
    // A client that trickles its request is cut off instead of holding a socket for minutes.
    requestTimeout: 60_000,
    trustProxy: toFastifyTrustProxy(options.trustProxy ?? config.trustProxy),
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Router-level failures (bad URL encoding, async constraints) bypass the error handler.
    frameworkErrors: (error, _req, reply) => {
      const answer = toHttpError(error);
      (reply as unknown as FastifyReply).code(answer.status).send(answer.body);
    },
    ajv: { customOptions: { removeAdditional: false, allErrors: false, coerceTypes: false } },
  });

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, text, done) => {
    try {
      checkJsonCharset(req.headers['content-type']);
      done(null, parseJsonBody(text as string, limits.jsonDepth));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  /** `/v1` requests between their headers and the end of their response (or the client leaving). */
  let inFlight = 0;
  app.addHook('onRequest', async (req, reply) => {
    req.startedAt = performance.now();
    metrics.httpInFlight.inc();
    if (req.url.startsWith('/v1/')) {
      if (inFlight >= limits.maxInFlight) {
        metrics.httpShed.inc();
        throw new BackpressureError(
          `the service is handling ${inFlight} requests, its limit (SHANNON_HTTP_MAX_IN_FLIGHT); retry later`,
          1_000,
        );
      }
      inFlight += 1;
      // 'close' fires once however the exchange ends: answered, failed or abandoned by the client.
      reply.raw.once('close', () => {
        inFlight -= 1;
      });
    }
    // Probes and scrapes get no span: they would drown the traces of real requests.
    if (!PROBE_PATHS.has(req.url)) {
      req.requestTrace = startRequestSpan(req.method, req.headers as Record<string, unknown>);
      if (req.requestTrace.traceparent !== undefined)
        reply.header('traceparent', req.requestTrace.traceparent);
    }
    if (closing)
      throw new ShannonError('SHUTTING_DOWN', 'the service is shutting down', {
        details: { retryAfterMs: 1000 },
      });
  });
  app.addHook('onResponse', async (req, reply) => {
    metrics.httpInFlight.dec();
    const route = req.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    metrics.httpRequestDuration.observe(
      { method: req.method, route, status: String(status) },
      (performance.now() - (req.startedAt ?? performance.now())) / 1000,
    );
    if (req.requestTrace !== undefined) endRequestSpan(req.requestTrace, route, status);
  });

  app.setErrorHandler((error, req, reply) => {
    const answer = toHttpError(error);
    if (answer.status >= 500) req.log.error({ err: error, code: answer.body.error.code }, 'request failed');
    if (answer.retryAfterSeconds !== undefined) reply.header('retry-after', String(answer.retryAfterSeconds));
    reply.code(answer.status).send(answer.body);
  });
  app.setNotFoundHandler((_req, reply) => {
    reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'no such route', field: 'url' } });
  });

  await app.register(fastifyRateLimit, {
    global: false,
    // Redis counters shared by every process, counted in-process while Redis fails.
    ...(redis === undefined ? {} : { store: redisFallbackStore(redis, metrics) }),
    skipOnError: true,
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Shannon Data API',
        version: '1',
        description:
          'Ingest, queries and memory of the Shannon data layer. Authenticate with `Authorization: Bearer <key>`.',
      },
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (sdk_…).' } },
      },
    },
  });

  // Every /v1 route documents the error shape; its serializer also keeps error bodies to that shape.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/v1/')) return;
    route.schema ??= {};
    const schema = route.schema as { response?: Record<string, unknown> };
    schema.response = { '4xx': ERROR_RESPONSE, '5xx': ERROR_RESPONSE, ...schema.response };
  });

  const authenticate = createAuthHook(app, {
    authenticator: dataLayer.authenticator,
    metrics,
    authFailuresPerMinute: limits.authFailuresPerMinute,
  });
  app.addHook('onRequest', authenticate);
  // Handlers run inside the request span's context so DB and vector spans become its children.
  app.addHook('preHandler', (req, _reply, done) => withRequestContext(req.requestTrace, () => done()));

  const sessions = options.sessions ?? dataLayer.sessions;
  await registerRoutes(app, { dataLayer, limits, sessions });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
