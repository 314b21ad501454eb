import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { Problem } from '../contract/index.js';
import { ERROR_STATUS, InsufficientScope, KeywardError, RateLimited, ServiceUnavailable, UsageExceeded, type ErrorCode } from '../core/errors.js';
import { setRateLimitHeaders } from './rate-limit-headers.js';
import { PROBLEM_MEDIA_TYPE } from './responses.js';
import { describeValidationError, type SchemaError } from './validation-messages.js';

export const REALM = 'keyward';

/** The RFC 6750 challenge for an auth error, or null when the error needs none. */
export function challengeFor(error: KeywardError): string | null {
  const quote = (text: string) => text.replace(/["\\]/g, '');
  switch (error.code) {
    case 'unauthenticated':
      return `Bearer realm="${REALM}"`;
    case 'invalid_token':
      return `Bearer realm="${REALM}", error="invalid_token", error_description="${quote(error.message)}"`;
    case 'invalid_client':
      return `Basic realm="${REALM}"`;
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
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function sendProblem(reply: FastifyReply, code: ErrorCode, detail: string, extra: object = {}): FastifyReply {
  const status = ERROR_STATUS[code];
  const body: Problem = {
    type: `https://keyward.dev/problems/${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    instance: reply.request.url.split('?')[0],
    ...extra,
  };
  return reply.status(status).type(PROBLEM_MEDIA_TYPE).send(body);
}

/** Fastify's own client errors (body parsing, limits) under Keyward's codes. */
const FRAMEWORK_CODES: Record<number, ErrorCode> = {
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/**
 * The one place errors become responses: Keyward errors keep their code and status, schema
 * validation becomes 400 `validation_failed` with a sentence naming the field, Fastify's other
 * client errors their own codes, anything else a bare 500.
 */
export function registerErrorHandling(app: FastifyInstance, allowedMethods: (path: string) => string[]): void {
  app.setErrorHandler((error: FastifyError | KeywardError | Error, request, reply) => {
    if (error instanceof KeywardError) {
      const challenge = challengeFor(error);
      if (challenge) reply.header('www-authenticate', challenge);
      if (error instanceof RateLimited || error instanceof ServiceUnavailable || error instanceof UsageExceeded) {
        if (error.retryAfterSeconds !== null) reply.header('retry-after', String(error.retryAfterSeconds));
      }
      if (error instanceof RateLimited || error instanceof UsageExceeded) setRateLimitHeaders(reply, error.limits);
      return sendProblem(reply, error.code, error.message, error.details ?? {});
    }
    const fastifyError = error as FastifyError;
    if (fastifyError.validation) {
      const first = fastifyError.validation[0] as SchemaError | undefined;
      const described = first ? describeValidationError(first, fastifyError.validationContext ?? 'body') : null;
      return sendProblem(reply, 'validation_failed', described?.message ?? 'The request is not valid.', {
        ...(described?.field ? { field: described.field } : {}),
        errors: fastifyError.validation.map((v) => ({ path: v.instancePath, message: v.message })),
      });
    }
    const status = fastifyError.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return sendProblem(reply, FRAMEWORK_CODES[status] ?? 'validation_failed', fastifyError.message);
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendProblem(reply, 'internal_error', 'Something went wrong on our side.');
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const allowed = allowedMethods(path);
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(reply, 'method_not_allowed', `${request.method} is not allowed here; use ${allowed.join(' or ')}.`);
    }
    return sendProblem(reply, 'not_found', `No route for ${request.method} ${path}.`);
  });
}
