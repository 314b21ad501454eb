#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { KeywardError } from '../core/errors.js';
import { registerAdminCommands } from './commands/admin.js';
import { registerLoginCommands } from './commands/login.js';
import { registerScanCommand } from './commands/scan.js';
import { registerServeCommand } from './commands/serve.js';
import { registerTokenCommands } from './commands/tokens.js';
import { registerVerifyCommand } from './commands/verify.js';
import { CliError, out } from './output.js';

/** The same path from src/cli (tsx) and dist/cli. */
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/**
 * Exit codes: 0 ok, 1 failure, 2 usage. Help asked for goes to stdout; usage shown because a
 * command was incomplete goes to stderr with exit 2.
 */
async function main(argv: string[]): Promise<number> {
  const program = new Command('keyward')
    .description('Issue, verify and manage API access tokens.')
    .version(version, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
  registerServeCommand(program);
  registerAdminCommands(program);
  registerLoginCommands(program);
  registerTokenCommands(program);
  registerVerifyCommand(program);
  registerScanCommand(program);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // `commander.help` with exit code 1 is a command group called without a subcommand.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      return 2;
    }
    if (error instanceof CliError) {
      out.info(`keyward: ${error.message}`);
      return error.exitCode;
    }
    if (error instanceof KeywardError) {
      out.info(`keyward: ${error.code}: ${error.message}`);
      return 1;
    }
    if (error instanceof ConfigError) {
      out.info(`keyward: configuration: ${error.message}`);
      return 2;
    }
    out.info(`keyward: ${(error as Error).message}`);
    return 1;
  }
}

const code = await main(process.argv);
// A command may have set its own non-zero code (verify of a bad token); `serve` keeps running.
if (code !== 0) process.exitCode = code;
