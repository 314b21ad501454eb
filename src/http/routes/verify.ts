import { Type, type Static } from 'typebox';
import { effectiveEnd } from '../../core/token-status.js';
import { statusFieldsOf } from '../../services/token-view.js';
import type { TokenRecord } from '../../services/token-cache.js';
import type { VerifyCode, VerifyResult } from '../../services/verification.js';
import { verifyPresentedToken } from '../../services/verifiers.js';
import { requestMeta } from '../auth.js';
import { iso } from '../../core/time.js';
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

/*
 * The answer's schemas use string enums and a type list rather than unions (`anyOf`): the same
 * document, but fast-json-stringify writes an `anyOf` by running Ajv on the value, date-time
 * regex included, on every verify.
 */
const StringEnum = <T extends string>(values: readonly T[]) => Type.Enum([...values], { type: 'string' });

const VerifiedToken = Type.Object({
  id: Type.String(),
  org_id: Type.String(),
  owner: Type.Object({ type: StringEnum(['user', 'service_account']), id: Type.String() }),
  scopes: Type.Array(Type.String(), { description: "Effective scopes: the token's ∩ what its owner and org still allow." }),
  kind: StringEnum(['api_key', 'jwt']),
  expires_at: Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'date-time' }),
  impersonation: Type.Boolean(),
  created_by: Type.Object({ id: Type.String() }),
});

const VerifyResponse = Type.Object({
  valid: Type.Boolean(),
  code: StringEnum(CODES),
  token: Type.Optional(VerifiedToken),
  missing_scopes: Type.Optional(Type.Array(Type.String())),
});

/**
 * The answer about a token: its facts only while it is in force (valid, or valid but short of a
 * scope), so a resource server learns nothing about tokens that no longer work.
 */
function verifyView(result: VerifyResult) {
  const inForce = result.code === 'VALID' || result.code === 'INSUFFICIENT_SCOPE';
  if (!inForce || !result.record) return { valid: result.valid, code: result.code };
  return {
    valid: result.valid,
    code: result.code,
    token: verifiedTokenOf(result.record, result.effectiveScopes ?? []),
    ...(result.valid ? {} : { missing_scopes: result.missingScopes ?? [] }),
  };
}

// A cached record answers the same facts on every verify (its effective scopes are remembered per
// record too): build them once per record, not per request. Serialized only, never changed.
const verifiedTokens = new WeakMap<TokenRecord, { scopes: readonly string[]; view: Static<typeof VerifiedToken> }>();

function verifiedTokenOf(record: TokenRecord, scopes: string[]): Static<typeof VerifiedToken> {
  const known = verifiedTokens.get(record);
  if (known?.scopes === scopes) return known.view;
  const { row, ownerType } = record;
  const view = {
    id: row.id,
    org_id: row.org_id,
    owner: { type: ownerType, id: row.owner_id },
    scopes,
    kind: row.kind,
    // A rotated-away token in its grace period ends when the grace ends.
    expires_at: iso(effectiveEnd(statusFieldsOf(row))),
    impersonation: row.impersonation === 1,
    created_by: { id: row.created_by },
  };
  verifiedTokens.set(record, { scopes, view });
  return view;
}

const verify: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/verify',
    {
      config: { auth: 'verifier' },
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
      const result = await verifyPresentedToken(ctx, request.body, requestMeta(request));
      return verifyView(result);
    },
  );
};

export default verify;
