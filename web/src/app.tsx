import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { api, ApiError, listAll, orgPath, setSignedOutHandler } from './api.js';
import { Layout } from './components/layout.js';
import { ErrorNote, Loading } from './components/problem.js';
import { useResource } from './hooks.js';
import { AllTokensPage } from './pages/all-tokens.js';
import { AuditLogPage } from './pages/audit-log.js';
import { MembersPage } from './pages/members.js';
import { MyTokensPage } from './pages/my-tokens.js';
import { OrgSettingsPage } from './pages/org-settings.js';
import { OrgUsagePage } from './pages/org-usage.js';
import { RolesPage } from './pages/roles.js';
import { SetupPage } from './pages/setup.js';
import { SignInPage } from './pages/sign-in.js';
import { SiteAdminPage } from './pages/site-admin.js';
import { TokenPage } from './pages/token.js';
import { WebhooksPage } from './pages/webhooks.js';
import { Link, match, navigate, useLocation } from './router.js';
import { OrgContext, SessionContext, switcherOrgs, useSession, type Session } from './session.js';
import type { Me, Org, Permission } from './types.js';

type State =
  | { kind: 'loading' }
  | { kind: 'signed-out'; notice?: string }
  | { kind: 'signed-in'; me: Me; orgs: Session['orgs'] }
  | { kind: 'failed'; error: ApiError };

async function loadSession(): Promise<{ me: Me; orgs: Session['orgs'] }> {
  const me = await api.get<Me>('/me');
  const all = me.user.site_admin ? await listAll<Org>('/orgs') : [];
  return { me, orgs: switcherOrgs(me, all) };
}

export function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  const stateRef = useRef(state);
  stateRef.current = state;
  const location = useLocation();

  const load = useCallback(async (notice?: string) => {
    try {
      const session = await loadSession();
      setState({ kind: 'signed-in', ...session });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) setState({ kind: 'signed-out', notice });
      else setState({ kind: 'failed', error: error instanceof ApiError ? error : new ApiError(0, 'error', String(error), null) });
    }
  }, []);

  useEffect(() => {
    void load();
    // A 401 on any call while signed in means the session ended (expired, signed out elsewhere).
    setSignedOutHandler(() => {
      if (stateRef.current.kind === 'signed-in') setState({ kind: 'signed-out', notice: 'Your session has ended. Sign in again.' });
    });
  }, [load]);

  const signOut = useCallback(async () => {
    try {
      await api.delete('/session');
    } catch {
      // Signed out already (or the server is gone): either way show the sign-in page.
    }
    setState({ kind: 'signed-out' });
    navigate('/', { replace: true });
  }, []);

  if (state.kind === 'loading') return <Loading />;
  if (state.kind === 'failed') {
    return (
      <main className="auth-page" id="main">
        <div className="auth-card">
          <h1>Keyward is not answering</h1>
          <ErrorNote error={state.error} />
          <button type="button" onClick={() => void load()}>
            Try again
          </button>
        </div>
      </main>
    );
  }
  if (state.kind === 'signed-out') {
    if (location.path === '/setup') return <SetupPage token={location.search.get('token')} onDone={() => load().then(() => navigate('/', { replace: true }))} />;
    return <SignInPage notice={state.notice} onSignedIn={() => void load()} />;
  }

  const session: Session = { me: state.me, orgs: state.orgs, reload: () => void load(), signOut };
  return (
    <SessionContext.Provider value={session}>
      <Routes path={location.path} />
    </SessionContext.Provider>
  );
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

const ORG_PAGES: Record<string, () => ReactNode> = {
  tokens: () => <MyTokensPage />,
  'all-tokens': () => <AllTokensPage />,
  members: () => <MembersPage />,
  roles: () => <RolesPage />,
  audit: () => <AuditLogPage />,
  settings: () => <OrgSettingsPage />,
  webhooks: () => <WebhooksPage />,
  usage: () => <OrgUsagePage />,
};

function Routes({ path }: { path: string }) {
  const { me, orgs } = useSession();
  if (path === '/' || path === '/setup' || path === '/signin') {
    const first = orgs[0];
    if (first) return <Redirect to={`/orgs/${encodeURIComponent(first.id)}/tokens`} />;
    if (me.user.site_admin) return <Redirect to="/admin" />;
    return (
      <Layout org={null}>
        <h1>No organization yet</h1>
        <p>You are not a member of any organization. Ask an owner or admin of your organization to add you.</p>
      </Layout>
    );
  }
  if (path === '/admin') {
    return <Layout org={null}>{me.user.site_admin ? <SiteAdminPage /> : <NotFound />}</Layout>;
  }
  const tokenRoute = match('/orgs/:org/tokens/:id', path);
  if (tokenRoute) {
    return (
      <OrgPage orgId={tokenRoute.org as string}>
        <TokenPage tokenId={tokenRoute.id as string} />
      </OrgPage>
    );
  }
  const orgRoute = match('/orgs/:org/:section', path);
  const page = orgRoute ? ORG_PAGES[orgRoute.section as string] : undefined;
  if (orgRoute && page) return <OrgPage orgId={orgRoute.org as string}>{page()}</OrgPage>;
  if (match('/orgs/:org', path)) return <Redirect to={`${path.replace(/\/$/, '')}/tokens`} />;
  return (
    <Layout org={null}>
      <NotFound />
    </Layout>
  );
}

function NotFound() {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        There is nothing at this address. <Link href="/">Go to the start</Link>.
      </p>
    </>
  );
}

/** Loads the org a page is about and provides it, with the caller's permissions there. */
function OrgPage({ orgId, children }: { orgId: string; children: ReactNode }) {
  const { orgs } = useSession();
  const membership = orgs.find((o) => o.id === orgId) ?? null;
  const org = useResource(() => api.get<Org>(orgPath(orgId)), [orgId]);

  let body: ReactNode;
  if (!membership) body = <NotFound />;
  else if (org.error) body = <ErrorNote error={org.error} title="This organization could not be loaded." />;
  else if (!org.data || org.data.id !== orgId) body = <Loading />;
  else {
    const scope = {
      org: org.data,
      membership,
      can: (permission: Permission) => membership.permissions.includes(permission),
      reloadOrg: org.reload,
    };
    body = <OrgContext.Provider value={scope}>{children}</OrgContext.Provider>;
  }
  return <Layout org={membership}>{body}</Layout>;
}
