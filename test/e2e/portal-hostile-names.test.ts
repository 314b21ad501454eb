import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBuiltServer } from '../server-process.js';
import { browserAvailable, launchBrowser } from './browser.js';
import { apiSession, signInPage, type ApiClient } from './session.js';

const ADMIN = { email: 'root@example.com', password: 'admin password 1' };
const MARKUP = ['<img src=x onerror="window.__xss=1">', '<script>window.__xss=2</script>', '"><svg onload="window.__xss=3">'];

/**
 * Names stored as text (test/security/hostile-names.test.ts) are shown as text: none of the markup
 * in a token's, an org's, a member's or a role's name runs or becomes an element in the portal.
 */
describe.skipIf(!browserAvailable())('portal: hostile names', () => {
  let server: Awaited<ReturnType<typeof startBuiltServer>>;
  let browser: Browser;
  let page: Page;
  let api: ApiClient;
  let orgId = '';
  const dialogs: string[] = [];

  beforeAll(async () => {
    server = await startBuiltServer({ KEYWARD_ADMIN_EMAIL: ADMIN.email, KEYWARD_ADMIN_PASSWORD: ADMIN.password });
    api = await apiSession(server.url, ADMIN.email, ADMIN.password);
    orgId = (await api<{ id: string }>('POST', '/orgs', { name: `Org ${MARKUP[0]}`, slug: 'hostile', plan: 'enterprise', owner_email: ADMIN.email })).id;
    for (const [i, name] of MARKUP.entries()) {
      await api('POST', `/orgs/${orgId}/tokens`, { name, description: `desc ${name}`, scopes: ['devices:read'], expires_in_days: 30 });
      await api('POST', `/orgs/${orgId}/roles`, { name: `role ${i} ${name}`.slice(0, 50), permissions: ['audit.read'] });
      await api('POST', '/users', { email: `m${i}@example.com`, name: `Member ${name}`, password: 'member password 1' });
      await api('POST', `/orgs/${orgId}/members`, { email: `m${i}@example.com`, role: 'member' });
    }
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(15_000);
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await signInPage(page, server.url, ADMIN);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const injected = () =>
    page.evaluate(() => ({
      flag: (window as unknown as { __xss?: number }).__xss ?? null,
      images: document.querySelectorAll('img[src="x"]').length,
      svgs: document.querySelectorAll('svg[onload]').length,
      scripts: [...document.querySelectorAll('script')].filter((s) => !s.src).length,
    }));

  it('shows token names as text on My tokens', async () => {
    for (const name of MARKUP) await page.getByText(name, { exact: true }).first().waitFor();
    expect(await injected()).toEqual({ flag: null, images: 0, svgs: 0, scripts: 0 });
  });

  it('shows member and role names as text on Members', async () => {
    await page.getByRole('link', { name: 'Members' }).click();
    for (const name of MARKUP) await page.getByText(`Member ${name}`, { exact: true }).first().waitFor();
    expect(await injected()).toEqual({ flag: null, images: 0, svgs: 0, scripts: 0 });
    expect(dialogs).toEqual([]);
  });
});
