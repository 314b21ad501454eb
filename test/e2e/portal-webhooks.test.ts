import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver } from '../http/webhooks/helpers.js';
import { startBuiltServer } from '../server-process.js';
import { browserAvailable, launchBrowser } from './browser.js';
import { apiSession, signInPage, type ApiClient } from './session.js';

const ADMIN = { email: 'root@example.com', password: 'admin password 1' };

/**
 * The Webhooks page in a real browser against the built server: add an endpoint, see its signing
 * secret once (copied from the panel, then never shown again), watch a signed delivery arrive in
 * its log, delete it. The receiver is on 127.0.0.1, so the deployment allows private targets.
 */
describe.skipIf(!browserAvailable())('portal: webhooks', () => {
  let server: Awaited<ReturnType<typeof startBuiltServer>>;
  let receiver: Receiver;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let api: ApiClient;
  let orgId = '';
  let secret = '';

  beforeAll(async () => {
    receiver = await new Receiver().start('/keyward-hooks');
    server = await startBuiltServer({ KEYWARD_ADMIN_EMAIL: ADMIN.email, KEYWARD_ADMIN_PASSWORD: ADMIN.password, KEYWARD_WEBHOOK_ALLOW_PRIVATE: 'true' });
    api = await apiSession(server.url, ADMIN.email, ADMIN.password);
    orgId = (await api<{ id: string }>('POST', '/orgs', { name: 'Device Lab', slug: 'device-lab', plan: 'enterprise', owner_email: ADMIN.email })).id;
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signInPage(page, server.url, ADMIN);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await receiver?.stop();
  });

  it('adds an endpoint and shows its signing secret once, with a copy button', async () => {
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    await page.getByText('No endpoints yet.').waitFor();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a webhook endpoint' });
    await dialog.getByLabel('Endpoint URL').fill(receiver.url);
    await dialog.getByLabel('Description (optional)').fill('Security team');
    await dialog.getByLabel('Only the events chosen below').check();
    await dialog.getByLabel(/token\.created/).check();
    await dialog.getByLabel(/token\.revoked/).check();
    await dialog.getByRole('button', { name: 'Add endpoint' }).click();

    const added = page.getByRole('dialog', { name: 'Endpoint added' });
    await added.getByText("You won't be able to see it again").waitFor();
    secret = await added.getByTestId('secret').inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    await added.getByRole('button', { name: 'Copy' }).click();
    await added.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await added.getByRole('button', { name: 'Done' }).click();
    await added.waitFor({ state: 'detached' });

    const row = page.getByRole('row', { name: new RegExp(receiver.url.replace(/[.]/g, '\\.')) });
    await row.waitFor();
    expect(await row.textContent()).toContain('token.created, token.revoked');
    expect(await row.textContent()).toContain('Security team');
    const [webhook] = (await api<{ data: { url: string; events: string[] }[] }>('GET', `/orgs/${orgId}/webhooks`)).data;
    expect(webhook).toMatchObject({ url: receiver.url, events: ['token.created', 'token.revoked'] });
  });

  it('never shows the secret again, not even after a reload', async () => {
    const key = secret.slice('whsec_'.length);
    expect(await page.content()).not.toContain(key);
    await page.reload();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    await page.getByRole('row', { name: new RegExp(receiver.url.replace(/[.]/g, '\\.')) }).waitFor();
    expect(await page.content()).not.toContain(key);
  });

  it('shows a signed delivery in the endpoint’s log', async () => {
    const created = await api<{ token: { id: string } }>('POST', `/orgs/${orgId}/tokens`, { name: 'ci', scopes: ['devices:read'], expires_in_days: 30 });
    await receiver.waitFor(1, 20_000);
    const [event] = receiver.verified(secret);
    expect(event).toMatchObject({ type: 'token.created', data: { token: { id: created.token.id } } });

    await page.getByRole('button', { name: `Deliveries to ${receiver.url}` }).click();
    const log = page.getByRole('region', { name: `Deliveries to ${receiver.url}` });
    await log.getByRole('row', { name: /token\.created/ }).waitFor();
    const row = log.getByRole('row', { name: /token\.created/ });
    expect(await row.textContent()).toContain('Delivered');
    expect(await row.textContent()).toContain('HTTP 200');
    expect(await row.textContent()).toContain(event!.id);
  });

  it('deletes the endpoint after a confirmation', async () => {
    await page.getByRole('button', { name: `Delete ${receiver.url}` }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete this webhook endpoint?' });
    await confirm.getByRole('button', { name: 'Delete endpoint' }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.getByText('No endpoints yet.').waitFor();
    expect((await api<{ data: unknown[] }>('GET', `/orgs/${orgId}/webhooks`)).data).toEqual([]);
  });
});
