import { HealthSchema } from '../../contract/index.js';
import { isReady } from '../../services/health.js';
import { operation } from '../operation.js';
import { success } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';

const health: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/healthz',
    operation({ id: 'getLiveness', tag: 'health', summary: 'Liveness', auth: 'public', responses: { 200: success('The process is up.', HealthSchema) } }),
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    operation({
      id: 'getReadiness',
      tag: 'health',
      summary: 'Readiness: the database answers',
      auth: 'public',
      responses: { 200: success('Ready to serve.', HealthSchema), 503: success('The database does not answer.', HealthSchema) },
    }),
    async (_request, reply) => {
      if (await isReady(ctx)) return { status: 'ready' };
      return reply.status(503).send({ status: 'unavailable' });
    },
  );
};

export default health;
