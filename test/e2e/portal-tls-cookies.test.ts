import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBuiltServer } from '../server-process.js';
import { browserAvailable, launchBrowser } from './browser.js';

const ADMIN = { email: 'root@example.com', password: 'admin password 1' };

/**
 * The portal behind TLS (an https KEYWARD_PUBLIC_URL): the session and CSRF cookies are
 * `__Host-` cookies, and the portal reads the CSRF one under that name for every request that
 * changes something. Chromium treats http://localhost as a secure context and keeps Secure and
 * `__Host-` cookies there, so no TLS terminator is needed to see it.
 */
describe.skipIf(!browserAvailable())('portal: cookies behind TLS', () => {
  let server: Awaited<ReturnType<typeof startBuiltServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let url = '';

  beforeAll(async () => {
    server = await startBuiltServer({ KEYWARD_ADMIN_EMAIL: ADMIN.email, KEYWARD_ADMIN_PASSWORD: ADMIN.password, KEYWARD_PUBLIC_URL: 'https://keyward.example' });
    url = server.url.replace('127.0.0.1', 'localhost');
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('signs in with __Host- cookies', async () => {
    await page.goto(url);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Site admin' }).waitFor();
    const cookies = await context.cookies();
    expect(cookies.map((c) => c.name).sort()).toEqual(['__Host-kw_csrf', '__Host-kw_session']);
    for (const cookie of cookies) {
      expect(cookie.secure).toBe(true);
      expect(cookie.path).toBe('/');
    }
  });

  it('sends the __Host-kw_csrf value with a change: creating an organization works', async () => {
    await page.getByRole('link', { name: 'Site admin' }).click();
    await page.getByLabel('Name', { exact: true }).first().fill('Behind TLS');
    await page.getByLabel('Plan', { exact: true }).fill('enterprise');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await page.getByRole('link', { name: 'Behind TLS' }).waitFor();
  });

  it('signs out, and the browser drops both cookies', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Keyward' }).waitFor();
    expect(await context.cookies()).toEqual([]);
  });
});
