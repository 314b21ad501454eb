import { MeSchema } from '../../contract/index.js';
import { describeCaller } from '../../services/me.js';
import { operation } from '../operation.js';
import { success } from '../responses.js';
import type { RoutePlugin } from '../route-plugin.js';

const me: RoutePlugin = async (app, { ctx }) => {
  app.get(
    '/me',
    operation({
      id: 'getMe',
      tag: 'session',
      summary: 'Who am I: the user, the token used (if any), my orgs and permissions',
      description: 'A token without any keyward:* scope learns only its own facts: the token, its owner\'s id and type (no email or name), no orgs.',
      responses: { 200: success('The caller.', MeSchema) },
    }),
    async (request) => describeCaller(ctx, request.caller),
  );
};

export default me;
