import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBuiltServer } from '../server-process.js';
import { browserAvailable, launchBrowser } from './browser.js';
import { apiSession, signInPage, type ApiClient } from './session.js';

const ADMIN = { email: 'root@example.com', password: 'admin password 1' };
const CAROL = { email: 'carol@example.com', name: 'Carol Danvers', password: 'carol password 1' };

type Membership = { user: { id: string; email: string | null }; role: string };

/** Membership changes from the Members page, and an org whose plan has no tokens. */
describe.skipIf(!browserAvailable())('portal: members and plans', () => {
  let server: Awaited<ReturnType<typeof startBuiltServer>>;
  let browser: Browser;
  let page: Page;
  let api: ApiClient;
  let orgId = '';

  /** Carol's membership as the API reports it, or undefined once she is removed. */
  const carolMembership = async () =>
    (await api<{ data: Membership[] }>('GET', `/orgs/${orgId}/members?limit=100`)).data.find((m) => m.user.email === CAROL.email);

  beforeAll(async () => {
    server = await startBuiltServer({ KEYWARD_ADMIN_EMAIL: ADMIN.email, KEYWARD_ADMIN_PASSWORD: ADMIN.password });
    api = await apiSession(server.url, ADMIN.email, ADMIN.password);
    orgId = (await api<{ id: string }>('POST', '/orgs', { name: 'Device Lab', slug: 'device-lab', plan: 'enterprise', owner_email: ADMIN.email })).id;
    await api('POST', '/users', CAROL);
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(15_000);
    await signInPage(page, server.url, ADMIN);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('adds an existing user as an admin', async () => {
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByLabel('Email of an existing user').fill(CAROL.email);
    await page.getByLabel('Role', { exact: true }).selectOption({ label: 'admin' });
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByRole('row', { name: new RegExp(CAROL.name) }).waitFor();
    expect(await page.getByLabel(`Role of ${CAROL.name}`).inputValue()).toBe('admin');
    expect((await carolMembership())?.role).toBe('admin');
  });

  it('changes the member’s role', async () => {
    await page.getByLabel(`Role of ${CAROL.name}`).selectOption({ label: 'member' });
    // The select shows the server's value: it reads 'member' once the list is read again.
    await expect.poll(() => page.getByLabel(`Role of ${CAROL.name}`).inputValue()).toBe('member');
    expect((await carolMembership())?.role).toBe('member');
  });

  it('removes the member after a confirmation that says what happens to their tokens', async () => {
    await page.getByRole('button', { name: `Remove ${CAROL.name}` }).click();
    const confirm = page.getByRole('dialog', { name: `Remove ${CAROL.name}?` });
    await confirm.getByText('all of their tokens in it are disabled').waitFor();
    await confirm.getByRole('button', { name: 'Remove member' }).click();
    await confirm.waitFor({ state: 'detached' });
    await page.getByRole('row', { name: new RegExp(CAROL.name) }).waitFor({ state: 'detached' });
    expect(await carolMembership()).toBeUndefined();
  });

  it('says why an org on the free plan has no tokens, and offers no way to create one', async () => {
    await page.getByRole('link', { name: 'Site admin' }).click();
    await page.getByLabel('Name', { exact: true }).first().fill('Hobby Club');
    await page.getByLabel('Plan', { exact: true }).fill('free');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await page.getByRole('link', { name: 'Hobby Club' }).click();
    await page.getByRole('heading', { name: 'My tokens' }).waitFor();
    await page.getByText('The free plan of this organization does not include API tokens.').waitFor();
    expect(await page.getByRole('button', { name: /Create/ }).count()).toBe(0);
  });
});
