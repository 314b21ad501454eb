import { Type } from 'typebox';
import { StringEnum } from './kit.js';

export const HealthSchema = Type.Object({ status: Type.String({ description: 'ok, ready or unavailable.' }) });

export const ReadinessSchema = Type.Object({
  status: StringEnum(['ready', 'unavailable'] as const),
  invalidation: StringEnum(['local', 'live', 'degraded'] as const, {
    description: 'local: one process. live: cluster notifications arrive. degraded: they may be lost, so every verify reads the database.',
  }),
  counters: StringEnum(['local', 'live', 'degraded'] as const, {
    description:
      'Rate limits and credits. local: in this process. live: Redis answers. degraded: Redis does not, so tokens with limits are refused (RATE_LIMITED) and tokens without are unaffected; the process stays ready.',
  }),
});

/** Only public members are declared, so the serializer could not emit a private `d` even by mistake. */
export const PublicJwkSchema = Type.Object({
  kty: Type.Optional(Type.String({ description: 'OKP' })),
  crv: Type.Optional(Type.String({ description: 'Ed25519' })),
  x: Type.Optional(Type.String()),
  kid: Type.Optional(Type.String()),
  alg: Type.Optional(Type.String({ description: 'EdDSA' })),
  use: Type.Optional(Type.String({ description: 'sig' })),
});

export const JwksSchema = Type.Object({ keys: Type.Array(PublicJwkSchema) });
