import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { PORTAL_ROOT } from '../../src/http/routes/portal.js';

/** Debian's Chromium (`apt-get install -y chromium`); never a downloaded browser build. */
export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Whether the browser suites can run. Under CI a missing Chromium or portal build is a failure;
 * on a developer machine the suites are skipped with a message saying how to enable them.
 */
export function browserAvailable(): boolean {
  const missing = [
    existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (apt-get install -y chromium)`,
    existsSync(`${PORTAL_ROOT}index.html`) ? null : 'the portal is not built (npm run build)',
  ].filter((m): m is string => m !== null);
  if (missing.length === 0) return true;
  const message = `Browser tests cannot run: ${missing.join('; ')}.`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n*** SKIPPING browser tests. ${message} ***\n`);
  return false;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}
