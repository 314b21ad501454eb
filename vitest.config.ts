import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { postgresAvailable, TEST_DATABASE_URL } from './test/postgres.js';

// The secret check (issue 9) captures what every project's test apps write down, and searches it at the end.
const shared = { testTimeout: 30_000, hookTimeout: 30_000, pool: 'forks' as const, globalSetup: ['test/secret-check.ts'] };

/** The suites that run against both stores: everything that goes through the services and the store. */
const BOTH_STORES = ['test/http/**/*.test.ts', 'test/services/**/*.test.ts', 'test/security/**/*.test.ts'];

/**
 * Two projects: every suite on SQLite, and the integration suites again on PostgreSQL (plus its
 * own race tests). Under CI=true a missing PostgreSQL fails the run; elsewhere it is skipped, loudly.
 */
export default defineConfig(async () => {
  const projects: TestProjectInlineConfiguration[] = [
    { test: { ...shared, name: 'sqlite', include: ['test/**/*.test.ts', 'src/**/*.test.ts'], exclude: ['test/postgres/**'] } },
  ];
  if (await postgresAvailable()) {
    projects.push({ test: { ...shared, name: 'postgres', include: [...BOTH_STORES, 'test/postgres/**/*.test.ts'], env: { KEYWARD_TEST_STORE: 'postgres' } } });
  } else if (process.env.CI === 'true') {
    throw new Error(`PostgreSQL is not reachable at ${TEST_DATABASE_URL}; CI runs every integration suite on it.`);
  } else {
    console.warn(`\n*** SKIPPING the PostgreSQL runs: nothing answers at ${TEST_DATABASE_URL}. Start it to test cluster mode. ***\n`);
  }
  return { test: { projects } };
});
