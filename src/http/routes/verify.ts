import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { readCredential } from '../../core/credentials.js';
import { InvalidRequest, InvalidToken, Unauthenticated } from '../../core/errors.js';
import { effectiveEnd } from '../../core/token-status.js';
import type { ServiceContext } from '../../services/context.js';
import { statusFieldsOf } from '../../services/token-view.js';
import type { VerifyCode, VerifyResult } from '../../services/verification.js';
import { authenticateVerifier, verifyPresentedToken } from '../../services/verifiers.js';
import type { VerifierRow } from '../../store/schema.js';
import { requestMeta } from '../auth.js';
import { iso, NullableTimestamp } from '../schemas/common.js';
import type { RoutePlugin } from './index.js';

const CODES: VerifyCode[] = [
  'VALID',
  'MALFORMED',
  'NOT_FOUND',
  'EXPIRED',
  'REVOKED',
  'DISABLED',
  'INSUFFICIENT_SCOPE',
  'IP_NOT_ALLOWED',
  'RATE_LIMITED',
];

const VerifyBody = Type.Object(
  {
    token: Type.String({ maxLength: 8192, description: 'The token the client presented.' }),
    scopes: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
        maxItems: 100,
        description: 'Scopes the request needs; all must be held.',
      }),
    ),
    ip: Type.Optional(
      Type.String({
        maxLength: 64,
        description: "The client's address as the resource server saw it. A token with an IP allowlist fails without it.",
      }),
    ),
  },
  { additionalProperties: false },
);

const VerifiedToken = Type.Object({
  id: Type.String(),
  org_id: Type.String(),
  owner: Type.Object({ type: Type.Union([Type.Literal('user'), Type.Literal('service_account')]), id: Type.String() }),
  scopes: Type.Array(Type.String(), { description: "Effective scopes: the token's ∩ what its owner and org still allow." }),
  kind: Type.Union([Type.Literal('api_key'), Type.Literal('jwt')]),
  expires_at: NullableTimestamp,
  impersonation: Type.Boolean(),
  created_by: Type.Object({ id: Type.String() }),
});

const VerifyResponse = Type.Object({
  valid: Type.Boolean(),
  code: Type.Union(CODES.map((c) => Type.Literal(c))),
  token: Type.Optional(VerifiedToken),
  missing_scopes: Type.Optional(Type.Array(Type.String())),
});

/** The verifier credential from `Authorization: Bearer`; sessions and access tokens are refused. */
async function authenticateVerifierRequest(ctx: ServiceContext, request: FastifyRequest): Promise<VerifierRow> {
  const credential = readCredential(request.raw.rawHeaders);
  switch (credential.kind) {
    case 'invalid':
      throw new InvalidRequest(credential.reason);
    case 'none':
      throw new Unauthenticated('A verifier credential is required.');
    case 'x-api-key':
      throw new InvalidToken('Present the verifier credential as Authorization: Bearer.');
    case 'bearer':
      return authenticateVerifier(ctx, credential.token);
  }
}

/**
 * The answer about a token: its facts only while it is in force (valid, or valid but short of a
 * scope), so a resource server learns nothing about tokens that no longer work.
 */
function verifyView(result: VerifyResult) {
  const inForce = result.code === 'VALID' || result.code === 'INSUFFICIENT_SCOPE';
  if (!inForce || !result.record) return { valid: result.valid, code: result.code };
  const { row, ownerType } = result.record;
  return {
    valid: result.valid,
    code: result.code,
    token: {
      id: row.id,
      org_id: row.org_id,
      owner: { type: ownerType, id: row.owner_id },
      scopes: result.effectiveScopes ?? [],
      kind: row.kind,
      // A rotated-away token in its grace period ends when the grace ends.
      expires_at: iso(effectiveEnd(statusFieldsOf(row))),
      impersonation: row.impersonation === 1,
      created_by: { id: row.created_by },
    },
    ...(result.valid ? {} : { missing_scopes: result.missingScopes ?? [] }),
  };
}

const verify: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/verify',
    {
      schema: {
        tags: ['verify'],
        summary: 'Verify a token for a resource server',
        description:
          'Authenticated by a verifier credential. Always 200 with a code: VALID, MALFORMED, NOT_FOUND, EXPIRED, ' +
          'REVOKED, DISABLED, INSUFFICIENT_SCOPE or IP_NOT_ALLOWED.',
        security: [{ verifierAuth: [] }],
        body: VerifyBody,
        response: { 200: VerifyResponse, 400: Type.Ref('Problem'), 401: Type.Ref('Problem') },
      },
    },
    async (request) => {
      await authenticateVerifierRequest(ctx, request);
      const result = await verifyPresentedToken(ctx, request.body, requestMeta(request));
      return verifyView(result);
    },
  );
};

export default verify;
