import { useId, type ReactNode } from 'react';
import { Link, navigate, useLocation } from '../router.js';
import { useSession } from '../session.js';
import type { MyOrg, Permission } from '../types.js';

/** The org pages, with the permission that shows each in the navigation (any of them). */
export const ORG_SECTIONS: { path: string; label: string; needs: Permission[] | null }[] = [
  { path: 'tokens', label: 'My tokens', needs: null },
  { path: 'all-tokens', label: 'All tokens', needs: ['tokens.manage'] },
  { path: 'usage', label: 'Usage', needs: ['tokens.manage'] },
  { path: 'members', label: 'Members', needs: ['members.manage', 'tokens.manage', 'tokens.impersonate'] },
  { path: 'roles', label: 'Roles', needs: ['roles.manage', 'members.manage'] },
  { path: 'audit', label: 'Audit log', needs: ['audit.read'] },
  { path: 'webhooks', label: 'Webhooks', needs: ['org.manage'] },
  { path: 'settings', label: 'Settings', needs: ['org.manage'] },
];

export function visibleSections(org: MyOrg) {
  return ORG_SECTIONS.filter((s) => s.needs === null || s.needs.some((p) => org.permissions.includes(p)));
}

function OrgSwitcher({ currentOrgId, section }: { currentOrgId: string | null; section: string }) {
  const { orgs } = useSession();
  const id = useId();
  if (orgs.length === 0) return null;
  return (
    <div className="org-switcher">
      <label htmlFor={id}>Organization</label>
      <select
        id={id}
        value={currentOrgId ?? ''}
        onChange={(e) => {
          const org = orgs.find((o) => o.id === e.target.value);
          if (!org) return;
          const keep = visibleSections(org).some((s) => s.path === section) ? section : 'tokens';
          navigate(`/orgs/${encodeURIComponent(org.id)}/${keep}`);
        }}
      >
        {currentOrgId === null ? <option value="">Choose…</option> : null}
        {orgs.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
    </div>
  );
}

/** Header (brand, org switcher, who, sign out), the org's navigation and the page. */
export function Layout({ org, children }: { org: MyOrg | null; children: ReactNode }) {
  const { me, signOut } = useSession();
  const { path } = useLocation();
  const section = path.split('/')[3] ?? 'tokens';
  const link = (href: string, label: string) => (
    <li key={href}>
      <Link href={href} aria-current={path === href ? 'page' : undefined}>
        {label}
      </Link>
    </li>
  );

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/" className="brand">
          Keyward
        </Link>
        <OrgSwitcher currentOrgId={org?.id ?? null} section={section} />
        <div className="who">
          <span className="who-name" title={me.user.email ?? undefined}>
            {me.user.name}
          </span>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <nav className="sidenav" aria-label="Sections">
        <ul>
          {org ? visibleSections(org).map((s) => link(`/orgs/${encodeURIComponent(org.id)}/${s.path}`, s.label)) : null}
          {me.user.site_admin ? link('/admin', 'Site admin') : null}
          <li>
            <a href="/docs">API docs</a>
          </li>
        </ul>
      </nav>
      <main className="content" id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
