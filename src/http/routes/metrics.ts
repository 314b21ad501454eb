import { Type } from 'typebox';
import { Forbidden } from '../../core/errors.js';
import { operation } from '../operation.js';
import type { RoutePlugin } from '../route-plugin.js';

/** GET /metrics: Prometheus' exposition format, for scrapers at the addresses KEYWARD_METRICS_ALLOW lists. */
const metrics: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/metrics',
    operation({
      id: 'getMetrics',
      tag: 'health',
      summary: 'Metrics in Prometheus format',
      description:
        'Verifications by code, verify-cache lookups and entries, invalidations by kind and origin, whether the caches are trusted, ' +
        'pending last-used writes, and the process. Served to the addresses in KEYWARD_METRICS_ALLOW (loopback by default); 403 elsewhere.',
      auth: 'public',
      problems: [403],
      responses: {
        200: { description: 'The metrics.', content: { 'text/plain; version=0.0.4': { schema: Type.String({ description: 'Prometheus text exposition format.' }) } } },
      },
    }),
    async (request, reply) => {
      if (!ctx.config.metricsAllowed.allows(request.socket.remoteAddress ?? '')) throw new Forbidden('Metrics are served to the addresses in KEYWARD_METRICS_ALLOW only.');
      const { contentType, body } = await ctx.metrics.render();
      return reply.type(contentType).header('cache-control', 'no-store').send(body);
    },
  );
};

export default metrics;
