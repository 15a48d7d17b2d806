import { describe, expect, it } from 'vitest';
import type { DrillResult } from '../../../drill/drill';
import {
  breakerPeriods,
  niceTicks,
  renderHtmlReport,
  spreadLabels,
  timeTicks,
} from '../../../drill/html-report';
import { parseConfig } from '../../../lambdas/core/config';

// The drill's HTML report (`cx-surge drill --report`): its scales, label layout and breaker periods, and
// the SVG/HTML it renders for a small hand-made drill result.

const at = (hhmm: string) => `2026-11-27T${hhmm}:00Z`;

/** A drill result with just what the report reads; the chart walks `series`, `transitions`, `breakers`. */
function result(over: Partial<DrillResult> = {}): DrillResult {
  const series = (waiting: number[]) =>
    waiting.map((w, i) => ({
      at: at(`09:${String(i * 5).padStart(2, '0')}`),
      waiting: w,
      agentsAvailable: 3,
    }));
  return {
    transitions: [],
    actuations: [],
    ignored: [],
    pages: [],
    queues: ['sales', 'billing'],
    observations: 24,
    actuators: [],
    checks: [{ name: 'replay agrees', status: 'pass', detail: 'same' }],
    passed: true,
    switched: [],
    finalActuators: [],
    deadLetters: [],
    series: {
      sales: series([10, 80, 250, 420, 300, 90, 20, 10, 5, 5, 5, 5]),
      billing: series([5, 40, 60, 30, 5, 5, 5, 5, 5, 5, 5, 5]),
    },
    telemetry: undefined as never,
    wallMs: 1200,
    faults: [],
    breakers: [],
    unread: [],
    ...over,
  };
}

describe('drill HTML report scales', () => {
  it.each([
    [314 * 1.05, 5, [0, 100, 200, 300, 400]],
    [550, 5, [0, 200, 400, 600]],
    [57, 5, [0, 20, 40, 60]],
    [10, 5, [0, 2, 4, 6, 8, 10]],
    [1234, 5, [0, 250, 500, 750, 1000, 1250]],
  ])('ticks up to %d land on round values', (max, count, ticks) => {
    expect(niceTicks(max, count)).toEqual(ticks);
  });

  it('never draws the odd ticks of a plain division (105/209/314) and always covers the maximum', () => {
    for (let max = 10; max < 5000; max += 7) {
      const ticks = niceTicks(max);
      const step = ticks[1] as number;
      expect(ticks.at(-1)).toBeGreaterThanOrEqual(max);
      expect(ticks.length).toBeLessThanOrEqual(6 + 1);
      expect(Number.isInteger(step)).toBe(true);
      expect(String(step)).toMatch(/^(1|2|25|5)0*$/);
    }
  });

  it('puts time ticks on whole multiples of a round step', () => {
    expect(
      timeTicks(Date.parse(at('09:00')), Date.parse('2026-11-27T11:29:00Z')).map((t) =>
        new Date(t).toISOString().slice(11, 16),
      ),
    ).toEqual(['09:00', '09:20', '09:40', '10:00', '10:20', '10:40', '11:00', '11:20']);
    expect(
      timeTicks(Date.parse('2026-11-27T12:03:00Z'), Date.parse('2026-11-27T12:41:00Z')).map((t) =>
        new Date(t).toISOString().slice(11, 16),
      ),
    ).toEqual(['12:05', '12:10', '12:15', '12:20', '12:25', '12:30', '12:35', '12:40']);
  });
});

describe('threshold labels', () => {
  it('keeps labels at least the gap apart, in their order, inside the bounds', () => {
    // tier 1 on > 50 and tier 2 off < 50 share a value; tier 1 off < 25 sits 2 px lower.
    const placed = spreadLabels([100, 228, 228, 230, 232], 11, 10, 240);
    const sorted = [...placed].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++)
      expect((sorted[i] as number) - (sorted[i - 1] as number)).toBeGreaterThanOrEqual(11);
    expect(Math.max(...placed)).toBeLessThanOrEqual(240);
    expect(placed[0]).toBe(100); // a label with room stays where its line is
    expect(placed[1]).toBeLessThan(placed[3] as number);
  });
});

describe('breaker periods', () => {
  // The state changes the flash-sale drill with Genesys failing 09:36–09:51 records (three failed probes, then a good one).
  const changes = [
    ['09:40', 'closed', 'open'],
    ['09:41', 'open', 'half-open'],
    ['09:41', 'half-open', 'open'],
    ['09:43', 'open', 'half-open'],
    ['09:43', 'half-open', 'open'],
    ['09:51', 'open', 'half-open'],
    ['09:51', 'half-open', 'closed'],
  ].map(([t, from, to]) => ({
    at: at(t as string),
    breaker: 'genesys',
    from: from as string,
    to: to as string,
  }));

  it('turns the recorded state changes into open stretches and half-open probes', () => {
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    expect(
      breakerPeriods(changes, Date.parse(at('11:00'))).map((p) => `${p.state} ${hhmm(p.from)}-${hhmm(p.to)}`),
    ).toEqual([
      'open 09:40-09:41',
      'half-open 09:41-09:41',
      'open 09:41-09:43',
      'half-open 09:43-09:43',
      'open 09:43-09:51',
      'half-open 09:51-09:51',
    ]);
  });

  it('runs a breaker still open at the end of the drill to the end', () => {
    const periods = breakerPeriods(changes.slice(0, 3), Date.parse(at('10:00')));
    expect(periods.at(-1)).toMatchObject({ state: 'open', to: Date.parse(at('10:00')) });
  });
});

describe('renderHtmlReport', () => {
  const config = parseConfig({
    queues: [
      {
        id: 'billing',
        tiers: {
          tier1: { activate: { waitingAbove: 30 }, restore: { waitingBelow: 12 } },
          tier3: { mode: 'off' },
        },
      },
    ],
  });
  const figure = (html: string, queue: string) => {
    const start = html.indexOf(`queue <b>${queue}</b>`);
    return html.slice(start, html.indexOf('</figure>', start));
  };
  const thresholdValues = (svg: string) =>
    [...svg.matchAll(/class="threshold" data-value="(\d+)"/g)].map((m) => Number(m[1]));

  it("draws each queue's own thresholds, not the global ones, and leaves a tier that is off out", () => {
    const html = renderHtmlReport(result(), config, 'drill');
    expect(thresholdValues(figure(html, 'sales')).sort((a, b) => a - b)).toEqual([25, 50, 50, 100, 200, 400]);
    expect(thresholdValues(figure(html, 'billing')).sort((a, b) => a - b)).toEqual([12, 30, 50, 200]);
    expect(figure(html, 'billing')).toContain('tier 1 on &gt; 30');
    expect(figure(html, 'billing')).not.toContain('tier 3 on');
  });

  it('labels the y axis with round ticks', () => {
    const svg = figure(renderHtmlReport(result(), config, 'drill'), 'sales');
    expect([...svg.matchAll(/class="y-tick"[^>]*>(\d+)</g)].map((m) => Number(m[1]))).toEqual([
      0, 100, 200, 300, 400, 500,
    ]);
  });

  it('gives every transition its reason, with the rule that held for that queue', () => {
    const html = renderHtmlReport(
      result({
        transitions: [
          {
            at: at('09:10'),
            queueId: 'billing',
            tier: 1,
            action: 'activate',
            mode: 'auto',
            reason: 'activate-threshold',
          },
          {
            at: at('09:30'),
            queueId: 'billing',
            tier: 1,
            action: 'restore',
            mode: 'auto',
            reason: 'restore-threshold',
          },
        ],
      }),
      config,
      'drill',
    );
    const transitions = html.slice(
      html.indexOf('<h2>Transitions</h2>'),
      html.indexOf('<h2>What the Genesys'),
    );
    expect(transitions).toContain('<th>reason</th>');
    expect(transitions).toContain('activate-threshold: waiting &gt; 30 for 10 observations');
    expect(transitions).toContain('restore-threshold: waiting &lt; 12 for 10 observations');
  });

  it('draws breaker periods and drill faults on the timeline and lists the episodes', () => {
    const html = renderHtmlReport(
      result({
        faults: [
          { at: at('09:15'), target: 'genesys', fault: '5xx', entry: 0 },
          { at: at('09:35'), target: 'genesys', fault: null, entry: 0 },
        ],
        breakers: [
          { at: at('09:20'), breaker: 'genesys', from: 'closed', to: 'open' },
          { at: at('09:25'), breaker: 'genesys', from: 'open', to: 'half-open' },
          { at: at('09:25'), breaker: 'genesys', from: 'half-open', to: 'open' },
          { at: at('09:35'), breaker: 'genesys', from: 'open', to: 'half-open' },
          { at: at('09:35'), breaker: 'genesys', from: 'half-open', to: 'closed' },
        ],
      }),
      config,
      'drill',
    );
    const svg = figure(html, 'sales');
    const lane = (state: string) =>
      [
        ...svg.matchAll(
          new RegExp(
            `class="breaker-${state}" data-breaker="genesys" data-from="([^"]+)" data-to="([^"]+)"`,
            'g',
          ),
        ),
      ].map((m) => `${m[1]?.slice(11, 16)}-${m[2]?.slice(11, 16)}`);
    expect(lane('open')).toEqual(['09:20-09:25', '09:25-09:35']);
    expect(lane('half-open')).toEqual(['09:25-09:25', '09:35-09:35']);
    expect(svg).toContain('breaker genesys</text>');
    expect(svg).toContain('fault genesys 5xx</text>');
    expect(svg).toMatch(/class="fault"[^>]*><title>genesys 5xx \(drill fault\) 09:15–09:35<\/title>/);
    const section = html.slice(html.indexOf('<h2>Circuit breakers</h2>'), html.indexOf('<h2>Pages</h2>'));
    expect(section).toContain('<td>genesys</td><td>09:20</td><td>09:35</td><td>15 min</td><td>2</td>');
  });

  it('has no breaker lane or section when no breaker changed state', () => {
    const html = renderHtmlReport(result(), config, 'drill');
    expect(html).not.toContain('breaker-open');
    expect(html).not.toContain('Circuit breakers');
  });
});
