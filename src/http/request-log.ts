import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { LogController } from 'fastify';
import { destination, type DestinationStream } from 'pino';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Log this route's answers as a periodic summary rather than a line each (verify, forward auth). */
    summarizeLog?: boolean;
  }
}

/**
 * The request log: one line per request, written when it is answered (method, path without the
 * query, status, time), instead of Fastify's two (one on arrival, one on completion). Log lines
 * carry no query strings, headers or bodies, which may hold secrets.
 */
export const serializers = {
  req: (req: { method: string; url: string; id: string }) => ({ method: req.method, path: req.url.split('?')[0], id: req.id }),
  res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
};

/** How often the machine routes' answers are summed up in one line. */
const SUMMARY_MS = 10_000;

/**
 * Fastify's request logging without its line on arrival (what was asked shows in the line of the
 * answer). The routes resource servers and gateways call for every request of theirs are counted
 * instead, by route and status, and logged as one summary line every 10 s: at thousands of
 * answers a second a line each costs more than the answers. Their failures (5xx) still get a line.
 */
export class RequestLog extends LogController {
  private counts = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    } else if (request.routeOptions.config.summarizeLog && reply.statusCode < 500) {
      const key = `${request.method} ${request.routeOptions.url} ${reply.statusCode}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    } else {
      reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    }
  }

  /** Logs and resets the counts: `{"answers": {"POST /api/v1/verify 200": 123456}}`. */
  flush(log: FastifyBaseLogger): void {
    if (this.counts.size === 0) return;
    const answers = Object.fromEntries(this.counts);
    this.counts = new Map();
    log.info({ answers, window_ms: SUMMARY_MS }, 'answers summarized');
  }

  /** Summarizes every 10 s while the app runs; `stop` writes the last summary. */
  start(log: FastifyBaseLogger): void {
    this.timer = setInterval(() => this.flush(log), SUMMARY_MS);
    this.timer.unref();
  }

  stop(log: FastifyBaseLogger): void {
    if (this.timer) clearInterval(this.timer);
    this.flush(log);
  }
}

/**
 * Standard output, written in 4 KiB batches rather than one write per line: on a busy verify path
 * a system call per log line costs more than the verify. Flushed on close; a crash may lose the
 * last few lines, never more than one batch.
 */
export function bufferedStdout(): DestinationStream & { flushSync(): void } {
  return destination({ dest: 1, sync: false, minLength: 4096 });
}
