import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Actuator } from '../../../lambdas/core/config';
import { parseConfig } from '../../../lambdas/core/config';
import {
  aggregateOf,
  aggregatePage,
  aggregateTruth,
  duePages,
  emptyEpisode,
  holdMsOf,
  JOIN_GRACE_MS,
  joinEpisode,
  type PageEpisode,
  refreshAfterMsOf,
  syncEpisode,
  UPDATE_EVERY_MS,
} from '../../../lambdas/core/page-episodes';
import {
  actuatorEpisodePage,
  describeQueues,
  flappingPage,
  futureObservationPage,
  type QueueFacts,
} from '../../../lambdas/core/pages';
import { INITIAL_TIER_STATE, type QueueState } from '../../../lambdas/core/state';

const T0 = Date.parse('2026-11-27T09:00:00Z');
const MINUTE = 60_000;
const facts = (queueId: string, waiting = 100, agents: number | null = 2): QueueFacts => ({
  queueId,
  waiting,
  agentsAvailable: agents,
});
const none = new Set<string>();

describe('page episodes across queues (pure rules)', () => {
  it('opens episode 1 on the first join and owes exactly its trigger', () => {
    const e = joinEpisode(emptyEpisode('recommendation', 3), ['sales'], T0) as PageEpisode;

    expect(e).toMatchObject({ number: 1, open: true, members: { sales: T0 } });
    const due = duePages(e, (q) => facts(q, 412, 3), T0, { updates: true });
    expect(due.map((d) => [d.page.action, d.page.dedupKey, d.page.revision])).toEqual([
      ['trigger', 'recommend:tier3:1', undefined],
    ]);
    expect(due[0]?.page.summary).toBe(
      'tier 3 recommended for 1 queue; worst sales: 412 waiting, 3 agents available (mode recommend: nothing switched; override to act)',
    );
  });

  it('restates an open episode once its trigger is out and its queues changed, at most once a minute', () => {
    let e = joinEpisode(emptyEpisode('recommendation', 3), ['a'], T0) as PageEpisode;
    e = { ...e, pagedTrigger: 1, announced: e.revision, announcedAt: T0 };
    e = joinEpisode(e, ['b', 'c'], T0 + 1000) as PageEpisode;

    expect(duePages(e, facts, T0 + 1000, { updates: true })).toEqual([]); // not a minute yet
    expect(duePages(e, facts, T0 + UPDATE_EVERY_MS, { updates: false })).toEqual([]); // evaluate never restates
    const [update] = duePages(e, facts, T0 + UPDATE_EVERY_MS, { updates: true });
    expect(update?.page).toMatchObject({
      action: 'trigger',
      dedupKey: 'recommend:tier3:1',
      revision: e.revision,
    });
    expect(update?.page.details.queueCount).toBe(3);
  });

  it('keeps a queue that joined after the listing, drops one the states no longer back, closes on the last', () => {
    let e = joinEpisode(emptyEpisode('stale-observations'), ['a', 'b'], T0) as PageEpisode;
    e = joinEpisode(e, ['c'], T0 + MINUTE) as PageEpisode;

    // The tick's listing backs only `a`; `c` joined 5 s ago (its state write may postdate the listing).
    const synced = syncEpisode(e, new Set(['a']), none, T0 + MINUTE + 5000) as PageEpisode;
    expect(Object.keys(synced.members).sort()).toEqual(['a', 'c']);
    // An unreadable queue is never dropped on missing data.
    expect(
      Object.keys((syncEpisode(e, new Set(), new Set(['b']), T0 + 5 * MINUTE) as PageEpisode).members).sort(),
    ).toEqual(['b']);

    const closed = syncEpisode(synced, new Set(), none, T0 + MINUTE + JOIN_GRACE_MS + 1) as PageEpisode;
    expect(closed).toMatchObject({ open: false, number: 1, closedAt: T0 + MINUTE + JOIN_GRACE_MS + 1 });
    expect(
      duePages(closed, facts, closed.closedAt as number, { updates: true }).map(
        (d) => `${d.page.action} ${d.page.dedupKey}`,
      ),
    ).toEqual(['resolve stale:1']);
    // Closed, then a crash before its resolve was marked, then a new episode: both are owed.
    const reopened = joinEpisode(closed, ['z'], T0 + 9 * MINUTE) as PageEpisode;
    expect(
      duePages(reopened, facts, T0 + 9 * MINUTE, { updates: true }).map(
        (d) => `${d.page.action} ${d.page.dedupKey}`,
      ),
    ).toEqual(['resolve stale:1', 'trigger stale:2']);
    expect(syncEpisode(closed, new Set(), none, T0 + 10 * MINUTE)).toBeUndefined();
    expect(syncEpisode(closed, new Set(['z']), none, T0 + 10 * MINUTE)).toMatchObject({
      number: 2,
      open: true,
    });
  });

  it('states the numbers on resolve: how many queues, for how long, how they are now', () => {
    let e = joinEpisode(emptyEpisode('recommendation', 2), ['a', 'b'], T0) as PageEpisode;
    e = { ...e, pagedTrigger: 1 };
    const closed = syncEpisode(e, new Set(), none, T0 + 23 * MINUTE) as PageEpisode;
    const resolve = aggregatePage(closed, 'resolve', [facts('a', 12, 9), facts('b', 3, 1)], T0 + 23 * MINUTE);

    expect(resolve.summary).toBe(
      'tier 2 recommendation withdrawn after 23 min: all 2 queues back under threshold; now a: 12 waiting, 9 agents available; b: 3 waiting, 1 agent available',
    );
  });

  it('every trigger owed is followed by its resolve once the states say no queue is left (property)', () => {
    // Any sequence of joins and syncs, each followed by its due pages being staged and marked: the
    // pages form, per key, one trigger, restatements, one resolve, nothing after.
    const step = fc.oneof(
      fc.record({ join: fc.subarray(['a', 'b', 'c']) }),
      fc.record({ sync: fc.subarray(['a', 'b', 'c']) }),
      fc.record({ crash: fc.constant(true) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        let e: PageEpisode = emptyEpisode('recommendation', 3);
        let now = T0;
        const staged = new Map<string, string[]>();
        let crashNext = false;
        const settle = (updates: boolean) => {
          for (const due of duePages(e, facts, now, { updates })) {
            const list = staged.get(due.page.dedupKey) ?? [];
            const id = `${due.page.action}${due.page.revision ?? ''}`;
            if (!list.includes(id)) list.push(id);
            staged.set(due.page.dedupKey, list);
            if (crashNext) {
              crashNext = false;
              return; // staged, not marked: the next settle owes it again
            }
            const { mark } = due;
            e =
              mark.field === 'pagedTrigger'
                ? { ...e, pagedTrigger: mark.value, announced: mark.revision, announcedAt: now }
                : mark.field === 'announced'
                  ? { ...e, announced: mark.value, announcedAt: now }
                  : { ...e, pagedResolve: mark.value };
          }
        };
        for (const s of steps) {
          now += 20_000;
          if ('crash' in s) crashNext = true;
          else if ('join' in s) {
            e = joinEpisode(e, s.join, now) ?? e;
            settle(false);
          } else {
            e = syncEpisode(e, new Set(s.sync), none, now) ?? e;
            settle(true);
          }
        }
        // Quiet: the states say nobody, ticks run until nothing is owed.
        for (let i = 0; i < 3; i++) {
          now += JOIN_GRACE_MS + UPDATE_EVERY_MS;
          e = syncEpisode(e, new Set(), none, now) ?? e;
          settle(true);
        }
        expect(e.open).toBe(false);
        for (const [, pages] of staged) {
          // A key may be resolved with no trigger (never staged: no incident); never the reverse.
          expect(pages.filter((p) => p === 'resolve')).toHaveLength(1);
          expect(pages.at(-1)).toBe('resolve');
          if (pages.includes('trigger')) expect(pages[0]).toBe('trigger');
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('page summaries in numbers', () => {
  const actuator: Actuator = {
    id: 'tier2-row',
    tier: 2,
    type: 'datatable-row',
    queues: ['*'],
    datatableId: 'dt',
    rowId: 'tier2',
    field: 'SurgeActive',
    activeValue: true,
    inactiveValue: false,
  };

  it('says how many queues and the worst ones, and how long the tier was on', () => {
    const on = actuatorEpisodePage(actuator, 'active', 'k', ['sales'], T0, {
      facts: [facts('sales', 412, 3)],
    });
    const off = actuatorEpisodePage(actuator, 'inactive', 'k', [], T0 + 23 * MINUTE, {
      facts: [facts('sales', 12, 9)],
      openedAt: T0,
    });

    expect(on.summary).toBe('sales: 412 waiting, 3 agents available; tier 2 on (tier2-row)');
    expect(off.summary).toBe('sales: 12 waiting, 9 agents available; tier 2 off after 23 min (tier2-row)');
    expect(off.details).toMatchObject({ minutesOn: 23, queueCount: 1 });
    expect(describeQueues([facts('a', 1), facts('b', 9), facts('c', null as never), facts('d', 5)], 2)).toBe(
      '4 queues, worst b: 9 waiting, 2 agents available; d: 5 waiting, 2 agents available; +2 more',
    );
  });

  it('stays within PagerDuty’s 1,024 characters whatever the ids', () => {
    const long = (i: number) => facts(`${'q'.repeat(250)}-${i}`, 500 - i);
    const many = Array.from({ length: 1000 }, (_, i) => long(i));
    const on = actuatorEpisodePage(
      actuator,
      'active',
      'k',
      many.map((f) => f.queueId),
      T0,
      { facts: many },
    );
    const e = joinEpisode(
      emptyEpisode('stale-observations'),
      many.map((f) => f.queueId),
      T0,
    ) as PageEpisode;

    expect(on.summary.length).toBeLessThanOrEqual(1024);
    expect(on.details.queueCount).toBe(1000);
    expect(aggregatePage(e, 'trigger', many, T0).summary.length).toBeLessThanOrEqual(1024);
    expect(aggregatePage(e, 'trigger', many, T0).details.queueIds).toHaveLength(500);
  });
});

describe('flapping and future-dated observations: one episode, resolved (not one trigger per queue)', () => {
  const config = parseConfig({ intervalSeconds: 60, flapping: { transitions: 3, windowSeconds: 600 } });

  it('routes the per-queue builders to their episode: flapping per tier, future-dated in one', () => {
    expect(aggregateOf(flappingPage('sales', 2, '2026-11-27T09:00:00Z'))).toEqual({
      kind: 'flapping',
      tier: 2,
      queueId: 'sales',
    });
    expect(aggregateOf(futureObservationPage('sales', '2026-11-27T10:00:00Z', 120, T0))).toEqual({
      kind: 'future-observation',
      queueId: 'sales',
    });
  });

  it('keeps a queue in the future-dated episode while it keeps being rejected, and closes two intervals after the last', () => {
    const refresh = refreshAfterMsOf('future-observation');
    const hold = holdMsOf('future-observation', config);
    let e = joinEpisode(emptyEpisode('future-observation'), ['a', 'b'], T0, refresh) as PageEpisode;
    // Rejected again a minute later: the join is written again (its time moves), so the tick keeps it.
    e = joinEpisode(e, ['a'], T0 + MINUTE, refresh) as PageEpisode;
    expect(e.members).toEqual({ a: T0 + MINUTE, b: T0 });
    // A second rejection within the refresh time writes nothing.
    expect(joinEpisode(e, ['a'], T0 + MINUTE + 1_000, refresh)).toBeUndefined();

    // No state backs these members (truth is empty): each stays `hold` after it last joined.
    const atB = syncEpisode(e, none, none, T0 + hold, hold) as PageEpisode;
    expect(Object.keys(atB.members)).toEqual(['a']);
    expect(atB.open).toBe(true);
    const closed = syncEpisode(atB, none, none, T0 + MINUTE + hold, hold) as PageEpisode;
    expect(closed.open).toBe(false);
    const due = duePages(closed, (q) => facts(q, 5, 3), T0 + MINUTE + hold, { updates: true });
    expect(due.map((d) => [d.page.action, d.page.dedupKey])).toEqual([['resolve', 'future:1']]);
    expect(due[0]?.page.summary).toMatch(/^observations of the queue accepted again after 3 min/);
    // A kind backed by the states is not held that long.
    expect(holdMsOf('stale-observations', config)).toBe(JOIN_GRACE_MS);
    expect(refreshAfterMsOf('recommendation')).toBeUndefined();
  });

  it('counts a tier flapping while the threshold of transitions is still inside the window', () => {
    const tier = (recentTransitions: number[]) => ({ ...INITIAL_TIER_STATE, recentTransitions });
    const state = (queueId: string, recent: number[]): QueueState => ({
      schemaVersion: 1,
      queueId,
      lastObservedAt: new Date(T0).toISOString(),
      tiers: { tier1: tier(recent), tier2: tier([]), tier3: tier([]) },
      effective: { tier1: false, tier2: false, tier3: false },
    });
    const states = [
      state('a', [T0 - 3 * MINUTE, T0 - 2 * MINUTE, T0 - MINUTE]),
      state('b', [T0 - 12 * MINUTE, T0 - 2 * MINUTE, T0 - MINUTE]),
    ];
    expect(aggregateTruth(states, config, T0).get('flapping#tier1')).toEqual(new Set(['a']));
    // Ten minutes on, the window holds fewer than 3 of a's transitions: it has settled.
    expect(aggregateTruth(states, config, T0 + 8 * MINUTE).get('flapping#tier1')).toBeUndefined();
  });

  it('states the flapping and future-dated episodes in numbers', () => {
    const flapping = joinEpisode(emptyEpisode('flapping', 2), ['a', 'b'], T0) as PageEpisode;
    const trigger = aggregatePage(flapping, 'trigger', [facts('a', 80), facts('b', 30)], T0);
    expect(trigger).toMatchObject({ kind: 'flapping', dedupKey: 'flapping:tier2:1', severity: 'warning' });
    expect(trigger.summary).toBe(
      'tier 2 flapping at 2 queues; worst a: 80 waiting, 2 agents available; b: 30 waiting, 2 agents available: widen the hysteresis band or raise forObservations',
    );
    const future = joinEpisode(emptyEpisode('future-observation'), ['a'], T0) as PageEpisode;
    expect(aggregatePage(future, 'trigger', [facts('a', 80)], T0).summary).toBe(
      "observations of 1 queue rejected: dated too far after the controller's clock, so their tiers are held; check the source's clock; worst a: 80 waiting, 2 agents available",
    );
  });
});
