import type { Command } from 'commander';
import type { MeView } from '../../contract/index.js';
import { ApiClient } from '../client.js';
import { normalizeUrl, removeLogin, saveLogin } from '../login.js';
import { CliError, out } from '../output.js';

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) out.info('Paste a token with keyward:tokens:* scopes, then press Enter:');
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split('\n', 1)[0]!.trim();
}

/** `keyward login` and `keyward logout`: a server and a token kept for the token commands. */
export function registerLoginCommands(program: Command): void {
  program
    .command('login')
    .description('check a token against a server and keep both for the token commands (a 0600 file under $XDG_CONFIG_HOME/keyward)')
    .requiredOption('--url <url>', 'the Keyward server')
    // Like the token commands: never a token argument, which would show in process lists.
    .action(async (options: { url: string }) => {
      const token = process.env.KEYWARD_TOKEN || (await readStdin());
      if (!token) throw new CliError('Give the token on standard input or in KEYWARD_TOKEN.', 2);
      const url = normalizeUrl(options.url);
      const me = await new ApiClient(url, token).request<MeView>('GET', '/api/v1/me');
      const file = saveLogin({ url, token });
      out.info(`Logged in to ${url} as ${me.user.email}${me.token ? ` with the token ${me.token.name} (${me.token.hint})` : ''}; kept in ${file}.`);
    });

  program
    .command('logout')
    .description('forget the stored login')
    .action(() => {
      out.info(removeLogin() ? 'Logged out.' : 'There was no stored login.');
    });
}
