/**
 * The device lab's data: in memory, and a copy of the same sample per organization.
 *
 * A real product keeps this in its database; what matters for the example is that every query is
 * made for one organization, the one the token belongs to (`request.token.org_id`), so a token of
 * one org never reads or changes another's devices. Everything is reset when the process restarts.
 */

/** Device types a lab lends out; `vm` requests end with POST …/mark-vm-returned. */
export const DEVICE_TYPES = ['vm', 'android', 'ios'];

const SAMPLE = {
  devices: [
    { name: 'ci-runner-01', type: 'vm', model: 'KVM 8 vCPU', os: 'Ubuntu 24.04', status: 'available', tags: ['ci'], notes: '' },
    { name: 'win11-qa', type: 'vm', model: 'Hyper-V 4 vCPU', os: 'Windows 11', status: 'in_use', tags: ['qa'], notes: '' },
    { name: 'pixel-8', type: 'android', model: 'Google Pixel 8', os: 'Android 15', status: 'in_use', tags: ['5g'], notes: '' },
    { name: 'galaxy-s24', type: 'android', model: 'Samsung Galaxy S24', os: 'Android 14', status: 'available', tags: [], notes: '' },
    { name: 'iphone-15', type: 'ios', model: 'Apple iPhone 15', os: 'iOS 18', status: 'in_use', tags: ['5g'], notes: '' },
    { name: 'ipad-air', type: 'ios', model: 'Apple iPad Air', os: 'iPadOS 18', status: 'available', tags: ['tablet'], notes: '' },
    { name: 'pixel-6a', type: 'android', model: 'Google Pixel 6a', os: 'Android 14', status: 'maintenance', tags: [], notes: 'Cracked screen, repair ordered.' },
    { name: 'macos-build', type: 'vm', model: 'Apple Silicon VM', os: 'macOS 15', status: 'available', tags: ['ci', 'xcode'], notes: '' },
  ],
  users: [
    { name: 'Ada Moreau', email: 'ada@lab.example', role: 'lab_manager' },
    { name: 'Grace Okafor', email: 'grace@lab.example', role: 'tester' },
    { name: 'Linus Berg', email: 'linus@lab.example', role: 'tester' },
  ],
  clients: [
    { name: 'Northwind Games', contact_email: 'qa@northwind.example' },
    { name: 'Contoso Health', contact_email: 'mobile@contoso.example' },
    { name: 'Fabrikam Mobile', contact_email: null },
  ],
  deviceRequests: [
    { device_type: 'vm', client_id: 'cli_0001', requested_by: 'usr_0002', details: 'Load tests of the matchmaking service', start_date: '2026-11-02', end_date: '2026-11-20', status: 'active', returned_at: null },
    { device_type: 'android', client_id: 'cli_0002', requested_by: 'usr_0003', details: 'Accessibility review of the patient app', start_date: '2026-11-09', end_date: '2026-11-27', status: 'active', returned_at: null },
    { device_type: 'ios', client_id: 'cli_0003', requested_by: 'usr_0002', details: 'Release candidate smoke tests', start_date: '2026-11-16', end_date: '2026-11-18', status: 'active', returned_at: null },
    { device_type: 'vm', client_id: 'cli_0002', requested_by: 'usr_0003', details: 'Windows installer checks', start_date: '2026-10-01', end_date: '2026-10-31', status: 'returned', returned_at: '2026-10-30T17:00:00.000Z' },
  ],
  invoices: [
    { client_id: 'cli_0001', period: '2026-09', amount_cents: 180000, currency: 'EUR', status: 'paid', issued_at: '2026-10-01T08:00:00.000Z' },
    { client_id: 'cli_0002', period: '2026-09', amount_cents: 94000, currency: 'EUR', status: 'paid', issued_at: '2026-10-01T08:00:00.000Z' },
    { client_id: 'cli_0002', period: '2026-10', amount_cents: 126000, currency: 'EUR', status: 'open', issued_at: '2026-11-01T08:00:00.000Z' },
  ],
  charges: [
    { invoice_id: 'inv_0001', client_id: 'cli_0001', description: 'VM ci-runner-01, 30 days', amount_cents: 180000, currency: 'EUR' },
    { invoice_id: 'inv_0002', client_id: 'cli_0002', description: 'Android pixel-8, 10 days', amount_cents: 94000, currency: 'EUR' },
    { invoice_id: 'inv_0003', client_id: 'cli_0002', description: 'VM win11-qa, 30 days', amount_cents: 90000, currency: 'EUR' },
    { invoice_id: 'inv_0003', client_id: 'cli_0002', description: 'Setup fee', amount_cents: 36000, currency: 'EUR' },
  ],
};

/**
 * One collection of objects with prefixed ids (`dev_0001`, …). Ids grow with insertion, so the
 * insertion order is the id order that the lists page through.
 */
class Collection {
  #prefix;
  #items = new Map();
  #last = 0;

  constructor(prefix, sample) {
    this.#prefix = prefix;
    for (const item of sample) this.add(structuredClone(item));
  }

  add(fields) {
    const id = `${this.#prefix}_${String(++this.#last).padStart(4, '0')}`;
    const item = { id, ...fields };
    this.#items.set(id, item);
    return item;
  }

  get(id) {
    return this.#items.get(id) ?? null;
  }

  delete(id) {
    return this.#items.delete(id);
  }

  all() {
    return [...this.#items.values()];
  }
}

/** A fresh lab holding the sample data. */
export function createLab() {
  return {
    devices: new Collection('dev', SAMPLE.devices),
    users: new Collection('usr', SAMPLE.users),
    clients: new Collection('cli', SAMPLE.clients),
    deviceRequests: new Collection('req', SAMPLE.deviceRequests),
    invoices: new Collection('inv', SAMPLE.invoices),
    charges: new Collection('chg', SAMPLE.charges),
  };
}

/** Each organization's lab, made from the sample the first time one of its tokens calls. */
export function createLabs() {
  const labs = new Map();
  return {
    for(orgId) {
      if (!labs.has(orgId)) labs.set(orgId, createLab());
      return labs.get(orgId);
    },
  };
}

/** The reports under GET /api/v1/insights/{name}: figures computed from a lab. */
export const INSIGHTS = {
  'device-utilization': (lab) => ({
    data: DEVICE_TYPES.map((type) => {
      const devices = lab.devices.all().filter((d) => d.type === type);
      const inUse = devices.filter((d) => d.status === 'in_use').length;
      return { device_type: type, devices: devices.length, in_use: inUse, utilization: devices.length ? inUse / devices.length : 0 };
    }),
  }),
  'request-volume': (lab) => {
    const byMonth = new Map();
    for (const r of lab.deviceRequests.all()) {
      const month = r.start_date.slice(0, 7);
      const row = byMonth.get(month) ?? { month, vm: 0, android: 0, ios: 0 };
      row[r.device_type] += 1;
      byMonth.set(month, row);
    }
    return { data: [...byMonth.values()].sort((a, b) => a.month.localeCompare(b.month)) };
  },
};
