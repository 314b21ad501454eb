import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from '../../harness.js';

/** Headers of a request authenticated by a token. */
export function bearer(secret: string): { authorization: string } {
  return { authorization: `Bearer ${secret}` };
}

/** A body the default policy accepts; tests override what they are about. */
export const NEW_TOKEN = { name: 'ci pipeline', scopes: ['devices:read'], expires_in_days: 30 };

type Headers = Record<string, string>;

export function createToken(t: TestApp, headers: Headers, orgId: string, body: object = NEW_TOKEN): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'POST', url: `/api/v1/orgs/${orgId}/tokens`, headers, payload: body });
}

/** Creates a token through the API and returns the response body's token id and secret. */
export async function createdToken(t: TestApp, headers: Headers, orgId: string, body: object = NEW_TOKEN): Promise<{ id: string; secret: string }> {
  const response = await createToken(t, headers, orgId, body);
  if (response.statusCode !== 201) throw new Error(`create failed: ${response.statusCode} ${response.body}`);
  const created = JSON.parse(response.body) as { token: { id: string }; secret: string };
  return { id: created.token.id, secret: created.secret };
}

export function tokenAction(t: TestApp, headers: Headers, orgId: string, tokenId: string, action: string, body?: object) {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/orgs/${orgId}/tokens/${tokenId}/${action}`,
    headers,
    ...(body ? { payload: body } : {}),
  });
}

export function me(t: TestApp, secret: string): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(secret) });
}

/** The audit log as stored, for assertions on actions and on what it must never contain. */
export async function auditRows(t: TestApp) {
  return t.ctx.db.selectFrom('audit_events').selectAll().orderBy('id').execute();
}
