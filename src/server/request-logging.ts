/**
 * Request log lines. Fastify writes "incoming request" and "request completed" at info for every
 * request; probes, scrapes and the dashboard's polls arrive every few seconds and buried the rest
 * (4,413 lines in ten minutes), so theirs are written at debug while they succeed.
 */
import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/** Paths probed and scraped constantly (load balancers, orchestrators, Prometheus). */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Whether a request is a probe, a scrape or a dashboard poll: a GET (or HEAD) of a probe path, of
 * the dashboard page and anything under `/dashboard/`, or of the read-only `/v1/admin/` views the
 * dashboard polls.
 */
export function isPolledRequest(req: FastifyRequest): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const path = req.url.split('?', 1)[0] ?? '';
  return (
    PROBE_PATHS.has(path) ||
    path === '/dashboard' ||
    path.startsWith('/dashboard/') ||
    path.startsWith('/v1/admin/')
  );
}

/**
 * Writes a polled request's two lines at debug; a polled request answered with 4xx or 5xx, or
 * ending in an error, is logged as any other (info, error), since then someone should look.
 */
export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>) {
    if (!isPolledRequest(request)) {
      super.incomingRequest(request, reply, metadata);
      return;
    }
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
    metadata?: Record<string, unknown>,
  ) {
    if (error || reply.statusCode >= 400 || !isPolledRequest(request)) {
      super.requestCompleted(error, request, reply, metadata);
      return;
    }
    reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
