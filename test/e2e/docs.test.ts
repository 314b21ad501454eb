import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBuiltServer } from '../server-process.js';
import { browserAvailable, launchBrowser } from './browser.js';

/**
 * The API docs as a reader meets them: Swagger UI at /docs under the portal's content security
 * policy, opened at a host name the server was not started with (the document's server URL is
 * relative), and a "Try it out" that reaches the API.
 */
describe.skipIf(!browserAvailable())('API docs in a browser', () => {
  let server: Awaited<ReturnType<typeof startBuiltServer>>;
  let browser: Browser;

  beforeAll(async () => {
    server = await startBuiltServer();
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('renders with the Authorize button, runs no script the CSP blocks, and a Try-it-out call reaches the API', async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    const violations: string[] = [];
    page.on('console', (message) => {
      // Swagger UI sets one inline style, which the policy blocks at no visible cost; a blocked script would break the page.
      if (/Content Security Policy/i.test(message.text()) && !/inline style/i.test(message.text())) violations.push(message.text());
    });
    const url = server.url.replace('127.0.0.1', 'localhost');
    await page.goto(`${url}/docs`);
    expect(await page.title()).toBe('Keyward API');
    await page.getByRole('button', { name: /authorize/i }).first().waitFor();
    await page.locator('#operations-health-getLiveness').click();
    await page.getByRole('button', { name: 'Try it out' }).click();
    const answered = page.waitForResponse((response) => response.url().endsWith('/healthz'));
    await page.getByRole('button', { name: 'Execute' }).click();
    expect((await answered).status()).toBe(200);
    expect(violations).toEqual([]);
    await page.close();
  });
});
