import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { WebhookPayload } from '../../../src/contract/index.js';
import type { TestApp } from '../../harness.js';
import { capture, flushCapture } from '../../secret-capture.js';

export const webhooksUrl = (orgId: string, rest = '') => `/api/v1/orgs/${orgId}/webhooks${rest}`;

/** A public address (TEST-NET-3) that passes the URL rule and that no test ever sends to. */
export const PUBLIC_URL = 'https://203.0.113.10/hooks/keyward';

type Headers = Record<string, string>;

/** Creates a webhook through the API and returns its id and secret. */
export async function createdWebhook(t: TestApp, headers: Headers, orgId: string, body: object): Promise<{ id: string; secret: string }> {
  const response = await t.app.inject({ method: 'POST', url: webhooksUrl(orgId), headers, payload: body });
  if (response.statusCode !== 201) throw new Error(`webhook create failed: ${response.statusCode} ${response.body}`);
  const created = JSON.parse(response.body) as { webhook: { id: string }; secret: string };
  return { id: created.webhook.id, secret: created.secret };
}

/** One request the receiver got, as sent. */
export type Received = { headers: Record<string, string>; body: string };

/** What the receiver does with a request: answer with a status, or hold it open until the test lets go. */
export type Answer = number | 'hold';

/**
 * A real webhook receiver on 127.0.0.1: records every request and answers each with the next
 * planned answer (200 once the plan runs out).
 */
export class Receiver {
  readonly received: Received[] = [];
  private readonly plan: Answer[] = [];
  private readonly held: ServerResponse[] = [];
  private readonly waiters: { count: number; resolve: () => void }[] = [];
  private server: Server | null = null;
  url = '';

  async start(path = '/hooks'): Promise<this> {
    this.server = createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
    return this;
  }

  /** The answers to give the next requests, in order. */
  answer(...answers: Answer[]): this {
    this.plan.push(...answers);
    return this;
  }

  /** Resolves once `count` requests have arrived in all. */
  async waitFor(count: number, timeoutMs = 30_000): Promise<void> {
    if (this.received.length >= count) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the receiver got ${this.received.length} of ${count} requests`)), timeoutMs);
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  /** Each delivery verified with the signing secret, as a Standard Webhooks receiver would; throws on a bad one. */
  verified(secret: string): (WebhookPayload & { id: string })[] {
    const webhook = new Webhook(secret);
    return this.received.map((r) => ({ ...(webhook.verify(r.body, r.headers) as WebhookPayload), id: r.headers['webhook-id']! }));
  }

  async stop(): Promise<void> {
    // Receivers of a built server's webhooks outlive any test app whose close would append them.
    flushCapture();
    for (const response of this.held) response.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') headers[name] = value;
      const received = { headers, body: Buffer.concat(chunks).toString('utf8') };
      this.received.push(received);
      capture('webhook request', JSON.stringify(received));
      const answer = this.plan.shift() ?? 200;
      if (answer === 'hold') this.held.push(response);
      else response.writeHead(answer, { 'content-type': 'text/plain' }).end('ok');
      for (const waiter of this.waiters.filter((w) => this.received.length >= w.count)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    });
  }
}
