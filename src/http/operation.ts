import type { TSchema } from 'typebox';
import type { RouteGuard } from './authorize.js';
import { problems, type ProblemStatus } from './responses.js';

/**
 * Who a route lets in, declared as `config: { auth }`. `caller`: a session or a token, read by the
 * handler as `request.caller`. `verifier`: a verifier credential. `public`: anyone.
 */
export type RouteAuth = 'caller' | 'verifier' | 'public';

export const TAGS = {
  session: 'Signing in and out, and who the caller is.',
  setup: 'First-run setup of a new deployment.',
  orgs: 'Organizations: plan, features, token policy and scope catalog.',
  members: 'Members of an organization and their roles.',
  roles: 'Built-in and custom roles.',
  'service accounts': 'Non-human members that own tokens for automations.',
  tokens: 'Creating, listing, rotating, disabling and revoking tokens.',
  usage: 'Verifications counted per token and per organization, by hour or day and by outcome.',
  audit: 'The audit logs and their exports.',
  webhooks: 'Signed webhooks (Standard Webhooks) for token events, and their delivery log.',
  users: 'People of the deployment (site admins).',
  verify: 'Verifying tokens for resource servers, verifier credentials and the JWKS.',
  gateway: 'Forward auth for API gateways: nginx, Caddy, Traefik, Envoy.',
  health: 'Liveness and readiness probes.',
} as const;

export type Tag = keyof typeof TAGS;

/** The security requirements the document shows for each kind of route. */
const SECURITY: Record<RouteAuth, Record<string, string[]>[]> = {
  caller: [{ bearerAuth: [] }, { apiKeyHeader: [] }, { sessionCookie: [] }],
  verifier: [{ verifierAuth: [] }],
  public: [],
};

/** The errors every route of a kind may answer, beyond those a route adds. */
const BASE_PROBLEMS: Record<RouteAuth, ProblemStatus[]> = {
  // 429: an address that failed to authenticate too often is refused before its credential is read.
  caller: [400, 401, 403, 404, 429, 500],
  verifier: [400, 401, 429, 500],
  public: [400, 500],
};

type Spec<P, Q, B, R> = {
  /** The operationId: a verb and a noun, unique in the document. */
  id: string;
  tag: Tag;
  summary: string;
  description?: string;
  /** Default `caller`: a route is public only on purpose. */
  auth?: RouteAuth;
  /**
   * What the caller needs whatever the body (`authorize.ts`): checked before the body and query
   * are validated, so a caller who may not use the route gets 403 (or 404), never the schema's 400.
   */
  authorize?: RouteGuard;
  /** Narrows the documented credentials (only a token rotates itself, only a session signs out). */
  security?: Record<string, string[]>[];
  params?: P;
  querystring?: Q;
  body?: B;
  /** The success responses, made with `success()`. */
  responses: R;
  /** Errors this route answers beyond its kind's usual ones. */
  problems?: ProblemStatus[];
  /** A route whose answer must not be sent for HEAD (an export that audits itself). */
  noHead?: boolean;
};

/**
 * One route's options from what differs between routes: its schema is the validation, the types
 * of the handler and the OpenAPI operation at once.
 */
export function operation<
  P extends TSchema | undefined = undefined,
  Q extends TSchema | undefined = undefined,
  B extends TSchema | undefined = undefined,
  R extends Record<number, unknown> = Record<number, unknown>,
>(spec: Spec<P, Q, B, R>) {
  const auth = spec.auth ?? 'caller';
  const statuses = new Set<ProblemStatus>([...BASE_PROBLEMS[auth], ...(spec.problems ?? [])]);
  if (spec.body) for (const status of [413, 415] as const) statuses.add(status);
  const schema = {
    operationId: spec.id,
    tags: [spec.tag],
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    security: spec.security ?? SECURITY[auth],
    // Absent parts stay absent: Fastify warns about a part declared as undefined.
    ...(spec.params ? { params: spec.params } : {}),
    ...(spec.querystring ? { querystring: spec.querystring } : {}),
    ...(spec.body ? { body: spec.body } : {}),
    response: { ...spec.responses, ...problems([...statuses].sort()) },
  };
  return {
    ...(spec.noHead ? { exposeHeadRoute: false } : {}),
    config: { auth, ...(spec.authorize ? { authorize: spec.authorize } : {}) },
    // Typed as declared, so the handler's request is typed from the parts given.
    schema: schema as Omit<typeof schema, 'response'> & { params: P; querystring: Q; body: B; response: R },
  };
}

/** A route resource servers or gateways call on every request of theirs: its answers are logged as a summary. */
export function summarized<T extends { config: { auth: RouteAuth } }>(options: T): T & { config: T['config'] & { summarizeLog: true } } {
  return { ...options, config: { ...options.config, summarizeLog: true } };
}
