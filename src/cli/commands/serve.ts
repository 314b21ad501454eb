import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { startServer } from '../../runtime.js';
import { out } from '../output.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the API, the docs and the portal (configuration from KEYWARD_* variables)')
    .action(async () => {
      const server = await startServer(loadConfig());
      if (server.bootstrap.kind === 'setup_link') {
        out.info(`\nNo users yet. Open this one-time link to create the site admin:\n  ${server.bootstrap.url}\n`);
      } else if (server.bootstrap.kind === 'admin_created') {
        out.info(`Created the site admin ${server.bootstrap.user.email}.`);
      }
      out.info(`Keyward is listening on ${server.url} (API docs at ${server.url}/docs)`);
      const stop = () => {
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
