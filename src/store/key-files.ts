import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Server secrets kept in the data directory, outside the database: the pepper, created once with
 * mode 0600. (JWT signing keys live in the database, sealed with a key derived from it.)
 */
export function loadOrCreatePepper(dataDir: string, fromEnv: string | null): Buffer {
  if (fromEnv) return decodePepper(fromEnv);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, 'pepper');
  if (!existsSync(path)) writeFileSync(path, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
  return decodePepper(readFileSync(path, 'utf8').trim());
}

function decodePepper(text: string): Buffer {
  const bytes = /^[0-9a-fA-F]{64,}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64url');
  if (bytes.length < 32) throw new Error('the pepper must hold at least 32 bytes (64 hex or 43 base64url characters)');
  return bytes;
}

/** An Ed25519 key as stored: private and public JWK, with its `kid`. */
export type StoredSigningKey = {
  kid: string;
  created_at: number;
  private_jwk: Record<string, string>;
  public_jwk: Record<string, string>;
};

export function newSigningKey(kid: string, nowMs: number): StoredSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    kid,
    created_at: nowMs,
    private_jwk: privateKey.export({ format: 'jwk' }) as Record<string, string>,
    public_jwk: publicKey.export({ format: 'jwk' }) as Record<string, string>,
  };
}

/**
 * A signing key given by the environment as an Ed25519 private key in PEM (PKCS#8). Its `kid` is
 * derived from the public key, so every process given the same key names it alike.
 */
export function signingKeyFromPem(pem: string, nowMs: number): StoredSigningKey {
  const privateKey = createPrivateKey(pem.replace(/\\n/g, '\n'));
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('KEYWARD_SIGNING_KEY must be an Ed25519 private key');
  const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' }) as Record<string, string>;
  const kid = `key_${createHash('sha256').update(publicJwk.x ?? '').digest('base64url').slice(0, 23)}`;
  return {
    kid,
    created_at: nowMs,
    private_jwk: privateKey.export({ format: 'jwk' }) as Record<string, string>,
    public_jwk: publicJwk,
  };
}

/**
 * Signing keys an earlier version kept in the data directory; they move into the database (sealed)
 * on the first start that finds them, so tokens they signed keep verifying.
 */
export function readSigningKeyFile(dataDir: string): StoredSigningKey[] {
  const path = join(dataDir, 'signing-keys.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as StoredSigningKey[]) : [];
}
