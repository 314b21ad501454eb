import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from 'recharts';
import { formatCount } from '../limits.js';
import type { VerifyCode } from '../types.js';
import { CODE_COLORS, CODE_LABELS, formatDay, type UsageDay } from '../usage.js';

/**
 * The stacked daily bars, drawn with recharts. Its own module, loaded only when a chart is shown,
 * so the rest of the portal does not download the chart library. The SVG is a picture for
 * sighted readers only: the figure around it gives the text alternative, the legend and the table.
 */
export default function UsageBars({ days, codes }: { days: UsageDay[]; codes: VerifyCode[] }) {
  const rows = days.map((day) => ({ day: formatDay(day.start), ...day.counts }));
  return (
    <BarChart data={rows} responsive height={260} width="100%" margin={{ top: 8, right: 8, bottom: 0, left: 0 }} accessibilityLayer={false}>
      <CartesianGrid vertical={false} stroke="#d5dae1" />
      <XAxis dataKey="day" tick={{ fill: '#5b6470', fontSize: 12 }} interval="preserveStartEnd" minTickGap={16} />
      <YAxis allowDecimals={false} tick={{ fill: '#5b6470', fontSize: 12 }} tickFormatter={formatCount} width={48} />
      <Tooltip formatter={(value, name) => [formatCount(Number(value)), CODE_LABELS[name as VerifyCode] ?? String(name)]} />
      {codes.map((code) => (
        // A white edge between stacked parts, so neighbours read apart whatever their colours.
        <Bar key={code} dataKey={code} stackId="codes" fill={CODE_COLORS[code]} stroke="#ffffff" strokeWidth={1} isAnimationActive={false} />
      ))}
    </BarChart>
  );
}
