import { JwksSchema } from '../../contract/index.js';
import { operation } from '../operation.js';
import { success } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';

const jwks: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/.well-known/jwks.json',
    operation({
      id: 'getJwks',
      tag: 'verify',
      summary: "Keyward's public JWT signing keys (JWKS), current and still-valid rotated ones",
      auth: 'public',
      responses: { 200: success('The public keys; cache for up to 5 minutes.', JwksSchema) },
    }),
    async (_request, reply) => {
      // Short enough that a rotated-in key is picked up soon by verifiers that cache it.
      reply.header('cache-control', 'public, max-age=300');
      return ctx.jwtKeys.jwks();
    },
  );
};

export default jwks;
