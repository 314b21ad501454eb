import type { FastifyReply } from 'fastify';

/** A response that carries a secret must never be stored by a cache or a browser (DESIGN §3). */
export function noStore<T extends FastifyReply>(reply: T): T {
  return reply.header('cache-control', 'no-store') as T;
}
