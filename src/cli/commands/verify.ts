import type { Command } from 'commander';
import { effectiveScopesOf, verifyToken } from '../../services/verification.js';
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
    .option('--json', 'print the result as JSON')
    .action(async (argument: string | undefined, options: { scope?: string[]; ip?: string; json?: boolean }) => {
      const secret = argument === undefined || argument === '-' ? (await readStdinLine()).trim() : argument;
      const result = await withContext(async (ctx) => {
        const verdict = await verifyToken(ctx, {
          secret,
          requiredScopes: options.scope ?? [],
          recordUse: false,
          ...(options.ip ? { ip: options.ip } : {}),
        });
        const row = verdict.record?.row;
        return {
          valid: verdict.valid,
          code: verdict.code,
          ...(row && verdict.record
            ? {
                token: {
                  id: row.id,
                  org_id: row.org_id,
                  name: row.name,
                  owner_id: row.owner_id,
                  scopes: effectiveScopesOf(verdict.record, ctx.config.scopes),
                  expires_at: row.expires_at === null ? null : new Date(Number(row.expires_at)).toISOString(),
                },
              }
            : {}),
          ...(!verdict.valid && verdict.missingScopes ? { missing_scopes: verdict.missingScopes } : {}),
        };
      });
      if (options.json) out.json(result);
      else out.info(result.token ? `${result.code}: ${result.token.id} (${result.token.name}) in ${result.token.org_id}` : result.code);
      if (!result.valid) process.exitCode = 1;
    });
}
