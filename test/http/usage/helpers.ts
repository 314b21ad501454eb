import { expect } from 'vitest';
import { makeVerifier } from '../../factories.js';
import { json, type TestApp } from '../../harness.js';

type Headers = Record<string, string>;

export type UsageBucket = { bucket_start: string; codes: Record<string, number> };
export type OrgUsage = { data: UsageBucket[]; tokens: { id: string; name: string; total: number; codes: Record<string, number> }[] };

/** Verifies through POST /api/v1/verify as a resource server would, returning the code. */
export async function verifier(t: TestApp): Promise<(body: { token: string; scopes?: string[]; ip?: string }) => Promise<string>> {
  const { secret } = await makeVerifier(t.ctx);
  return async (body) => {
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: { authorization: `Bearer ${secret}` }, payload: body });
    expect(response.statusCode).toBe(200);
    return json<{ code: string }>(response).code;
  };
}

export function tokenUsage(t: TestApp, headers: Headers, orgId: string, tokenId: string, query = '') {
  return t.app.inject({ method: 'GET', url: `/api/v1/orgs/${orgId}/tokens/${tokenId}/usage${query}`, headers });
}

export function orgUsage(t: TestApp, headers: Headers, orgId: string, query = '') {
  return t.app.inject({ method: 'GET', url: `/api/v1/orgs/${orgId}/usage${query}`, headers });
}

/** A token's buckets, asserting the answer is 200. */
export async function tokenBuckets(t: TestApp, headers: Headers, orgId: string, tokenId: string, query = ''): Promise<UsageBucket[]> {
  const response = await tokenUsage(t, headers, orgId, tokenId, query);
  expect(response.statusCode, response.body).toBe(200);
  return json<{ data: UsageBucket[] }>(response).data;
}

/** Only the buckets that counted something. */
export const nonEmpty = (buckets: UsageBucket[]) => buckets.filter((b) => Object.keys(b.codes).length > 0);

/** `?granularity=…&since=…&until=…` from epoch milliseconds. */
export function range(granularity: 'hour' | 'day', since: number, until: number): string {
  return `?granularity=${granularity}&since=${new Date(since).toISOString()}&until=${new Date(until).toISOString()}`;
}

export const HOUR = 3_600_000;
export const DAY = 86_400_000;
