import type { FastifyReply, FastifyRequest } from 'fastify';
import { decide, PROBLEM_MEDIA_TYPE, type RequireTokenOptions, type TokenFacts } from './middleware.js';
import type { Verifier } from './verifier.js';

export type { RequireTokenOptions, TokenFacts } from './middleware.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by requireToken on success. */
    token?: TokenFacts;
  }
}

/**
 * A Fastify hook: on success `request.token`, otherwise a 401/403/429 problem+json answer. Use it
 * as `onRequest` (before the body is parsed and validated, so a caller without a good token learns
 * nothing of the body's schema) or as a `preHandler`.
 */
export function requireToken(verifier: Verifier, options: RequireTokenOptions = {}): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  return async function keywardToken(request: FastifyRequest, reply: FastifyReply) {
    const decision = await decide(verifier, { rawHeaders: request.raw.rawHeaders, url: request.url, ip: request.ip }, options);
    if (decision.ok) {
      request.token = decision.token;
      reply.headers(decision.headers);
      return;
    }
    const { status, headers, body } = decision.refusal;
    return reply.code(status).headers(headers).type(PROBLEM_MEDIA_TYPE).send(body);
  };
}
