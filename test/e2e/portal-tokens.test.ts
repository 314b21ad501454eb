import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBuiltServer } from '../server-process.js';
import { browserAvailable, launchBrowser } from './browser.js';
import { apiSession, signInPage } from './session.js';

const ADMIN = { name: 'Ada Admin', email: 'ada@example.com', password: 'correct horse battery staple' };
const ORG_ADMIN = { name: 'Otto Org', email: 'otto@example.com', password: 'otto password 1' };

/**
 * The first-run story in a real browser against the built server (`npm start`): setup through the
 * printed link, an org, sign out and in, then a token's whole life from the portal.
 */
describe.skipIf(!browserAvailable())('portal: first run and a token’s life', () => {
  let server: Awaited<ReturnType<typeof startBuiltServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let secret = '';
  let rotatedSecret = '';

  /** GET /api/v1/me with a token, as a script would. */
  const meWith = (token: string) => fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });

  /** Fetches what an export link of the audit page points at, with the page's cookies. */
  const download = async (name: string) => {
    const href = await page.getByRole('link', { name }).getAttribute('href');
    const response = await page.request.get(new URL(href as string, server.url).toString());
    expect(response.status()).toBe(200);
    return { href, type: response.headers()['content-type'] ?? '', body: await response.text() };
  };
  /** The data rows of a CSV export, split into cells (the columns read here hold no commas). */
  const csvRows = (body: string) => body.trim().split(/\r?\n/).slice(1).map((row) => row.split(','));

  beforeAll(async () => {
    server = await startBuiltServer();
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('creates the site admin through the one-time setup link the server printed', async () => {
    const link = /(http:\/\/\S+\/setup\?token=\S+)/.exec(server.output())?.[1];
    expect(link, server.output()).toBeDefined();
    await page.goto(link as string);
    await page.getByRole('heading', { name: 'Set up Keyward' }).waitFor();
    await page.getByLabel('Your name').fill(ADMIN.name);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByLabel('Repeat the password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create site admin' }).click();
    // A new site admin belongs to no org yet, so the portal opens the site admin page.
    await page.getByRole('heading', { name: 'Site admin' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/admin');
  });

  it('creates an org with the site admin as its owner and opens it', async () => {
    await page.getByLabel('Name', { exact: true }).first().fill('Acme Robotics');
    expect(await page.getByLabel('Slug').inputValue()).toBe('acme-robotics');
    expect(await page.getByLabel("First owner's email").inputValue()).toBe(ADMIN.email);
    await page.getByRole('button', { name: 'Create organization' }).click();
    await page.getByRole('link', { name: 'Acme Robotics' }).click();
    await page.getByRole('heading', { name: 'My tokens' }).waitFor();
    await page.getByText('You have no tokens yet').waitFor();
    expect(await page.getByLabel('Organization').inputValue()).toMatch(/^org_/);
  });

  it('signs out and back in', async () => {
    const orgPage = new URL(page.url()).pathname;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Keyward' }).waitFor();
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'My tokens' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(orgPage);
  });

  it('creates a token with two scopes for 30 days and shows its secret once', async () => {
    await page.getByRole('button', { name: 'Create token' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Create a token' });
    await dialog.getByLabel('Name', { exact: true }).fill('CI deploy');
    await dialog.getByRole('checkbox', { name: /devices:read/ }).check();
    await dialog.getByRole('checkbox', { name: /device_requests:write/ }).check();
    await dialog.getByRole('radio', { name: /^30 days/ }).check();
    await dialog.getByRole('button', { name: 'Create token' }).click();

    const panel = page.getByRole('dialog', { name: 'Token created' });
    await panel.getByText("You won't be able to see it again").waitFor();
    secret = await panel.getByTestId('secret').inputValue();
    expect(secret).toMatch(/^kw_[0-9A-Za-z]{38}$/);
    await expect.poll(() => panel.locator('pre').first().textContent()).toBe(
      `curl -H "Authorization: Bearer ${secret}" ${server.url}/api/v1/me`,
    );
    expect(await panel.locator('pre').nth(1).textContent()).toBe(`curl -H "X-API-Key: ${secret}" ${server.url}/api/v1/me`);

    await panel.getByRole('button', { name: 'Copy' }).first().click();
    await panel.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

    const response = await meWith(secret);
    expect(response.status).toBe(200);
    const me = (await response.json()) as { token: { name: string; scopes: string[]; expires_at: string } };
    expect(me.token.name).toBe('CI deploy');
    expect([...me.token.scopes].sort()).toEqual(['device_requests:write', 'devices:read']);
    const days = (Date.parse(me.token.expires_at) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);

    await panel.getByRole('button', { name: 'Done' }).click();
    await panel.waitFor({ state: 'detached' });
  });

  it('lists the token without its secret', async () => {
    const row = page.getByRole('row', { name: /CI deploy/ });
    await row.waitFor();
    const text = await row.textContent();
    expect(text).toContain(`${secret.slice(0, 7)}…${secret.slice(-4)}`);
    expect(text).not.toContain(secret);
    expect(text).toContain('devices:read');
    expect(text).toContain('device_requests:write');
    expect(text).toContain('Active');
  });

  it('shows when and from where the token was last used once the person comes back to the page', async () => {
    const lastUsed = page.getByRole('row', { name: /CI deploy/ }).locator('td[data-label="Last used"]');
    expect((await meWith(secret)).status).toBe(200);
    // What the browser fires when someone returns from the terminal where the script ran.
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await lastUsed.getByText('from 127.0.0.1').waitFor();
    expect(await lastUsed.locator('time').textContent()).toBe('just now');
    const usedAt = Date.parse((await lastUsed.locator('time').getAttribute('datetime')) as string);
    expect(Date.now() - usedAt).toBeLessThan(60_000);
  });

  it('renames the token in place', async () => {
    await page.getByRole('button', { name: 'Rename CI deploy' }).click();
    const input = page.getByLabel('Token name');
    await input.fill('CI deploy (prod)');
    await input.press('Enter');
    await page.getByRole('button', { name: 'Rename CI deploy (prod)' }).waitFor();
    const response = await meWith(secret);
    expect(((await response.json()) as { token: { name: string } }).token.name).toBe('CI deploy (prod)');
  });

  it('disables the token (it then gets 401) and enables it again', async () => {
    const row = page.getByRole('row', { name: /CI deploy \(prod\)/ });
    await page.getByRole('button', { name: 'Disable CI deploy (prod)' }).click();
    await row.getByText('Disabled', { exact: true }).waitFor();
    expect((await meWith(secret)).status).toBe(401);

    await page.getByRole('button', { name: 'Enable CI deploy (prod)' }).click();
    await row.getByText('Active', { exact: true }).waitFor();
    expect((await meWith(secret)).status).toBe(200);
  });

  it('rotates the token with a grace period and shows the new secret once', async () => {
    await page.getByRole('button', { name: 'Rotate CI deploy (prod)' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate “CI deploy (prod)”' });
    await dialog.getByLabel('Grace period for the old token').selectOption({ label: '24 hours' });
    await dialog.getByRole('button', { name: 'Rotate token' }).click();

    const done = page.getByRole('dialog', { name: '“CI deploy (prod)” rotated' });
    await done.getByText('keeps working for 24 hours').waitFor();
    rotatedSecret = await done.getByTestId('secret').inputValue();
    expect(rotatedSecret).toMatch(/^kw_/);
    expect(rotatedSecret).not.toBe(secret);
    await done.getByRole('button', { name: 'Done' }).click();

    // Inside the grace period both secrets work.
    expect((await meWith(secret)).status).toBe(200);
    expect((await meWith(rotatedSecret)).status).toBe(200);
    await page.getByText('Active (rotated)').waitFor();
  });

  it('revokes the new token through the confirmation dialog; it then gets 401', async () => {
    const newId = ((await (await meWith(rotatedSecret)).json()) as { token: { id: string } }).token.id;
    const row = page.locator(`tr[data-token-id="${newId}"]`);
    await row.getByRole('button', { name: 'Revoke CI deploy (prod)' }).click();

    const confirm = page.getByRole('dialog', { name: 'Revoke “CI deploy (prod)”?' });
    await confirm.getByText('This cannot be undone').waitFor();
    // Cancel has the focus, so Enter on an unexpected dialog does no harm.
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    expect((await meWith(rotatedSecret)).status).toBe(200);

    await row.getByRole('button', { name: 'Revoke CI deploy (prod)' }).click();
    await page.getByRole('dialog', { name: 'Revoke “CI deploy (prod)”?' }).getByRole('button', { name: 'Revoke token' }).click();
    await row.getByText('Revoked').waitFor();
    const response = await meWith(rotatedSecret);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('shows the token’s whole history in the audit log and exports it as CSV and NDJSON', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    const flow = ['token.created', 'token.renamed', 'token.disabled', 'token.enabled', 'token.rotated', 'token.revoked'];
    for (const action of flow) await page.getByRole('row', { name: new RegExp(action.replace('.', '\\.')) }).first().waitFor();
    // Sign-ins (session.created) are recorded without an org, so no org's log lists them: see the deployment log below.

    const csv = await download('Export CSV');
    expect(csv.type).toContain('text/csv');
    const [header, ...rows] = csv.body.trim().split(/\r?\n/);
    expect(header).toBe('id,created_at,action,actor_type,actor_id,impersonator_id,target_type,target_id,ip,user_agent,details');
    for (const action of flow) expect(rows.some((row) => row.split(',')[2] === action), action).toBe(true);

    const ndjson = await download('Export NDJSON');
    expect(ndjson.type).toContain('application/x-ndjson');
    const events = ndjson.body.trim().split('\n').map((line) => JSON.parse(line) as { action: string; target: { id: string } | null });
    for (const action of flow) expect(events.some((e) => e.action === action), action).toBe(true);
    for (const body of [csv.body, ndjson.body]) {
      expect(body).not.toContain(secret);
      expect(body).not.toContain(rotatedSecret);
    }
  });

  it('shows the site admin the sign-ins and the failed one in the deployment log, and exports them as CSV', async () => {
    const orgLog = new URL(page.url()).pathname;
    await page.getByRole('link', { name: 'Deployment: sign-ins, users, verifiers' }).click();
    expect(new URL(page.url()).search).toBe('?scope=deployment');
    const signIns = page.getByRole('row', { name: /session\.created/ });
    await signIns.first().waitFor();
    // The first-run setup signed Ada in, then she signed out and in again.
    expect(await signIns.count()).toBe(2);
    // Names replace the ids once the portal has looked the users up: wait for them, not the first paint.
    await signIns.first().locator('td[data-label="Actor"]', { hasText: ADMIN.name }).waitFor();
    await signIns.first().locator('td[data-label="Target"]', { hasText: ADMIN.name }).waitFor();
    expect(await signIns.first().locator('td[data-label="Actor"]').innerText()).toBe(ADMIN.name);
    expect(await signIns.first().locator('td[data-label="Target"]').innerText()).toBe(`${ADMIN.name}\nuser`);
    const failed = page.getByRole('row', { name: /session\.failed/ });
    expect(await failed.count()).toBe(1);
    expect(await failed.locator('td[data-label="Details"]').innerText()).toBe(`email ${ADMIN.email}`);
    // No org's events here.
    expect(await page.getByRole('row', { name: /token\./ }).count()).toBe(0);

    const adminId = ((await (await page.request.get(`${server.url}/api/v1/me`)).json()) as { user: { id: string } }).user.id;
    const csv = await download('Export CSV');
    expect(csv.href).toBe('/api/v1/audit-events?format=csv');
    expect(csv.type).toContain('text/csv');
    const rows = csvRows(csv.body);
    expect(rows.filter((row) => row[2] === 'session.created').map((row) => row[4])).toEqual([adminId, adminId]);
    const failedRows = rows.filter((row) => row[2] === 'session.failed');
    expect(failedRows).toHaveLength(1);
    expect(failedRows[0]?.join(',')).toContain(ADMIN.email);
    expect(rows.some((row) => row[2]?.startsWith('token.'))).toBe(false);
    // The failed sign-in is recorded by whom it named, never with the password tried.
    expect(csv.body).not.toContain('wrong password');
    expect(csv.body).not.toContain(ADMIN.password);

    await page.getByLabel('Action').fill('session.failed');
    await page.getByRole('button', { name: 'Filter' }).click();
    await signIns.first().waitFor({ state: 'detached' });
    await failed.waitFor();
    const filtered = await download('Export CSV');
    expect(filtered.href).toBe('/api/v1/audit-events?action=session.failed&format=csv');
    expect(csvRows(filtered.body).map((row) => row[2])).toEqual(['session.failed']);

    await page.getByRole('link', { name: 'This organization' }).click();
    await page.getByRole('row', { name: /token\.revoked/ }).first().waitFor();
    expect(new URL(page.url()).pathname).toBe(orgLog);
    expect(await page.getByRole('row', { name: /session\./ }).count()).toBe(0);
  });

  it('gives an org admin who is not a site admin only the org’s log', async () => {
    const orgId = new URL(page.url()).pathname.split('/')[2] as string;
    const api = await apiSession(server.url, ADMIN.email, ADMIN.password);
    await api('POST', '/users', ORG_ADMIN);
    await api('POST', `/orgs/${orgId}/members`, { email: ORG_ADMIN.email, role: 'admin' });
    const otto = await browser.newContext();
    try {
      const ottoPage = await otto.newPage();
      ottoPage.setDefaultTimeout(15_000);
      await signInPage(ottoPage, server.url, ORG_ADMIN);
      await ottoPage.getByRole('link', { name: 'Audit log' }).click();
      await ottoPage.getByRole('row', { name: /token\.revoked/ }).first().waitFor();
      expect(await ottoPage.getByRole('navigation', { name: 'Which audit log' }).count()).toBe(0);
      // The deployment log's address shows them the org's log, and the API refuses them its export.
      await ottoPage.goto(`${server.url}/orgs/${orgId}/audit?scope=deployment`);
      await ottoPage.getByRole('row', { name: /token\.revoked/ }).first().waitFor();
      expect(await ottoPage.getByRole('link', { name: /^Deployment/ }).count()).toBe(0);
      expect(await ottoPage.getByRole('row', { name: /session\./ }).count()).toBe(0);
      expect((await ottoPage.request.get(`${server.url}/api/v1/audit-events?format=csv`)).status()).toBe(403);
    } finally {
      await otto.close();
    }
  });

  it('serves the portal for its own deep links and keeps API 404s as problems', async () => {
    const deep = await fetch(`${server.url}/orgs/org_unknown/audit`);
    expect(deep.status).toBe(200);
    expect(deep.headers.get('content-security-policy')).toContain("script-src 'self'");
    const api = await fetch(`${server.url}/api/v1/nothing-here`);
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('application/problem+json');
  });
});
