import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';
import type { StoredSigningKey } from '../store/key-files.js';

export type JwtClaims = {
  sub: string;
  org: string;
  scope: string;
  jti: string;
  iat: number;
  exp?: number;
  act?: { sub: string };
  /** Bound to an IP allowlist: a verifier cannot vouch for it from the signature alone. */
  ip_restricted?: true;
  /** Has rate limits or credits: counted only online, never verified offline. */
  limited?: true;
};

/**
 * Keyward's Ed25519 signing keys: the newest signs, every key still listed verifies and is
 * published in the JWKS, so a rotated key keeps its tokens valid until they expire.
 */
export class JwtKeys {
  private keys: { kid: string; createdAt: number; privateKey: KeyObject; publicKey: KeyObject; publicJwk: JWK }[] = [];

  constructor(
    stored: StoredSigningKey[],
    private readonly issuer: string,
    private readonly audience: string,
  ) {
    this.replace(stored);
  }

  /** Takes a new set of keys (a rotation here or in another process); the newest signs. */
  replace(stored: StoredSigningKey[]): void {
    if (stored.length === 0) throw new Error('at least one JWT signing key is needed');
    this.keys = stored.map((k) => ({
      kid: k.kid,
      createdAt: k.created_at,
      privateKey: createPrivateKey({ key: k.private_jwk, format: 'jwk' }),
      publicKey: createPublicKey({ key: k.public_jwk, format: 'jwk' }),
      publicJwk: { ...k.public_jwk, kid: k.kid, alg: 'EdDSA', use: 'sig' },
    }));
  }

  /** The kid of the key that signs now. */
  get current(): string {
    return this.keys[this.keys.length - 1]!.kid;
  }

  /** When the signing key was made (a new key must be later, to sign next). */
  get currentCreatedAt(): number {
    return this.keys[this.keys.length - 1]!.createdAt;
  }

  async sign(claims: JwtClaims): Promise<string> {
    const key = this.keys[this.keys.length - 1]!;
    const { iat, exp, ...rest } = claims;
    const jwt = new SignJWT({ ...rest })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setIssuedAt(iat);
    if (exp !== undefined) jwt.setExpirationTime(exp);
    return jwt.sign(key.privateKey);
  }

  /**
   * Checks a JWT's signature, type and issuer. Expiry is left to the token record (the
   * database's status decides), so an expired JWT reports EXPIRED rather than MALFORMED.
   */
  async verify(token: string): Promise<JWTPayload | null> {
    try {
      const { kid, alg, typ } = decodeProtectedHeader(token);
      const key = this.keys.find((k) => k.kid === kid);
      if (!key || alg !== 'EdDSA' || typ !== 'at+jwt') return null;
      const { payload } = await jwtVerify(token, key.publicKey, {
        algorithms: ['EdDSA'],
        typ: 'at+jwt',
        issuer: this.issuer,
        audience: this.audience,
        // Expiry is judged from the record; a huge tolerance keeps jose from rejecting it first.
        clockTolerance: 100 * 365 * 86_400,
      });
      return payload;
    } catch {
      return null;
    }
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }
}
