#!/usr/bin/env node
import { Command } from 'commander';
import { loadConfig } from '../config.js';
import { startServer } from '../runtime.js';

const program = new Command('keyward').description('Issue, verify and manage API access tokens.');

program
  .command('serve')
  .description('serve the API, the docs and the portal')
  .action(async () => {
    const server = await startServer(loadConfig());
    if (server.bootstrap.kind === 'setup_link') {
      process.stderr.write(`\nNo users yet. Open this one-time link to create the site admin:\n  ${server.bootstrap.url}\n\n`);
    } else if (server.bootstrap.kind === 'admin_created') {
      process.stderr.write(`Created the site admin ${server.bootstrap.user.email}.\n`);
    }
    process.stderr.write(`Keyward is listening on ${server.url} (docs at ${server.url}/docs)\n`);
    const stop = () => void server.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

await program.parseAsync(process.argv);
