import { Type } from 'typebox';
import type { VerifierRow } from '../../store/schema.js';
import { createVerifier, listVerifiers, revokeVerifier } from '../../services/verifiers.js';
import { iso, isoRequired } from '../../core/time.js';
import { managementSecurity, NullableTimestamp, Page, PageQuery, problemResponses, Timestamp } from '../schemas/common.js';
import type { RoutePlugin } from './index.js';

const VerifierSchema = Type.Object({
  id: Type.String({ description: 'vrf_…' }),
  name: Type.String(),
  hint: Type.String({ description: 'The first and last characters of the secret, e.g. kwv_AbC1…x9Qz.' }),
  created_at: Timestamp,
  last_used_at: NullableTimestamp,
  revoked_at: NullableTimestamp,
});

const CreateVerifierBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200, description: 'Which resource server uses it.' }) },
  { additionalProperties: false },
);

const VerifierParams = Type.Object({ id: Type.String({ maxLength: 64, description: 'The verifier id (vrf_…).' }) });

function verifierView(row: VerifierRow) {
  return {
    id: row.id,
    name: row.name,
    hint: row.hint,
    created_at: isoRequired(row.created_at),
    last_used_at: iso(row.last_used_at),
    revoked_at: iso(row.revoked_at),
  };
}

const verifiers: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/verifiers',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['verify'],
        summary: 'Create a verifier credential for a resource server (site admin)',
        description: 'The secret is returned once; Keyward keeps only its hash. It can only call verify and introspect.',
        security: managementSecurity,
        body: CreateVerifierBody,
        response: {
          201: Type.Object({ verifier: VerifierSchema, secret: Type.String({ description: 'Shown once.' }) }),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const { verifier, secret } = await createVerifier(ctx, request.caller, request.body);
      return reply.status(201).send({ verifier: verifierView(verifier), secret });
    },
  );

  app.get(
    '/verifiers',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['verify'],
        summary: 'List verifier credentials, newest first (site admin)',
        security: managementSecurity,
        querystring: Type.Object(PageQuery),
        response: { 200: Page(VerifierSchema), ...problemResponses },
      },
    },
    async (request) => {
      const page = await listVerifiers(ctx, request.caller, { cursor: request.query.cursor, limit: request.query.limit ?? 50 });
      return { data: page.items.map(verifierView), next_cursor: page.nextCursor };
    },
  );

  app.delete(
    '/verifiers/:id',
    {
      config: { auth: 'caller' },
      schema: {
        tags: ['verify'],
        summary: 'Revoke a verifier credential (site admin)',
        security: managementSecurity,
        params: VerifierParams,
        response: { 204: Type.Null(), ...problemResponses },
      },
    },
    async (request, reply) => {
      await revokeVerifier(ctx, request.caller, request.params.id);
      return reply.status(204).send(null);
    },
  );
};

export default verifiers;
