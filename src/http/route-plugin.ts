import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../services/context.js';

/** What every route module receives: the services' context. */
export type RouteOptions = { ctx: ServiceContext };

/** A route module: one resource's routes, registered as one Fastify plugin. */
export type RoutePlugin = FastifyPluginAsyncTypebox<RouteOptions>;
