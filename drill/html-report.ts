import {
  type SurgeConfig,
  TIER_KEYS,
  tierConfigFor,
  tierConfigsFor,
  tierKey,
  tierNumber,
} from '../lambdas/core/config';
import type { DrillBreakerChange } from './breaker-checks';
import type { DrillResult, SeriesPoint } from './drill';
import { activationRule, type ReportTransition, restoreRule } from './report';

// `cx-surge drill --report FILE.html`: one self-contained page (inline CSS and SVG, no scripts, no
// network) with, per queue, waiting over time against that queue's tier thresholds, the periods each
// tier was active, and (with --faults) when each fault was in force and each shared circuit breaker
// was open or half-open; then the checks, the transitions and why, what the emulator saw switched,
// the breaker episodes and the pages.

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

// ── Scales ──────────────────────────────────────────────────────────────────────────────────

/** Round y ticks: a step of 1, 2, 2.5 or 5 × 10^k giving at most `count` intervals up to `max`. */
export function niceTicks(max: number, count = 5): number[] {
  const raw = Math.max(max, 1) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step =
    [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw && Number.isInteger(s)) ??
    Math.ceil(raw);
  const top = Math.ceil(max / step) * step;
  return Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
}

const MINUTE = 60_000;
const TIME_STEPS_MIN = [1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 360, 720, 1440] as const;

/** Time ticks on whole multiples of a round step (…, 10, 15, 30 minutes, 1 h …), at most `count` + 1 of them. */
export function timeTicks(t0: number, t1: number, count = 8): number[] {
  const step = (TIME_STEPS_MIN.find((m) => (t1 - t0) / (m * MINUTE) <= count) ?? 1440) * MINUTE;
  const out: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) out.push(t);
  return out;
}

/**
 * Label positions (pixels, y grows downwards) at least `gap` apart, each as near its wanted place as
 * the others allow, kept within [top, bottom]: thresholds 10 waiting apart must not print on each other.
 */
export function spreadLabels(wanted: readonly number[], gap: number, top: number, bottom: number): number[] {
  const order = wanted.map((y, i) => ({ y, i })).sort((a, b) => a.y - b.y);
  const placed = order.map((o) => o.y);
  for (let k = 0; k < placed.length; k++)
    placed[k] = Math.max(placed[k] as number, k === 0 ? top : (placed[k - 1] as number) + gap);
  for (let k = placed.length - 1; k >= 0; k--)
    placed[k] = Math.min(
      placed[k] as number,
      k === placed.length - 1 ? bottom : (placed[k + 1] as number) - gap,
    );
  const out = new Array<number>(wanted.length);
  order.forEach((o, k) => {
    out[o.i] = placed[k] as number;
  });
  return out;
}

// ── Breaker periods (docs/resilience.md#drill-faults) ───────────────────────────────────────

/** A stretch one shared circuit breaker spent open or half-open (a half-open probe can take no time at all). */
export interface BreakerPeriod {
  readonly breaker: string;
  readonly state: 'open' | 'half-open';
  readonly from: number;
  readonly to: number;
}

/** Open / half-open periods per breaker from the drill's recorded state changes; one still open runs to `end`. */
export function breakerPeriods(changes: readonly DrillBreakerChange[], end: number): BreakerPeriod[] {
  const out: BreakerPeriod[] = [];
  const current = new Map<string, { state: string; since: number }>();
  for (const c of changes) {
    const at = Date.parse(c.at);
    const was = current.get(c.breaker);
    if (was && (was.state === 'open' || was.state === 'half-open'))
      out.push({ breaker: c.breaker, state: was.state, from: was.since, to: at });
    current.set(c.breaker, { state: c.to, since: at });
  }
  for (const [breaker, s] of current)
    if (s.state === 'open' || s.state === 'half-open')
      out.push({ breaker, state: s.state, from: s.since, to: end });
  return out;
}

/** One breaker episode: from closed → open until closed again, with the probes in between. */
interface BreakerEpisode {
  readonly breaker: string;
  readonly opened: number;
  readonly closed: number | undefined;
  readonly probes: number;
}

function breakerEpisodes(changes: readonly DrillBreakerChange[]): BreakerEpisode[] {
  const out: BreakerEpisode[] = [];
  const open = new Map<string, { opened: number; probes: number }>();
  for (const c of changes) {
    const at = Date.parse(c.at);
    const episode = open.get(c.breaker);
    if (c.from === 'closed' && c.to === 'open') open.set(c.breaker, { opened: at, probes: 0 });
    else if (episode && c.to === 'half-open') episode.probes++;
    else if (episode && c.to === 'closed') {
      out.push({ breaker: c.breaker, opened: episode.opened, closed: at, probes: episode.probes });
      open.delete(c.breaker);
    }
  }
  for (const [breaker, e] of open)
    out.push({ breaker, opened: e.opened, closed: undefined, probes: e.probes });
  return out.sort((a, b) => a.opened - b.opened);
}

/** Periods each drill fault was in force, per target (`--faults`). */
function faultPeriods(
  result: DrillResult,
  end: number,
): { target: string; fault: string; from: number; to: number }[] {
  const out: { target: string; fault: string; from: number; to: number }[] = [];
  const open = new Map<number, { target: string; fault: string; from: number }>();
  for (const c of result.faults ?? []) {
    const at = Date.parse(c.at);
    const was = open.get(c.entry);
    if (was) out.push({ ...was, to: at });
    if (c.fault === null) open.delete(c.entry);
    else open.set(c.entry, { target: c.target, fault: c.fault, from: at });
  }
  for (const f of open.values()) out.push({ ...f, to: end });
  return out;
}

// ── The chart ───────────────────────────────────────────────────────────────────────────────

/** Vertical room for one 10-unit label: its glyph box (ascent + descent) as Chromium lays it out is ~12. */
const LABEL_GAP = 13;
const BREAKER_COLOURS = { open: '#495057', 'half-open': '#f59f00' } as const;
const FAULT_COLOUR = '#fa5252';

interface Threshold {
  readonly value: number;
  readonly tier: number;
  readonly label: string;
  readonly restore: boolean;
}

function chart(
  queueId: string,
  points: readonly SeriesPoint[],
  result: DrillResult,
  config: SurgeConfig,
): string {
  const W = 900;
  const plotH = 220;
  const pad = { l: 48, r: 170, t: 14 };
  const times = points.map((p) => Date.parse(p.at));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, t0 + MINUTE);
  // This queue's own thresholds: its `queues[].tiers` override merged over the global tiers; tiers off are not drawn.
  const tiers = tierConfigsFor(config, queueId);
  const thresholds: Threshold[] = TIER_KEYS.flatMap((k) => {
    const t = tiers[k];
    if (t.mode === 'off') return [];
    const n = tierNumber(k);
    return [
      {
        value: t.activate.waitingAbove,
        tier: n,
        label: `tier ${n} on > ${t.activate.waitingAbove}`,
        restore: false,
      },
      {
        value: t.restore.waitingBelow,
        tier: n,
        label: `tier ${n} off < ${t.restore.waitingBelow}`,
        restore: true,
      },
    ];
  });
  const yTicks = niceTicks(
    Math.max(10, ...points.map((p) => p.waiting), ...thresholds.map((t) => t.value)) * 1.05,
  );
  const yMax = yTicks.at(-1) ?? 10;
  const plotBottom = pad.t + plotH;
  const x = (t: number) => pad.l + ((t - t0) / (t1 - t0)) * (W - pad.l - pad.r);
  const y = (v: number) => plotBottom - (v / yMax) * plotH;
  const width = (from: number, to: number, min = 1) => Math.max(min, x(to) - x(from)).toFixed(1);
  const span = (from: number, to: number) =>
    `${hhmm(new Date(from).toISOString())}–${hhmm(new Date(to).toISOString())}`;
  const gutter = W - pad.r + 8;
  const back: string[] = [];
  const front: string[] = [];

  // Lanes under the plot: one per tier, then one per breaker and per faulted target.
  const laneH = 11;
  let laneY = plotBottom + 10;
  const lane = (label: string, colour: string): number => {
    const at = laneY;
    front.push(
      `<text x="${gutter}" y="${(at + laneH - 1).toFixed(1)}" font-size="9" fill="${colour}">${esc(label)}</text>`,
    );
    laneY += laneH + 2;
    return at;
  };

  const tierBands = [...bands(result.transitions, queueId, t1), ...tier4Bands(result, t1)];
  const tierLanes = new Map<number, number>();
  for (const n of [1, 2, 3, ...(result.edge ? [4] : [])])
    tierLanes.set(
      n,
      lane(
        `tier ${n}${n === 4 ? ' (origin alarm)' : ` (${tiers[tierKey(n as 1 | 2 | 3)].mode})`}`,
        TIER_COLOURS[n - 1] as string,
      ),
    );
  for (const b of tierBands) {
    const colour = TIER_COLOURS[b.tier - 1];
    const dash =
      b.mode === 'recommend' ? ' stroke-dasharray="4 3" fill-opacity="0.06"' : ' fill-opacity="0.12"';
    const what = `tier ${b.tier} ${b.mode === 'recommend' ? 'recommended' : 'active'} ${span(b.from, b.to)}`;
    back.push(
      `<rect x="${x(b.from).toFixed(1)}" y="${pad.t}" width="${width(b.from, b.to)}" height="${plotH}" fill="${colour}" stroke="${colour}"${dash}><title>${what}</title></rect>`,
    );
    front.push(
      `<rect class="tier-lane" x="${x(b.from).toFixed(1)}" y="${tierLanes.get(b.tier)}" width="${width(b.from, b.to)}" height="${laneH}" fill="${colour}"${b.mode === 'recommend' ? ' fill-opacity="0.45"' : ''}><title>${what}</title></rect>`,
    );
  }

  for (const f of faultPeriods(result, t1)) {
    const at = lane(`fault ${f.target} ${f.fault}`, FAULT_COLOUR);
    front.push(
      `<rect class="fault" x="${x(f.from).toFixed(1)}" y="${at}" width="${width(f.from, f.to)}" height="${laneH}" fill="${FAULT_COLOUR}" fill-opacity="0.55"><title>${esc(`${f.target} ${f.fault} (drill fault) ${span(f.from, f.to)}`)}</title></rect>`,
    );
  }
  const periods = breakerPeriods(result.breakers ?? [], t1);
  for (const breaker of [...new Set(periods.map((p) => p.breaker))]) {
    const at = lane(`breaker ${breaker}`, BREAKER_COLOURS.open);
    // Open first, half-open on top: a probe is often an instant inside an open stretch.
    for (const p of [...periods.filter((q) => q.breaker === breaker)].sort(
      (a, b) => (a.state === 'open' ? -1 : 0) - (b.state === 'open' ? -1 : 0),
    )) {
      const what = `breaker ${breaker} ${p.state} ${span(p.from, p.to)}`;
      if (p.state === 'open') {
        back.push(
          `<rect class="breaker-open-shade" x="${x(p.from).toFixed(1)}" y="${pad.t}" width="${width(p.from, p.to)}" height="${plotH}" fill="${BREAKER_COLOURS.open}" fill-opacity="0.10"><title>${esc(what)}</title></rect>`,
        );
      }
      front.push(
        `<rect class="breaker-${p.state}" data-breaker="${esc(breaker)}" data-from="${new Date(p.from).toISOString()}" data-to="${new Date(p.to).toISOString()}" x="${x(p.from).toFixed(1)}" y="${at}" width="${width(p.from, p.to, p.state === 'half-open' ? 3 : 1)}" height="${laneH}" fill="${BREAKER_COLOURS[p.state]}"><title>${esc(what)}</title></rect>`,
      );
    }
  }
  const H = laneY + 18;

  // Thresholds: one dashed line and one label each; labels spread apart in the gutter (equal values stack).
  const ordered = [...thresholds].sort((p, q) => q.value - p.value || p.tier - q.tier);
  const labelY = spreadLabels(
    ordered.map((t) => y(t.value) + 3),
    LABEL_GAP,
    pad.t + 6,
    plotBottom + 3,
  );
  ordered.forEach((t, i) => {
    const colour = TIER_COLOURS[t.tier - 1];
    const ly = labelY[i] as number;
    back.push(
      `<line class="threshold" data-value="${t.value}" x1="${pad.l}" x2="${W - pad.r}" y1="${y(t.value).toFixed(1)}" y2="${y(t.value).toFixed(1)}" stroke="${colour}" stroke-width="1" stroke-dasharray="${t.restore ? '2 4' : '6 3'}"><title>${esc(t.label)}</title></line>`,
    );
    front.push(
      `<line x1="${W - pad.r}" x2="${gutter - 2}" y1="${y(t.value).toFixed(1)}" y2="${(ly - 3).toFixed(1)}" stroke="${colour}" stroke-opacity="0.5"/>`,
      `<text class="threshold-label" x="${gutter}" y="${ly.toFixed(1)}" font-size="10" fill="${colour}">${esc(t.label)}</text>`,
    );
  });

  const path = points
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(Date.parse(p.at)).toFixed(1)},${y(p.waiting).toFixed(1)}`)
    .join(' ');
  front.push(`<path d="${path}" fill="none" stroke="#1c7ed6" stroke-width="2"/>`);
  for (const v of yTicks) {
    back.push(
      `<line x1="${pad.l}" x2="${W - pad.r}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#f1f3f5"/>`,
    );
    front.push(
      `<text class="y-tick" x="${pad.l - 6}" y="${(y(v) + 3).toFixed(1)}" text-anchor="end" font-size="10" fill="#555">${v}</text>`,
    );
  }
  for (const t of timeTicks(t0, t1)) {
    front.push(
      `<text class="x-tick" x="${x(t).toFixed(1)}" y="${H - 4}" text-anchor="middle" font-size="10" fill="#555">${hhmm(new Date(t).toISOString())}</text>`,
    );
  }
  front.push(`<line x1="${pad.l}" x2="${pad.l}" y1="${pad.t}" y2="${plotBottom}" stroke="#999"/>`);
  const breakerNote =
    periods.length > 0 ? '; breaker open (grey, its lane dark) and half-open probes (amber)' : '';
  return `<figure><figcaption>queue <b>${esc(queueId)}</b>: waiting (blue), this queue's thresholds (dashed: on, dotted: off), tier periods (shaded; recommend-only outlined)${breakerNote}</figcaption><svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="waiting over time for queue ${esc(queueId)}">${back.join('')}${front.join('')}</svg></figure>`;
}

const table = (head: readonly string[], rows: readonly (readonly string[])[]): string =>
  rows.length === 0
    ? '<p class="none">none</p>'
    : `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
        .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>`;

export function renderHtmlReport(result: DrillResult, config: SurgeConfig, title: string): string {
  const verdict = result.passed ? 'PASSED' : 'FAILED';
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
  ['at', 'queue', 'tier', 'action', 'mode', 'reason'],
  result.transitions.map((t) => [hhmm(t.at), t.queueId, String(t.tier), t.action, t.mode, why(t, config)]),
)}
<h2>What the Genesys emulator saw switched</h2>
${table(
  ['at', 'call', 'status', 'what changed'],
  result.switched.map((m) => [hhmm(m.at), `${m.method} ${m.path}`, String(m.status), m.summary]),
)}
${breakerSection(result)}
${edgeSection(result)}
<h2>Pages</h2>
${table(
  ['at', 'action', 'kind', 'summary'],
  result.pages.map((p) => [hhmm(p.at), p.action, p.kind, p.summary]),
)}
</body></html>
`;
}

/** The transition's reason code and, for a threshold, the rule that held (this queue's own tier config). */
function why(t: ReportTransition, config: SurgeConfig): string {
  const tier = tierConfigFor(config, t.queueId, tierKey(t.tier));
  if (t.reason === 'activate-threshold') return `${t.reason}: ${activationRule(tier)}`;
  if (t.reason === 'restore-threshold') return `${t.reason}: ${restoreRule(tier)}`;
  return t.reason;
}

/** Each shared circuit breaker's episodes (closed → open → … → closed), when any breaker changed state. */
function breakerSection(result: DrillResult): string {
  const episodes = breakerEpisodes(result.breakers ?? []);
  if (episodes.length === 0) return '';
  const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;
  return `<h2>Circuit breakers</h2>
${table(
  ['breaker', 'opened', 'closed', 'open for', 'probes while open'],
  episodes.map((e) => [
    e.breaker,
    hhmm(new Date(e.opened).toISOString()),
    e.closed === undefined ? 'still open at the end' : hhmm(new Date(e.closed).toISOString()),
    e.closed === undefined ? '' : minutes(e.closed - e.opened),
    String(e.probes),
  ]),
)}`;
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
