import type { Command } from 'commander';
import { operatorCaller } from '../../services/access.js';
import { systemActor } from '../../services/audit.js';
import { createFirstSiteAdmin } from '../../services/bootstrap.js';
import { addMember } from '../../services/members.js';
import { createOrg } from '../../services/orgs.js';
import { createUser, userView } from '../../services/users.js';
import { rotateSigningKey } from '../../services/signing-keys.js';
import { createVerifier } from '../../services/verifiers.js';
import { readStdinLine, withContext } from '../operator.js';
import { collect } from '../options.js';
import { CliError, out } from '../output.js';

/** A password from stdin (`--password-stdin`) or an environment variable, never from argv. */
async function passwordFrom(options: { passwordStdin?: boolean }, envName: string): Promise<string> {
  if (options.passwordStdin) return readStdinLine();
  const fromEnv = process.env[envName];
  if (fromEnv) return fromEnv;
  throw new CliError(`Give the password on stdin with --password-stdin, or in ${envName}.`, 2);
}

/** Operator tasks: they open the data directory (or database) directly and act as `system`. */
export function registerAdminCommands(program: Command): void {
  program
    .command('init')
    .description('create the first site admin of an empty deployment')
    .requiredOption('--email <email>', 'the site admin email')
    .option('--name <name>', 'display name')
    .option('--password-stdin', 'read the password from stdin (else $KEYWARD_ADMIN_PASSWORD)')
    .option('--json', 'print the user as JSON')
    .action(async (options: { email: string; name?: string; passwordStdin?: boolean; json?: boolean }) => {
      const password = await passwordFrom(options, 'KEYWARD_ADMIN_PASSWORD');
      const name = options.name ?? options.email.split('@')[0] ?? 'admin';
      const user = await withContext((ctx) => createFirstSiteAdmin(ctx, { email: options.email, name, password }, systemActor()));
      if (options.json) return out.json(userView(user));
      out.info(`Created the site admin ${user.email} (${user.id}).`);
    });

  program
    .command('user')
    .description('manage users')
    .command('create')
    .description('create a user who signs in with a password')
    .requiredOption('--email <email>', 'email address')
    .requiredOption('--name <name>', 'display name')
    .option('--site-admin', 'make the user a site admin')
    .option('--password-stdin', 'read the password from stdin (else $KEYWARD_PASSWORD)')
    .option('--json', 'print the user as JSON')
    .action(async (options: { email: string; name: string; siteAdmin?: boolean; passwordStdin?: boolean; json?: boolean }) => {
      const password = await passwordFrom(options, 'KEYWARD_PASSWORD');
      const user = await withContext((ctx) =>
        createUser(ctx, { email: options.email, name: options.name, password, siteAdmin: options.siteAdmin ?? false }, systemActor()),
      );
      if (options.json) return out.json(userView(user));
      out.info(`Created the user ${user.email} (${user.id}).`);
    });

  program
    .command('org')
    .description('manage organizations')
    .command('create')
    .description('create an organization')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--slug <slug>', 'URL-safe short name')
    .option('--plan <plan>', 'plan name', 'essential')
    .option('--feature <feature>', 'an entitlement such as insights_api (repeatable)', collect)
    .option('--owner-email <email>', 'an existing user to make its owner')
    .option('--json', 'print the org as JSON')
    .action(async (options: { name: string; slug: string; plan: string; feature?: string[]; ownerEmail?: string; json?: boolean }) => {
      const org = await withContext((ctx) =>
        createOrg(ctx, operatorCaller(ctx.clock.now()), {
          name: options.name,
          slug: options.slug,
          plan: options.plan,
          features: options.feature,
          owner_email: options.ownerEmail,
        }),
      );
      if (options.json) return out.json(org);
      out.info(`Created the org ${org.name} (${org.id}).`);
    });

  program
    .command('member')
    .description('manage memberships')
    .command('add')
    .description('add a user to an organization')
    .requiredOption('--org <id>', 'org id (org_…)')
    .option('--email <email>', 'the user by email')
    .option('--user <id>', 'the user by id (usr_…)')
    .option('--role <role>', 'owner, admin, member or a custom role id', 'member')
    .option('--json', 'print the membership as JSON')
    .action(async (options: { org: string; email?: string; user?: string; role: string; json?: boolean }) => {
      if (!options.email === !options.user) throw new CliError('Name the user with exactly one of --email or --user.', 2);
      const member = await withContext((ctx) =>
        addMember(ctx, operatorCaller(ctx.clock.now()), options.org, { email: options.email, user_id: options.user, role: options.role }),
      );
      if (options.json) return out.json(member);
      out.info(`Added ${options.email ?? options.user} to ${options.org} as ${member.role}.`);
    });

  program
    .command('keys')
    .description('manage the JWT signing keys')
    .command('rotate')
    .description('make a new signing key; it signs from now on, older keys keep verifying their tokens')
    .action(async () => {
      const kid = await withContext((ctx) => rotateSigningKey(ctx), { existing: true });
      out.info('Rotated the JWT signing key; every process of the deployment signs with it now:');
      out.result(kid);
    });

  program
    .command('verifier')
    .description('manage verifier credentials for resource servers')
    .command('create')
    .description('create a verifier credential; prints only its secret on stdout')
    .requiredOption('--name <name>', 'which resource server uses it')
    .option('--json', 'print the verifier and secret as JSON')
    .action(async (options: { name: string; json?: boolean }) => {
      const created = await withContext((ctx) => createVerifier(ctx, operatorCaller(ctx.clock.now()), { name: options.name }));
      if (options.json) return out.json(created);
      out.info(`Created the verifier ${created.verifier.name} (${created.verifier.id}). This is the only time the secret is shown:`);
      out.result(created.secret);
    });
}
