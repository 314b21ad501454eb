import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { destination, type DestinationStream } from 'pino';

/**
 * The request log: one line per request, written when it is answered (method, path without the
 * query, status, time), instead of Fastify's two (one on arrival, one on completion). Log lines
 * carry no query strings, headers or bodies, which may hold secrets.
 */
export const serializers = {
  req: (req: { method: string; url: string; id: string }) => ({ method: req.method, path: req.url.split('?')[0], id: req.id }),
  res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
};

/** Fastify's request logging without its line on arrival: what was asked shows in the line of the answer. */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

/**
 * Standard output, written in 4 KiB batches rather than one write per line: on a busy verify path
 * a system call per log line costs more than the verify. Flushed on close (`flushLog`); a crash
 * may lose the last few lines, never more than one batch.
 */
export function bufferedStdout(): DestinationStream & { flushSync(): void } {
  return destination({ dest: 1, sync: false, minLength: 4096 });
}
