import { fastifySSE } from '@fastify/sse';
import { Type } from 'typebox';
import { FEED_EVENTS, FEED_HEARTBEAT_MS, type FeedMessage } from '../../contract/index.js';
import { verifierOf } from '../auth.js';
import { operation } from '../operation.js';
import type { RoutePlugin } from '../route-plugin.js';

const STREAM = {
  description: `Server-sent events: ${FEED_EVENTS.join(', ')}, each with JSON data (see the contract's Feed* schemas).`,
  content: { 'text/event-stream': { schema: Type.String() } },
};

/**
 * `GET /api/v1/revocations/stream`: what resource servers' caches must drop, as it happens. A
 * heartbeat every FEED_HEARTBEAT_MS says the feed is alive and whether this process itself is
 * hearing the cluster's changes; a client that hears nothing, or `degraded`, trusts no cache.
 */
const revocations: RoutePlugin = async (app, { ctx }) => {
  await app.register(fastifySSE, { heartbeatInterval: 0 });
  app.addHook('preClose', async () => ctx.feed.endAll());

  app.get(
    '/revocations/stream',
    {
      ...operation({
        id: 'streamRevocations',
        tag: 'verify',
        summary: 'Follow revocations as server-sent events, for resource-server caches',
        description: 'Authenticated by a verifier credential. Events carry token ids and digest prefixes, never a secret.',
        auth: 'verifier',
        responses: { 200: STREAM },
      }),
      sse: { kind: 'only', heartbeat: false },
    },
    async (request, reply) => {
      const stream = reply.sse;
      stream.keepAlive();
      const send = (message: FeedMessage): void => {
        if (stream.isConnected) stream.send({ event: message.event, data: message.data }).catch(() => stream.close());
      };
      const unsubscribe = ctx.feed.subscribe({ verifierId: verifierOf(request).id, send, end: () => stream.close() });
      const beat = setInterval(() => send({ event: 'heartbeat', data: { state: ctx.invalidate.state } }), FEED_HEARTBEAT_MS);
      stream.onClose(() => {
        clearInterval(beat);
        unsubscribe();
      });
      reply.header('cache-control', 'no-store');
      send(await ctx.feed.ready(ctx.clock.now(), FEED_HEARTBEAT_MS, ctx.invalidate.state));
    },
  );
};

export default revocations;
