import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/core/config';
import { decide, effectiveTiers, isStale, type Override } from '../../../lambdas/core/decide';
import { Reason } from '../../../lambdas/core/reasons';
import { config, feed, isoAt, minutes, obsAt, T0, times, transitionsOf } from './helpers';

const defaults = config();
// Tier 1 alone, with small counts, so each boundary is visible in a few observations.
const tier1Only = (extra: Record<string, unknown> = {}) =>
  config({
    tiers: {
      tier1: {
        activate: { waitingAbove: 50, forObservations: 3 },
        restore: { waitingBelow: 25, forObservations: 2 },
        ...extra,
      },
      tier2: { mode: 'off' },
      tier3: { mode: 'off' },
    },
  });

describe('decide', () => {
  describe('activation (rule: inactive and activate-streak ≥ activate.forObservations)', () => {
    it.each([
      { tier: 1, n: 10, waiting: 51, agents: null },
      { tier: 2, n: 3, waiting: 201, agents: 4 },
      { tier: 3, n: 3, waiting: 401, agents: null },
    ])(
      'activates tier $tier with the defaults on exactly the $n-th qualifying observation',
      ({ tier, n, waiting, agents }) => {
        // Prepare
        const observations = minutes(times(n, waiting), { agents });

        // Act
        const run = feed(observations, defaults);

        // Assess
        const forTier = run.decisions.map((d) => d.transitions.filter((t) => t.tier === tier));
        expect(forTier.slice(0, n - 1).flat()).toEqual([]);
        expect(forTier[n - 1]).toEqual([
          expect.objectContaining({
            tier,
            action: 'activate',
            at: observations[n - 1]?.observedAt,
            reason: 'activate-threshold',
          }),
        ]);
      },
    );

    it.each([
      { case: 'waiting equal to waitingAbove', waiting: 50, activates: false },
      { case: 'waiting one above waitingAbove', waiting: 51, activates: true },
      { case: 'waiting far above', waiting: 5000, activates: true },
    ])('counts only waiting strictly above waitingAbove: $case', ({ waiting, activates }) => {
      const run = feed(minutes(times(3, waiting)), tier1Only());
      expect(transitionsOf(run).length).toBe(activates ? 1 : 0);
    });

    it.each([
      { case: 'agentsAvailable one below the limit', agents: 4, counts: true },
      { case: 'agentsAvailable zero', agents: 0, counts: true },
      { case: 'agentsAvailable equal to the limit', agents: 5, counts: false },
      { case: 'agentsAvailable unknown (null)', agents: null, counts: false },
    ])('requires a known agent count below agentsAvailableBelow: $case', ({ agents, counts }) => {
      const run = feed(minutes(times(3, 250), { agents }), defaults);
      expect(run.state?.tiers.tier2.activateStreak).toBe(counts ? 3 : 0);
      expect(transitionsOf(run).some((t) => t.tier === 2)).toBe(counts);
    });

    it('says the unknown agent count held tier 2 back', () => {
      const d = decide(undefined, obsAt(0, 250, null), defaults, T0);
      expect(d.reasons).toContain(Reason.AGENTS_UNKNOWN);
    });

    it('restarts the streak when one observation does not qualify', () => {
      // 2 above, 1 at the threshold, 2 above: never 3 in a row.
      const run = feed(minutes([60, 60, 50, 60, 60]), tier1Only());
      expect(transitionsOf(run)).toEqual([]);
      expect(run.state?.tiers.tier1.activateStreak).toBe(2);
    });

    it('activates each tier independently (tier 2 without tier 1)', () => {
      const run = feed(minutes(times(3, 250), { agents: 0 }), defaults);
      expect(transitionsOf(run).map((t) => t.tier)).toEqual([2]);
      expect(run.decisions.at(-1)?.effective).toEqual({ tier1: false, tier2: true, tier3: false });
    });

    it('does not activate again while active (one transition per episode)', () => {
      const run = feed(minutes(times(20, 80)), tier1Only());
      expect(transitionsOf(run)).toHaveLength(1);
    });
  });

  describe('restore (rule: active and restore-streak ≥ restore.forObservations and minActiveSeconds passed)', () => {
    it.each([
      { tier: 1, n: 10, quiet: 24 },
      { tier: 2, n: 5, quiet: 49 },
      { tier: 3, n: 10, quiet: 99 },
    ])(
      'restores tier $tier with the defaults on exactly the $n-th quiet observation',
      ({ tier, n, quiet }) => {
        // Prepare: all three tiers active.
        const surge = feed(minutes(times(10, 500), { agents: 0 }), defaults);
        expect(surge.state?.tiers[`tier${tier}` as 'tier1'].status).toBe('active');

        // Act
        const calm = feed(minutes(times(n, quiet), { from: 10, agents: 0 }), defaults, {
          state: surge.state,
        });

        // Assess
        const restores = calm.decisions.map((d) =>
          d.transitions.filter((t) => t.tier === tier && t.action === 'restore'),
        );
        expect(restores.slice(0, n - 1).flat()).toEqual([]);
        expect(restores[n - 1]).toHaveLength(1);
      },
    );

    it.each([
      { case: 'waiting equal to waitingBelow', waiting: 25, restores: false },
      { case: 'waiting one below waitingBelow', waiting: 24, restores: true },
      { case: 'waiting zero', waiting: 0, restores: true },
    ])('counts only waiting strictly below waitingBelow: $case', ({ waiting, restores }) => {
      const run = feed(minutes([...times(3, 60), ...times(2, waiting)]), tier1Only());
      expect(transitionsOf(run).map((t) => t.action)).toEqual(
        restores ? ['activate', 'restore'] : ['activate'],
      );
    });

    it('never restores on observations inside the band (25 ≤ waiting ≤ 50)', () => {
      const run = feed(minutes([...times(3, 60), 25, 50, 30, 40, 25, 50, 49, 26]), tier1Only());
      expect(transitionsOf(run).map((t) => t.action)).toEqual(['activate']);
    });

    it.each([
      { case: 'one second short of minActiveSeconds', minActive: 121, restores: false },
      { case: 'exactly minActiveSeconds', minActive: 120, restores: true },
      { case: 'no minimum', minActive: 0, restores: true },
    ])(
      'holds the tier until minActiveSeconds have passed since activation: $case',
      ({ minActive, restores }) => {
        // Activated at minute 2; quiet minutes 3 and 4 → restore streak complete at minute 4 (120 s later).
        const run = feed(minutes([...times(3, 60), 10, 10]), tier1Only({ minActiveSeconds: minActive }));
        const last = run.decisions.at(-1);
        expect(last?.transitions.map((t) => t.action)).toEqual(restores ? ['restore'] : []);
        if (!restores) expect(last?.reasons).toContain(Reason.MIN_ACTIVE_HOLD);
      },
    );

    it('restores as soon as minActiveSeconds pass if the restore streak is already long enough', () => {
      // Activated at minute 2; streak complete at minute 4; 300 s after activation is minute 7.
      const run = feed(minutes([...times(3, 60), ...times(5, 10)]), tier1Only({ minActiveSeconds: 300 }));
      expect(run.decisions.map((d) => d.transitions.map((t) => t.action).join())).toEqual([
        '',
        '',
        'activate',
        '',
        '',
        '',
        '',
        'restore',
      ]);
    });
  });

  describe('duplicates and out-of-order observations (rule 2)', () => {
    it.each([
      { case: 'the same observedAt (duplicate)', seconds: 120, reason: 'duplicate' },
      { case: 'an older observedAt (out-of-order)', seconds: 60, reason: 'out-of-order' },
      { case: 'a much older observedAt (out-of-order)', seconds: -3600, reason: 'out-of-order' },
    ])('ignores $case and returns the very same state object', ({ seconds, reason }) => {
      // Prepare
      const { state } = feed(minutes([60, 60, 60]), tier1Only());

      // Act: a different depth, so any effect would show.
      const d = decide(state, obsAt(seconds, 0), tier1Only(), T0);

      // Assess
      expect(d.outcome).toBe('ignored');
      expect(d.ignoredReason).toBe(reason);
      expect(d.next).toBe(state);
      expect(d.transitions).toEqual([]);
      expect(d.effectiveChanged).toEqual([]);
      expect(d.reasons).toEqual([reason]);
    });

    it('treats a timestamp written differently but naming the same instant as a duplicate', () => {
      const { state } = feed([obsAt(0, 10)], defaults);
      const d = decide(state, { ...obsAt(0, 99), observedAt: isoAt(0).replace('Z', '.000Z') }, defaults, T0);
      expect(d.ignoredReason).toBe('duplicate');
    });
  });

  describe('gaps (rule 3: more than 1.5 × intervalSeconds since the last accepted observation)', () => {
    it.each([
      { case: 'exactly 1.5 × interval (90 s)', spacing: 90, gap: false },
      { case: '1.5 × interval + 1 s (91 s)', spacing: 91, gap: true },
      { case: 'one interval', spacing: 60, gap: false },
    ])('$case → gap: $gap', ({ spacing, gap }) => {
      const { state } = feed([obsAt(0, 60)], tier1Only());
      const d = decide(state, obsAt(spacing, 60), tier1Only(), T0 + spacing * 1000);
      expect(d.gap).toBe(gap);
      expect(d.next?.tiers.tier1.activateStreak).toBe(gap ? 1 : 2);
      expect(d.reasons.includes(Reason.GAP)).toBe(gap);
    });

    it('resets the activate streak: N fresh qualifying observations are needed after a gap', () => {
      // 2 above, then a 5-minute hole, then above again: activation needs 3 after the hole.
      const observations = [...minutes([60, 60]), ...minutes([60, 60, 60], { from: 7 })];
      const run = feed(observations, tier1Only());
      expect(run.decisions.map((d) => d.transitions.length)).toEqual([0, 0, 0, 0, 1]);
    });

    it('never counts missing data toward a restore', () => {
      // Active, one quiet observation, then 10 minutes of nothing, then one quiet observation: still active.
      const observations = [...minutes([60, 60, 60, 10]), obsAt(14 * 60, 10)];
      const run = feed(observations, tier1Only());
      expect(run.state?.tiers.tier1.status).toBe('active');
      expect(run.state?.tiers.tier1.restoreStreak).toBe(1);
    });
  });

  describe('modes', () => {
    it('computes recommend-mode transitions but never makes the tier effective', () => {
      const run = feed(minutes([...times(3, 500), ...times(10, 10)]), defaults);
      const tier3 = transitionsOf(run).filter((t) => t.tier === 3);
      expect(tier3.map((t) => [t.action, t.mode])).toEqual([
        ['activate', 'recommend'],
        ['restore', 'recommend'],
      ]);
      expect(run.decisions.every((d) => d.effective.tier3 === false)).toBe(true);
      expect(run.decisions[2]?.reasons).toContain(Reason.RECOMMENDATION);
    });

    it('does not evaluate an off tier: no streaks, no transitions, never effective', () => {
      const cfg = config({ tiers: { tier1: { mode: 'off' } } });
      const run = feed(minutes(times(20, 500)), cfg);
      expect(transitionsOf(run).some((t) => t.tier === 1)).toBe(false);
      expect(run.state?.tiers.tier1).toEqual({
        status: 'inactive',
        activateStreak: 0,
        restoreStreak: 0,
        recentTransitions: [],
      });
      expect(run.decisions.at(-1)?.reasons).not.toContain(Reason.TIER_OFF); // nothing to forget: no noise
    });

    it('forgets an active tier that is switched off by config (effective goes false without a transition)', () => {
      const { state } = feed(minutes(times(3, 60)), tier1Only());
      const off = config({
        tiers: { tier1: { mode: 'off' }, tier2: { mode: 'off' }, tier3: { mode: 'off' } },
      });
      const d = decide(state, obsAt(180, 60), off, T0 + 180_000);
      expect(d.transitions).toEqual([]);
      expect(d.effectiveChanged).toEqual(['tier1']);
      expect(d.next?.tiers.tier1.status).toBe('inactive');
      expect(d.reasons).toContain(Reason.TIER_OFF);
    });

    it('uses per-queue tier overrides for that queue only', () => {
      const cfg = config({
        queues: [
          {
            id: 'vip',
            tiers: {
              tier1: { activate: { waitingAbove: 5, forObservations: 1 }, restore: { waitingBelow: 2 } },
            },
          },
        ],
      });
      const vip = feed(minutes([6], { queueId: 'vip' }), cfg);
      const other = feed(minutes([6], { queueId: 'other' }), cfg);
      expect(transitionsOf(vip).map((t) => t.tier)).toEqual([1]);
      expect(transitionsOf(other)).toEqual([]);
    });
  });

  describe('manual overrides', () => {
    const until = (seconds: number) => isoAt(seconds);
    const override = (o: Partial<Override> = {}): Override => ({
      queue: 'sales',
      tier: 1,
      state: 'active',
      reason: 'flash sale starts at 10:00',
      by: 'ops@example.com',
      ...o,
    });

    it.each([
      {
        case: 'forces an inactive tier active',
        waiting: 10,
        o: { state: 'active' as const },
        effective: true,
      },
      {
        case: 'forces an active tier inactive',
        waiting: 500,
        o: { state: 'inactive' as const },
        effective: false,
      },
      { case: "applies a '*' override to every queue", waiting: 10, o: { queue: '*' }, effective: true },
      {
        case: 'ignores an override of another queue',
        waiting: 10,
        o: { queue: 'billing' },
        effective: false,
      },
      { case: 'ignores an override of another tier', waiting: 10, o: { tier: 2 as const }, effective: false },
      {
        case: 'makes a recommend-mode tier effective',
        waiting: 10,
        o: { tier: 3 as const },
        effective: true,
        tier: 'tier3',
      },
    ])('$case', ({ waiting, o, effective, tier }) => {
      const run = feed(minutes(times(10, waiting), { agents: 0 }), defaults, { overrides: [override(o)] });
      expect(run.decisions.at(-1)?.effective[(tier ?? 'tier1') as 'tier1']).toBe(effective);
    });

    it('keeps counting streaks underneath and reports the transition as overridden', () => {
      const run = feed(minutes(times(10, 60)), defaults, { overrides: [override({ state: 'inactive' })] });
      expect(transitionsOf(run)).toEqual([
        expect.objectContaining({ tier: 1, action: 'activate', overridden: true }),
      ]);
      expect(run.state?.tiers.tier1.status).toBe('active');
      expect(run.decisions.at(-1)?.effective.tier1).toBe(false);
      expect(run.decisions.at(-1)?.reasons).toContain(Reason.OVERRIDE_INACTIVE);
    });

    it.each([
      { case: 'one ms before until', nowOffset: -1, inForce: true },
      { case: 'exactly at until', nowOffset: 0, inForce: false },
      { case: 'after until', nowOffset: 60_000, inForce: false },
    ])(
      'is in force strictly before `until` (now is the clock, not observedAt): $case',
      ({ nowOffset, inForce }) => {
        const o = override({ until: until(3600) });
        const d = decide(undefined, obsAt(0, 10), defaults, T0 + 3600_000 + nowOffset, [o]);
        expect(d.effective.tier1).toBe(inForce);
      },
    );

    it('hands back to the automatic state when the override expires, saying so', () => {
      // Prepare: forced active for the first 5 minutes of a calm queue.
      const overrides = [override({ until: until(300) })];
      const run = feed(minutes(times(7, 10)), defaults, { overrides });

      // Assess: effective on for minutes 0–4, off from minute 5 with the reason.
      expect(run.decisions.map((d) => d.effective.tier1)).toEqual([
        true,
        true,
        true,
        true,
        true,
        false,
        false,
      ]);
      expect(run.decisions[5]?.effectiveChanged).toEqual(['tier1']);
      expect(run.decisions[5]?.reasons).toContain(Reason.OVERRIDE_EXPIRED);
      expect(run.decisions[6]?.effectiveChanged).toEqual([]);
    });

    it('prefers a queue-specific override over a wildcard one, whatever the order', () => {
      const specific = override({ state: 'inactive' });
      const wildcard = override({ queue: '*', state: 'active' });
      for (const overrides of [
        [specific, wildcard],
        [wildcard, specific],
      ]) {
        expect(decide(undefined, obsAt(0, 10), defaults, T0, overrides).effective.tier1).toBe(false);
      }
    });
  });

  describe('effective state and reasons', () => {
    it('reports effectiveChanged only on the observation that changes it', () => {
      const run = feed(minutes([...times(3, 60), 60, ...times(2, 10), 10]), tier1Only());
      expect(run.decisions.map((d) => d.effectiveChanged)).toEqual([
        [],
        [],
        ['tier1'],
        [],
        [],
        ['tier1'],
        [],
      ]);
    });

    it('says first-observation on the first and steady when nothing happens', () => {
      const run = feed(minutes([10, 10]), tier1Only());
      expect(run.decisions[0]?.reasons).toContain(Reason.FIRST_OBSERVATION);
      expect(run.decisions[1]?.reasons).toEqual([Reason.STEADY]);
    });

    it('refuses a state of another queue (a wiring bug, not data)', () => {
      const { state } = feed(minutes([10], { queueId: 'a' }), defaults);
      expect(() => decide(state, obsAt(60, 10, null, 'b'), defaults, T0)).toThrow(/queue 'a'.*queue 'b'/);
    });

    it('effectiveTiers agrees with the last decision for the same overrides and time', () => {
      const overrides: Override[] = [{ queue: '*', tier: 3, state: 'active', reason: 'r', by: 'b' }];
      const run = feed(minutes(times(10, 250), { agents: 1 }), defaults, { overrides });
      const now = Date.parse(isoAt(9 * 60));
      expect(effectiveTiers(run.state, 'sales', defaults, now, overrides)).toEqual(
        run.decisions.at(-1)?.effective,
      );
      expect(effectiveTiers(undefined, 'sales', defaults, now)).toEqual({
        tier1: false,
        tier2: false,
        tier3: false,
      });
    });
  });

  describe('flapping detection', () => {
    const twitchy = config({
      flapping: { transitions: 4, windowSeconds: 600 },
      tiers: {
        tier1: { activate: { forObservations: 1 }, restore: { forObservations: 1 } },
        tier2: { mode: 'off' },
        tier3: { mode: 'off' },
      },
    });

    it('flags the transition that reaches N transitions inside the window, once', () => {
      const run = feed(minutes([60, 10, 60, 10, 60, 10]), twitchy);
      expect(run.decisions.map((d) => d.flapping)).toEqual([[], [], [], ['tier1'], [], []]);
      expect(run.decisions[3]?.reasons).toContain(Reason.FLAPPING);
    });

    it('does not flag transitions spread wider than the window', () => {
      const spread = [0, 4, 8, 12].map((m, i) => obsAt(m * 60, i % 2 === 0 ? 60 : 10));
      // Every observation is after a gap (streaks restart), but forObservations is 1 so each still switches.
      const run = feed(spread, twitchy);
      expect(transitionsOf(run)).toHaveLength(4);
      expect(run.decisions.flatMap((d) => d.flapping)).toEqual([]);
    });

    it('flags again after the window has emptied and a new burst starts', () => {
      const burst = (fromMinute: number) => minutes([60, 10, 60, 10], { from: fromMinute });
      const run = feed([...burst(0), ...burst(60)], twitchy);
      expect(run.decisions.map((d) => d.flapping.length)).toEqual([0, 0, 0, 1, 0, 0, 0, 1]);
    });

    it('keeps the stored window bounded', () => {
      const run = feed(minutes(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 60 : 10))), twitchy);
      expect(run.state?.tiers.tier1.recentTransitions.length).toBeLessThanOrEqual(4);
    });
  });
});

describe('isStale', () => {
  const { state } = feed([obsAt(0, 10)], defaults); // staleAfterSeconds defaults to 180
  it.each([
    { case: 'one ms before staleAfterSeconds', ms: 179_999, stale: false },
    { case: 'exactly staleAfterSeconds', ms: 180_000, stale: true },
    { case: 'long after', ms: 3_600_000, stale: true },
  ])('$case → $stale', ({ ms, stale }) => {
    expect(isStale(state, T0 + ms, defaults)).toBe(stale);
  });

  it('is never stale before the first observation', () => {
    expect(isStale(undefined, T0 + 10 ** 9, defaults)).toBe(false);
  });
});

describe('decide: future-dated observations', () => {
  const cfg = parseConfig({ tiers: { tier1: { activate: { waitingAbove: 50, forObservations: 1 } } } });
  const at = (ms: number, waiting = 100) => ({
    queueId: 'q',
    observedAt: new Date(ms).toISOString(),
    waiting,
    agentsAvailable: 3,
  });

  it.each([
    { ahead: 120_000, outcome: 'accepted' },
    { ahead: 120_001, outcome: 'ignored' },
    { ahead: 86_400_000, outcome: 'ignored' },
  ])('an observation $ahead ms after the clock (tolerance 2 × 60 s) is $outcome', ({ ahead, outcome }) => {
    const d = decide(undefined, at(T0 + ahead), cfg, T0);
    expect(d.outcome).toBe(outcome);
    if (d.outcome === 'ignored') expect(d.ignoredReason).toBe(Reason.FUTURE_DATED);
  });

  it('keeps the queue working: later real observations are still accepted', () => {
    const first = decide(undefined, at(T0, 10), cfg, T0);
    const tomorrow = decide(first.next, at(T0 + 86_400_000), cfg, T0 + 60_000);
    const next = decide(tomorrow.next, at(T0 + 60_000), cfg, T0 + 60_000);
    expect(tomorrow.outcome).toBe('ignored');
    expect(tomorrow.next).toBe(first.next);
    expect(next.outcome).toBe('accepted');
    expect(next.effective.tier1).toBe(true);
  });

  it('takes the tolerance from futureToleranceSeconds when set', () => {
    const strict = parseConfig({ futureToleranceSeconds: 5 });
    expect(decide(undefined, at(T0 + 6_000), strict, T0).outcome).toBe('ignored');
    expect(decide(undefined, at(T0 + 5_000), strict, T0).outcome).toBe('accepted');
  });
});
