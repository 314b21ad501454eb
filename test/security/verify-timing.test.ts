import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksumOf, generateApiKey, RANDOM_LENGTH } from '../../src/core/token-format.js';
import { makeToken, makeVerifier, seedOrg } from '../factories.js';
import { startTestApp, type TestApp } from '../harness.js';

/**
 * The response times of POST /api/v1/verify by kind of token presented, measured in-process over
 * many interleaved samples (so drift in the machine's load falls on every kind alike) and compared
 * by a robust statistic (medians, and the Mann-Whitney U test's z score).
 *
 * What must hold, and is asserted: an unknown token that shares all but one character (and a valid
 * checksum) with a valid secret takes as long as a random unknown token. Keyward never compares a
 * presented secret with a stored one character by character: it looks the token up by
 * HMAC-SHA-256(pepper, secret), a digest an attacker cannot steer without the pepper, so being
 * "close" to a valid secret changes nothing an attacker can measure.
 *
 * What may differ, and is only reported (SECURITY.md "Timing"): a bad checksum is refused before
 * any digest or database read (faster: it tells the caller only what the public CRC already
 * does); a valid or revoked token whose record is cached answers without a database read, while
 * an unknown token's first presentation costs an index lookup (slower). Those differences tell a
 * caller what the answer's `code` tells it anyway, nothing about any other secret.
 */
let t: TestApp;
let verifier: string;
let valid: string;
let revoked: string;
const prefix = () => t.ctx.config.tokenPrefix;

beforeAll(async () => {
  t = await startTestApp({ logLevel: 'warn' });
  const { org, owner } = await seedOrg(t.app, t.ctx);
  verifier = (await makeVerifier(t.ctx)).secret;
  valid = (await makeToken(t.ctx, org, owner.user)).secret;
  const doomed = await makeToken(t.ctx, org, owner.user);
  revoked = doomed.secret;
  const response = await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens/${doomed.id}/revoke`, headers: owner.headers, payload: {} });
  expect(response.statusCode).toBe(200);
});
afterAll(() => t.close());

async function verifyTime(token: string, expectedCode: string): Promise<number> {
  const started = process.hrtime.bigint();
  const response = await t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: { authorization: `Bearer ${verifier}` }, payload: { token } });
  const elapsed = Number(process.hrtime.bigint() - started) / 1000;
  const { code } = JSON.parse(response.body) as { code: string };
  if (code !== expectedCode) throw new Error(`expected ${expectedCode}, got ${code}`);
  return elapsed;
}

/**
 * A well-formed token (valid checksum) that differs from `secret` in one character of its random
 * part, never the same one twice: a repeat would be answered from the cache of secrets known to be
 * unknown, a different path from a first miss.
 */
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const nearMissesMade = new Set<string>();
function nearMiss(secret: string): string {
  const start = prefix().length + 1;
  for (;;) {
    const at = start + Math.floor(Math.random() * RANDOM_LENGTH);
    const replacement = BASE62[Math.floor(Math.random() * BASE62.length)]!;
    if (replacement === secret[at]) continue;
    const body = `${secret.slice(0, at)}${replacement}${secret.slice(at + 1, start + RANDOM_LENGTH)}`;
    if (nearMissesMade.has(body)) continue;
    nearMissesMade.add(body);
    return body + checksumOf(body);
  }
}

function badChecksum(secret: string): string {
  const last = secret.at(-1) === 'A' ? 'B' : 'A';
  return secret.slice(0, -1) + last;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** The Mann-Whitney U test's z score (normal approximation, ties averaged): near 0 when neither sample tends to be larger. */
function mannWhitneyZ(a: number[], b: number[]): number {
  const all = [...a.map((v) => ({ v, a: true })), ...b.map((v) => ({ v, a: false }))].sort((x, y) => x.v - y.v);
  let rankSumA = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]!.v === all[i]!.v) j++;
    const rank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k]!.a) rankSumA += rank;
    i = j;
  }
  const n1 = a.length;
  const n2 = b.length;
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  return (u - (n1 * n2) / 2) / Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12);
}

describe('POST /api/v1/verify response times', () => {
  it('do not tell a near miss of a valid secret from a random unknown token; the rest is reported', async () => {
    const samples = { badChecksum: [] as number[], unknown: [] as number[], nearMiss: [] as number[], revoked: [] as number[], valid: [] as number[] };
    // Warm-up: the JIT, the caches, the prepared statements.
    for (let i = 0; i < 100; i++) {
      await verifyTime(valid, 'VALID');
      await verifyTime(generateApiKey(prefix()), 'NOT_FOUND');
    }
    const rounds = 600;
    for (let i = 0; i < rounds; i++) {
      // Every round presents each kind once, in an order of its own.
      const kinds = [
        async () => samples.badChecksum.push(await verifyTime(badChecksum(valid), 'MALFORMED')),
        async () => samples.unknown.push(await verifyTime(generateApiKey(prefix()), 'NOT_FOUND')),
        async () => samples.nearMiss.push(await verifyTime(nearMiss(valid), 'NOT_FOUND')),
        async () => samples.revoked.push(await verifyTime(revoked, 'REVOKED')),
        async () => samples.valid.push(await verifyTime(valid, 'VALID')),
      ].sort(() => Math.random() - 0.5);
      for (const kind of kinds) await kind();
    }

    const report = Object.fromEntries(Object.entries(samples).map(([kind, values]) => [kind, `${median(values).toFixed(0)} µs`]));
    const z = mannWhitneyZ(samples.nearMiss, samples.unknown);
    console.info('verify median response times (in-process):', report, `near miss vs unknown: z = ${z.toFixed(2)}`);

    // The property: closeness to a valid secret is invisible. The same code path, the same work.
    const ratio = median(samples.nearMiss) / median(samples.unknown);
    expect(ratio).toBeGreaterThan(0.75);
    expect(ratio).toBeLessThan(1.33);
    expect(Math.abs(z)).toBeLessThan(5);
  });
});
