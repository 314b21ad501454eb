import { describe, expect, it } from 'vitest';
import { compileRouteTable, DEVICE_LAB_ROUTES } from '../../src/core/route-table.js';

const table = compileRouteTable(DEVICE_LAB_ROUTES);
const scope = (method: string, uri: string) => {
  const decision = table.scopeFor(method, uri);
  return decision.allowed ? decision.scope : null;
};

describe('the forward-auth route table', () => {
  it('matches methods, {parameters} (one segment) and a trailing * (one or more)', () => {
    expect(scope('GET', '/api/v1/devices')).toBe('devices:read');
    expect(scope('get', '/api/v1/devices/dev_1?x=1#frag')).toBe('devices:read');
    expect(scope('PATCH', '/api/v1/devices/dev_1')).toBe('devices:write');
    expect(scope('HEAD', '/api/v1/devices')).toBe('devices:read');
    expect(scope('POST', '/api/v1/device-requests/req_1/mark-vm-returned')).toBe('device_requests:write');
    expect(scope('GET', '/api/v1/insights/usage/daily')).toBe('insights:read');
    expect(scope('GET', '/api/v1/insights')).toBeNull();
    expect(scope('GET', '/api/v1/devices/dev_1/extra')).toBeNull();
    expect(scope('DELETE', '/api/v1/devices/dev_1')).toBeNull();
  });

  it.each(['/api/v1/devices/../clients', '/api/v1/./devices', '/api/v1/devices/%2E%2E', '/api/v1/devices%2fdev_1', '/api/v1/devices%5cx', '//api/v1/devices', '/api/v1/devices/', 'api/v1/devices', '/api/v1/devices/a%00'])(
    'refuses %s',
    (uri) => {
      expect(table.scopeFor('GET', uri).allowed).toBe(false);
    },
  );

  it('refuses a table with a bad entry, naming it', () => {
    expect(() => compileRouteTable({})).toThrow(/JSON list/);
    expect(() => compileRouteTable([{ method: 'FETCH', path: '/a', scope: 's:r' }])).toThrow(/route 0: method/);
    expect(() => compileRouteTable([{ method: 'GET', path: 'a', scope: 's:r' }])).toThrow(/route 0: path/);
    expect(() => compileRouteTable([{ method: 'GET', path: '/a/*/b', scope: 's:r' }])).toThrow(/"\*"/);
    expect(() => compileRouteTable([{ method: 'GET', path: '/a/../b', scope: 's:r' }])).toThrow(/"\.\."/);
    expect(() => compileRouteTable([{ method: 'GET', path: '/a', scope: '' }])).toThrow(/scope/);
  });
});
