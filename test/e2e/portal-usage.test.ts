import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERIFY_CODES } from '../../src/core/verify-codes.js';
import { startBuiltServer } from '../server-process.js';
import { browserAvailable, launchBrowser } from './browser.js';
import { apiSession, signInPage, type ApiClient } from './session.js';

const ADMIN = { email: 'root@example.com', password: 'admin password 1' };
const BOB = { name: 'Bob Builder', email: 'bob@example.com', password: 'bob password 1' };
const DEFAULT_LIMIT = { name: 'per_minute', limit: 100, window_seconds: 60 };
/** How the portal names the outcomes these tests meet. */
const LABELS: Record<string, string> = { VALID: 'Valid', RATE_LIMITED: 'Rate limited', USAGE_EXCEEDED: 'Out of credits' };

type TokenView = {
  id: string;
  rate_limits: { name: string; limit: number; window_seconds: number }[];
  usage_limit: { remaining: number; refill: { amount: number; interval: string } | null } | null;
};
type Policy = { default_rate_limits: { name: string; limit: number; window_seconds: number }[] };

/** The cells of a table row by their column headings, as the page shows them. */
async function rowByHeadings(table: Locator, row: Locator): Promise<Record<string, string>> {
  const headings = await table.locator('thead th').allInnerTexts();
  const cells = await row.locator('th, td').allInnerTexts();
  return Object.fromEntries(headings.map((heading, i) => [heading.trim().toLowerCase(), (cells[i] ?? '').trim()]));
}

/**
 * Usage controls in a real browser against the built server: rate limits and credits in the create
 * dialog (from the org's defaults), the token page with its addresses and its chart of
 * verifications, the credits edit, the org's usage overview and the default limits in Settings.
 */
describe.skipIf(!browserAvailable())('portal: usage controls', () => {
  let server: Awaited<ReturnType<typeof startBuiltServer>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let api: ApiClient;
  let orgId = '';
  let verifierSecret = '';
  let secret = '';
  let tokenId = '';
  /** What verify answered, code by code, for the token made in the dialog and for all of the org's. */
  const answered = new Map<string, number>();
  const orgAnswered = new Map<string, number>();
  const count = (answers: Map<string, number>, code: string) => answers.set(code, (answers.get(code) ?? 0) + 1);
  /** What the browser reported as errors, such as a style or script the Content-Security-Policy blocked. */
  const consoleErrors: string[] = [];

  const verify = async (token: string, ip: string) => {
    const response = await fetch(`${server.url}/api/v1/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${verifierSecret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ token, ip }),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { code: string }).code;
  };
  const dialog = () => page.getByRole('dialog', { name: 'Create a token' });
  const limitRow = (scope: Page | Locator, n: number) => scope.getByRole('group', { name: `Rate limit ${n}` });

  beforeAll(async () => {
    server = await startBuiltServer({ KEYWARD_ADMIN_EMAIL: ADMIN.email, KEYWARD_ADMIN_PASSWORD: ADMIN.password });
    api = await apiSession(server.url, ADMIN.email, ADMIN.password);
    orgId = (await api<{ id: string }>('POST', '/orgs', { name: 'Device Lab', slug: 'device-lab', plan: 'enterprise', owner_email: ADMIN.email })).id;
    await api('PATCH', `/orgs/${orgId}`, { token_policy: { default_rate_limits: [DEFAULT_LIMIT] } });
    await api('POST', '/users', BOB);
    await api('POST', `/orgs/${orgId}/members`, { email: BOB.email, role: 'member' });
    verifierSecret = (await api<{ secret: string }>('POST', '/verifiers', { name: 'billing API' })).secret;
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('console', (message) => {
      // The refusals these tests ask for (a 400, the 401 before signing in) are logged too: not those.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await signInPage(page, server.url, ADMIN);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('starts the create dialog from the org’s default rate limits', async () => {
    await page.getByRole('button', { name: 'Create token' }).first().click();
    const first = limitRow(dialog(), 1);
    expect(await first.getByLabel('Limit name').inputValue()).toBe('per_minute');
    expect(await first.getByLabel('Uses').inputValue()).toBe('100');
    expect(await first.getByLabel('Per').inputValue()).toBe('1');
    expect(await first.getByLabel('Unit').inputValue()).toBe('minute');
    expect(await limitRow(dialog(), 2).count()).toBe(0);
  });

  it('shows the server’s 400 next to the rate limit it names', async () => {
    await dialog().getByLabel('Name', { exact: true }).fill('Billing sync');
    await dialog().getByRole('checkbox', { name: /devices:read/ }).check();
    await limitRow(dialog(), 1).getByLabel('Uses').fill('5');
    await dialog().getByRole('button', { name: 'Add a rate limit' }).click();
    const second = limitRow(dialog(), 2);
    await second.getByLabel('Limit name').fill('per_day');
    await second.getByLabel('Uses').fill('1000');
    await second.getByLabel('Per').fill('2');
    await second.getByLabel('Unit').selectOption('day');
    await dialog().getByRole('button', { name: 'Create token' }).click();

    // Two days is over the one-day bound: the server names rate_limits.1.window_seconds, the row says it in its words.
    await second.getByRole('alert').waitFor();
    expect(await second.getByRole('alert').textContent()).toBe('The window must be a whole number of seconds, minutes or hours, from 1 second to 1 day.');
    expect(await second.getByLabel('Per').getAttribute('aria-invalid')).toBe('true');
    expect(await limitRow(dialog(), 1).getByRole('alert').count()).toBe(0);
  });

  it('creates the token with its limits and credits; the secret panel is as before', async () => {
    await limitRow(dialog(), 2).getByLabel('Per').fill('1');
    await dialog().getByLabel('Limit its use with credits').check();
    await dialog().getByLabel('Credits left').fill('4');
    await dialog().getByRole('button', { name: 'Create token' }).click();

    const panel = page.getByRole('dialog', { name: 'Token created' });
    await panel.getByText("You won't be able to see it again").waitFor();
    secret = await panel.getByTestId('secret').inputValue();
    await panel.getByRole('button', { name: 'Done' }).click();
    await panel.waitFor({ state: 'detached' });

    const [token] = (await api<{ data: TokenView[] }>('GET', `/orgs/${orgId}/tokens?owner=me`)).data;
    tokenId = token!.id;
    expect(token!.rate_limits).toEqual([
      { name: 'per_minute', limit: 5, window_seconds: 60 },
      { name: 'per_day', limit: 1000, window_seconds: 86_400 },
    ]);
    expect(token!.usage_limit).toEqual({ remaining: 4, refill: null });
  });

  it('lists the token’s limits compactly, with a link to its page', async () => {
    const row = page.getByRole('row', { name: /Billing sync/ });
    expect(await row.locator('.token-limits').innerText()).toBe('5/min · 1,000/day · 4 credits left');
    await row.getByRole('link', { name: 'Billing sync' }).click();
    await page.getByRole('heading', { name: 'Billing sync', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/orgs/${orgId}/tokens/${tokenId}`);
  });

  it('shows the token’s facts, limits and credits, and no use yet', async () => {
    const limits = page.getByRole('region', { name: 'Rate limits' });
    expect(await rowByHeadings(limits.getByRole('table'), limits.getByRole('row').nth(1))).toEqual({ name: 'per_minute', uses: '5', per: '1 minute' });
    expect(await rowByHeadings(limits.getByRole('table'), limits.getByRole('row').nth(2))).toEqual({ name: 'per_day', uses: '1,000', per: '1 day' });
    await page.getByRole('region', { name: 'Usage credits' }).getByText('4 credits left').waitFor();
    await page.getByRole('region', { name: 'Recent addresses' }).getByText('Not used yet.').waitFor();
    await page.getByText(/^No verifications from/).waitFor();
  });

  it('draws the verifications by outcome and lists the addresses once the token is used', async () => {
    // The four credits go from three addresses; the refused uses after them come from a fourth.
    const ips = ['198.51.100.20', '203.0.113.7', '192.0.2.1', '203.0.113.7', '192.0.2.50', '192.0.2.50', '192.0.2.50'];
    for (const ip of ips) {
      const code = await verify(secret, ip);
      count(answered, code);
      count(orgAnswered, code);
    }
    // Four credits, then none (and five uses a minute).
    expect(answered.get('VALID')).toBe(4);
    expect(answered.has('USAGE_EXCEEDED')).toBe(true);
    const codes = VERIFY_CODES.filter((code) => answered.has(code));

    // What the browser fires when someone comes back to the window.
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    const chart = page.getByRole('img', { name: /^7 verifications from/ });
    await chart.waitFor();
    // The bars themselves, drawn by the lazily loaded chart module.
    await expect.poll(() => chart.locator('.recharts-bar-rectangle').count()).toBeGreaterThan(0);
    // The chart module loads and draws under the portal's strict Content-Security-Policy.
    expect(consoleErrors).toEqual([]);
    const legend = page.getByRole('list', { name: 'Outcomes in the chart' });
    expect((await legend.getByRole('listitem').allInnerTexts()).map((text) => text.trim())).toEqual(codes.map((code) => `${LABELS[code]} ${code}`));

    await page.getByText('Show the numbers').click();
    const table = page.getByRole('table', { name: /by day and outcome/ });
    const today = await rowByHeadings(table, table.getByRole('row').last());
    expect(today).toEqual({
      'day (utc)': expect.any(String),
      ...Object.fromEntries(codes.map((code) => [String(LABELS[code]).toLowerCase(), String(answered.get(code))])),
      total: '7',
    });
    expect(await table.getByRole('row').count()).toBe(31);

    const addresses = page.getByRole('region', { name: 'Recent addresses' }).getByRole('table');
    await addresses.getByText('198.51.100.20').waitFor();
    // Newest first; a refused use is no use of the token, so its address is not listed.
    const listed = await addresses.locator('tbody td:first-child').allInnerTexts();
    expect(listed).toEqual(['203.0.113.7', '192.0.2.1', '198.51.100.20']);
    await page.getByRole('region', { name: 'Usage credits' }).getByText('0 credits left').waitFor();
  });

  it('tops the credits up with a monthly refill; a 400 shows at the refill amount', async () => {
    const credits = page.getByRole('form', { name: 'Change the credits' });
    await credits.getByLabel('Credits left').fill('100');
    await credits.getByLabel('Refill', { exact: true }).selectOption('month');
    await credits.getByRole('button', { name: 'Save credits' }).click();
    // Left blank, the amount goes as null and the server names usage_limit.refill.amount.
    const amount = credits.getByLabel('Refill to');
    await credits.getByRole('alert').waitFor();
    expect(await credits.getByRole('alert').textContent()).toBe('Refill to must be a whole number, at least 1.');
    expect(await amount.getAttribute('aria-invalid')).toBe('true');

    await amount.fill('500');
    await credits.getByRole('button', { name: 'Save credits' }).click();
    await page.getByText('Credits saved.').waitFor();
    await page.getByText('100 credits left, refilled to 500 monthly').waitFor();
    const token = await api<TokenView>('GET', `/orgs/${orgId}/tokens/${tokenId}`);
    expect(token.usage_limit).toEqual({ remaining: 100, refill: { amount: 500, interval: 'month' } });
  });

  it('shows the org’s usage to a manager: the chart, the busiest tokens and the rejections by code', async () => {
    // A second token, held back by its rate limit of one use a minute.
    const nightly = await api<{ secret: string }>('POST', `/orgs/${orgId}/tokens`, {
      name: 'Nightly export',
      scopes: ['devices:read'],
      expires_in_days: 30,
      rate_limits: [{ name: 'per_minute', limit: 1, window_seconds: 60 }],
    });
    for (let i = 0; i < 3; i++) count(orgAnswered, await verify(nightly.secret, '192.0.2.9'));
    expect(orgAnswered.get('RATE_LIMITED')).toBe(2);

    await page.getByRole('link', { name: 'Usage', exact: true }).click();
    await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
    await page.getByRole('img', { name: /^10 verifications from/ }).waitFor();

    const busiest = page.getByRole('region', { name: 'Busiest tokens' }).getByRole('table');
    expect(await rowByHeadings(busiest, busiest.getByRole('row').nth(1))).toEqual({ token: 'Billing sync', verifications: '7', valid: '4', rejected: '3' });
    expect(await rowByHeadings(busiest, busiest.getByRole('row').nth(2))).toEqual({ token: 'Nightly export', verifications: '3', valid: '1', rejected: '2' });

    const rejections = page.getByRole('region', { name: 'Rejections by code' }).getByRole('table');
    const refused = [...orgAnswered].filter(([code]) => code !== 'VALID').sort((a, b) => b[1] - a[1]);
    const all = refused.reduce((sum, [, n]) => sum + n, 0);
    const rows = rejections.getByRole('row');
    expect(await rows.count()).toBe(refused.length + 1);
    for (const [i, [code, n]] of refused.entries()) {
      expect(await rowByHeadings(rejections, rows.nth(i + 1))).toEqual({
        outcome: `${LABELS[code]} ${code}`,
        verifications: String(n),
        'share of rejections': `${Math.round((n / all) * 100)}%`,
      });
    }

    await busiest.getByRole('link', { name: 'Billing sync' }).click();
    await page.getByRole('heading', { name: 'Billing sync', level: 1 }).waitFor();
  });

  it('edits the org’s default rate limits in Settings, with a 400 at the row it names', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    const first = limitRow(page, 1);
    expect(await first.getByLabel('Limit name').inputValue()).toBe('per_minute');
    await first.getByLabel('Uses').fill('50');
    await page.getByRole('button', { name: 'Add a rate limit' }).click();
    const second = limitRow(page, 2);
    await second.getByLabel('Limit name').fill('burst');
    await second.getByLabel('Uses').fill('10');
    await second.getByLabel('Per').fill('2');
    await second.getByLabel('Unit').selectOption('day');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await second.getByRole('alert').waitFor();
    expect(await second.getByLabel('Per').getAttribute('aria-invalid')).toBe('true');

    // A name used twice: the server's own sentence, at the second row.
    await second.getByLabel('Limit name').fill('per_minute');
    await second.getByLabel('Per').fill('1');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await second.getByText('The rate limit name "per_minute" is used twice.').waitFor();
    expect(await second.getByLabel('Limit name').getAttribute('aria-invalid')).toBe('true');

    await second.getByLabel('Limit name').fill('burst');
    await second.getByLabel('Unit').selectOption('second');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved.').waitFor();
    const org = await api<{ token_policy: Policy }>('GET', `/orgs/${orgId}`);
    expect(org.token_policy.default_rate_limits).toEqual([
      { name: 'per_minute', limit: 50, window_seconds: 60 },
      { name: 'burst', limit: 10, window_seconds: 1 },
    ]);

    // The create dialog now starts from them.
    await page.getByRole('link', { name: 'My tokens' }).click();
    await page.getByRole('button', { name: 'Create token' }).first().click();
    expect(await limitRow(dialog(), 2).getByLabel('Limit name').inputValue()).toBe('burst');
    expect(await limitRow(dialog(), 2).getByLabel('Unit').inputValue()).toBe('second');
    await limitRow(dialog(), 2).getByRole('button', { name: 'Remove rate limit 2' }).click();
    await limitRow(dialog(), 1).getByRole('button', { name: 'Remove rate limit 1' }).click();
    await dialog().getByText('No rate limits.').waitFor();
    await page.keyboard.press('Escape');
    await dialog().waitFor({ state: 'detached' });
  });

  it('shows a member their token’s page without the credits form, saying why, and no usage overview', async () => {
    const bob = await apiSession(server.url, BOB.email, BOB.password);
    const own = await bob<{ token: { id: string } }>('POST', `/orgs/${orgId}/tokens`, {
      name: 'Bob laptop',
      scopes: ['devices:read'],
      expires_in_days: 30,
      usage_limit: { remaining: 10 },
    });
    const bobContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const bobPage = await bobContext.newPage();
      bobPage.setDefaultTimeout(15_000);
      await signInPage(bobPage, server.url, BOB);
      expect(await bobPage.getByRole('link', { name: 'Usage', exact: true }).count()).toBe(0);
      await bobPage.getByRole('link', { name: 'Bob laptop' }).click();
      await bobPage.getByRole('heading', { name: 'Bob laptop', level: 1 }).waitFor();
      const credits = bobPage.getByRole('region', { name: 'Usage credits' });
      await credits.getByText('10 credits left').waitFor();
      await credits.getByText("Changing a token's credits needs the tokens.manage permission.").waitFor();
      expect(await credits.getByRole('button', { name: 'Save credits' }).count()).toBe(0);
      // The org-wide page, opened by its address, says what it needs.
      await bobPage.goto(`${server.url}/orgs/${orgId}/usage`);
      await bobPage.getByText("Seeing the organization's usage needs the tokens.manage permission.").waitFor();
      expect(own.token.id).toMatch(/^tok_/);
    } finally {
      await bobContext.close();
    }
  });
});
