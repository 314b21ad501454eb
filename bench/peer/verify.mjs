// The peer of bench/verify.ts: better-auth's api-key plugin verifying a valid key in-process, on
// better-sqlite3 12 (resolved from Keyward's own node_modules), as its docs set it up. Prints one
// JSON line: verifies per second and database writes per verify.
import Database from 'better-sqlite3';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { apiKey } from '@better-auth/api-key';

const ms = Number(process.argv[2] ?? 1000);
const limited = process.argv[3] === 'limited';
const database = new Database(':memory:');
const auth = betterAuth({
  database,
  secret: 'bench-secret-bench-secret-bench-secret-0123',
  baseURL: 'http://127.0.0.1',
  emailAndPassword: { enabled: true },
  logger: { disabled: true },
  telemetry: { enabled: false },
  // A ceiling so high that every verify of the bench succeeds, as the issue asks; `limited` keeps
  // the limit check on the path (its writes are counted the same way).
  plugins: [apiKey({ rateLimit: { enabled: limited, timeWindow: 60_000, maxRequests: 1e9 } })],
});
const { runMigrations } = await getMigrations(auth.options);
await runMigrations();
const { user } = await auth.api.signUpEmail({ body: { email: 'bench@example.test', password: 'bench password 1', name: 'Bench' } });
const created = await auth.api.createApiKey({ body: { userId: user.id, name: 'bench' } });
const key = created.key;
const verify = () => auth.api.verifyApiKey({ body: { key } });
const first = await verify();
if (!first.valid) throw new Error(`the peer's key does not verify: ${JSON.stringify(first.error)}`);
for (let i = 0; i < 200; i++) await verify();
const changesBefore = database.prepare('select total_changes() as n').get().n;
let calls = 0;
const start = performance.now();
while (performance.now() - start < ms) {
  for (let i = 0; i < 50; i++) await verify();
  calls += 50;
}
const seconds = (performance.now() - start) / 1000;
const writes = database.prepare('select total_changes() as n').get().n - changesBefore;
process.stdout.write(`${JSON.stringify({ verifiesPerSecond: calls / seconds, writesPerVerify: writes / calls, rateLimit: limited })}\n`);
