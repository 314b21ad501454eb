import { Type } from 'typebox';
import type { RoutePlugin } from './index.js';

/** Only public members are declared, so the serializer could not emit a private `d` even by mistake. */
const PublicJwk = Type.Object({
  kty: Type.Optional(Type.String({ description: 'OKP' })),
  crv: Type.Optional(Type.String({ description: 'Ed25519' })),
  x: Type.Optional(Type.String()),
  kid: Type.Optional(Type.String()),
  alg: Type.Optional(Type.String({ description: 'EdDSA' })),
  use: Type.Optional(Type.String({ description: 'sig' })),
});

const jwks: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['verify'],
        summary: "Keyward's public JWT signing keys (JWKS), current and still-valid rotated ones",
        response: { 200: Type.Object({ keys: Type.Array(PublicJwk) }) },
      },
    },
    async (_request, reply) => {
      // Short enough that a rotated-in key is picked up soon by verifiers that cache it.
      reply.header('cache-control', 'public, max-age=300');
      return ctx.jwtKeys.jwks();
    },
  );
};

export default jwks;
