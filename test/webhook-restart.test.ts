import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { apiSession } from './e2e/session.js';
import { Receiver } from './http/webhooks/helpers.js';
import { startBuiltServer } from './server-process.js';

/**
 * The outbox is durable: the built server (`node dist/cli/main.js serve`) is killed with SIGKILL
 * while the receiver holds a delivery open, and the event still arrives — with the same
 * webhook-id, verifiable — from the server restarted on the same data directory once the dead
 * process's lease ran out.
 */
const ADMIN = { email: 'root@example.test', password: 'webhook admin password' };
const ENV = { KEYWARD_ADMIN_EMAIL: ADMIN.email, KEYWARD_ADMIN_PASSWORD: ADMIN.password, KEYWARD_WEBHOOK_ALLOW_PRIVATE: 'true' };

type Server = Awaited<ReturnType<typeof startBuiltServer>>;
let receiver: Receiver | null = null;
let first: Server | null = null;
let killed = false;
let second: Server | null = null;
afterEach(async () => {
  await second?.stop();
  // A killed server's stop() would wait for an exit that has happened: its directory is removed here.
  if (first && killed) rmSync(first.dataDir, { recursive: true, force: true });
  else await first?.stop();
  await receiver?.stop();
});

describe('a server killed in the middle of a delivery', () => {
  it('delivers the event after a restart on the same data directory, under the same webhook-id', async () => {
    receiver = await new Receiver().start();
    receiver.answer('hold');
    first = await startBuiltServer(ENV);
    const api = await apiSession(first.url, ADMIN.email, ADMIN.password);
    const org = await api<{ id: string }>('POST', '/orgs', { name: 'Restart', slug: 'restart', plan: 'enterprise', owner_email: ADMIN.email });
    const webhook = await api<{ webhook: { id: string }; secret: string }>('POST', `/orgs/${org.id}/webhooks`, { url: receiver.url, events: ['token.created'] });
    const token = await api<{ token: { id: string }; secret: string }>('POST', `/orgs/${org.id}/tokens`, { name: 'ci', scopes: ['devices:read'], expires_in_days: 30 });

    await receiver.waitFor(1, 20_000);
    process.kill(first.pid, 'SIGKILL');
    killed = true;
    await first.exited;

    second = await startBuiltServer({ ...ENV, KEYWARD_DATA_DIR: first.dataDir });
    // The dead process's claim lasts its timeout plus a margin (15 s); then the job is due again.
    await receiver.waitFor(2, 40_000);
    const [held, delivered] = receiver.verified(webhook.secret);
    expect(delivered!.id).toBe(held!.id);
    expect(delivered!.id).toMatch(/^evt_/);
    expect(delivered).toMatchObject({ type: 'token.created', data: { token: { id: token.token.id } } });
    expect(receiver.received[1]!.body).toBe(receiver.received[0]!.body);
    expect(receiver.received[1]!.body).not.toContain(token.secret);

    const restarted = await apiSession(second.url, ADMIN.email, ADMIN.password);
    const log = await restarted<{ data: { attempt: number; status: string; response_status: number | null; error: string | null }[] }>(
      'GET',
      `/orgs/${org.id}/webhooks/${webhook.webhook.id}/deliveries`,
    );
    expect(log.data).toMatchObject([
      { attempt: 2, status: 'delivered', response_status: 200 },
      { attempt: 1, status: 'failed', response_status: null, error: expect.stringContaining('Keyward stopped before the endpoint answered') },
    ]);
    expect(receiver.received).toHaveLength(2);
  }, 90_000);
});
