import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../drill/browser';
import { type DrillResult, runDrill } from '../../drill/drill';
import { loadFaultsFile } from '../../drill/faults';
import { renderHtmlReport } from '../../drill/html-report';
import { parseScenario } from '../../drill/scenario';
import { parseConfig } from '../../lambdas/core/config';

// The built-in fault drill: Genesys answers 5xx for 15 minutes across the flash sale's activations.
// SURGE_REPORT_SCREENSHOTS=1 also writes docs/img/drill-report-faults.png (the report in Chromium).

const SCREENSHOTS = process.env.SURGE_REPORT_SCREENSHOTS === '1';

describe('surge drill --faults flash-sale.faults.json', () => {
  let result: DrillResult;
  beforeAll(async () => {
    const file = 'drill/scenarios/flash-sale.csv';
    const lines = parseScenario(readFileSync(file, 'utf8'), file);
    const faults = await loadFaultsFile('drill/scenarios/flash-sale-genesys-5xx.faults.json');
    result = await runDrill({ lines, config: parseConfig({}), faults, browser: false });
  }, 180_000);

  it('opens the genesys breaker on the 5th failure, pages once, probes only, closes on recovery, loses nothing', () => {
    expect(result.checks.filter((c) => c.status === 'fail')).toEqual([]);
    const names = result.checks.filter((c) => c.status === 'pass').map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'breaker genesys opens after the 5th failure and pages once',
        'while open only probes reach Genesys',
        'breaker genesys closes within two ticks of recovery',
        'levers switch on the first tick after the breaker closes',
        'nothing lost',
        'replay agrees',
      ]),
    );
    // Opened inside the 09:40 tick: the simulated clock has moved by the jittered retry waits by then.
    expect(result.breakers[0]).toEqual({
      at: expect.stringMatching(/^2026-11-27T09:40:/),
      breaker: 'genesys',
      from: 'closed',
      to: 'open',
    });
    expect(result.breakers.at(-1)).toMatchObject({ at: '2026-11-27T09:51:00Z', to: 'closed' });
    expect(result.unread).toHaveLength(15);
    const circuitPages = result.pages.filter((p) => p.kind === 'circuit-open').map((p) => p.action);
    expect(circuitPages).toEqual(['trigger', 'resolve']);
  });

  it('draws the breaker open from its first failure to recovery, with each probe, in the HTML report as Chromium lays it out', async () => {
    const html = renderHtmlReport(
      result,
      parseConfig({}),
      'cx-surge drill of flash-sale.csv --faults flash-sale-genesys-5xx.faults.json',
    );
    const { browser } = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 980, height: 760 } });
      await page.setContent(html);
      // The open lane covers the breaker's whole episode without a gap; each half-open probe is drawn on it.
      const lane = await page.$$eval('rect[data-breaker="genesys"]', (rects) =>
        rects.map((r) => ({
          state: r.getAttribute('class'),
          from: r.getAttribute('data-from')?.slice(11, 16),
          to: r.getAttribute('data-to')?.slice(11, 16),
          width: r.getBoundingClientRect().width,
        })),
      );
      const open = lane.filter((r) => r.state === 'breaker-open');
      expect(open[0]?.from).toBe(result.breakers[0]?.at.slice(11, 16));
      expect(open.at(-1)?.to).toBe('09:51');
      for (let i = 1; i < open.length; i++) expect(open[i]?.from).toBe(open[i - 1]?.to);
      expect(lane.filter((r) => r.state === 'breaker-half-open').map((r) => r.from)).toEqual(
        result.breakers.filter((b) => b.to === 'half-open').map((b) => b.at.slice(11, 16)),
      );
      for (const r of lane) expect(r.width).toBeGreaterThan(0);
      // No two texts of the chart's gutter (threshold and lane labels) overlap as rendered.
      const boxes = await page.$$eval('figure svg text', (texts) =>
        texts
          .map((t) => ({ text: t.textContent ?? '', box: t.getBoundingClientRect() }))
          .filter((t) => t.box.left > 700)
          .map((t) => ({
            text: t.text,
            top: t.box.top,
            bottom: t.box.bottom,
            left: t.box.left,
            right: t.box.right,
          })),
      );
      expect(boxes.map((b) => b.text)).toEqual(
        expect.arrayContaining(['tier 1 on > 50', 'tier 2 off < 50', 'breaker genesys']),
      );
      for (const [i, a] of boxes.entries())
        for (const b of boxes.slice(i + 1)) {
          const overlap =
            a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5 && a.left < b.right && b.left < a.right;
          expect(overlap, `'${a.text}' overlaps '${b.text}'`).toBe(false);
        }
      if (SCREENSHOTS)
        await page.screenshot({ path: join(import.meta.dirname, '../../docs/img/drill-report-faults.png') });
    } finally {
      await browser.close();
    }
  }, 120_000);
});
