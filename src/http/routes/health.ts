import { HealthSchema, ReadinessSchema } from '../../contract/index.js';
import { readiness } from '../../services/health.js';
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
      responses: { 200: success('Ready to serve.', ReadinessSchema), 503: success('The database does not answer.', ReadinessSchema) },
    }),
    async (_request, reply) => {
      const { ready, invalidation, counters } = await readiness(ctx);
      return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', invalidation, counters });
    },
  );
};

export default health;
