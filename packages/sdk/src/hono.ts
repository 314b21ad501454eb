import type { Context, MiddlewareHandler } from 'hono';
import { decide, PROBLEM_MEDIA_TYPE, type RequireTokenOptions, type TokenFacts } from './middleware.js';
import type { Verifier } from './verifier.js';

export type { RequireTokenOptions, TokenFacts } from './middleware.js';

/** The Hono env of a protected route: `c.get('token')`. */
export type KeywardEnv = { Variables: { token: TokenFacts } };

export type HonoRequireTokenOptions = RequireTokenOptions & {
  /** The client's address, for IP-restricted tokens. Default: the socket's, under @hono/node-server. */
  clientIp?: (c: Context) => string | undefined;
};

/** What @hono/node-server puts in `c.env`: the Node request. */
type NodeBindings = { incoming?: { rawHeaders?: string[]; socket?: { remoteAddress?: string } } } | undefined;

function nodeSocketAddress(c: Context): string | undefined {
  return (c.env as NodeBindings)?.incoming?.socket?.remoteAddress;
}

/** Node's raw headers when there are some (duplicates kept); elsewhere the Fetch headers, which join them. */
function rawHeadersOf(c: Context): readonly string[] {
  const raw = (c.env as NodeBindings)?.incoming?.rawHeaders;
  if (raw) return raw;
  const flat: string[] = [];
  c.req.raw.headers.forEach((value, name) => flat.push(name, value));
  return flat;
}

/** Hono middleware: on success `c.get('token')`, otherwise a 401/403/429 problem+json answer. */
export function requireToken(verifier: Verifier, options: HonoRequireTokenOptions = {}): MiddlewareHandler<KeywardEnv> {
  return async (c, next) => {
    const decision = await decide(
      verifier,
      { rawHeaders: rawHeadersOf(c), url: c.req.url.slice(new URL(c.req.url).origin.length), ip: (options.clientIp ?? nodeSocketAddress)(c) },
      options,
    );
    if (decision.ok) {
      c.set('token', decision.token);
      for (const [name, value] of Object.entries(decision.headers)) c.header(name, value);
      return next();
    }
    const { status, headers, body } = decision.refusal;
    return new Response(JSON.stringify(body), { status, headers: { ...headers, 'content-type': PROBLEM_MEDIA_TYPE } });
  };
}
