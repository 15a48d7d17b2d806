import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type DrillResult, runDrill } from '../../drill/drill';
import { loadFaultsFile, parseFaults } from '../../drill/faults';
import { renderHtmlReport } from '../../drill/html-report';
import { replay } from '../../drill/replay';
import { parseScenario } from '../../drill/scenario';
import { parseConfigText } from '../../lambdas/core/config';

const SCENARIO = 'drill/scenarios/four-tiers.csv';
const lines = parseScenario(readFileSync(SCENARIO, 'utf8'), SCENARIO);
const config = parseConfigText(
  readFileSync('drill/scenarios/four-tiers.config.json', 'utf8'),
  'four-tiers.config.json',
);

describe('the four-tier drill (flash sale with the origin failing during the peak)', () => {
  let result: DrillResult;
  beforeAll(async () => {
    // Chromium comes from drill/browser.ts (the @sparticuz/chromium devDependency on a bare machine).
    result = await runDrill({
      lines,
      config,
      faults: await loadFaultsFile('drill/scenarios/four-tiers.faults.json'),
    });
  }, 180_000);

  it('passes every check, with the same tier 1–3 transitions as replay', () => {
    expect(result.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(result.transitions).toEqual(replay(lines, config).transitions);
  });

  it('walks all four tiers: 1 and 2 at the emulator, 3 through the KeyValueStore, 4 from the origin alarm', () => {
    const activated = new Set(result.transitions.filter((t) => t.action === 'activate').map((t) => t.tier));
    expect([...activated].sort()).toEqual([1, 2, 3]);
    expect(result.edge?.tier4.map((t) => `${t.at} ${t.action} ${t.alarmState}`)).toEqual([
      '2026-11-27T09:29:00Z activate ALARM',
      '2026-11-27T09:40:00Z restore OK',
    ]);
    expect(result.actuations.map((a) => `${a.actuatorId} ${a.action} ${a.result}`)).toEqual(
      expect.arrayContaining([
        'widget-throttle activate applied',
        'widget-throttle restore applied',
        'static-fallback activate applied',
        'static-fallback restore applied',
      ]),
    );
  });

  it('switches tier 3 through the real cloudfront-kvs adapter on the KeyValueStore API, ETag-guarded', () => {
    const puts = result.edge?.kvsCalls.filter((c) => c.startsWith('PutKey')) ?? [];
    expect(puts).toEqual(['PutKey chat-widget-throttle 200', 'PutKey chat-widget-throttle 200']);
    expect(result.edge?.kvsCalls[0]).toBe('DescribeKeyValueStore 200');
  });

  it('records and pages tier 4 once, resolving it with the same dedup key when the origin is back', () => {
    const edgePages = result.pages.filter((p) => p.kind === 'edge-fallback');
    expect(edgePages.map((p) => p.action)).toEqual(['trigger', 'resolve']);
    expect(edgePages[0]?.dedupKey).toBe(edgePages[1]?.dedupKey);
    expect(result.checks.find((c) => c.name === 'tier 4 static fallback recorded')?.status).toBe('pass');
  });

  it('checks what visitors get at each moment, over HTTP and in Chromium, with a screenshot each', () => {
    const visitor = result.checks.filter((c) => c.name.startsWith('visitor'));
    expect(visitor.map((c) => `${c.name} ${c.status}`)).toEqual([
      'visitor flag-on (http) pass',
      'visitor flag-on (browser) pass',
      'visitor origin-down (http) pass',
      'visitor origin-down (browser) pass',
      'visitor recovered (http) pass',
      'visitor recovered (browser) pass',
    ]);
    expect(visitor.find((c) => c.name === 'visitor flag-on (http)')?.detail).toMatch(/^at 09:22 /);
    expect(visitor.find((c) => c.name === 'visitor origin-down (browser)')?.detail).toMatch(
      /^at 09:28 Chromium loaded the fallback page at \/products\/42 in \d+ ms with 4 requests, all to the site itself$/,
    );
    const shots = result.edge?.screenshots ?? [];
    expect(shots.map((s) => s.moment)).toEqual(['flag-on', 'origin-down', 'recovered']);
    for (const s of shots) expect(Buffer.from(s.png, 'base64').subarray(1, 4).toString()).toBe('PNG');
  });

  it('draws tier 4 on the same timeline as tiers 1–3 in the HTML report and embeds the screenshots', () => {
    const html = renderHtmlReport(result, config, 'four tiers');

    expect(html).toContain('tier 4 (origin alarm)');
    expect(html).toContain('<title>tier 4 active 09:29–09:40</title>');
    expect(html.match(/<img alt="[^"]+" src="data:image\/png;base64,/g)).toHaveLength(3);
  });
});

describe('an origin fault CloudFront cannot fail over', () => {
  it('fails the visitor check when the origin answers 429 (origin groups fail over on 500/502/503/504 only)', async () => {
    const faults = parseFaults(
      JSON.stringify([
        { target: 'origin', from: '2026-11-27T09:28:00Z', until: '2026-11-27T09:33:00Z', fault: '429' },
      ]),
      'inline.json',
    );

    // And with no Chromium anywhere, the browser checks say so instead of failing.
    const saved = process.env.CHROMIUM_PATH;
    process.env.CHROMIUM_PATH = '/nonexistent/chromium';

    const result = await runDrill({ lines: lines.slice(0, 40), config, faults }).finally(() => {
      if (saved === undefined) delete process.env.CHROMIUM_PATH;
      else process.env.CHROMIUM_PATH = saved;
    });

    const check = result.checks.find((c) => c.name === 'visitor origin-down (http)');
    expect(check?.status).toBe('fail');
    expect(check?.detail).toContain('answered 429, not the fallback page');
    // The alarm still sees the unhealthy origin, so Tier 4 is recorded and paged all the same.
    expect(result.edge?.tier4.map((t) => t.action)).toEqual(['activate', 'restore']);
    const browser = result.checks.filter((c) => c.name.endsWith('(browser)'));
    expect(browser.length).toBeGreaterThan(0);
    for (const c of browser) {
      expect(c.status).toBe('not-exercised');
      expect(c.detail).toContain(
        'no Chromium: CHROMIUM_PATH=/nonexistent/chromium is not an executable file',
      );
    }
  }, 120_000);
});
