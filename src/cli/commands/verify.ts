import type { Command } from 'commander';
import { verifyAnswer, verifyToken } from '../../services/verification.js';
import { readStdinLine, withContext } from '../operator.js';
import { collect } from '../options.js';
import { out } from '../output.js';

/** `keyward verify`: asks the deployment's own data whether a token is good. Exit 0 only if VALID. */
export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('check a token against this deployment (reads it from stdin when the argument is - or missing)')
    .argument('[token]', 'the token; prefer stdin so it stays out of shell history and process lists')
    .option('--scope <scope>', 'a scope the token must have (repeatable)', collect)
    .option('--ip <address>', 'the address the token is used from')
    .option('--json', 'print the answer as JSON, as POST /api/v1/verify gives it')
    .action(async (argument: string | undefined, options: { scope?: string[]; ip?: string; json?: boolean }) => {
      const secret = argument === undefined || argument === '-' ? (await readStdinLine()).trim() : argument;
      // An operator's check is not a use of the token: it leaves last-used alone.
      const answer = await withContext(
        async (ctx) => verifyAnswer(await verifyToken(ctx, { secret, requiredScopes: options.scope ?? [], recordUse: false, ...(options.ip ? { ip: options.ip } : {}) })),
        { existing: true },
      );
      if (options.json) out.json(answer);
      else out.result(answer.token ? `${answer.code}: ${answer.token.id} in ${answer.token.org_id}, expires ${answer.token.expires_at ?? 'never'}` : answer.code);
      if (!answer.valid) process.exitCode = 1;
    });
}
