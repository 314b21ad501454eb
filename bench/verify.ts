import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { Command, CpuResult, MicroResult, Ready } from './servers.js';

/**
 * `npm run bench`: the verify hot path under load, next to a bare Fastify route on the same
 * machine, so the number that matters is the ratio. Env: BENCH_DURATION (s, default 5),
 * BENCH_CONNECTIONS (default 50), BENCH_MICRO_MS (default 1000).
 */
const duration = Number(process.env.BENCH_DURATION ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const microMs = Number(process.env.BENCH_MICRO_MS ?? 1000);

type Run = { name: string; rps: number; p50: number; p99: number; requests: number; failures: number; cpuPerRequest: number };

/** The server process's CPU time in µs; its difference over a run, per request, is less noisy than rps on a shared machine. */
async function serverCpu(child: ChildProcess): Promise<number> {
  const answer = once(child, 'message');
  send(child, { type: 'cpu' });
  const [result] = (await answer) as [CpuResult];
  return result.micros;
}

async function load(child: ChildProcess, name: string, url: string, body: object, headers: Record<string, string>): Promise<Run> {
  const payload = JSON.stringify(body);
  const expected = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload });
  const expectedBody = await expected.text();
  if (expected.status !== 200) throw new Error(`${name}: preflight answered ${expected.status} ${expectedBody}`);
  const cpuBefore = await serverCpu(child);
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: payload,
    connections,
    duration,
    expectBody: expectedBody,
  });
  const cpu = (await serverCpu(child)) - cpuBefore;
  return {
    name,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failures: result.errors + result.non2xx + result.mismatches,
    cpuPerRequest: cpu / result.requests.total,
  };
}

function send(child: ChildProcess, command: Command): void {
  child.send(command);
}

async function main(): Promise<void> {
  const child = fork(fileURLToPath(new URL('./servers.ts', import.meta.url)), { stdio: 'inherit' });
  // The bench must end by itself even if something hangs.
  const guard = setTimeout(() => {
    console.error('bench: timed out');
    child.kill();
    process.exit(1);
  }, (duration * 3 + 60) * 1000 + microMs * 4);
  guard.unref();
  try {
    const [ready] = (await once(child, 'message')) as [Ready];
    console.log(`bench: ${connections} connections, ${duration} s per run, node ${process.version}\n`);
    const verifier = { authorization: `Bearer ${ready.verifier}` };
    const bare = await load(child, 'bare Fastify route', `${ready.bareUrl}/verify`, { token: ready.token, scopes: ready.scopes }, {});
    const valid = await load(child, 'keyward verify (VALID)', `${ready.keywardUrl}/api/v1/verify`, { token: ready.token, scopes: ready.scopes }, verifier);
    const malformed = await load(
      child,
      'keyward verify (MALFORMED)',
      `${ready.keywardUrl}/api/v1/verify`,
      { token: `${ready.token.slice(0, -1)}!`, scopes: ready.scopes },
      verifier,
    );
    const messages = once(child, 'message');
    send(child, { type: 'micro', ms: microMs });
    const [micro] = (await messages) as [MicroResult];

    const row = (r: Run) =>
      `${r.name.padEnd(28)} ${r.rps.toFixed(0).padStart(8)} rps   p50 ${String(r.p50).padStart(4)} ms   p99 ${String(r.p99).padStart(4)} ms   ${r.cpuPerRequest.toFixed(1).padStart(6)} µs CPU/req   ${r.requests} requests, ${r.failures} failed`;
    for (const run of [bare, valid, malformed]) console.log(row(run));
    console.log(`\nkeyward verify / bare: ${(valid.rps / bare.rps).toFixed(2)} of the throughput, p99 ${valid.p99} ms vs ${bare.p99} ms`);
    console.log(`keyward MALFORMED / bare: ${(malformed.rps / bare.rps).toFixed(2)}`);
    console.log(`server CPU per request over bare: VALID +${(valid.cpuPerRequest - bare.cpuPerRequest).toFixed(1)} µs, MALFORMED +${(malformed.cpuPerRequest - bare.cpuPerRequest).toFixed(1)} µs`);
    console.log(`\nin-process verifyToken, cache hit: ${Math.round(micro.hitOpsPerSec).toLocaleString('en')} ops/s`);
    console.log(`in-process verifyToken, MALFORMED: ${Math.round(micro.malformedOpsPerSec).toLocaleString('en')} ops/s`);
    if ([bare, valid, malformed].some((r) => r.failures > 0)) process.exitCode = 1;
  } finally {
    if (child.connected) send(child, { type: 'stop' });
    await once(child, 'exit');
  }
}

await main();
