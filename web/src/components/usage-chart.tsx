import { lazy, Suspense, useId } from 'react';
import { formatCount } from '../limits.js';
import type { VerifyCode } from '../types.js';
import { CODE_COLORS, CODE_LABELS, codesSeen, formatDay, totalsByCode, type UsageDay } from '../usage.js';
import { Loading } from './problem.js';

const UsageBars = lazy(() => import('./usage-bars.js'));

/** "1,234 verifications from Nov 4 to Dec 3 (UTC): 1,200 valid, 34 rate limited. Busiest day: Dec 1, with 300." */
function usageSummary(days: readonly UsageDay[]): string {
  const first = days[0];
  const last = days[days.length - 1];
  if (!first || !last) return 'No verifications.';
  const range = `from ${formatDay(first.start)} to ${formatDay(last.start)} (UTC days)`;
  const totals = totalsByCode(days);
  const total = days.reduce((sum, day) => sum + day.total, 0);
  if (total === 0) return `No verifications ${range}.`;
  const parts = codesSeen(totals).map((code) => `${formatCount(totals[code])} ${CODE_LABELS[code].toLowerCase()}`);
  const busiest = days.reduce((best, day) => (day.total > best.total ? day : best), first);
  return `${formatCount(total)} ${total === 1 ? 'verification' : 'verifications'} ${range}: ${parts.join(', ')}. Busiest day: ${formatDay(busiest.start)}, with ${formatCount(busiest.total)}.`;
}

function CodeSwatch({ code }: { code: VerifyCode }) {
  return (
    <svg className="swatch" width="12" height="12" aria-hidden="true" focusable="false">
      <rect width="12" height="12" rx="2" fill={CODE_COLORS[code]} />
    </svg>
  );
}

export function CodeName({ code }: { code: VerifyCode }) {
  return (
    <>
      <CodeSwatch code={code} /> {CODE_LABELS[code]} <code className="muted">{code}</code>
    </>
  );
}

/**
 * Verifications per day, stacked by outcome: a sentence that says what the chart shows (also the
 * picture's text alternative), a legend naming every colour, the bars, and the numbers as a table
 * behind a disclosure.
 */
export function UsageChart({ title, days }: { title: string; days: UsageDay[] }) {
  const titleId = useId();
  const summary = usageSummary(days);
  const codes = codesSeen(totalsByCode(days));
  return (
    <figure className="usage-figure" aria-labelledby={titleId}>
      <figcaption>
        <h2 id={titleId}>{title}</h2>
        <p className="usage-summary">{summary}</p>
      </figcaption>
      {codes.length > 0 ? (
        <>
          <ul className="legend" aria-label="Outcomes in the chart">
            {codes.map((code) => (
              <li key={code}>
                <CodeName code={code} />
              </li>
            ))}
          </ul>
          <div className="chart-box" role="img" aria-label={summary}>
            <Suspense fallback={<Loading label="Loading the chart…" />}>
              <UsageBars days={days} codes={codes} />
            </Suspense>
          </div>
          <details className="chart-data">
            <summary>Show the numbers</summary>
            <div className="table-wrap">
              <table>
                <caption className="visually-hidden">{title}, by day and outcome</caption>
                <thead>
                  <tr>
                    <th scope="col">Day (UTC)</th>
                    {codes.map((code) => (
                      <th key={code} scope="col">
                        {CODE_LABELS[code]}
                      </th>
                    ))}
                    <th scope="col">Total</th>
                  </tr>
                </thead>
                <tbody>
                  {days.map((day) => (
                    <tr key={day.start}>
                      <th scope="row">
                        <time dateTime={day.start.slice(0, 10)}>{formatDay(day.start)}</time>
                      </th>
                      {codes.map((code) => (
                        <td key={code} className="number">
                          {formatCount(day.counts[code])}
                        </td>
                      ))}
                      <td className="number">{formatCount(day.total)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      ) : null}
    </figure>
  );
}
