import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { Ready } from './servers.js';

/**
 * `npx tsx bench/profile.ts [VALID|MALFORMED|BARE]`: the bench's server process under `--cpu-prof`,
 * loaded on POST /api/v1/verify (or the bare route), so the hot path's self time can be read from
 * the `.cpuprofile` it leaves in BENCH_PROFILE_DIR (default `.tmp/profiles`; open it in Chrome
 * DevTools or VS Code). Env: BENCH_DURATION.
 */
const which = ['MALFORMED', 'BARE'].includes(process.argv[2] ?? '') ? process.argv[2]! : 'VALID';
const duration = Number(process.env.BENCH_DURATION ?? 5);
const dir = process.env.BENCH_PROFILE_DIR ?? fileURLToPath(new URL('../.tmp/profiles/', import.meta.url));
mkdirSync(dir, { recursive: true });

const child = fork(fileURLToPath(new URL('./servers.ts', import.meta.url)), {
  stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  execArgv: [...process.execArgv, '--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=200'],
});
const [ready] = (await once(child, 'message')) as [Ready];
const fixture = ready.fixture!;
const token = which === 'VALID' ? fixture.token : `${fixture.token.slice(0, -1)}!`;
const result = await autocannon({
  url: which === 'BARE' ? `${ready.bareUrl}/verify` : `${ready.keywardUrl}/api/v1/verify`,
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${fixture.verifier}` },
  body: JSON.stringify({ token, scopes: fixture.scopes }),
  connections: 50,
  duration,
});
console.log(`${which}: ${result.requests.average} rps, ${result.non2xx} non-2xx; profile in ${dir}`);
child.send({ type: 'stop' });
await once(child, 'exit');
