import type { ReactNode } from 'react';
import { Link } from '../router.js';

/** The portal address of a token's page (the app's `/orgs/:org/tokens/:id` route). */
function tokenHref(orgId: string, tokenId: string): string {
  return `/orgs/${encodeURIComponent(orgId)}/tokens/${encodeURIComponent(tokenId)}`;
}

export function TokenLink({ orgId, tokenId, children }: { orgId: string; tokenId: string; children: ReactNode }) {
  return <Link href={tokenHref(orgId, tokenId)}>{children}</Link>;
}
