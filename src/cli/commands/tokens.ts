import type { Command } from 'commander';
import type { PageOf, TokenView, TokenWithSecret } from '../../contract/index.js';
import { DEFAULT_POLICY, MAX_GRACE_PERIOD_SECONDS, TOKEN_KINDS } from '../../core/policy.js';
import { TOKEN_STATUSES } from '../../core/token-status.js';
import type { RateLimit, UsageRefill } from '../../core/usage-limits.js';
import { ApiClient } from '../client.js';
import { collect, expiryDate, rateLimit, refill, wholeNumber } from '../options.js';
import { CliError, out, table } from '../output.js';

/** `keyward token …`: user tasks, through a running server's API with KEYWARD_TOKEN or the stored login. */
export function registerTokenCommands(program: Command): void {
  const token = program
    .command('token')
    .description('create, list, revoke and rotate tokens through a running server (keyward login, or KEYWARD_URL and KEYWARD_TOKEN)')
    // The access token comes only from $KEYWARD_TOKEN: an argument would show in process lists.
    .option('--url <url>', 'Keyward server URL (default $KEYWARD_URL, the stored login, or http://127.0.0.1:8080)');
  const client = () => ApiClient.fromOptions(token.opts<{ url?: string }>());
  const orgPath = (org: string) => `/api/v1/orgs/${encodeURIComponent(org)}/tokens`;

  token
    .command('create')
    .description('create a token; prints only its secret on stdout')
    .requiredOption('--org <id>', 'org id (org_…)')
    .requiredOption('--name <name>', 'token name')
    .requiredOption('--scope <scope>', 'a scope to grant (repeatable)', collect)
    .option('--description <text>', 'what the token is for')
    .option('--expires-in <days>', `an expiration preset in days (by default ${DEFAULT_POLICY.expiration_presets_days.join(', ')}; the org's policy decides)`, wholeNumber)
    .option('--expires-at <date>', 'a custom expiry: a date (2027-01-15, the end of that day UTC) or an ISO 8601 date-time', expiryDate)
    .option('--kind <kind>', TOKEN_KINDS.join(' or '), 'api_key')
    .option('--ip <cidr>', 'allow use only from this IP or CIDR (repeatable)', collect)
    .option('--owner <id>', 'a service account to own the token')
    .option('--rate-limit <name=limit/window>', "a rate limit, e.g. burst=20/1s or daily=50000/1d (repeatable; default: the org's)", rateLimit)
    .option('--credits <n>', 'usage credits: each verify spends its cost', wholeNumber)
    .option('--refill <amount/interval>', 'with --credits: set them back to AMOUNT every day or month (1000/day, 50000/month)', refill)
    .option('--json', 'print the token and secret as JSON')
    .action(async (options: CreateOptions) => {
      if (options.refill && options.credits === undefined) throw new CliError('--refill needs --credits.', 2);
      const created = await client().request<TokenWithSecret>('POST', orgPath(options.org), {
        name: options.name,
        scopes: options.scope,
        kind: options.kind,
        ...(options.description ? { description: options.description } : {}),
        ...(options.expiresIn !== undefined ? { expires_in_days: options.expiresIn } : {}),
        ...(options.expiresAt ? { expires_at: options.expiresAt } : {}),
        ...(options.ip ? { ip_allowlist: options.ip } : {}),
        ...(options.owner ? { owner_id: options.owner } : {}),
        ...(options.rateLimit ? { rate_limits: options.rateLimit } : {}),
        ...(options.credits !== undefined ? { usage_limit: { remaining: options.credits, refill: options.refill ?? null } } : {}),
      });
      printCreated(created, options.json);
    });

  token
    .command('list')
    .description('list tokens (metadata only) as a table, or JSON')
    .requiredOption('--org <id>', 'org id (org_…)')
    .option('--owner <owner>', 'me, all or a user id', 'me')
    .option('--status <status>', TOKEN_STATUSES.join(', '))
    .option('--json', 'print JSON')
    .action(async (options: { org: string; owner: string; status?: string; json?: boolean }) => {
      const query = new URLSearchParams({ owner: options.owner, limit: '100' });
      if (options.status) query.set('status', options.status);
      const tokens: TokenView[] = [];
      let cursor: string | null = null;
      do {
        if (cursor) query.set('cursor', cursor);
        const page: PageOf<TokenView> = await client().request<PageOf<TokenView>>('GET', `${orgPath(options.org)}?${query}`);
        tokens.push(...page.data);
        cursor = page.next_cursor;
      } while (cursor);
      if (options.json) return out.json(tokens);
      out.result(
        table(
          tokens.map((t) => ({
            id: t.id,
            name: t.name,
            hint: t.hint,
            status: t.expiring_soon ? `${t.status} (expiring soon)` : t.status,
            scopes: t.scopes.join(','),
            expires: t.expires_at ?? 'never',
            last_used: t.last_used_at ?? '-',
          })),
        ),
      );
    });

  token
    .command('revoke')
    .description('revoke a token at once and for good')
    .requiredOption('--org <id>', 'org id (org_…)')
    .argument('<id>', 'token id (tok_…)')
    .option('--json', 'print the revoked token as JSON')
    .action(async (id: string, options: { org: string; json?: boolean }) => {
      const revoked = await client().request<TokenView>('POST', `${orgPath(options.org)}/${encodeURIComponent(id)}/revoke`);
      if (options.json) return out.json(revoked);
      out.info(`Revoked ${revoked.id} (${revoked.name}).`);
    });

  token
    .command('rotate')
    .description('issue a successor and keep the old token valid for a grace period; prints the new secret')
    .requiredOption('--org <id>', 'org id (org_…)')
    .argument('<id>', 'token id (tok_…)')
    .option('--grace <seconds>', `how long the old token keeps working (0 to ${MAX_GRACE_PERIOD_SECONDS})`, wholeNumber, 0)
    .option('--json', 'print the new token and secret as JSON')
    .action(async (id: string, options: { org: string; grace: number; json?: boolean }) => {
      const rotated = await client().request<TokenWithSecret>('POST', `${orgPath(options.org)}/${encodeURIComponent(id)}/rotate`, {
        grace_period_seconds: options.grace,
      });
      printCreated(rotated, options.json);
    });
}

type CreateOptions = {
  org: string;
  name: string;
  scope: string[];
  description?: string;
  expiresIn?: number;
  expiresAt?: string;
  kind: string;
  ip?: string[];
  owner?: string;
  rateLimit?: RateLimit[];
  credits?: number;
  refill?: UsageRefill;
  json?: boolean;
};

function printCreated(created: TokenWithSecret, json: boolean | undefined): void {
  if (json) return out.json(created);
  out.info(`Created ${created.token.id} (${created.token.name}), expires ${created.token.expires_at ?? 'never'}.`);
  out.info('This is the only time the secret is shown:');
  out.result(created.secret);
}
