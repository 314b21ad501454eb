import { STATUS_CODES } from 'node:http';
import { requireToken } from '@keyward/sdk/fastify';
import { createLabs, DEVICE_TYPES, INSIGHTS } from './data.js';

/*
 * The device-lab API: each route with the scope it needs, the table of DESIGN §4 (and of Keyward's
 * forward auth, src/core/route-table.ts; test/examples/device-lab.test.ts keeps the two alike).
 *
 * requireToken runs as the route's onRequest hook, before Fastify reads and validates the body or
 * the query: a caller without a good token gets 401, one without the scope 403, and only a caller
 * who may use the route learns about its schema (400) — the order of DESIGN §3.
 */

// ---- Schemas: Fastify validates with them and answers 400 on bad input. ----

const params = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } };

/** `?limit=` (1–100, default 20) and `?cursor=` (the `next_cursor` of the previous page). */
const listQuery = (filters = {}) => ({
  type: 'object',
  properties: { limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 }, cursor: { type: 'string', maxLength: 64 }, ...filters },
});

const date = { type: 'string', format: 'date' };
const details = { type: 'string', minLength: 1, maxLength: 2000 };

const devicePatch = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    tags: { type: 'array', maxItems: 20, uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 40 } },
    notes: { type: 'string', maxLength: 2000 },
  },
};

const deviceRequestCreate = {
  type: 'object',
  additionalProperties: false,
  required: ['device_type', 'client_id', 'details', 'start_date', 'end_date'],
  properties: { device_type: { type: 'string', enum: DEVICE_TYPES }, client_id: { type: 'string', maxLength: 64 }, details, start_date: date, end_date: date },
};

/** The details, or the dates (to extend a loan). */
const deviceRequestPatch = { type: 'object', additionalProperties: false, minProperties: 1, properties: { details, start_date: date, end_date: date } };

const clientFields = {
  name: { type: 'string', minLength: 1, maxLength: 100 },
  contact_email: { type: ['string', 'null'], format: 'email', maxLength: 254 },
};
const clientCreate = { type: 'object', additionalProperties: false, required: ['name'], properties: clientFields };
const clientPatch = { type: 'object', additionalProperties: false, minProperties: 1, properties: clientFields };

// ---- Answers ----

/** An RFC 9457 problem, the shape of every refusal (Keyward's and the SDK's too), with a stable `code`. */
export function problem(reply, status, code, detail, field) {
  const body = { type: 'about:blank', title: STATUS_CODES[status], status, code, detail, ...(field ? { field } : {}) };
  return reply.code(status).type('application/problem+json').send(body);
}

const notFound = (reply, what, id) => problem(reply, 404, 'not_found', `There is no ${what} ${id}.`);

/** One page of a list in Keyward's shape, `{data, next_cursor}`. The cursor is the last id seen; callers treat it as opaque. */
function page(items, { limit, cursor }) {
  const start = cursor === undefined ? 0 : items.findIndex((item) => item.id > cursor);
  const data = start === -1 ? [] : items.slice(start, start + limit);
  const more = start !== -1 && start + limit < items.length;
  return { data, next_cursor: more ? data.at(-1).id : null };
}

// ---- Routes ----

/** The API as a Fastify plugin: `app.register(deviceLabRoutes, { verifier })`. */
export async function deviceLabRoutes(app, { verifier }) {
  const labs = createLabs();
  /** The data of the token's organization: nothing here ever reads another org's. */
  const lab = (request) => labs.for(request.token.org_id);

  // Devices
  app.get('/api/v1/devices', { onRequest: requireToken(verifier, { scopes: ['devices:read'] }), schema: { querystring: listQuery() } }, async (request) =>
    page(lab(request).devices.all(), request.query),
  );

  app.get('/api/v1/devices/:id', { onRequest: requireToken(verifier, { scopes: ['devices:read'] }), schema: { params } }, async (request, reply) =>
    lab(request).devices.get(request.params.id) ?? notFound(reply, 'device', request.params.id),
  );

  app.patch('/api/v1/devices/:id', { onRequest: requireToken(verifier, { scopes: ['devices:write'] }), schema: { params, body: devicePatch } }, async (request, reply) => {
    const device = lab(request).devices.get(request.params.id);
    if (!device) return notFound(reply, 'device', request.params.id);
    return Object.assign(device, request.body);
  });

  // Device requests: a client's request to borrow a device of a type for some dates.
  const deviceRequestList = listQuery({ device_type: { type: 'string', enum: DEVICE_TYPES } });
  app.get('/api/v1/device-requests', { onRequest: requireToken(verifier, { scopes: ['device_requests:read'] }), schema: { querystring: deviceRequestList } }, async (request) => {
    const { device_type } = request.query;
    const requests = lab(request).deviceRequests.all().filter((r) => device_type === undefined || r.device_type === device_type);
    return page(requests, request.query);
  });

  app.get('/api/v1/device-requests/:id', { onRequest: requireToken(verifier, { scopes: ['device_requests:read'] }), schema: { params } }, async (request, reply) =>
    lab(request).deviceRequests.get(request.params.id) ?? notFound(reply, 'device request', request.params.id),
  );

  app.post('/api/v1/device-requests', { onRequest: requireToken(verifier, { scopes: ['device_requests:write'] }), schema: { body: deviceRequestCreate } }, async (request, reply) => {
    const { clients, deviceRequests } = lab(request);
    const { device_type, client_id, details, start_date, end_date } = request.body;
    if (!clients.get(client_id)) return problem(reply, 422, 'unknown_client', `There is no client ${client_id}.`, 'client_id');
    if (end_date < start_date) return problem(reply, 422, 'invalid_period', 'end_date is before start_date.', 'end_date');
    // requested_by is who the token acts for: its owner in Keyward.
    const created = deviceRequests.add({
      device_type,
      client_id,
      requested_by: request.token.subject,
      details,
      start_date,
      end_date,
      status: 'active',
      returned_at: null,
    });
    return reply.code(201).send(created);
  });

  app.patch('/api/v1/device-requests/:id', { onRequest: requireToken(verifier, { scopes: ['device_requests:write'] }), schema: { params, body: deviceRequestPatch } }, async (request, reply) => {
    const deviceRequest = lab(request).deviceRequests.get(request.params.id);
    if (!deviceRequest) return notFound(reply, 'device request', request.params.id);
    if (deviceRequest.status === 'returned') return problem(reply, 409, 'already_returned', `Device request ${deviceRequest.id} is closed: its device was returned.`);
    const changed = { ...deviceRequest, ...request.body };
    if (changed.end_date < changed.start_date) return problem(reply, 422, 'invalid_period', 'end_date is before start_date.', 'end_date');
    return Object.assign(deviceRequest, request.body);
  });

  app.post('/api/v1/device-requests/:id/mark-vm-returned', { onRequest: requireToken(verifier, { scopes: ['device_requests:write'] }), schema: { params } }, async (request, reply) => {
    const deviceRequest = lab(request).deviceRequests.get(request.params.id);
    if (!deviceRequest) return notFound(reply, 'device request', request.params.id);
    if (deviceRequest.device_type !== 'vm') {
      return problem(reply, 422, 'not_a_vm_request', `Device request ${deviceRequest.id} is for an ${deviceRequest.device_type} device; only VM requests are marked returned.`);
    }
    if (deviceRequest.status === 'returned') {
      return problem(reply, 409, 'already_returned', `The VM of device request ${deviceRequest.id} was returned at ${deviceRequest.returned_at}.`);
    }
    return Object.assign(deviceRequest, { status: 'returned', returned_at: new Date().toISOString() });
  });

  // Clients: the lab's customers.
  app.get('/api/v1/clients', { onRequest: requireToken(verifier, { scopes: ['clients:read'] }), schema: { querystring: listQuery() } }, async (request) =>
    page(lab(request).clients.all(), request.query),
  );

  app.get('/api/v1/clients/:id', { onRequest: requireToken(verifier, { scopes: ['clients:read'] }), schema: { params } }, async (request, reply) =>
    lab(request).clients.get(request.params.id) ?? notFound(reply, 'client', request.params.id),
  );

  app.post('/api/v1/clients', { onRequest: requireToken(verifier, { scopes: ['clients:write'] }), schema: { body: clientCreate } }, async (request, reply) => {
    const { name, contact_email = null } = request.body;
    return reply.code(201).send(lab(request).clients.add({ name, contact_email }));
  });

  app.patch('/api/v1/clients/:id', { onRequest: requireToken(verifier, { scopes: ['clients:write'] }), schema: { params, body: clientPatch } }, async (request, reply) => {
    const client = lab(request).clients.get(request.params.id);
    if (!client) return notFound(reply, 'client', request.params.id);
    return Object.assign(client, request.body);
  });

  app.delete('/api/v1/clients/:id', { onRequest: requireToken(verifier, { scopes: ['clients:write'] }), schema: { params } }, async (request, reply) => {
    if (!lab(request).clients.delete(request.params.id)) return notFound(reply, 'client', request.params.id);
    return reply.code(204).send();
  });

  // Users of the lab
  app.get('/api/v1/users', { onRequest: requireToken(verifier, { scopes: ['users:read'] }), schema: { querystring: listQuery() } }, async (request) =>
    page(lab(request).users.all(), request.query),
  );

  app.get('/api/v1/users/:id', { onRequest: requireToken(verifier, { scopes: ['users:read'] }), schema: { params } }, async (request, reply) =>
    lab(request).users.get(request.params.id) ?? notFound(reply, 'user', request.params.id),
  );

  // Metrics: counts, as a dashboard shows them.
  app.get('/api/v1/metrics', { onRequest: requireToken(verifier, { scopes: ['metrics:read'] }) }, async (request) => {
    const { devices, deviceRequests, clients, users } = lab(request);
    const countBy = (items, key) => items.reduce((counts, item) => ({ ...counts, [item[key]]: (counts[item[key]] ?? 0) + 1 }), {});
    return {
      devices: { total: devices.all().length, by_type: countBy(devices.all(), 'type'), by_status: countBy(devices.all(), 'status') },
      device_requests: { total: deviceRequests.all().length, by_status: countBy(deviceRequests.all(), 'status') },
      clients: clients.all().length,
      users: users.all().length,
    };
  });

  // Billing
  app.get('/api/v1/billing/invoices', { onRequest: requireToken(verifier, { scopes: ['billing:read'] }), schema: { querystring: listQuery() } }, async (request) =>
    page(lab(request).invoices.all(), request.query),
  );

  app.get('/api/v1/billing/invoices/:id', { onRequest: requireToken(verifier, { scopes: ['billing:read'] }), schema: { params } }, async (request, reply) =>
    lab(request).invoices.get(request.params.id) ?? notFound(reply, 'invoice', request.params.id),
  );

  app.get('/api/v1/billing/charges', { onRequest: requireToken(verifier, { scopes: ['billing:read'] }), schema: { querystring: listQuery() } }, async (request) =>
    page(lab(request).charges.all(), request.query),
  );

  // Insights: the paid reports (scope insights:read, which only orgs with the insights_api feature may grant).
  // One route for every path below /insights/, so an unknown report is a 404 only for a caller with the scope.
  app.get('/api/v1/insights/*', { onRequest: requireToken(verifier, { scopes: ['insights:read'] }) }, async (request, reply) => {
    const name = request.params['*'];
    const report = Object.hasOwn(INSIGHTS, name) ? INSIGHTS[name] : null;
    if (!report) return notFound(reply, 'insights report', name || '(none)');
    return { report: name, ...report(lab(request)) };
  });
}
