/**
 * `npm run soak`: a bounded mixed load on the built server (`node dist/cli/main.js serve`, what
 * `npm start` runs) on 127.0.0.1, reporting throughput, errors and the server's resident memory
 * over time, and failing unless there were no errors and memory stayed flat after warm-up.
 *
 *   SOAK_SECONDS      how long the load runs (default 600)
 *   SOAK_CONNECTIONS  concurrent clients (default 8)
 *   SOAK_SAMPLE_SECONDS  how often a line is reported and RSS sampled (default 10)
 *   SOAK_DATABASE_URL run on PostgreSQL (a postgres:// URL) instead of a fresh SQLite file
 *   SOAK_CACHE_SIZE   the server's KEYWARD_CACHE_SIZE and KEYWARD_UNKNOWN_CACHE_SIZE (default 5000)
 *
 * The load: each client loops over verify (70%), list (10%), create (10%) and revoke (10%),
 * keeping a pool of live tokens between 20 and 60; every verify of a live token must be VALID and
 * of a revoked one REVOKED, every create 201, every list and revoke 200. Anything else is an error.
 *
 * "Flat memory": the first 20% of the run is warm-up (caches filling, the JIT settling). Of the
 * RSS samples after it, the median of the last quarter may exceed the median of the first quarter
 * by at most 10% or 16 MiB, whichever is larger. A leak of a few bytes per request grows well past
 * that over tens of thousands of requests; a heap that merely breathes with garbage collection does not.
 * The verify caches are bounded (100,000 records by default) and every token verified once stays
 * cached until evicted, revoked ones included; the soak runs the server with 5,000-entry caches so
 * that they are full within the warm-up, and growth after it means a leak, not a cache filling up.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 8);
const SAMPLE_SECONDS = Number(process.env.SOAK_SAMPLE_SECONDS ?? 10);
const CACHE_SIZE = process.env.SOAK_CACHE_SIZE ?? '5000';
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const ADMIN = { email: 'soak@example.test', password: 'soak admin password' };
const MiB = 1024 * 1024;

if (!existsSync(CLI)) {
  console.error('soak: run `npm run build` first (it runs the built server, as `npm start` does)');
  process.exit(2);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The server's resident set size, from /proc (Linux), in bytes. */
function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : NaN;
}

/** The server's used V8 heap, from its own /metrics (prom-client's default metrics), in bytes. */
async function heapOf(url: string): Promise<number> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    return Number(/^(?:keyward_)?nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)]!;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-soak-'));
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ policyBounds: { max_tokens_per_user: 100_000 } }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const databaseUrl = process.env.SOAK_DATABASE_URL;
  const child = spawn(process.execPath, [CLI, 'serve'], {
    env: {
      ...process.env,
      KEYWARD_DATA_DIR: join(dir, 'data'),
      KEYWARD_PORT: String(port),
      KEYWARD_HOST: '127.0.0.1',
      KEYWARD_LOG_LEVEL: 'warn',
      KEYWARD_CONFIG: configFile,
      KEYWARD_CACHE_SIZE: CACHE_SIZE,
      KEYWARD_UNKNOWN_CACHE_SIZE: CACHE_SIZE,
      KEYWARD_ADMIN_EMAIL: ADMIN.email,
      KEYWARD_ADMIN_PASSWORD: ADMIN.password,
      ...(databaseUrl ? { KEYWARD_DATABASE_URL: databaseUrl, KEYWARD_PEPPER: 's'.repeat(64), KEYWARD_PUBLIC_URL: url } : {}),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const cleanup = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, child);
    const result = await soak(url, child.pid!);
    console.log(JSON.stringify(result));
    process.exitCode = result.errors === 0 && result.flat ? 0 : 1;
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    cleanup();
    await exited;
  }
}

async function waitReady(url: string, child: ReturnType<typeof spawn>): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error('the server exited early');
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error('the server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}

type Session = Record<string, string>;

async function signIn(url: string): Promise<Session> {
  const response = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  if (response.status !== 200) throw new Error(`sign-in answered ${response.status}`);
  const cookies = response.headers.getSetCookie().map((c) => c.split(';')[0]!);
  const csrf = cookies.find((c) => c.startsWith('kw_csrf='))!.split('=')[1]!;
  return { cookie: cookies.join('; '), 'x-csrf-token': csrf, 'content-type': 'application/json' };
}

async function soak(url: string, pid: number) {
  const session = await signIn(url);
  const post = async (path: string, body: object, headers: Session = session) => fetch(`${url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const org = ((await (await post('/api/v1/orgs', { name: 'Soak', slug: 'soak', plan: 'enterprise', owner_email: ADMIN.email })).json()) as { id: string }).id;
  const patched = await fetch(`${url}/api/v1/orgs/${org}`, { method: 'PATCH', headers: session, body: JSON.stringify({ token_policy: { max_tokens_per_user: 100_000 } }) });
  if (patched.status !== 200) throw new Error(`policy PATCH answered ${patched.status}`);
  const verifier = ((await (await post('/api/v1/verifiers', { name: 'soak' })).json()) as { secret: string }).secret;
  const asVerifier = { authorization: `Bearer ${verifier}`, 'content-type': 'application/json' };

  const live: { id: string; secret: string }[] = [];
  const revoked: string[] = [];
  const counts = { verify: 0, list: 0, create: 0, revoke: 0 };
  type Op = keyof typeof counts;
  /** Time spent per kind of request since the last report line (ms, count). */
  const spent: Record<Op, { ms: number; n: number }> = { verify: { ms: 0, n: 0 }, list: { ms: 0, n: 0 }, create: { ms: 0, n: 0 }, revoke: { ms: 0, n: 0 } };
  const timed = async (op: Op, work: () => Promise<unknown>) => {
    const started = performance.now();
    await work();
    spent[op].ms += performance.now() - started;
    spent[op].n += 1;
  };
  const errorSamples: string[] = [];
  let errors = 0;
  let done = 0;
  const fail = (what: string) => {
    errors += 1;
    if (errorSamples.length < 10) errorSamples.push(what);
  };

  const create = async () => {
    const response = await post(`/api/v1/orgs/${org}/tokens`, { name: `soak ${counts.create}`, scopes: ['devices:read'], expires_in_days: 30 });
    if (response.status !== 201) return fail(`create ${response.status} ${await response.text()}`);
    const body = (await response.json()) as { token: { id: string }; secret: string };
    live.push({ id: body.token.id, secret: body.secret });
    counts.create += 1;
  };
  const revoke = async () => {
    const token = live.splice(Math.floor(Math.random() * live.length), 1)[0];
    if (!token) return;
    const response = await post(`/api/v1/orgs/${org}/tokens/${token.id}/revoke`, {});
    if (response.status !== 200) return fail(`revoke ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
    revoked.push(token.secret);
    if (revoked.length > 200) revoked.shift();
    counts.revoke += 1;
  };
  const verify = async () => {
    const useRevoked = revoked.length > 0 && Math.random() < 0.1;
    const secret = useRevoked ? revoked[Math.floor(Math.random() * revoked.length)]! : live[Math.floor(Math.random() * live.length)]?.secret;
    if (!secret) return;
    const response = await post('/api/v1/verify', { token: secret }, asVerifier);
    const { code } = (await response.json()) as { code: string };
    // A live token picked here may be revoked by another client meanwhile: REVOKED is right then.
    const stillLive = live.some((t) => t.secret === secret);
    if (response.status !== 200 || (useRevoked && code !== 'REVOKED') || (!useRevoked && code !== 'VALID' && !(code === 'REVOKED' && !stillLive))) {
      return fail(`verify ${response.status} ${code}`);
    }
    counts.verify += 1;
  };
  const list = async () => {
    const response = await fetch(`${url}/api/v1/orgs/${org}/tokens?owner=me&status=active&limit=20`, { headers: session });
    if (response.status !== 200) return fail(`list ${response.status}`);
    await response.arrayBuffer();
    counts.list += 1;
  };

  for (let i = 0; i < 30; i++) await create();
  const started = Date.now();
  const end = started + SECONDS * 1000;
  const client = async () => {
    while (Date.now() < end) {
      const roll = Math.random();
      try {
        if (live.length < 20) await timed('create', create);
        else if (live.length > 60) await timed('revoke', revoke);
        else if (roll < 0.7) await timed('verify', verify);
        else if (roll < 0.8) await timed('list', list);
        else if (roll < 0.9) await timed('create', create);
        else await timed('revoke', revoke);
      } catch (error) {
        fail(`network: ${(error as Error).message}`);
      }
      done += 1;
    }
  };

  const samples: { at: number; rss: number; heap: number; requests: number; errors: number; meanMs: Record<Op, number> }[] = [];
  console.log(`soak: ${SECONDS} s, ${CONNECTIONS} clients, against ${url} (pid ${pid})`);
  console.log('elapsed_s  req/s  errors  rss_MiB  heap_MiB  mean ms: verify  list  create  revoke');
  let lastDone = 0;
  let finished = false;
  const sampler = setInterval(async () => {
    const at = (Date.now() - started) / 1000;
    const rss = rssOf(pid);
    const heap = await heapOf(url);
    if (finished) return;
    const meanMs = Object.fromEntries(Object.entries(spent).map(([op, { ms, n }]) => [op, n === 0 ? 0 : +(ms / n).toFixed(2)])) as Record<Op, number>;
    for (const op of Object.values(spent)) [op.ms, op.n] = [0, 0];
    samples.push({ at, rss, heap, requests: done, errors, meanMs });
    const ms = (op: Op, width: number) => meanMs[op].toFixed(1).padStart(width);
    console.log(`${at.toFixed(0).padStart(9)}  ${((done - lastDone) / SAMPLE_SECONDS).toFixed(0).padStart(5)}  ${String(errors).padStart(6)}  ${(rss / MiB).toFixed(1).padStart(7)}  ${(heap / MiB).toFixed(1).padStart(8)}  ${ms('verify', 14)}  ${ms('list', 4)}  ${ms('create', 6)}  ${ms('revoke', 6)}`);
    lastDone = done;
  }, SAMPLE_SECONDS * 1000);
  await Promise.all(Array.from({ length: CONNECTIONS }, client));
  clearInterval(sampler);
  finished = true;

  const warm = samples.filter((s) => s.at >= SECONDS * 0.2);
  const quarter = Math.max(1, Math.floor(warm.length / 4));
  const early = median(warm.slice(0, quarter).map((s) => s.rss));
  const late = median(warm.slice(-quarter).map((s) => s.rss));
  const allowance = Math.max(early * 0.1, 16 * MiB);
  const flat = warm.length >= 4 && late - early <= allowance;
  const seconds = (Date.now() - started) / 1000;
  const summary = {
    seconds: Math.round(seconds),
    connections: CONNECTIONS,
    requests: done,
    requestsPerSecond: Math.round(done / seconds),
    counts,
    errors,
    errorSamples,
    rssMiB: { min: +(Math.min(...samples.map((s) => s.rss)) / MiB).toFixed(1), max: +(Math.max(...samples.map((s) => s.rss)) / MiB).toFixed(1), afterWarmupEarly: +(early / MiB).toFixed(1), afterWarmupLate: +(late / MiB).toFixed(1), allowedGrowth: +(allowance / MiB).toFixed(1) },
    heapMiB: { afterWarmupEarly: +(median(warm.slice(0, quarter).map((s) => s.heap)) / MiB).toFixed(1), afterWarmupLate: +(median(warm.slice(-quarter).map((s) => s.heap)) / MiB).toFixed(1) },
    flat,
  };
  console.log(`\n${done} requests in ${summary.seconds} s (${summary.requestsPerSecond}/s): verify ${counts.verify}, list ${counts.list}, create ${counts.create}, revoke ${counts.revoke}; ${errors} errors`);
  console.log(`RSS after warm-up: ${summary.rssMiB.afterWarmupEarly} MiB early, ${summary.rssMiB.afterWarmupLate} MiB late (allowed growth ${summary.rssMiB.allowedGrowth} MiB): ${flat ? 'flat' : 'NOT FLAT'}`);
  console.log(`V8 heap used after warm-up: ${summary.heapMiB.afterWarmupEarly} MiB early, ${summary.heapMiB.afterWarmupLate} MiB late`);
  for (const sample of errorSamples) console.log(`error: ${sample}`);
  return summary;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
