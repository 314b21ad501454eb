import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../services/context.js';
import health from './health.js';
import session from './session.js';
import me from './me.js';

export type RouteOptions = { ctx: ServiceContext };
export type RoutePlugin = FastifyPluginAsyncTypebox<RouteOptions>;

/** Every resource's routes, with the prefix they are served under. One file per resource. */
export const routes: { plugin: RoutePlugin; prefix: string }[] = [
  { plugin: health, prefix: '' },
  { plugin: session, prefix: '/api/v1' },
  { plugin: me, prefix: '/api/v1' },
];
