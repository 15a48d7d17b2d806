import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withDemand } from '../../../lambdas/core/actuator-plan';
import type { Actuator } from '../../../lambdas/core/config';
import { parseConfig } from '../../../lambdas/core/config';
import {
  actuatorsOfQueues,
  demandRepairs,
  dueActuators,
  effectiveTiersAt,
  knownQueues,
  plannedDemanders,
} from '../../../lambdas/core/convergence';
import { decide } from '../../../lambdas/core/decide';
import { EDGE_DEMANDER } from '../../../lambdas/core/persistence';

const notify = (id: string, tier: 1 | 2 | 3 | 4, queues: string[]): Actuator => ({
  id,
  tier,
  queues,
  type: 'notify-only',
});
const actuators = [
  notify('all-t1', 1, ['*']),
  notify('sales-t2', 2, ['sales']),
  notify('billing-t1', 1, ['billing']),
  notify('edge', 4, ['*']),
];
const config = parseConfig({
  tiers: { tier1: { activate: { waitingAbove: 50, forObservations: 1 } } },
});
const T0 = Date.parse('2026-11-27T09:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

describe('effectiveTiersAt', () => {
  const active = decide(
    undefined,
    { queueId: 'sales', observedAt: iso(T0), waiting: 100, agentsAvailable: 3 },
    config,
    T0,
  ).next;

  it('applies an override in force at now to a stored state, with no new observation', () => {
    const off = { queue: 'sales', tier: 1 as const, state: 'inactive' as const, reason: 'r', by: 'b' };
    expect(effectiveTiersAt(active, 'sales', config, T0, []).tier1).toBe(true);
    expect(effectiveTiersAt(active, 'sales', config, T0, [off]).tier1).toBe(false);
  });

  it('returns to the automatic state once the override has expired', () => {
    const until = iso(T0 + 60_000);
    const off = { queue: '*', tier: 1 as const, state: 'inactive' as const, until, reason: 'r', by: 'b' };
    expect(effectiveTiersAt(active, 'sales', config, T0 + 59_999, [off]).tier1).toBe(false);
    expect(effectiveTiersAt(active, 'sales', config, T0 + 60_000, [off]).tier1).toBe(true);
  });

  it('lets an override switch a queue on before its first observation', () => {
    const on = { queue: 'new', tier: 2 as const, state: 'active' as const, reason: 'r', by: 'b' };
    expect(effectiveTiersAt(undefined, 'new', config, T0, [on])).toEqual({
      tier1: false,
      tier2: true,
      tier3: false,
    });
    expect(knownQueues([], config, [on])).toEqual(['new']);
  });
});

describe('plannedDemanders and demandRepairs', () => {
  const effective = new Map([
    ['sales', { tier1: true, tier2: false, tier3: false }],
    ['billing', { tier1: false, tier2: false, tier3: false }],
  ]);

  it('plans the queues whose effective tier wants each tier 1–3 actuator', () => {
    expect(Object.fromEntries(plannedDemanders(actuators, effective))).toEqual({
      'all-t1': ['sales'],
      'sales-t2': [],
      'billing-t1': [],
    });
  });

  it('adds missing and removes leaked demanders, never touching the edge demander', () => {
    const stored = new Map([
      ['all-t1', ['billing']],
      ['billing-t1', ['billing']],
      ['edge', [EDGE_DEMANDER]],
    ]);
    const repairs = demandRepairs(
      actuators,
      stored,
      plannedDemanders(actuators, effective),
      ['billing', 'sales'],
      { allQueues: true },
    );
    expect(repairs).toEqual([
      { actuatorId: 'all-t1', queueId: 'billing', demanding: false },
      { actuatorId: 'all-t1', queueId: 'sales', demanding: true },
      { actuatorId: 'billing-t1', queueId: 'billing', demanding: false },
    ]);
  });

  it('removes a demander that is no known queue only when every queue was read', () => {
    const stored = new Map([['all-t1', ['gone', 'sales']]]);
    const planned = plannedDemanders(actuators, effective);
    const all = demandRepairs(actuators, stored, planned, ['billing', 'sales'], { allQueues: true });
    const some = demandRepairs(actuators, stored, planned, ['sales'], { allQueues: false });
    expect(all).toContainEqual({ actuatorId: 'all-t1', queueId: 'gone', demanding: false });
    expect(some).toEqual([]);
  });

  it('limits to the actuators covering the given queues', () => {
    expect(actuatorsOfQueues(actuators, ['billing']).map((a) => a.id)).toEqual(['all-t1', 'billing-t1']);
    expect(actuatorsOfQueues(actuators, undefined)).toHaveLength(4);
  });

  it('brings any stored demand to the plan: applying the repairs yields exactly the planned sets', () => {
    const queues = ['a', 'b', 'c'];
    const tiers = fc.record({ tier1: fc.boolean(), tier2: fc.boolean(), tier3: fc.boolean() });
    const acts = [notify('x1', 1, ['*']), notify('x2', 2, ['a', 'b']), notify('x3', 3, ['c'])];
    fc.assert(
      fc.property(
        fc.tuple(tiers, tiers, tiers),
        fc.array(fc.subarray([...queues, 'ghost']), { minLength: 3, maxLength: 3 }),
        (eff, sets) => {
          const effectiveByQueue = new Map(queues.map((q, i) => [q, eff[i] as (typeof eff)[0]]));
          const stored = new Map(acts.map((a, i) => [a.id, sets[i] as string[]]));
          const planned = plannedDemanders(acts, effectiveByQueue);
          const after = new Map(stored);
          for (const r of demandRepairs(acts, stored, planned, queues, { allQueues: true })) {
            after.set(r.actuatorId, withDemand(after.get(r.actuatorId) ?? [], r.queueId, r.demanding));
          }
          for (const a of acts) expect([...(after.get(a.id) ?? [])].sort()).toEqual(planned.get(a.id));
        },
      ),
    );
  });
});

describe('dueActuators', () => {
  const options = { recentMs: 600_000, sampleInactive: 1, sampleAfterMs: 60_000 };
  it('orders pending, then active, then recently switched, then the least recently verified inactive', () => {
    const due = dueActuators(
      [
        { actuatorId: 'quiet-old', desired: 'inactive', applied: 'inactive', verifiedAt: 1 },
        { actuatorId: 'quiet-new', desired: 'inactive', applied: 'inactive', verifiedAt: 5 },
        {
          actuatorId: 'recent',
          desired: 'inactive',
          applied: 'inactive',
          appliedChangedAt: T0 - 1000,
          verifiedAt: T0,
        },
        { actuatorId: 'on', desired: 'active', applied: 'active' },
        { actuatorId: 'owed', desired: 'active', applied: 'unknown' },
      ],
      T0,
      options,
    );
    expect(due).toEqual([
      { actuatorId: 'owed', why: 'pending' },
      { actuatorId: 'on', why: 'active' },
      { actuatorId: 'recent', why: 'recent' },
      { actuatorId: 'quiet-old', why: 'sample' },
    ]);
  });
});
