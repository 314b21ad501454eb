import { Type } from 'typebox';
import { isReady } from '../../services/health.js';
import type { RoutePlugin } from './index.js';

const Health = Type.Object({ status: Type.String() });

const health: RoutePlugin = async (app, { ctx }) => {
  app.get('/healthz', { schema: { tags: ['health'], summary: 'Liveness', response: { 200: Health } } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    { schema: { tags: ['health'], summary: 'Readiness: the database answers', response: { 200: Health, 503: Health } } },
    async (_request, reply) => {
      if (await isReady(ctx)) return { status: 'ready' };
      return reply.status(503).send({ status: 'unavailable' });
    },
  );
};

export default health;
