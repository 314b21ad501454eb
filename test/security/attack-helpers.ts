import type { LightMyRequestResponse } from 'fastify';
import type { KyselyPlugin } from 'kysely';
import { expect } from 'vitest';
import type { ServiceContext } from '../../src/services/context.js';

export const BARE_CHALLENGE = 'Bearer realm="keyward"';

/** Every management scope of the catalog (src/core/scopes.ts): `keyward:*` is no scope of its own. */
export const ALL_KEYWARD_SCOPES = ['keyward:tokens:read', 'keyward:tokens:write', 'keyward:audit:read', 'keyward:admin'];

/** Counts every query the services send through `ctx.db` until restored. */
export function countQueries(ctx: ServiceContext): { count(): number; restore(): void } {
  const original = ctx.db;
  let queries = 0;
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      queries += 1;
      return args.node;
    },
    async transformResult(args) {
      return args.result;
    },
  };
  ctx.db = original.withPlugin(plugin);
  return {
    count: () => queries,
    restore: () => {
      ctx.db = original;
    },
  };
}

export type Expected = { status: number; code: string; challenge?: string | RegExp | null };

/**
 * The exact refusal: status, problem+json `code`, and the `WWW-Authenticate` header (a string is
 * matched whole, a RegExp as a pattern, null means the header must be absent).
 */
export function expectProblem(response: LightMyRequestResponse, expected: Expected, label = ''): void {
  const where = `${label} → ${response.statusCode} ${response.body.slice(0, 200)}`;
  expect(response.statusCode, where).toBe(expected.status);
  expect(response.headers['content-type'], where).toMatch(/^application\/problem\+json/);
  expect((JSON.parse(response.body) as { code: string }).code, where).toBe(expected.code);
  const header = response.headers['www-authenticate'];
  if (expected.challenge === null) expect(header, where).toBeUndefined();
  else if (typeof expected.challenge === 'string') expect(header, where).toBe(expected.challenge);
  else if (expected.challenge instanceof RegExp) expect(String(header), where).toMatch(expected.challenge);
}

export const INVALID_TOKEN = /^Bearer realm="keyward", error="invalid_token", error_description="[^"\r\n]*"$/;
export const INVALID_REQUEST = /^Bearer realm="keyward", error="invalid_request", error_description="[^"\r\n]*"$/;

/** Every snapshot of the rows a cross-org or escalation attempt must leave alone. */
export async function snapshot(ctx: ServiceContext, tables: readonly string[]): Promise<string> {
  const out: Record<string, unknown[]> = {};
  for (const table of tables) {
    const rows = await (ctx.db as any).selectFrom(table).selectAll().execute();
    out[table] = rows.map((row: Record<string, unknown>) => JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).sort();
  }
  return JSON.stringify(out);
}
