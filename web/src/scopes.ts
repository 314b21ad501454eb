import type { Scope } from './types.js';

export type ScopeGroup = { resource: string; scopes: Scope[] };

/** `devices:read` → resource `devices`; `keyward:tokens:read` → `keyward:tokens`. Catalog order is kept. */
export function groupScopes(scopes: Scope[]): ScopeGroup[] {
  const groups = new Map<string, Scope[]>();
  for (const scope of scopes) {
    const cut = scope.name.lastIndexOf(':');
    const resource = cut > 0 ? scope.name.slice(0, cut) : scope.name;
    const list = groups.get(resource) ?? [];
    list.push(scope);
    groups.set(resource, list);
  }
  return [...groups].map(([resource, list]) => ({ resource, scopes: list }));
}

export function humanResource(resource: string): string {
  return resource.replace(/^keyward:/, 'Keyward ').replace(/_/g, ' ').replace(/:/g, ' ');
}
