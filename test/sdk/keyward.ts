import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Org, User } from '../../src/core/model.js';
import { addMember, makeOrg, makeToken, makeUser, makeVerifier } from '../factories.js';
import { FakeClock, startTestApp, type TestApp } from '../harness.js';

/**
 * A real Keyward server for the SDK's tests, listening on loopback, with a proxy in front that
 * counts the verify calls reaching Keyward and can cut the revocation feed while the rest flows.
 */
export type Keyward = {
  t: TestApp;
  /** The proxy's URL: what the SDK under test is given. */
  url: string;
  org: Org;
  owner: User;
  verifier: { id: string; secret: string };
  proxy: FeedProxy;
  token(options?: Parameters<typeof makeToken>[3]): Promise<{ id: string; secret: string }>;
  /** Revokes through the management API, as a product's admin would. */
  revoke(tokenId: string): Promise<void>;
  close(): Promise<void>;
};

export async function startKeyward(): Promise<Keyward> {
  // Real time: the SDK compares expiries with its own clock.
  const t = await startTestApp({ clock: new FakeClock(Date.now()) });
  const origin = new URL(await t.app.listen({ host: '127.0.0.1', port: 0 }));
  const proxy = await startFeedProxy(Number(origin.port));
  const org = await makeOrg(t.ctx, { features: ['insights_api'] });
  const owner = await makeUser(t.ctx);
  await addMember(t.ctx, org, owner, 'admin');
  const verifier = await makeVerifier(t.ctx);
  const manager = await makeToken(t.ctx, org, owner, { scopes: ['keyward:tokens:write'] });
  return {
    t,
    url: proxy.url,
    org,
    owner,
    verifier,
    proxy,
    token: (options) => makeToken(t.ctx, org, owner, options),
    async revoke(tokenId) {
      const response = await t.app.inject({ method: 'POST', url: `/api/v1/orgs/${org.id}/tokens/${tokenId}/revoke`, headers: { authorization: `Bearer ${manager.secret}` } });
      if (response.statusCode !== 200) throw new Error(`revoke answered ${response.statusCode}: ${response.body}`);
    },
    async close() {
      await proxy.close();
      await t.close();
    },
  };
}

export type FeedProxy = {
  url: string;
  /** Verify calls that reached Keyward. */
  verifyCalls(): number;
  /** The feed stops: open streams hang (no byte passes) and new ones are refused. */
  cutFeed(): void;
  restoreFeed(): void;
  close(): Promise<void>;
};

const FEED_PATH = '/api/v1/revocations/stream';

async function startFeedProxy(targetPort: number): Promise<FeedProxy> {
  let verifies = 0;
  let cut = false;
  const streams = new Set<IncomingMessage>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const feed = req.url?.startsWith(FEED_PATH) ?? false;
    if (feed && cut) return req.socket.destroy();
    if (req.method === 'POST' && req.url === '/api/v1/verify') verifies++;
    const upstream = httpRequest({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      if (feed) {
        streams.add(answer);
        answer.on('close', () => streams.delete(answer));
        answer.on('data', (chunk: Buffer) => {
          if (!cut) res.write(chunk);
        });
        answer.on('end', () => res.end());
      } else {
        answer.pipe(res);
      }
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    verifyCalls: () => verifies,
    cutFeed: () => {
      cut = true;
    },
    restoreFeed: () => {
      cut = false;
    },
    close: () =>
      new Promise((resolve) => {
        for (const stream of streams) stream.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls until `check` holds; answers how long it took, or throws after `withinMs`. */
export async function within(withinMs: number, check: () => Promise<boolean> | boolean): Promise<number> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > withinMs) throw new Error(`not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - start;
}
