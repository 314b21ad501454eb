import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { addressRefusal, webhookHost } from '../../core/webhook-url.js';
import { guardedLookup, systemResolver, type ResolveAll } from './targets.js';

/**
 * One POST of a signed delivery. node:http rather than fetch: its `lookup` hook lets the address
 * rule judge the very addresses the socket connects to, and it never follows a redirect (a 3xx
 * is a failed attempt, or an endpoint could bounce Keyward to an internal address).
 */
export type DeliveryRequest = {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowPrivate: boolean;
  /** Aborted when the process shuts down. */
  signal?: AbortSignal;
  resolveAll?: ResolveAll;
};

/** What came of it: the endpoint's status code, or why there was none. */
export type DeliveryResult = { kind: 'response'; status: number } | { kind: 'error'; error: string; aborted: boolean };

/** Errors go into the delivery log that org admins read: one line, bounded, no stack. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').slice(0, 300);
}

export function postWebhook(delivery: DeliveryRequest): Promise<DeliveryResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: DeliveryResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      delivery.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const url = new URL(delivery.url);
    const host = webhookHost(url);
    // An IP literal never reaches `lookup`: it is judged here.
    const literalRefusal = host.kind === 'address' ? addressRefusal(host.address, delivery.allowPrivate) : null;
    if (literalRefusal) {
      resolve({ kind: 'error', error: `The URL points to ${literalRefusal}.`, aborted: false });
      return;
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, {
      method: 'POST',
      headers: { ...delivery.headers, 'content-length': String(Buffer.byteLength(delivery.body)) },
      lookup: guardedLookup(delivery.allowPrivate, delivery.resolveAll ?? systemResolver),
      // One connection per delivery: a pooled socket would skip the address check of the next one.
      agent: false,
    });
    const timer = setTimeout(() => request.destroy(new Error(`No answer within ${delivery.timeoutMs / 1000} s.`)), delivery.timeoutMs);
    const onAbort = () => {
      request.destroy(new Error('Keyward shut down before the endpoint answered.'));
      finish({ kind: 'error', error: 'Keyward shut down before the endpoint answered.', aborted: true });
    };
    if (delivery.signal?.aborted) onAbort();
    delivery.signal?.addEventListener('abort', onAbort, { once: true });
    request.on('response', (response: IncomingMessage) => {
      // The status is the answer; the body is read and dropped so the connection can close.
      response.resume();
      response.on('error', () => undefined);
      finish({ kind: 'response', status: response.statusCode ?? 0 });
      // A body that never ends must not hold the socket for good.
      const linger = setTimeout(() => request.destroy(), delivery.timeoutMs);
      linger.unref();
      response.on('close', () => clearTimeout(linger));
    });
    request.on('error', (error) => finish({ kind: 'error', error: describe(error), aborted: false }));
    request.end(delivery.body);
  });
}
