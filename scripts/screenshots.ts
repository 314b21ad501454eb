/**
 * `npm run screenshots`: the README's pictures of the portal. Starts the built server on a fresh
 * data directory, seeds a demo org through the public API (plus a month of usage history, see
 * backfillUsage), drives Chromium to each page and writes docs/screenshots/*.png (1280×800; the
 * create dialog and the token page as tall as they are). Stops the browser and the server by itself.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser } from '../test/e2e/browser.js';
import { apiSession, signInPage, type ApiClient } from '../test/e2e/session.js';
import { startBuiltServer } from '../test/server-process.js';

const OUT = new URL('../docs/screenshots/', import.meta.url).pathname;
const VIEWPORT = { width: 1280, height: 800 };
const DAY_MS = 86_400_000;

const SITE_ADMIN = { email: 'ops@acme.example', password: 'demo site admin password' };
const PASSWORD = 'demo password 123';
const PEOPLE = {
  maya: { email: 'maya@acme.example', name: 'Maya Chen', role: 'owner' },
  sam: { email: 'sam@acme.example', name: 'Sam Ortiz', role: 'admin' },
  lee: { email: 'lee@acme.example', name: 'Lee Park', role: 'member' },
  priya: { email: 'priya@acme.example', name: 'Priya Nair', role: 'member' },
} as const;
type Person = keyof typeof PEOPLE;

type Created = { token: { id: string }; secret: string };

/** The made-up month before today that backfillUsage writes: per token, a weekday's verifications and the share refused by code. */
type Traffic = { orgId: string; tokens: { id: string; perDay: number; rejected: Record<string, number> }[] };

/** The demo org "Acme Device Lab": four people, a service account, tokens in every state, an audit trail. */
async function seedDemoOrg(baseUrl: string): Promise<{ orgId: string; tokenId: string; traffic: Traffic }> {
  const admin = await apiSession(baseUrl, SITE_ADMIN.email, SITE_ADMIN.password);
  const users: Record<Person, string> = { maya: '', sam: '', lee: '', priya: '' };
  for (const key of Object.keys(PEOPLE) as Person[]) {
    const { email, name } = PEOPLE[key];
    users[key] = (await admin<{ id: string }>('POST', '/users', { email, name, password: PASSWORD })).id;
  }
  const org = await admin<{ id: string }>('POST', '/orgs', {
    name: 'Acme Device Lab',
    slug: 'acme-device-lab',
    plan: 'enterprise',
    features: ['insights_api'],
    owner_email: PEOPLE.maya.email,
  });
  const maya = await apiSession(baseUrl, PEOPLE.maya.email, PASSWORD);
  // Every token made without limits of its own gets these.
  await maya('PATCH', `/orgs/${org.id}`, { token_policy: { default_rate_limits: [{ name: 'per_minute', limit: 600, window_seconds: 60 }] } });
  for (const key of ['sam', 'lee', 'priya'] as const) {
    await maya('POST', `/orgs/${org.id}/members`, { email: PEOPLE[key].email, role: PEOPLE[key].role });
  }
  const signIn = (key: Person) => apiSession(baseUrl, PEOPLE[key].email, PASSWORD);
  const as: Record<Person, ApiClient> = { maya, sam: await signIn('sam'), lee: await signIn('lee'), priya: await signIn('priya') };
  const tokens = `/orgs/${org.id}/tokens`;
  const create = (who: Person, body: Record<string, unknown>) => as[who]<Created>('POST', tokens, body);
  /** A script calling the API with the token, so "Last used" has a time and an address. */
  const use = async ({ secret }: Created) => {
    const response = await fetch(`${baseUrl}/api/v1/me`, { headers: { authorization: `Bearer ${secret}` } });
    if (!response.ok) throw new Error(`using a demo token: ${response.status}`);
  };

  // Everyone's tokens: one expiring in 5 days, a JWT, a service account's for the release pipeline.
  const deploy = await create('maya', {
    name: 'CI deploy',
    description: 'GitHub Actions: deploys the lab agent to the device racks',
    scopes: ['devices:read', 'device_requests:write'],
    expires_in_days: 90,
  });
  await use(
    await create('maya', {
      name: 'Grafana dashboards',
      scopes: ['metrics:read', 'insights:read'],
      kind: 'jwt',
      expires_at: new Date(Date.now() + 5 * DAY_MS - 3_600_000).toISOString(),
    }),
  );
  const inventory = await create('maya', {
    name: 'Nightly inventory export',
    description: 'Cron job on the reporting VM',
    scopes: ['devices:read', 'clients:read'],
    expires_in_days: 365,
    rate_limits: [
      { name: 'per_second', limit: 20, window_seconds: 1 },
      { name: 'per_day', limit: 50_000, window_seconds: 86_400 },
    ],
    usage_limit: { remaining: 250_000, refill: { amount: 250_000, interval: 'month' } },
  });
  const laptop = await create('maya', { name: 'Laptop script', scopes: ['devices:read', 'devices:write'], expires_in_days: 30 });
  await use(await create('sam', { name: 'Terraform provider', scopes: ['devices:read', 'keyward:tokens:read'], expires_in_days: 180 }));
  await create('lee', { name: 'Jupyter notebook', scopes: ['metrics:read', 'users:read'], expires_in_days: 30 });
  await create('priya', { name: 'Device request bot', scopes: ['device_requests:read', 'device_requests:write'], kind: 'jwt', expires_in_days: 90 });
  const bot = await maya<{ id: string }>('POST', `/orgs/${org.id}/service-accounts`, { name: 'release-bot', description: 'Release pipeline' });
  await use(await create('maya', { name: 'Release pipeline', scopes: ['devices:read', 'devices:write'], expires_in_days: 90, owner_id: bot.id }));

  // Last, so they top the audit log: an admin's impersonation token for a member, then a deploy
  // key renamed and rotated with a day's grace, and a revoked token.
  await use(
    await as.sam<Created>('POST', `/orgs/${org.id}/members/${users.lee}/tokens`, {
      name: 'Support: sync issue #4821',
      description: 'Reproducing Lee’s device sync problem',
      scopes: ['devices:read', 'device_requests:read'],
      expires_in_days: 30,
    }),
  );
  await use(deploy);
  await maya('PATCH', `${tokens}/${deploy.token.id}`, { name: 'CI deploy (production)' });
  const rotated = await maya<Created>('POST', `${tokens}/${deploy.token.id}/rotate`, { grace_period_seconds: 86_400 });
  await use(rotated);
  await maya('POST', `${tokens}/${laptop.token.id}/revoke`);

  // The lab's resource server checks the tokens its clients present: today's uses, from a few addresses.
  const verifier = await admin<{ secret: string }>('POST', '/verifiers', { name: 'device-lab API' });
  const verify = async ({ secret }: Created, ip: string, scopes: string[] = []) => {
    const response = await fetch(`${baseUrl}/api/v1/verify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${verifier.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ token: secret, ip, scopes }),
    });
    if (!response.ok) throw new Error(`verifying a demo token: ${response.status}`);
  };
  for (const ip of ['10.20.0.14', '10.20.0.15', '192.0.2.44', '10.20.0.14']) await verify(inventory, ip);
  await verify(inventory, '10.20.0.15', ['devices:write']);
  return {
    orgId: org.id,
    tokenId: inventory.token.id,
    traffic: {
      orgId: org.id,
      tokens: [
        { id: inventory.token.id, perDay: 2400, rejected: { RATE_LIMITED: 0.04, INSUFFICIENT_SCOPE: 0.01 } },
        { id: rotated.token.id, perDay: 600, rejected: { REVOKED: 0.02, IP_NOT_ALLOWED: 0.01 } },
      ],
    },
  };
}

/**
 * A month of history for the usage charts, written straight into the demo's SQLite file: the API
 * only counts verifications as they happen, and a fresh server has none before today. The rows
 * are what the server's batched flush writes (day buckets per token and code); today is left to
 * the real verifications above. Weekdays are busier than weekends, as at a lab.
 */
function backfillUsage(dataDir: string, traffic: Traffic): void {
  const db = new Database(join(dataDir, 'keyward.db'));
  try {
    db.pragma('busy_timeout = 5000');
    const insert = db.prepare(
      `INSERT INTO usage_buckets (token_id, org_id, granularity, bucket_start, code, count) VALUES (?, ?, 'day', ?, ?, ?)
       ON CONFLICT (token_id, granularity, bucket_start, code) DO UPDATE SET count = count + excluded.count`,
    );
    const today = Math.floor(Date.now() / DAY_MS);
    db.transaction(() => {
      for (let day = today - 29; day < today; day++) {
        const weekday = new Date(day * DAY_MS).getUTCDay();
        const load = (weekday === 0 || weekday === 6 ? 0.35 : 1) * (0.8 + 0.4 * Math.abs(Math.sin(day)));
        for (const token of traffic.tokens) {
          const total = Math.round(token.perDay * load);
          let refused = 0;
          for (const [code, share] of Object.entries(token.rejected)) {
            const n = Math.round(total * share * (0.5 + Math.abs(Math.cos(day * 3))));
            refused += n;
            if (n > 0) insert.run(token.id, traffic.orgId, day * DAY_MS, code, n);
          }
          insert.run(token.id, traffic.orgId, day * DAY_MS, 'VALID', total - refused);
        }
      }
    })();
  } finally {
    db.close();
  }
}

async function shot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  // No hover or focus ring from the last click in the picture.
  await page.mouse.move(VIEWPORT.width - 1, 0);
  await page.screenshot({ path: `${OUT}${name}.png`, fullPage: options.fullPage ?? false });
  console.log(`docs/screenshots/${name}.png`);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const server = await startBuiltServer({ KEYWARD_ADMIN_EMAIL: SITE_ADMIN.email, KEYWARD_ADMIN_PASSWORD: SITE_ADMIN.password });
  const browser = await launchBrowser().catch(async (error: unknown) => {
    await server.stop();
    throw error;
  });
  try {
    const { orgId, tokenId, traffic } = await seedDemoOrg(server.url);
    backfillUsage(server.dataDir, traffic);
    const context = await browser.newContext({ viewport: VIEWPORT, locale: 'en-US', timezoneId: 'UTC', colorScheme: 'light' });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signInPage(page, server.url, { email: PEOPLE.maya.email, password: PASSWORD });
    const org = (section: string) => `${server.url}/orgs/${orgId}/${section}`;

    await page.goto(org('tokens'));
    await page.getByText(/Expires in \d+ days/).waitFor();
    await shot(page, 'my-tokens');

    await page.goto(org('all-tokens'));
    await page.getByText('Impersonation', { exact: true }).waitFor();
    await shot(page, 'all-tokens');

    // A token's page with its chart: as tall as the page, as the chart sits below its facts.
    await page.goto(org(`tokens/${tokenId}`));
    await page.locator('.recharts-bar-rectangle').first().waitFor();
    await page.getByRole('cell', { name: '192.0.2.44' }).waitFor();
    await shot(page, 'token-usage', { fullPage: true });

    await page.goto(org('usage'));
    await page.getByRole('region', { name: 'Busiest tokens' }).getByRole('link').first().waitFor();
    await page.locator('.recharts-bar-rectangle').first().waitFor();
    await shot(page, 'org-usage', { fullPage: true });

    await page.goto(org('audit'));
    await page.getByRole('row', { name: /token\.created/ }).first().waitFor();
    await shot(page, 'audit-log');

    // The create dialog last, so its new token is not in the other pictures.
    await page.goto(org('tokens'));
    await page.getByRole('button', { name: 'Create token' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Create a token' });
    await dialog.getByLabel('Name', { exact: true }).fill('Staging smoke tests');
    await dialog.getByLabel(/Description/).fill('Runs after every staging deploy');
    await dialog.getByRole('checkbox', { name: /devices:read/ }).check();
    await dialog.getByRole('checkbox', { name: /device_requests:read/ }).check();
    await dialog.getByLabel(/Description/).blur();
    // Laptop width, and tall enough for the whole form: its expiration and kind are the point.
    const formHeight = await dialog.evaluate((element) => element.scrollHeight);
    await page.setViewportSize({ width: VIEWPORT.width, height: Math.max(VIEWPORT.height, formHeight + 48) });
    await shot(page, 'create-token');
    await page.setViewportSize(VIEWPORT);

    await dialog.getByRole('button', { name: 'Create token' }).click();
    const created = page.getByRole('dialog', { name: 'Token created' });
    await created.getByTestId('secret').waitFor();
    await created.getByRole('button', { name: 'Done' }).blur();
    await shot(page, 'secret-panel');
    await created.getByRole('button', { name: 'Done' }).click();
  } finally {
    await browser.close();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
