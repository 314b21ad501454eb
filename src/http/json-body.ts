import type { FastifyInstance } from 'fastify';

/**
 * Only JSON bodies, as Fastify parses them (with its prototype-poisoning guard), except that an empty
 * body is no body: a client that sends `Content-Type: application/json` with nothing to a
 * body-less POST (revoke, disable) is not refused, and a route whose every field is optional
 * (rotate) gets `{}` to validate.
 */
export function acceptEmptyJsonBodies(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  // The API speaks JSON only: any other body is 415, not a string the schema then refuses.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text.trim() === '') return done(null, undefined);
    parse(request, text, done);
  });
  // Only routes with a body schema get the hook, and a callback one: it runs on every request.
  app.addHook('onRoute', (route) => {
    if (route.schema?.body === undefined) return;
    const own = route.preValidation === undefined ? [] : [route.preValidation].flat();
    route.preValidation = [
      (request, _reply, done) => {
        if (request.body === undefined) request.body = {};
        done();
      },
      ...own,
    ];
  });
}
