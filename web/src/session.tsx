import { createContext, useContext } from 'react';
import type { Me, MyOrg, Org, Permission } from './types.js';
import { PERMISSIONS } from './types.js';

/** The signed-in person and what they may do in each org they can open. */
export type Session = {
  me: Me;
  /** Orgs for the switcher: memberships, plus every org for a site admin. */
  orgs: MyOrg[];
  reload: () => void;
  signOut: () => Promise<void>;
};

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

/** The org a page is about, with the caller's permissions there. */
export type OrgScope = { org: Org; membership: MyOrg; can: (permission: Permission) => boolean; reloadOrg: () => void };

export const OrgContext = createContext<OrgScope | null>(null);

export function useOrg(): OrgScope {
  const scope = useContext(OrgContext);
  if (!scope) throw new Error('useOrg outside an org page');
  return scope;
}

/** Site admins act in orgs they do not belong to with every permission (DESIGN §1). */
export function switcherOrgs(me: Me, allOrgs: Org[]): MyOrg[] {
  const known = new Set(me.orgs.map((o) => o.id));
  const extra = allOrgs
    .filter((o) => !known.has(o.id))
    .map((o) => ({ id: o.id, name: o.name, slug: o.slug, role: 'site admin', permissions: [...PERMISSIONS] }));
  return [...me.orgs, ...extra];
}
