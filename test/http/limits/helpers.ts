import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { json, type TestApp } from '../../harness.js';

export type VerifyAnswer = {
  valid: boolean;
  code: string;
  token?: { id: string };
  rate_limits?: { name: string; limit: number; window_seconds: number; remaining: number; reset_seconds: number }[];
  usage_remaining?: number;
  retry_after_seconds?: number;
};

/** POST /api/v1/verify as a resource server would, with the verifier's secret. */
export async function verifyAs(t: TestApp, verifierSecret: string, body: Record<string, unknown>): Promise<VerifyAnswer> {
  const response = await t.app.inject({ method: 'POST', url: '/api/v1/verify', headers: { authorization: `Bearer ${verifierSecret}` }, payload: body });
  expect(response.statusCode, response.body).toBe(200);
  return json<VerifyAnswer>(response);
}

/** The codes of `n` verifies in a row. */
export async function codes(t: TestApp, verifierSecret: string, body: Record<string, unknown>, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await verifyAs(t, verifierSecret, body)).code);
  return out;
}

/** A problem+json body's code and field. */
export function problem(response: LightMyRequestResponse): { code: string; field?: string; detail: string } {
  return json(response);
}
