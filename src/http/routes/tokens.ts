import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { TOKEN_KINDS } from '../../core/policy.js';
import { MAX_GRACE_PERIOD_SECONDS, rotateToken } from '../../services/token-rotation.js';
import {
  createToken,
  disableToken,
  enableToken,
  getToken,
  listTokens,
  renameToken,
  revokeToken,
  type TokenRequest,
} from '../../services/tokens.js';
import { managementSecurity, OrgParams, Page, PageQuery, problemResponses } from '../schemas/common.js';
import { TokenWithSecretSchema } from '../schemas/token.js';
import type { RoutePlugin } from './index.js';

const TokenKind = Type.Union(TOKEN_KINDS.map((k) => Type.Literal(k)));
const TOKEN_STATUSES = ['active', 'expired', 'revoked', 'disabled'] as const;

/** The fields of every token-minting body (create, impersonation create). */
export const NewTokenFields = {
  name: Type.String({ minLength: 1, maxLength: 400, description: '1–100 characters once trimmed.' }),
  description: Type.Optional(Type.Union([Type.String({ maxLength: 4000 }), Type.Null()])),
  scopes: Type.Array(Type.String({ maxLength: 200 }), { minItems: 1, maxItems: 100, uniqueItems: true }),
  expires_in_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 36_500, description: 'One of the org\'s presets.' })),
  expires_at: Type.Optional(Type.String({ format: 'date-time', description: 'A custom expiry (ISO 8601).' })),
  kind: Type.Optional(TokenKind),
  ip_allowlist: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 100 })),
};

const NewTokenSchema = Type.Object(NewTokenFields);

/** The wire body of a minting request as the tokens service takes it. */
export function tokenRequestFrom(body: Static<typeof NewTokenSchema>): TokenRequest {
  return {
    name: body.name,
    description: body.description,
    scopes: body.scopes,
    expiresInDays: body.expires_in_days,
    expiresAt: body.expires_at,
    kind: body.kind,
    ipAllowlist: body.ip_allowlist,
  };
}

const CreateTokenBody = Type.Object(
  {
    ...NewTokenFields,
    owner_id: Type.Optional(Type.String({ maxLength: 64, description: 'A service account of this org (needs tokens.manage).' })),
  },
  { additionalProperties: false },
);

const RenameTokenBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 400 })),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 4000 }), Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);

const RotateTokenBody = Type.Object(
  {
    grace_period_seconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: MAX_GRACE_PERIOD_SECONDS,
        default: 0,
        description: 'How long the old token keeps working (0 = revoke it now).',
      }),
    ),
  },
  { additionalProperties: false },
);

const ListTokensQuery = Type.Object({
  owner: Type.Optional(Type.String({ maxLength: 64, default: 'me', description: '`me`, `all` or a user id.' })),
  status: Type.Optional(Type.Union(TOKEN_STATUSES.map((s) => Type.Literal(s)))),
  kind: Type.Optional(TokenKind),
  q: Type.Optional(Type.String({ maxLength: 100, description: 'A part of the name.' })),
  expiring: Type.Optional(Type.Boolean({ description: 'Only active tokens inside the warning window.' })),
  ...PageQuery,
});

const TokenParams = Type.Object({ org: OrgParams.properties.org, id: Type.String({ maxLength: 64, description: 'tok_…' }) });

const responses = { ...problemResponses, 409: Type.Ref('Problem') };

/** Lets a client send no body at all where every field is optional (a bare `POST …/rotate`). */
export async function defaultEmptyBody(request: FastifyRequest): Promise<void> {
  request.body ??= {};
}

const tokens: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/orgs/:org/tokens',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['tokens'],
        summary: 'Create a token; the secret is in this response only',
        security: managementSecurity,
        params: OrgParams,
        body: CreateTokenBody,
        response: { 201: TokenWithSecretSchema, ...responses },
      },
    },
    async (request, reply) => {
      const issued = await createToken(ctx, request.caller, request.params.org, {
        ...tokenRequestFrom(request.body),
        ownerId: request.body.owner_id,
      });
      return reply.status(201).send(issued);
    },
  );

  app.get(
    '/orgs/:org/tokens',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['tokens'],
        summary: 'List tokens (metadata only)',
        security: managementSecurity,
        params: OrgParams,
        querystring: ListTokensQuery,
        response: { 200: Page(Type.Ref('Token')), ...responses },
      },
    },
    async (request) => {
      const { owner, status, kind, q, expiring, limit, cursor } = request.query;
      const page = await listTokens(ctx, request.caller, request.params.org, {
        owner: owner ?? 'me',
        status,
        kind,
        q,
        expiring,
        limit: limit ?? 50,
        cursor,
      });
      return { data: page.data, next_cursor: page.nextCursor };
    },
  );

  app.get(
    '/orgs/:org/tokens/:id',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['tokens'],
        summary: 'One token (metadata only)',
        security: managementSecurity,
        params: TokenParams,
        response: { 200: Type.Ref('Token'), ...responses },
      },
    },
    async (request) => {
      return getToken(ctx, request.caller, request.params.org, request.params.id);
    },
  );

  app.patch(
    '/orgs/:org/tokens/:id',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['tokens'],
        summary: 'Rename a token or edit its description',
        description: 'Scopes, owner and expiry are immutable: rotate or create anew to change them.',
        security: managementSecurity,
        params: TokenParams,
        body: RenameTokenBody,
        response: { 200: Type.Ref('Token'), ...responses },
      },
    },
    async (request) => {
      return renameToken(ctx, request.caller, request.params.org, request.params.id, request.body);
    },
  );

  const transitions = [
    { path: 'revoke', summary: 'Revoke a token: immediate and permanent', use: revokeToken },
    { path: 'disable', summary: 'Suspend a token (reversible)', use: disableToken },
    { path: 'enable', summary: 'Re-enable a disabled token that has not expired', use: enableToken },
  ] as const;
  for (const { path, summary, use } of transitions) {
    app.post(
      `/orgs/:org/tokens/:id/${path}`,
      {
        config: { auth: 'caller' },
        schema: {
          tags: ['tokens'],
          summary,
          security: managementSecurity,
          params: TokenParams,
          response: { 200: Type.Ref('Token'), ...responses },
        },
      },
      async (request) => {
        return use(ctx, request.caller, request.params.org, request.params.id);
      },
    );
  }

  app.post(
    '/orgs/:org/tokens/:id/rotate',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['tokens'],
        summary: 'Rotate a token: a successor with the same name, scopes, kind and owner',
        description: 'The old token keeps working for the grace period (0 to 7 days), then is revoked.',
        security: managementSecurity,
        params: TokenParams,
        body: RotateTokenBody,
        response: { 201: TokenWithSecretSchema, ...responses },
      },
      preValidation: defaultEmptyBody,
    },
    async (request, reply) => {
      const grace = request.body.grace_period_seconds ?? 0;
      return reply.status(201).send(await rotateToken(ctx, request.caller, request.params.org, request.params.id, grace));
    },
  );
};

export default tokens;
