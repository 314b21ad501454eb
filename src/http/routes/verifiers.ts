import { CreateVerifierBody, Page, PageQuerySchema, VerifierParams, VerifierSchema, VerifierWithSecretSchema } from '../../contract/index.js';
import { createVerifier, listVerifiers, revokeVerifier } from '../../services/verifiers.js';
import { siteAdminOnly } from '../authorize.js';
import { operation } from '../operation.js';
import { noContent, success } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';
import { noStore } from './secrets.js';

const verifiers: RoutePlugin = async (app, { ctx }) => {
  app.post(
    '/verifiers',
    operation({
      id: 'createVerifier',
      authorize: siteAdminOnly,
      tag: 'verify',
      summary: 'Create a verifier credential for a resource server (site admin)',
      description: 'The secret is returned once; Keyward keeps only its hash. It can only call verify and introspect.',
      body: CreateVerifierBody,
      responses: { 201: success('The verifier and its secret, shown once.', VerifierWithSecretSchema) },
    }),
    async (request, reply) => noStore(reply).status(201).send(await createVerifier(ctx, request.caller, request.body)),
  );

  app.get(
    '/verifiers',
    operation({
      id: 'listVerifiers',
      authorize: siteAdminOnly,
      tag: 'verify',
      summary: 'List verifier credentials, newest first (site admin)',
      querystring: PageQuerySchema,
      responses: { 200: success('A page of verifiers.', Page(VerifierSchema)) },
    }),
    async (request) => listVerifiers(ctx, request.caller, request.query),
  );

  app.delete(
    '/verifiers/:id',
    operation({
      id: 'revokeVerifier',
      authorize: siteAdminOnly,
      tag: 'verify',
      summary: 'Revoke a verifier credential (site admin)',
      params: VerifierParams,
      responses: { 204: noContent('Revoked.') },
    }),
    async (request, reply) => {
      await revokeVerifier(ctx, request.caller, request.params.id);
      return reply.status(204).send(null);
    },
  );
};

export default verifiers;
