import { Ref, SetupBody, SetupStatusSchema, UserSchema } from '../../contract/index.js';
import { completeSetup, setupPending } from '../../services/bootstrap.js';
import { startSession } from '../../services/sessions.js';
import { userView } from '../../services/users.js';
import { requestMeta, sessionCookie, setSessionCookies } from '../auth.js';
import { operation } from '../operation.js';
import { SET_COOKIE, success } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';
import { noStore } from './secrets.js';

/** First-run setup: the visitor with the one-time link printed at first start creates the site admin. */
const setup: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/setup',
    operation({
      id: 'getSetupStatus',
      tag: 'setup',
      summary: 'Whether first-run setup is still open',
      auth: 'public',
      responses: { 200: success('Whether the setup link can still be used.', SetupStatusSchema) },
    }),
    async () => ({ pending: await setupPending(ctx) }),
  );

  app.post(
    '/setup',
    operation({
      id: 'completeSetup',
      tag: 'setup',
      summary: 'Create the first site admin with the one-time setup token, and sign in',
      description: 'An invalid or used token is 403.',
      auth: 'public',
      body: SetupBody,
      responses: { 201: success('The site admin, signed in.', Ref(UserSchema), SET_COOKIE) },
      problems: [403, 409, 429],
    }),
    async (request, reply) => {
      const meta = requestMeta(request);
      const user = await completeSetup(ctx, request.body, meta);
      setSessionCookies(ctx, noStore(reply), await startSession(ctx, user, meta, sessionCookie(ctx, request)));
      return reply.status(201).send(userView(user));
    },
  );
};

export default setup;
