import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { PolicyViolation } from '../../core/errors.js';
import { addressRefusal } from '../../core/webhook-url.js';

/**
 * Resolving a webhook's host name under the address rule of core/webhook-url.ts. A name is
 * checked each time it is resolved, at the moment of connecting, with the very addresses the
 * connection then uses: a name that answered with a public address when the webhook was created
 * and answers with 127.0.0.1 later (DNS rebinding) is refused at delivery.
 */

/** The resolver's answer: every address of a name. Tests pass their own. */
export type ResolveAll = (name: string) => Promise<LookupAddress[]>;

export const systemResolver: ResolveAll = (name) =>
  new Promise((resolve, reject) => dnsLookup(name, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));

/** A name that resolves to an address webhooks may not reach. */
export class RefusedTarget extends Error {
  constructor(name: string, address: string, reason: string) {
    super(`${name} resolves to ${address}, ${reason}.`);
    this.name = 'RefusedTarget';
  }
}

/** The first refused address of a name's addresses: every one must pass, since a client may use any. */
function refusal(name: string, addresses: readonly LookupAddress[], allowPrivate: boolean): RefusedTarget | null {
  for (const { address } of addresses) {
    const reason = addressRefusal(address, allowPrivate);
    if (reason) return new RefusedTarget(name, address, reason);
  }
  return null;
}

/** A `lookup` for node:http(s) that hands the connection only addresses that passed the rule. */
export function guardedLookup(allowPrivate: boolean, resolveAll: ResolveAll = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolveAll(hostname).then(
      (all) => {
        const wanted = options.family === 4 || options.family === 6 ? all.filter((a) => a.family === options.family) : all;
        const refused = refusal(hostname, all, allowPrivate);
        const first = wanted[0];
        if (refused) callback(refused, '', 0);
        else if (!first) callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
        else if (options.all) callback(null, wanted);
        else callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/** How long creating a webhook waits for its name to resolve. */
const CREATE_LOOKUP_MS = 2_000;

/**
 * At creation, a name that already resolves to a refused address is refused (422) so the admin
 * learns it at once. A name that does not resolve (yet), or not in time, is accepted: delivery
 * checks it again anyway.
 */
export async function assertPublicName(name: string, allowPrivate: boolean, resolveAll: ResolveAll = systemResolver): Promise<void> {
  if (allowPrivate) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), CREATE_LOOKUP_MS)));
  const addresses = await Promise.race([resolveAll(name).catch(() => null), timeout]).finally(() => clearTimeout(timer));
  const refused = addresses && refusal(name, addresses, allowPrivate);
  if (refused) throw new PolicyViolation('url_not_allowed', `A webhook URL must not point to a private network: ${refused.message}`, { field: 'url' });
}
