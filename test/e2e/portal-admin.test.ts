import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBuiltServer } from '../server-process.js';
import { browserAvailable, launchBrowser } from './browser.js';
import { apiSession, signInPage } from './session.js';

const ADMIN = { email: 'root@example.com', password: 'admin password 1' };
const BOB = { email: 'bob@example.com', name: 'Bob Builder', password: 'bob password 1' };

type Server = Awaited<ReturnType<typeof startBuiltServer>>;

/** An org admin's pages: members, impersonation, all tokens, policy, audit; and the member's view. */
describe.skipIf(!browserAvailable())('portal: managing an org', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let orgId = '';

  beforeAll(async () => {
    server = await startBuiltServer({ KEYWARD_ADMIN_EMAIL: ADMIN.email, KEYWARD_ADMIN_PASSWORD: ADMIN.password });
    const api = await apiSession(server.url, ADMIN.email, ADMIN.password);
    orgId = (await api<{ id: string }>('POST', '/orgs', { name: 'Device Lab', slug: 'device-lab', plan: 'enterprise', owner_email: ADMIN.email })).id;
    await api('POST', '/users', BOB);
    await api('POST', `/orgs/${orgId}/members`, { email: BOB.email, role: 'member' });
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(15_000);
    await signInPage(page, server.url, ADMIN);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows what is wrong next to the field: missing scopes here, a policy refusal from the server', async () => {
    await page.getByRole('button', { name: 'Create token' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Create a token' });
    await dialog.getByLabel('Name', { exact: true }).fill('Too long');
    await dialog.getByRole('button', { name: 'Create token' }).click();
    await dialog.getByRole('group', { name: 'Scopes' }).getByRole('alert').getByText('Choose at least one scope.').waitFor();

    await dialog.getByRole('checkbox', { name: /devices:read/ }).check();
    await dialog.getByRole('radio', { name: 'Custom date' }).check();
    // Past the date picker's max, as a pasted date would be: the server's policy has the last word.
    await dialog.getByLabel('Expires on').fill(`${new Date().getFullYear() + 2}-01-01`);
    await dialog.getByRole('button', { name: 'Create token' }).click();
    await dialog.getByRole('group', { name: 'Expiration' }).getByRole('alert').getByText('Tokens may live at most 365 days.').waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('creates a token on behalf of a member from the Members page', async () => {
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByRole('button', { name: `Create token for ${BOB.name}` }).click();
    const dialog = page.getByRole('dialog', { name: `Create a token for ${BOB.name}` });
    await dialog.getByLabel('Name', { exact: true }).fill('Support debugging');
    await dialog.getByRole('checkbox', { name: /devices:read/ }).check();
    await dialog.getByRole('button', { name: 'Create token' }).click();
    const created = page.getByRole('dialog', { name: 'Token created' });
    const secret = await created.getByTestId('secret').inputValue();
    const me = (await (await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${secret}` } })).json()) as {
      user: { id: string; email: string | null };
      token: { impersonation: boolean; owner: { id: string }; created_by: { id: string } };
    };
    // A product-only token learns only its own facts (no email): it acts as Bob, made by the admin.
    expect(me.user.email).toBeNull();
    expect(me.token.owner.id).toBe(me.user.id);
    expect(me.token.created_by.id).not.toBe(me.user.id);
    expect(me.token.impersonation).toBe(true);
    await created.getByRole('button', { name: 'Done' }).click();
  });

  it('lists every token with its owner, the Impersonation tag with the admin who created it, and filters', async () => {
    await page.getByRole('link', { name: 'All tokens' }).click();
    const row = page.getByRole('row', { name: /Support debugging/ });
    await row.getByText('Impersonation').waitFor();
    // `root`: the name the server gives the site admin it creates from KEYWARD_ADMIN_EMAIL. Names
    // replace ids once the portal has looked the users up: wait for them, not the first paint.
    await row.locator('td[data-label="Owner"]', { hasText: 'created by root' }).waitFor();
    expect(await row.locator('td[data-label="Owner"]').innerText()).toBe(`${BOB.name}\ncreated by root`);

    await page.getByLabel('Status').selectOption('revoked');
    await page.getByText('No tokens match').waitFor();
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Owner').selectOption({ label: BOB.name });
    await row.waitFor();
    await page.getByLabel('Kind').selectOption('jwt');
    await page.getByText('No tokens match').waitFor();
  });

  it('changes the token policy, with refusals shown next to the field', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Maximum lifetime (days)').fill('400');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText("cannot exceed the deployment's 365 days").waitFor();

    await page.getByLabel('Maximum lifetime (days)').fill('60');
    await page.getByLabel('Expiration presets (days)').fill('7, 60');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('status').getByText('Saved.').waitFor();

    // The create dialog offers exactly the new presets, and custom dates up to 60 days.
    await page.getByRole('link', { name: 'My tokens' }).click();
    await page.getByRole('button', { name: 'Create token' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Create a token' });
    const presets = await dialog.getByRole('radio').allTextContents();
    expect(await dialog.getByRole('radio', { name: /^7 days/ }).count()).toBe(1);
    expect(await dialog.getByRole('radio', { name: /^60 days/ }).count()).toBe(1);
    expect(await dialog.getByRole('radio', { name: /^30 days/ }).count(), presets.join()).toBe(0);
    await dialog.getByRole('radio', { name: 'Custom date' }).check();
    const limit = new Date(Date.now() + 60 * 86_400_000);
    const pad = (n: number) => String(n).padStart(2, '0');
    const expected = `${limit.getFullYear()}-${pad(limit.getMonth() + 1)}-${pad(limit.getDate())}`;
    expect(await dialog.getByLabel('Expires on').getAttribute('max')).toBe(expected);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('filters the audit log and links its CSV export', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('row', { name: /org\.policy_changed/ }).first().waitFor();
    await page.getByLabel('Action').fill('token.created');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('row', { name: /org\.policy_changed/ }).first().waitFor({ state: 'detached' });
    await page.getByRole('row', { name: /token\.created/ }).first().waitFor();
    const href = await page.getByRole('link', { name: 'Export CSV' }).getAttribute('href');
    expect(href).toBe(`/api/v1/orgs/${orgId}/audit-events?action=token.created&format=csv`);
    const csv = await page.evaluate(async (url) => {
      const response = await fetch(url);
      return { type: response.headers.get('content-type'), body: await response.text() };
    }, href as string);
    expect(csv.type).toContain('text/csv');
    expect(csv.body).toContain('token.created');
  });

  it('fits a phone screen without sideways scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'All tokens' }).click();
    await page.getByRole('row', { name: /Support debugging/ }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('hides the impersonation token from the member it acts for', async () => {
    const bobPage = await (await browser.newContext()).newPage();
    await signInPage(bobPage, server.url, BOB);
    await bobPage.getByText('You have no tokens yet').waitFor();
    expect(await bobPage.getByRole('link', { name: 'All tokens' }).count()).toBe(0);
    await bobPage.context().close();
  });
});
