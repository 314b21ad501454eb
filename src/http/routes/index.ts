import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../../services/context.js';
import health from './health.js';
import session from './session.js';
import me from './me.js';
import orgs from './orgs.js';
import scopes from './scopes.js';
import members from './members.js';
import roles from './roles.js';
import serviceAccounts from './service-accounts.js';
import users from './users.js';
import setup from './setup.js';
import tokens from './tokens.js';
import memberTokens from './member-tokens.js';
import selfTokens from './self-tokens.js';
import verifiers from './verifiers.js';
import verify from './verify.js';
import jwks from './jwks.js';
import auditEvents from './audit-events.js';
import portal from './portal.js';

export type RouteOptions = { ctx: ServiceContext };
export type RoutePlugin = FastifyPluginAsyncTypebox<RouteOptions>;

/** Every resource's routes, with the prefix they are served under. One file per resource. */
export const routes: { plugin: RoutePlugin; prefix: string }[] = [
  { plugin: health, prefix: '' },
  { plugin: session, prefix: '/api/v1' },
  { plugin: me, prefix: '/api/v1' },
  { plugin: orgs, prefix: '/api/v1' },
  { plugin: scopes, prefix: '/api/v1' },
  { plugin: members, prefix: '/api/v1' },
  { plugin: roles, prefix: '/api/v1' },
  { plugin: serviceAccounts, prefix: '/api/v1' },
  { plugin: users, prefix: '/api/v1' },
  { plugin: setup, prefix: '/api/v1' },
  { plugin: tokens, prefix: '/api/v1' },
  { plugin: memberTokens, prefix: '/api/v1' },
  { plugin: selfTokens, prefix: '/api/v1' },
  { plugin: verifiers, prefix: '/api/v1' },
  { plugin: verify, prefix: '/api/v1' },
  { plugin: jwks, prefix: '' },
  { plugin: auditEvents, prefix: '/api/v1' },
  { plugin: portal, prefix: '' },
];
