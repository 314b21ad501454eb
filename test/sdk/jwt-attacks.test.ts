import { createVerifier, type Verifier } from '@keyward/sdk';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { CompactSign } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startKeyward, within, type Keyward } from './keyward.js';

/**
 * The SDK verifies JWTs offline (DESIGN §4), so the attacks of test/security/jwt.test.ts are tried
 * on it too: a revoked JWT re-encoded, so that its string (and digest) differs but its signature
 * still checks, stays refused; a token naming its own key is not trusted; no other algorithm passes.
 */
let k: Keyward;
let verifier: Verifier;
beforeAll(async () => {
  k = await startKeyward();
});
afterAll(async () => {
  await k?.close();
});
afterEach(() => verifier?.close());

async function connected(): Promise<Verifier> {
  verifier = createVerifier({ url: k.url, verifierSecret: k.verifier.secret, issuer: 'http://keyward.test' });
  await within(2000, () => verifier.feedLive);
  return verifier;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The same 64 signature bytes, written with other values in the 4 unused bits of the last character. */
function reencoded(jwt: string): string[] {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const last = ALPHABET.indexOf(signature.at(-1)!);
  return Array.from({ length: 15 }, (_, i) => ALPHABET[(last & ~0xf) | ((last + 1 + i) & 0xf)]!).map((c) => `${header}.${payload}.${signature.slice(0, -1)}${c}`);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const sign = (header: object, payload: object, key: KeyObject) => new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header as never).sign(key);

describe('the SDK under JWT attacks', () => {
  it('refuses a JWT revoked while connected in every re-encoding of its signature', async () => {
    const v = await connected();
    const { id, secret } = await k.token({ kind: 'jwt' });
    expect((await v.verify(secret)).code).toBe('VALID');
    // The same signature bytes spelled otherwise is not the token Keyward issued: asked online, as Keyward answers.
    for (const variant of reencoded(secret).slice(0, 3)) expect((await v.verify(variant)).code).toBe('NOT_FOUND');
    await k.revoke(id);
    await within(1000, async () => (await v.verify(secret)).code === 'REVOKED');
    for (const variant of reencoded(secret)) {
      expect(Buffer.from(variant.split('.')[2]!, 'base64url').equals(Buffer.from(secret.split('.')[2]!, 'base64url'))).toBe(true);
      expect((await v.verify(variant)).valid, variant).toBe(false);
    }
  });

  it('refuses a JWT revoked before it connected in every re-encoding', async () => {
    const { id, secret } = await k.token({ kind: 'jwt' });
    await k.revoke(id);
    const v = await connected();
    for (const variant of [secret, ...reencoded(secret)]) expect((await v.verify(variant)).valid, variant).toBe(false);
  });

  it('trusts no key a token names, and no algorithm but EdDSA', async () => {
    const v = await connected();
    const { secret } = await k.token({ kind: 'jwt' });
    const [header, payload] = secret.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { kid: string };
    const attacker = generateKeyPairSync('ed25519');
    const jwk = attacker.publicKey.export({ format: 'jwk' });
    const forgeries = [
      `${b64({ alg: 'none', typ: 'at+jwt', kid })}.${payload}.`,
      await sign({ alg: 'EdDSA', typ: 'at+jwt', kid, jwk }, claims, attacker.privateKey),
      await sign({ alg: 'EdDSA', typ: 'at+jwt', kid: 'attacker', jku: `${k.url}/attacker-jwks.json` }, claims, attacker.privateKey),
      await sign({ alg: 'HS256', typ: 'at+jwt', kid }, claims, new TextEncoder().encode(String(jwk.x)) as never),
      `${header}.${b64({ ...claims, scope: 'devices:read devices:write billing:read' })}.${secret.split('.')[2]}`,
    ];
    for (const forged of forgeries) {
      const answer = await v.verify(forged);
      expect(answer.valid, forged.slice(0, 80)).toBe(false);
    }
  });
});
