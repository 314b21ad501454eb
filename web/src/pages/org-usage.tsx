import { useMemo } from 'react';
import { api, orgPath } from '../api.js';
import { ErrorNote, Loading } from '../components/problem.js';
import { TokenLink } from '../components/token-link.js';
import { CodeName, UsageChart } from '../components/usage-chart.js';
import { useReloadOnReturn, useResource } from '../hooks.js';
import { formatCount } from '../limits.js';
import { useOrg } from '../session.js';
import type { OrgUsage } from '../types.js';
import { codesSeen, dailySeries, last30DaysQuery, totalsByCode, type Counts, type UsageDay } from '../usage.js';

/** The org's verifications over the last 30 days (tokens.manage): by outcome, its busiest tokens, its rejections. */
export function OrgUsagePage() {
  const { org, can } = useOrg();
  const allowed = can('tokens.manage');
  const usage = useResource(
    () => (allowed ? api.get<OrgUsage>(`${orgPath(org.id, '/usage')}${last30DaysQuery()}`) : Promise.resolve(undefined)),
    [org.id, allowed],
  );
  useReloadOnReturn(usage.reload);
  const days = useMemo(() => (usage.data ? dailySeries(usage.data.data) : null), [usage.data]);

  if (!allowed) return <p className="notice">Seeing the organization's usage needs the tokens.manage permission.</p>;

  return (
    <section aria-labelledby="usage-title">
      <div className="page-head">
        <h1 id="usage-title">Usage</h1>
      </div>
      <p className="lead">How often the tokens of {org.name} were verified over the last 30 days, and with what outcome.</p>
      <ErrorNote error={usage.error} title="The usage could not be loaded." />
      {!usage.data || !days ? (
        usage.loading ? <Loading /> : null
      ) : (
        <>
          <section className="panel">
            <UsageChart title="Verifications, last 30 days" days={days} />
          </section>
          <div className="panel-row">
            <BusiestTokens orgId={org.id} tokens={usage.data.tokens} />
            <Rejections days={days} />
          </div>
        </>
      )}
    </section>
  );
}

function rejected(codes: Counts, total: number): number {
  return total - (codes.VALID ?? 0);
}

function BusiestTokens({ orgId, tokens }: { orgId: string; tokens: OrgUsage['tokens'] }) {
  return (
    <section className="panel" aria-labelledby="busiest-title">
      <h2 id="busiest-title">Busiest tokens</h2>
      {tokens.length === 0 ? (
        <p className="muted">No token was verified in these 30 days.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">The busiest tokens, most verifications first</caption>
            <thead>
              <tr>
                <th scope="col">Token</th>
                <th scope="col">Verifications</th>
                <th scope="col">Valid</th>
                <th scope="col">Rejected</th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((token) => (
                <tr key={token.id}>
                  <td>
                    <TokenLink orgId={orgId} tokenId={token.id}>
                      {token.name}
                    </TokenLink>
                  </td>
                  <td className="number">{formatCount(token.total)}</td>
                  <td className="number">{formatCount(token.codes.VALID ?? 0)}</td>
                  <td className="number">{formatCount(rejected(token.codes, token.total))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Rejections({ days }: { days: UsageDay[] }) {
  const totals = totalsByCode(days);
  const codes = codesSeen(totals).filter((code) => code !== 'VALID');
  const all = codes.reduce((sum, code) => sum + totals[code], 0);
  return (
    <section className="panel" aria-labelledby="rejections-title">
      <h2 id="rejections-title">Rejections by code</h2>
      {all === 0 ? (
        <p className="muted">No verification was refused in these 30 days.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Refused verifications by code, most first</caption>
            <thead>
              <tr>
                <th scope="col">Outcome</th>
                <th scope="col">Verifications</th>
                <th scope="col">Share of rejections</th>
              </tr>
            </thead>
            <tbody>
              {[...codes]
                .sort((a, b) => totals[b] - totals[a])
                .map((code) => (
                  <tr key={code}>
                    <td>
                      <CodeName code={code} />
                    </td>
                    <td className="number">{formatCount(totals[code])}</td>
                    <td className="number">{Math.round((totals[code] / all) * 100)}%</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
