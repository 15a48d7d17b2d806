import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replay } from '../../../drill/replay';
import { renderTimeline } from '../../../drill/report';
import { formatScenario, parseScenario } from '../../../drill/scenario';
import { parseConfig } from '../../../lambdas/core/config';
import { minutes, times } from './helpers';

const SCENARIOS = join(import.meta.dirname, '../../../drill/scenarios');
const builtIn = (name: string) =>
  parseScenario(readFileSync(join(SCENARIOS, `${name}.csv`), 'utf8'), `${name}.csv`);
const defaults = parseConfig({});
const lines = (csv: string) => parseScenario(csv, 'x.csv');
const summary = (r: ReturnType<typeof replay>) =>
  r.transitions.map((t) => `${t.queueId} t${t.tier} ${t.action} ${t.mode}`);

describe('replay', () => {
  it('flash-sale: exercises tiers 1, 2 and 3 (recommend) and recovers fully', () => {
    const report = replay(builtIn('flash-sale'), defaults);
    expect(summary(report)).toEqual([
      'sales t1 activate auto',
      'sales t2 activate auto',
      'sales t3 activate recommend',
      'sales t2 restore auto',
      'sales t3 restore recommend',
      'sales t1 restore auto',
    ]);
    // Tier 3 is recommend-only: no tier 3 actuator switches, but it is paged as a recommendation.
    expect(report.actuations.map((a) => `${a.actuatorId} ${a.action} ${a.result}`)).toEqual([
      'tier1-datatable activate planned',
      'tier2-datatable activate planned',
      'tier2-datatable restore planned',
      'tier1-datatable restore planned',
    ]);
    expect(report.pages.filter((p) => p.kind === 'recommendation').map((p) => p.action)).toEqual([
      'trigger',
      'resolve',
    ]);
  });

  it('plateau: switches tier 1 on once and off once despite the noise', () => {
    expect(summary(replay(builtIn('plateau'), defaults))).toEqual([
      'support t1 activate auto',
      'support t1 restore auto',
    ]);
  });

  it('outage: ignores the redelivered and late lines, pages stale data and holds the tier through the gap', () => {
    const report = replay(builtIn('outage'), defaults);
    expect(report.ignored.map((i) => i.reason)).toEqual(['duplicate', 'out-of-order']);
    expect(report.pages.filter((p) => p.kind === 'stale-observations').map((p) => p.action)).toEqual([
      'trigger',
      'resolve',
    ]);
    const restore = report.transitions.find((t) => t.action === 'restore');
    expect(restore?.at).toBe('2026-11-29T10:57:00Z'); // 10 quiet observations after the last gap, not before
  });

  it("multi-queue: keeps a '*' actuator on until every queue that demands it has restored", () => {
    const report = replay(builtIn('multi-queue'), defaults);
    const t1 = report.actuations.filter((a) => a.actuatorId === 'tier1-datatable');
    const lastRestore = report.transitions.filter((t) => t.tier === 1 && t.action === 'restore').at(-1);
    expect(t1.map((a) => a.action)).toEqual(['activate', 'restore']);
    expect(t1[1]?.at).toBe(lastRestore?.at);
    expect(new Set(report.transitions.map((t) => t.queueId))).toEqual(new Set(['sales', 'billing']));
    expect(report.queues).toEqual(['sales', 'billing', 'support']);
  });

  it('evaluates queues the config does not list, with the global tiers', () => {
    const config = parseConfig({ queues: [{ id: 'listed' }] });
    const csv = formatScenario(minutes(times(3, 500), { queueId: 'unlisted', agents: 0 }));
    expect(summary(replay(lines(csv), config))).toContain('unlisted t2 activate auto');
  });

  it("plans the config's own actuators when it names some", () => {
    const config = parseConfig({
      actuators: [{ id: 'sales-gate', tier: 2, queues: ['sales'], type: 'emergency-group', groupId: 'g1' }],
    });
    const csv = formatScenario([
      ...minutes(times(3, 500), { queueId: 'other', agents: 0 }),
      ...minutes(times(3, 500), { from: 3, queueId: 'sales', agents: 0 }),
    ]);
    const report = replay(lines(csv), config);
    expect(report.actuations).toEqual([
      { at: '2026-11-27T09:05:00Z', actuatorId: 'sales-gate', action: 'activate', result: 'planned' },
    ]);
    expect(report.pages.find((p) => p.kind === 'actuator-episode')?.dedupKey).toBe('actuator:sales-gate:1');
  });

  it('reports ignored lines with their line numbers', () => {
    const csv =
      'observedAt,queueId,waiting,agentsAvailable\n2026-11-27T09:01:00Z,a,1,\n2026-11-27T09:01:00Z,a,9,\n2026-11-27T09:00:00Z,a,9,\n';
    expect(replay(lines(csv), defaults).ignored).toEqual([
      { line: 3, queueId: 'a', reason: 'duplicate' },
      { line: 4, queueId: 'a', reason: 'out-of-order' },
    ]);
  });

  it('returns an empty report for an empty history', () => {
    expect(replay([], defaults)).toMatchObject({ transitions: [], actuations: [], ignored: [], pages: [] });
  });
});

describe('renderTimeline', () => {
  it('lists each queue with when each tier switched and why, in the config’s own terms', () => {
    const report = replay(builtIn('flash-sale'), defaults);
    const text = renderTimeline(report, defaults, {
      title: 'replay of flash-sale.csv',
      queues: report.queues,
      observations: report.observations,
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe(
      'replay of flash-sale.csv: 150 observations, 1 queue, 6 transitions, 4 actuations, 0 ignored, 6 pages',
    );
    expect(text).toContain('queue sales');
    expect(text).toContain(
      '2026-11-27T09:40:00Z  tier 2  activated      waiting > 200 and agentsAvailable < 5 for 3 observations',
    );
    expect(text).toContain(
      'tier 3  recommend on   waiting > 400 for 3 observations (recommend mode: paged, not switched)',
    );
    expect(text).toContain('tier 1  restored       waiting < 25 for 10 observations');
    expect(text).toMatch(/tier1-datatable {2}on {3}\(planned\)/);
  });

  it('lists quiet queues and mentions minActiveSeconds when it applies', () => {
    const config = parseConfig({ tiers: { tier1: { minActiveSeconds: 600 } } });
    const report = replay(builtIn('multi-queue'), config);
    const text = renderTimeline(report, config, { queues: report.queues });
    expect(text).toContain('queue support: no transitions');
    expect(text).toContain('waiting < 25 for 10 observations, after ≥ 600 s active');
  });
});
