import { type SurgeConfig, TIER_KEYS, tierNumber } from '../lambdas/core/config';
import type { DrillResult, SeriesPoint } from './drill';
import type { ReportTransition } from './report';

// `cx-surge drill --report FILE.html`: one self-contained page (inline CSS and SVG, no scripts, no
// network) with, per queue, waiting over time against the tier thresholds and the periods each tier
// was active; then the checks, what the emulator saw switched, and the pages.

const esc = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
const hhmm = (iso: string): string => iso.slice(11, 16);
const TIER_COLOURS = ['#2b8a3e', '#e67700', '#c92a2a', '#5f3dc4'] as const;

interface Band {
  readonly tier: number;
  readonly from: number;
  readonly to: number;
  readonly mode: string;
}

/** Periods each tier was on for one queue, from its transitions (open ones run to the end). */
function bands(transitions: readonly ReportTransition[], queueId: string, end: number): Band[] {
  const out: Band[] = [];
  const open = new Map<number, { at: number; mode: string }>();
  for (const t of transitions.filter((x) => x.queueId === queueId)) {
    if (t.action === 'activate') open.set(t.tier, { at: Date.parse(t.at), mode: t.mode });
    else {
      const o = open.get(t.tier);
      if (o) out.push({ tier: t.tier, from: o.at, to: Date.parse(t.at), mode: o.mode });
      open.delete(t.tier);
    }
  }
  for (const [tier, o] of open) out.push({ tier, from: o.at, to: end, mode: o.mode });
  return out;
}

/** Tier 4 periods (the origin alarm, for every queue alike), on the same timeline as tiers 1–3. */
function tier4Bands(result: DrillResult, end: number): Band[] {
  const out: Band[] = [];
  let from: number | undefined;
  for (const t of result.edge?.tier4 ?? []) {
    if (t.action === 'activate') from = Date.parse(t.at);
    else if (from !== undefined) {
      out.push({ tier: 4, from, to: Date.parse(t.at), mode: 'infra' });
      from = undefined;
    }
  }
  if (from !== undefined) out.push({ tier: 4, from, to: end, mode: 'infra' });
  return out;
}

function chart(
  queueId: string,
  points: readonly SeriesPoint[],
  result: DrillResult,
  config: SurgeConfig,
): string {
  const W = 900;
  const H = 260;
  const pad = { l: 48, r: 16, t: 14, b: 28 };
  const times = points.map((p) => Date.parse(p.at));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, t0 + 60_000);
  const thresholds = TIER_KEYS.map((k) => config.tiers[k]);
  const yMax =
    Math.max(10, ...points.map((p) => p.waiting), ...thresholds.map((t) => t.activate.waitingAbove)) * 1.1;
  const x = (t: number) => pad.l + ((t - t0) / (t1 - t0)) * (W - pad.l - pad.r);
  const y = (v: number) => H - pad.b - (v / yMax) * (H - pad.t - pad.b);
  const parts: string[] = [];
  const laneH = 6;
  for (const b of [...bands(result.transitions, queueId, t1), ...tier4Bands(result, t1)]) {
    const colour = TIER_COLOURS[b.tier - 1];
    const dash =
      b.mode === 'recommend' ? ' stroke-dasharray="4 3" fill-opacity="0.06"' : ' fill-opacity="0.12"';
    parts.push(
      `<rect x="${x(b.from).toFixed(1)}" y="${pad.t}" width="${Math.max(1, x(b.to) - x(b.from)).toFixed(1)}" height="${H - pad.t - pad.b}" fill="${colour}" stroke="${colour}"${dash}><title>tier ${b.tier} ${b.mode === 'recommend' ? 'recommended' : 'active'} ${new Date(b.from).toISOString().slice(11, 16)}–${new Date(b.to).toISOString().slice(11, 16)}</title></rect>`,
      `<rect x="${x(b.from).toFixed(1)}" y="${H - pad.b + 4 + (b.tier - 1) * (laneH + 1)}" width="${Math.max(1, x(b.to) - x(b.from)).toFixed(1)}" height="${laneH}" fill="${colour}"/>`,
    );
  }
  thresholds.forEach((t, i) => {
    const colour = TIER_COLOURS[i];
    for (const [v, label] of [
      [t.activate.waitingAbove, `tier ${i + 1} on > ${t.activate.waitingAbove}`],
      [t.restore.waitingBelow, `tier ${i + 1} off < ${t.restore.waitingBelow}`],
    ] as const) {
      parts.push(
        `<line x1="${pad.l}" x2="${W - pad.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="${colour}" stroke-width="1" stroke-dasharray="${label.includes('off') ? '2 4' : '6 3'}"/>`,
        `<text x="${W - pad.r - 4}" y="${(y(v) - 3).toFixed(1)}" text-anchor="end" fill="${colour}" font-size="10">${esc(label)}</text>`,
      );
    }
  });
  const path = points
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(Date.parse(p.at)).toFixed(1)},${y(p.waiting).toFixed(1)}`)
    .join(' ');
  parts.push(`<path d="${path}" fill="none" stroke="#1c7ed6" stroke-width="2"/>`);
  for (let i = 0; i <= 4; i++) {
    const v = (yMax / 4) * i;
    parts.push(
      `<text x="${pad.l - 6}" y="${(y(v) + 3).toFixed(1)}" text-anchor="end" font-size="10" fill="#555">${Math.round(v)}</text>`,
    );
  }
  for (let i = 0; i <= 6; i++) {
    const t = t0 + ((t1 - t0) / 6) * i;
    parts.push(
      `<text x="${x(t).toFixed(1)}" y="${H + 14}" text-anchor="middle" font-size="10" fill="#555">${new Date(t).toISOString().slice(11, 16)}</text>`,
    );
  }
  parts.push(`<line x1="${pad.l}" x2="${pad.l}" y1="${pad.t}" y2="${H - pad.b}" stroke="#999"/>`);
  return `<figure><figcaption>queue <b>${esc(queueId)}</b>: waiting (blue), thresholds (dashed), tier periods (shaded; recommend-only outlined)</figcaption><svg viewBox="0 0 ${W} ${H + 18}" width="100%" role="img" aria-label="waiting over time for queue ${esc(queueId)}">${parts.join('')}</svg></figure>`;
}

const table = (head: readonly string[], rows: readonly (readonly string[])[]): string =>
  rows.length === 0
    ? '<p class="none">none</p>'
    : `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
        .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>`;

export function renderHtmlReport(result: DrillResult, config: SurgeConfig, title: string): string {
  const verdict = result.passed ? 'PASSED' : 'FAILED';
  const legend = [
    ...TIER_KEYS.map(
      (k, i) =>
        `<span style="color:${TIER_COLOURS[i]}">■</span> tier ${tierNumber(k)} (${config.tiers[k].mode})`,
    ),
    ...(result.edge ? [`<span style="color:${TIER_COLOURS[3]}">■</span> tier 4 (origin alarm)`] : []),
  ].join(' &nbsp; ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:960px;color:#222;padding:0 12px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600;background:${result.passed ? '#2b8a3e' : '#c92a2a'}}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eee;vertical-align:top}
th{background:#f6f6f6}.pass{color:#2b8a3e;font-weight:600}.fail{color:#c92a2a;font-weight:600}.not-exercised{color:#868e96}
figure{margin:12px 0}figcaption{font-size:13px;color:#444;margin-bottom:2px}.none{color:#868e96}
</style></head><body>
<h1>${esc(title)}</h1>
<p><span class="verdict">${verdict}</span> &nbsp; ${result.observations} observations, ${result.queues.length} queue(s), ${result.transitions.length} transitions, ${result.actuations.length} actuations, ${result.pages.length} pages; ${(result.wallMs / 1000).toFixed(1)} s on the local stand-ins.</p>
<p>${legend}</p>
${result.queues.map((q) => chart(q, result.series[q] ?? [], result, config)).join('\n')}
<h2>Checks</h2>
<table><thead><tr><th>check</th><th>result</th><th>detail</th></tr></thead><tbody>${result.checks
    .map(
      (c) =>
        `<tr><td>${esc(c.name)}</td><td class="${c.status}">${c.status}</td><td>${esc(c.detail)}</td></tr>`,
    )
    .join('')}</tbody></table>
<h2>Transitions</h2>
${table(
  ['at', 'queue', 'tier', 'action', 'mode'],
  result.transitions.map((t) => [hhmm(t.at), t.queueId, String(t.tier), t.action, t.mode]),
)}
<h2>What the Genesys emulator saw switched</h2>
${table(
  ['at', 'call', 'status', 'what changed'],
  result.switched.map((m) => [hhmm(m.at), `${m.method} ${m.path}`, String(m.status), m.summary]),
)}
${edgeSection(result)}
<h2>Pages</h2>
${table(
  ['at', 'action', 'kind', 'summary'],
  result.pages.map((p) => [hhmm(p.at), p.action, p.kind, p.summary]),
)}
</body></html>
`;
}

/** Tier 4 as evaluate recorded it, and what visitors saw (screenshots from Chromium when there was one). */
function edgeSection(result: DrillResult): string {
  const edge = result.edge;
  if (!edge) return '';
  const shots = edge.screenshots
    .map(
      (s) =>
        `<figure><img alt="${esc(s.caption)}" src="data:image/png;base64,${s.png}" style="max-width:100%;border:1px solid #ddd"><figcaption>${hhmm(s.at)} ${esc(s.caption)}</figcaption></figure>`,
    )
    .join('\n');
  return `<h2>Edge: tier 4 and what visitors saw</h2>
${table(
  ['at', 'origin alarm', 'health datapoints', 'evaluate recorded'],
  edge.alarm.map((a) => {
    const t = edge.tier4.find((x) => x.at === a.at);
    return [hhmm(a.at), a.state, a.datapoints.join(','), t ? `tier 4 ${t.action}` : 'nothing'];
  }),
)}
${shots || '<p class="none">no screenshots (no Chromium found, or --no-browser)</p>'}`;
}
