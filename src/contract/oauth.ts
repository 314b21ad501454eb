import { Type, type Static } from 'typebox';

/** RFC 7662 §2.1 and RFC 7009 §2.1: the token, and a hint Keyward may ignore (it knows every kind). */
export const OAuthTokenForm = Type.Object(
  {
    token: Type.String({ maxLength: 8192, description: 'The token to introspect or revoke.' }),
    token_type_hint: Type.Optional(Type.String({ maxLength: 64, description: 'Ignored: Keyward recognizes its tokens itself.' })),
  },
  // RFC 7662 §2.1: the server ignores parameters it does not understand.
  { additionalProperties: true },
);
export type OAuthTokenForm = Static<typeof OAuthTokenForm>;

/** RFC 7662 §2.2. An inactive, foreign or unknown token answers exactly `{"active": false}`. */
export const IntrospectionSchema = Type.Object({
  active: Type.Boolean(),
  scope: Type.Optional(Type.String({ description: "The token's effective scopes, space-separated." })),
  client_id: Type.Optional(Type.String({ description: 'The token id (tok_…): the client the token identifies.' })),
  sub: Type.Optional(Type.String({ description: "The token's owner (usr_…)." })),
  exp: Type.Optional(Type.Integer({ description: 'Expiry (or the end of a rotation grace), seconds since the epoch; absent for tokens that do not expire.' })),
  iat: Type.Optional(Type.Integer({ description: 'Creation, seconds since the epoch.' })),
  token_type: Type.Optional(Type.Literal('Bearer')),
  iss: Type.Optional(Type.String({ description: "Keyward's public URL." })),
});
export type Introspection = Static<typeof IntrospectionSchema>;
