import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBuiltServer } from '../server-process.js';
import { expectNoAxeViolations } from './axe.js';
import { browserAvailable, launchBrowser } from './browser.js';
import { apiSession, signInPage, type ApiClient } from './session.js';

const ADMIN = { name: 'Ada Admin', email: 'ada@example.com', password: 'correct horse battery staple' };
const BOB = { name: 'Bob Builder', email: 'bob@example.com', password: 'bob password 1' };
const LOU = { name: 'Lou Loner', email: 'lou@example.com', password: 'lou password 1' };
/** Nothing listens there: its deliveries fail, so the delivery log has a row to show. */
const WEBHOOK_URL = 'http://127.0.0.1:9/hooks';

/** Whether `locator` has the keyboard focus. */
const hasFocus = (locator: Locator) => locator.evaluate((element) => element === document.activeElement);

/**
 * Every route of the portal (web/src/app.tsx) and every kind of dialog, each checked by axe-core
 * against WCAG 2.1 AA once it shows its data; plus where the keyboard focus lands in the dialogs.
 */
describe.skipIf(!browserAvailable())('portal: accessibility', () => {
  let server: Awaited<ReturnType<typeof startBuiltServer>>;
  let browser: Browser;
  let page: Page;
  let orgId = '';
  const orgPage = (section: string) => `${server.url}/orgs/${orgId}/${section}`;

  /** Opens a page of the portal by its address and waits for its heading. */
  const visit = async (url: string, heading: string) => {
    await page.goto(url);
    await page.getByRole('heading', { name: heading, exact: true }).waitFor();
  };

  beforeAll(async () => {
    server = await startBuiltServer({ KEYWARD_WEBHOOK_ALLOW_PRIVATE: 'true' });
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(15_000);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the first-run setup page', async () => {
    const link = /(http:\/\/\S+\/setup\?token=\S+)/.exec(server.output())?.[1];
    expect(link, server.output()).toBeDefined();
    await page.goto(link as string);
    await page.getByRole('heading', { name: 'Set up Keyward' }).waitFor();
    await expectNoAxeViolations(page, 'the setup page');
    // The only way to the first site admin; the suites below go on signed in as them.
    await page.getByLabel('Your name').fill(ADMIN.name);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password', { exact: true }).fill(ADMIN.password);
    await page.getByLabel('Repeat the password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create site admin' }).click();
    await page.getByRole('heading', { name: 'Site admin' }).waitFor();
  });

  describe('signed in as the site admin, with something on every page', () => {
    let api: ApiClient;
    let webhookId = '';
    let tokenId = '';

    beforeAll(async () => {
      api = await apiSession(server.url, ADMIN.email, ADMIN.password);
      orgId = (await api<{ id: string }>('POST', '/orgs', { name: 'Device Lab', slug: 'device-lab', plan: 'enterprise', owner_email: ADMIN.email })).id;
      await api('POST', '/users', BOB);
      await api('POST', '/users', LOU);
      await api('POST', `/orgs/${orgId}/members`, { email: BOB.email, role: 'member' });
      await api('PATCH', `/orgs/${orgId}`, { token_policy: { default_rate_limits: [{ name: 'per_minute', limit: 100, window_seconds: 60 }] } });
      const token = await api<{ token: { id: string }; secret: string }>('POST', `/orgs/${orgId}/tokens`, {
        name: 'CI deploy',
        scopes: ['devices:read'],
        expires_in_days: 30,
        usage_limit: { remaining: 1000, refill: { amount: 1000, interval: 'day' } },
      });
      tokenId = token.token.id;
      await api('POST', `/orgs/${orgId}/roles`, { name: 'Auditor', permissions: ['audit.read'] });
      await api('POST', `/orgs/${orgId}/service-accounts`, { name: 'release-bot' });
      webhookId = (await api<{ webhook: { id: string } }>('POST', `/orgs/${orgId}/webhooks`, { url: WEBHOOK_URL })).webhook.id;
      const verifier = await api<{ secret: string }>('POST', '/verifiers', { name: 'device-lab API' });
      // Uses with two outcomes, so the usage charts have bars, a legend and a table to check.
      for (const scopes of [[], [], ['devices:write']]) {
        const response = await fetch(`${server.url}/api/v1/verify`, {
          method: 'POST',
          headers: { authorization: `Bearer ${verifier.secret}`, 'content-type': 'application/json' },
          body: JSON.stringify({ token: token.secret, scopes, ip: '203.0.113.7' }),
        });
        expect(response.status).toBe(200);
      }
    });

    it('site admin: organizations, people, verifiers, and the plan dialog', async () => {
      await visit(`${server.url}/admin`, 'Site admin');
      await page.getByRole('row', { name: /Device Lab/ }).waitFor();
      await page.getByText('device-lab API').waitFor();
      await expectNoAxeViolations(page, 'the site admin page');

      await page.getByRole('button', { name: 'Plan & features of Device Lab' }).click();
      const dialog = page.getByRole('dialog', { name: 'Plan and features of Device Lab' });
      expect(await hasFocus(dialog.getByLabel('Plan'))).toBe(true);
      await expectNoAxeViolations(page, 'the plan dialog');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });
    });

    it('site admin: a new verifier’s secret, and the confirmation to deactivate a person', async () => {
      await page.getByLabel('Resource server name').fill('billing API');
      await page.getByRole('button', { name: 'Create verifier' }).click();
      const created = page.getByRole('dialog', { name: 'Verifier “billing API” created' });
      await created.getByLabel('Verifier secret').waitFor();
      await expectNoAxeViolations(page, 'the verifier secret dialog');
      await created.getByRole('button', { name: 'Done' }).click();

      await page.getByRole('button', { name: `Deactivate ${LOU.name}` }).click();
      const confirm = page.getByRole('dialog', { name: `Deactivate ${LOU.name}?` });
      // The safe choice has the focus, so Enter on an unexpected dialog does no harm.
      expect(await hasFocus(confirm.getByRole('button', { name: 'Cancel' }))).toBe(true);
      await expectNoAxeViolations(page, 'a confirmation dialog');
      await page.keyboard.press('Escape');
      await confirm.waitFor({ state: 'detached' });
    });

    it('my tokens, the create dialog and the secret panel', async () => {
      await visit(orgPage('tokens'), 'My tokens');
      await page.getByRole('row', { name: /CI deploy/ }).waitFor();
      await expectNoAxeViolations(page, 'My tokens');

      await page.getByRole('button', { name: 'Create token' }).click();
      const dialog = page.getByRole('dialog', { name: 'Create a token' });
      await dialog.getByRole('checkbox', { name: /devices:read/ }).waitFor();
      await dialog.getByRole('group', { name: 'Rate limit 1' }).waitFor();
      await expectNoAxeViolations(page, 'the create dialog');
      await dialog.getByLabel('Limit its use with credits').check();
      await dialog.getByLabel('Refill', { exact: true }).selectOption('day');
      await dialog.getByLabel('Refill to').fill('1000');
      await expectNoAxeViolations(page, 'the create dialog with credits');

      await dialog.getByLabel('Name', { exact: true }).fill('Nightly export');
      await dialog.getByRole('checkbox', { name: /devices:read/ }).check();
      await dialog.getByRole('button', { name: 'Create token' }).click();
      const created = page.getByRole('dialog', { name: 'Token created' });
      await created.getByTestId('secret').waitFor();
      await expectNoAxeViolations(page, 'the secret panel');
      await created.getByRole('button', { name: 'Done' }).click();
      await created.waitFor({ state: 'detached' });
    });

    it('a token’s rename form, rotate dialog and revoke confirmation', async () => {
      await page.getByRole('button', { name: 'Rename CI deploy' }).click();
      await page.getByLabel('Token name').waitFor();
      await expectNoAxeViolations(page, 'the rename form');
      await page.getByLabel('Token name').press('Escape');

      await page.getByRole('button', { name: 'Rotate CI deploy' }).click();
      const rotate = page.getByRole('dialog', { name: 'Rotate “CI deploy”' });
      expect(await hasFocus(rotate.getByLabel('Grace period for the old token'))).toBe(true);
      await expectNoAxeViolations(page, 'the rotate dialog');
      await rotate.getByRole('button', { name: 'Cancel' }).click();

      await page.getByRole('button', { name: 'Revoke CI deploy' }).click();
      const revoke = page.getByRole('dialog', { name: 'Revoke “CI deploy”?' });
      expect(await hasFocus(revoke.getByRole('button', { name: 'Cancel' }))).toBe(true);
      await expectNoAxeViolations(page, 'the revoke confirmation');
      await revoke.getByRole('button', { name: 'Cancel' }).click();
      await revoke.waitFor({ state: 'detached' });
    });

    it('all tokens', async () => {
      await visit(orgPage('all-tokens'), 'All tokens');
      await page.getByRole('row', { name: /Nightly export/ }).waitFor();
      await expectNoAxeViolations(page, 'All tokens');
    });

    it('a token’s page, with its chart, its numbers and the credits form', async () => {
      await visit(`${orgPage('tokens')}/${tokenId}`, 'CI deploy');
      await page.locator('.recharts-bar-rectangle').first().waitFor();
      await page.getByRole('form', { name: 'Change the credits' }).waitFor();
      await page.getByText('Show the numbers').click();
      await expectNoAxeViolations(page, 'the token page');
    });

    it('the usage overview', async () => {
      await visit(orgPage('usage'), 'Usage');
      await page.getByRole('region', { name: 'Busiest tokens' }).getByRole('link', { name: 'CI deploy' }).waitFor();
      await page.locator('.recharts-bar-rectangle').first().waitFor();
      await page.getByText('Show the numbers').click();
      await expectNoAxeViolations(page, 'the usage overview');
    });

    it('members and service accounts', async () => {
      await visit(orgPage('members'), 'Members');
      await page.getByRole('row', { name: new RegExp(BOB.name) }).waitFor();
      await page.getByRole('button', { name: 'Create token for release-bot' }).waitFor();
      await expectNoAxeViolations(page, 'Members');
    });

    it('roles, and a custom role being edited', async () => {
      await visit(orgPage('roles'), 'Roles');
      await page.getByRole('heading', { name: 'Auditor' }).waitFor();
      await expectNoAxeViolations(page, 'Roles');
      await page.getByRole('button', { name: 'Edit' }).click();
      await page.getByRole('button', { name: 'Save role' }).waitFor();
      await expectNoAxeViolations(page, 'Roles, editing a role');
    });

    it('the org’s audit log and the deployment’s', async () => {
      await visit(orgPage('audit'), 'Audit log');
      await page.getByRole('row', { name: /token\.created/ }).first().waitFor();
      await expectNoAxeViolations(page, 'the org’s audit log');
      await page.getByRole('link', { name: 'Deployment: sign-ins, users, verifiers' }).click();
      await page.getByRole('row', { name: /session\.created/ }).first().waitFor();
      await expectNoAxeViolations(page, 'the deployment’s audit log');
    });

    it('webhooks, the add dialog, the new signing secret and the delivery log', async () => {
      await visit(orgPage('webhooks'), 'Webhooks');
      await page.getByRole('row', { name: new RegExp(WEBHOOK_URL.replace(/[.]/g, '\\.')) }).waitFor();
      await expectNoAxeViolations(page, 'Webhooks');

      await page.getByRole('button', { name: 'Add endpoint' }).click();
      const dialog = page.getByRole('dialog', { name: 'Add a webhook endpoint' });
      expect(await hasFocus(dialog.getByLabel('Endpoint URL'))).toBe(true);
      await dialog.getByLabel('Only the events chosen below').check();
      await expectNoAxeViolations(page, 'the add-endpoint dialog');
      await dialog.getByLabel('Endpoint URL').fill('http://127.0.0.1:9/other');
      await dialog.getByLabel(/token\.created/).check();
      await dialog.getByRole('button', { name: 'Add endpoint' }).click();
      const added = page.getByRole('dialog', { name: 'Endpoint added' });
      await added.getByTestId('secret').waitFor();
      await expectNoAxeViolations(page, 'the signing secret dialog');
      await added.getByRole('button', { name: 'Done' }).click();

      // The log shows the attempts made when it opens: wait for the first (of the token made above).
      const deliveries = () => api<{ data: unknown[] }>('GET', `/orgs/${orgId}/webhooks/${webhookId}/deliveries`);
      await expect.poll(async () => (await deliveries()).data.length, { timeout: 20_000 }).toBeGreaterThan(0);
      await page.getByRole('button', { name: `Deliveries to ${WEBHOOK_URL}` }).click();
      await page.getByRole('region', { name: `Deliveries to ${WEBHOOK_URL}` }).getByRole('row', { name: /token\.created/ }).first().waitFor();
      await expectNoAxeViolations(page, 'the delivery log');
    });

    it('settings', async () => {
      await visit(orgPage('settings'), 'Settings');
      await page.getByLabel('Maximum lifetime (days)').waitFor();
      await expectNoAxeViolations(page, 'Settings');
    });

    it('a page that does not exist', async () => {
      await visit(`${server.url}/nowhere`, 'Page not found');
      await expectNoAxeViolations(page, 'the not-found page');
    });

    it('my tokens on a phone screen', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      try {
        await visit(orgPage('tokens'), 'My tokens');
        await page.getByRole('row', { name: /Nightly export/ }).waitFor();
        await expectNoAxeViolations(page, 'My tokens on a phone');
        await visit(`${orgPage('tokens')}/${tokenId}`, 'CI deploy');
        await page.locator('.recharts-bar-rectangle').first().waitFor();
        await expectNoAxeViolations(page, 'a token’s page on a phone');
      } finally {
        await page.setViewportSize({ width: 1280, height: 900 });
      }
    });

    it('opens the create dialog with the focus in the name field, so a typed name with a space keeps it open', async () => {
      await visit(orgPage('tokens'), 'My tokens');
      await page.getByRole('button', { name: 'Create token' }).focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog', { name: 'Create a token' });
      await dialog.waitFor();
      // Typed where the focus is, as a person would: a space on a focused button would press it.
      await page.keyboard.type('Release pipeline');
      expect(await dialog.isVisible()).toBe(true);
      expect(await dialog.getByLabel('Name', { exact: true }).inputValue()).toBe('Release pipeline');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
    });

    it('moves the focus to the new secret, selected, once the token is created', async () => {
      await visit(orgPage('tokens'), 'My tokens');
      await page.getByRole('button', { name: 'Create token' }).click();
      const dialog = page.getByRole('dialog', { name: 'Create a token' });
      await dialog.getByLabel('Name', { exact: true }).fill('Focus check');
      await dialog.getByRole('checkbox', { name: /devices:read/ }).check();
      await dialog.getByRole('radio', { name: /^30 days/ }).check();
      await dialog.getByRole('button', { name: 'Create token' }).click();
      const panel = page.getByRole('dialog', { name: 'Token created' });
      const secret = panel.getByTestId('secret');
      await secret.waitFor();
      await expect.poll(() => secret.evaluate((input) => input === document.activeElement)).toBe(true);
      expect(await secret.evaluate((input: HTMLInputElement) => input.value.slice(input.selectionStart ?? 0, input.selectionEnd ?? 0))).toBe(await secret.inputValue());
      await page.keyboard.press('Escape');
    });
  });

  describe('signed out, as a member, in no organization, and with the server down', () => {
    it('the sign-in page, also with a refusal', async () => {
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in to Keyward' }).waitFor();
      await expectNoAxeViolations(page, 'the sign-in page');
      await page.getByLabel('Email').fill(ADMIN.email);
      await page.getByLabel('Password').fill('wrong password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').waitFor();
      await expectNoAxeViolations(page, 'the sign-in page after a refusal');
    });

    it('a member’s empty My tokens', async () => {
      await signInPage(page, server.url, BOB);
      await page.getByText('You have no tokens yet').waitFor();
      await expectNoAxeViolations(page, 'a member’s empty My tokens');
      await page.getByRole('button', { name: 'Sign out' }).click();
    });

    it('the page of a person in no organization', async () => {
      await page.getByRole('heading', { name: 'Sign in to Keyward' }).waitFor();
      await page.getByLabel('Email').fill(LOU.email);
      await page.getByLabel('Password').fill(LOU.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'No organization yet' }).waitFor();
      await expectNoAxeViolations(page, 'the no-organization page');
    });

    it('the page shown when the server does not answer', async () => {
      await page.route('**/api/v1/me', (route) => route.fulfill({ status: 503, contentType: 'application/problem+json', body: JSON.stringify({ title: 'Service unavailable', status: 503 }) }));
      try {
        await page.goto(server.url);
        await page.getByRole('heading', { name: 'Keyward is not answering' }).waitFor();
        await expectNoAxeViolations(page, 'the not-answering page');
      } finally {
        await page.unroute('**/api/v1/me');
      }
    });
  });
});
