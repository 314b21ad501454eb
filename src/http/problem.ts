import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { InsufficientScope, KeywardError, RateLimited } from '../core/errors.js';

export const REALM = 'keyward';

/** The RFC 6750 challenge for an auth error, or null when the error needs none. */
export function challengeFor(error: KeywardError): string | null {
  const quote = (text: string) => text.replace(/["\\]/g, '');
  switch (error.code) {
    case 'unauthenticated':
      return `Bearer realm="${REALM}"`;
    case 'invalid_token':
      return `Bearer realm="${REALM}", error="invalid_token", error_description="${quote(error.message)}"`;
    case 'invalid_request':
      return `Bearer realm="${REALM}", error="invalid_request", error_description="${quote(error.message)}"`;
    case 'insufficient_scope':
      return `Bearer realm="${REALM}", error="insufficient_scope", scope="${(error as InsufficientScope).scope}"`;
    default:
      return null;
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
};

export type Problem = {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance?: string;
  [extra: string]: unknown;
};

export function sendProblem(reply: FastifyReply, status: number, code: string, detail: string, extra: object = {}): FastifyReply {
  const body: Problem = {
    type: `https://keyward.dev/problems/${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    instance: reply.request.url.split('?')[0],
    ...extra,
  };
  return reply.status(status).type('application/problem+json').send(body);
}

/**
 * The one place errors become responses: Keyward errors keep their code and status, Fastify's
 * own (validation, body parsing) become 400 `validation_failed`, anything else a bare 500.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | KeywardError | Error, request, reply) => {
    if (error instanceof KeywardError) {
      const challenge = challengeFor(error);
      if (challenge) reply.header('www-authenticate', challenge);
      if (error instanceof RateLimited) reply.header('retry-after', String(error.retryAfterSeconds));
      return sendProblem(reply, error.status, error.code, error.message, error.details ?? {});
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      const first = fastifyError.validation[0];
      const field = first?.instancePath ? first.instancePath.replace(/^\//, '').replace(/\//g, '.') : undefined;
      return sendProblem(reply, 400, 'validation_failed', fastifyError.message, {
        ...(field ? { field } : {}),
        errors: fastifyError.validation.map((v) => ({ path: v.instancePath, message: v.message })),
      });
    }
    const status = fastifyError.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      const code = status === 429 ? 'rate_limited' : 'validation_failed';
      return sendProblem(reply, status, code, fastifyError.message);
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, 500, 'internal_error', 'Something went wrong on our side.');
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, 404, 'not_found', `No route for ${request.method} ${request.url.split('?')[0]}.`));
}
