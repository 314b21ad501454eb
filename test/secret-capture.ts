import { appendFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { expect, inject } from 'vitest';
import { looksLikeJwt, verifierPrefix } from '../src/core/token-format.js';
import { WEBHOOK_SECRET_PREFIX } from '../src/core/webhook-secret.js';
import { serializers } from '../src/http/request-log.js';
import type { Logger, ServiceContext } from '../src/services/context.js';
import { CAPTURE_EXT, FILE_MARK, SECRETS_EXT, type SecretKind, type SecretRecord } from './secret-check.js';

/**
 * A worker's half of the suite-wide secret check (test/secret-check.ts reads what this writes):
 * the harness hands its apps' writings and the secrets they handle to these functions.
 */

/** Unset when the run has no capture (a config without the global setup): everything here is a no-op then. */
const dir = inject('secretCaptureDir');

/** What an app's database says it recorded or sent: searched like its log lines. */
const STORE_TABLES = ['audit_events', 'webhook_jobs', 'webhook_deliveries'] as const;

/** Where a captured text was written down. */
export type Where = 'log' | 'context log' | 'webhook request' | (typeof STORE_TABLES)[number];

/** Shorter values are hostile inputs or ordinary words (`short`, `x`), no secret a test issued. */
const MIN_SECRET_LENGTH = 8;
/**
 * Presented credentials shorter than this, or of fewer distinct characters (`'x'.repeat(200)`),
 * are the garbage tests send, which a hostile path of the same test may repeat; real ones are random.
 */
const MIN_CREDENTIAL_LENGTH = 16;
const MIN_CREDENTIAL_CHARACTERS = 8;

const kept = new Set<string>();
// Buffered, and appended at an app's close: a worker ends by a signal, without an exit event.
let captured: string[] = [];
let secrets: string[] = [];

export function capture(where: Where, text: string): void {
  if (dir) captured.push(`${where}\t${text.replaceAll('\n', ' ')}`);
}

/** Remembers a secret the suite saw, to search everything captured for it at the end of the run. */
export function keepSecret(kind: SecretKind, value: string): void {
  if (!dir || value.length < MIN_SECRET_LENGTH || kept.has(value)) return;
  kept.add(value);
  secrets.push(JSON.stringify({ kind, value, file: testFile() } satisfies SecretRecord));
}

/** Appends what was captured since the last flush to this worker's files. */
export function flushCapture(): void {
  if (!dir) return;
  if (captured.length > 0) appendFileSync(join(dir, `${process.pid}${CAPTURE_EXT}`), `${FILE_MARK}${testFile()}\n${captured.join('\n')}\n`);
  if (secrets.length > 0) appendFileSync(join(dir, `${process.pid}${SECRETS_EXT}`), `${secrets.join('\n')}\n`);
  captured = [];
  secrets = [];
}

function testFile(): string {
  const path = expect.getState().testPath;
  return path ? relative(process.cwd(), path) : '?';
}

/**
 * The ServiceContext's logger: the app's serializers, as `keyward serve` gives it the app's logger,
 * writing to the capture only, so the lines a test reads of its app are the ones it always read.
 */
export function capturedLogger(level: string): Logger | undefined {
  return dir ? pino({ level, serializers }, { write: (line: string) => capture('context log', line) }) : undefined;
}

/**
 * Keeps every secret an app hands out or is handed, whichever test drives it and however (inject
 * or a real socket): the `secret` of a response, its session cookies, the passwords and
 * credentials of a request. Plus the server's own: the pepper and a configured admin password.
 * `presented: false` keeps only what the server hands out: for suites whose requests carry
 * generated strings (the fuzzers), which are no one's secrets and recur in what they store.
 */
export function keepSecretsOf(app: FastifyInstance, ctx: ServiceContext, options: { presented: boolean } = { presented: true }): void {
  if (!dir) return;
  keepSecret('pepper', ctx.pepper.toString('hex'));
  keepSecret('pepper', ctx.pepper.toString('base64url'));
  if (ctx.config.pepper) keepSecret('pepper', ctx.config.pepper);
  if (ctx.config.adminPassword) keepSecret('password', ctx.config.adminPassword);
  app.addHook('onSend', (request, reply, payload, done) => {
    if (options.presented) {
      stringsUnder(request.body, (key) => /password/i.test(key), (password) => keepSecret('password', password));
      stringsUnder(request.body, (key) => key === 'token', keepCredential);
      keepPresented(request.headers.authorization);
      keepPresented(request.headers['x-api-key']);
    }
    if (typeof payload === 'string' && String(reply.getHeader('content-type')).includes('json') && payload.includes('"secret"')) {
      stringsUnder(JSON.parse(payload), (key) => key === 'secret', (secret) => keepSecret(kindOf(secret, ctx.config.tokenPrefix), secret));
    }
    for (const cookie of [reply.getHeader('set-cookie') ?? []].flat()) keepSecret('session cookie', cookieValue(String(cookie)));
    done(null, payload);
  });
}

function kindOf(secret: string, tokenPrefix: string): SecretKind {
  if (secret.startsWith(WEBHOOK_SECRET_PREFIX)) return 'webhook secret';
  if (secret.startsWith(`${verifierPrefix(tokenPrefix)}_`)) return 'verifier secret';
  return looksLikeJwt(secret) ? 'JWT' : 'token';
}

/** `kw_session=<value>; Path=/; HttpOnly` → the value. */
function cookieValue(setCookie: string): string {
  const pair = setCookie.split(';', 1)[0]!;
  return pair.slice(pair.indexOf('=') + 1);
}

/** A credential from a header: a bearer token, an X-API-Key, or the secret half of HTTP Basic. */
function keepPresented(header: string | string[] | undefined): void {
  if (typeof header !== 'string') return;
  const space = header.indexOf(' ');
  const credential = header.slice(space + 1);
  if (header.slice(0, Math.max(space, 0)).toLowerCase() !== 'basic') return keepCredential(credential);
  const decoded = Buffer.from(credential, 'base64').toString('utf8');
  keepCredential(decoded.slice(decoded.indexOf(':') + 1));
}

function keepCredential(value: string): void {
  if (value.length >= MIN_CREDENTIAL_LENGTH && new Set(value).size >= MIN_CREDENTIAL_CHARACTERS) keepSecret('presented credential', value);
}

/** Calls `found` with every string under a key `pick` accepts, at any depth of a parsed body. */
function stringsUnder(value: unknown, pick: (key: string) => boolean, found: (value: string) => void): void {
  if (typeof value !== 'object' || value === null) return;
  for (const [key, inner] of Object.entries(value)) {
    if (typeof inner === 'string' && pick(key)) found(inner);
    else stringsUnder(inner, pick, found);
  }
}

/** The apps whose store was captured: an afterEach may close an app twice, when the beforeEach after it failed. */
const capturedStores = new WeakSet<ServiceContext>();

/** Captures an app's store tables at its close, once the leak reports still under way wrote their audit rows. */
export async function captureStore(ctx: ServiceContext): Promise<void> {
  if (!dir || capturedStores.has(ctx)) return;
  capturedStores.add(ctx);
  await ctx.leakReports.idle();
  for (const table of STORE_TABLES) {
    for (const row of await ctx.db.selectFrom(table).selectAll().execute()) capture(table, JSON.stringify(row));
  }
}
