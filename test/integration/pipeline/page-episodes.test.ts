import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PollerDeps } from '../../../lambdas/app/deps';
import type { Page } from '../../../lambdas/core/ports';
import {
  chunkEvent,
  ONE_STEP_TIER1,
  observation,
  observationEvent,
  type Pipeline,
  pipelinePerTest,
  startPipeline,
  T0,
} from './harness';
import { scheduledPorts } from './scheduled-ports';

// Issue 11: one page per episode and tier across queues, never one per queue. On dynalite + the
// emulator with the real handlers; each evaluation is its own invocation (as the chunked evaluate
// will be), so the aggregation can only live in the table.

const MINUTE = 60_000;
const open = pipelinePerTest();

/** Tier 3 recommends at the first observation above 50 and withdraws at the first below 25. */
const RECOMMEND_TIER3 = {
  tiers: {
    tier1: { mode: 'off' },
    tier2: { mode: 'off' },
    tier3: {
      mode: 'recommend',
      activate: { waitingAbove: 50, forObservations: 1 },
      restore: { waitingBelow: 25, forObservations: 1 },
    },
  },
};

const queueIds = (n: number) => Array.from({ length: n }, (_, i) => `q${String(i).padStart(3, '0')}`);

const pagesOf = (p: Pipeline, kind: Page['kind']) => p.transport.delivered.filter((d) => d.kind === kind);

/**
 * What must hold for every aggregated page kind, checked on what PagerDuty's stand-in got: per dedup
 * key, a first trigger, then restatements, then exactly one resolve, nothing after it; a key with no
 * resolve only for an episode still open.
 */
function episodeViolations(delivered: readonly Page[], stillOpen: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const keys = new Set(delivered.map((d) => d.dedupKey));
  for (const key of keys) {
    const mine = delivered.filter((d) => d.dedupKey === key);
    const resolves = mine.filter((d) => d.action === 'resolve');
    const first = mine[0];
    // A resolve alone is harmless (its trigger was never staged: no incident); a restatement first is not.
    const alone = mine.length === 1 && first?.action === 'resolve';
    if (!alone && (first?.action !== 'trigger' || first.revision !== undefined))
      problems.push(`${key}: does not start with its trigger`);
    if (resolves.length > 1) problems.push(`${key}: resolved ${resolves.length} times`);
    const resolvedAt = mine.findIndex((d) => d.action === 'resolve');
    if (resolvedAt >= 0 && resolvedAt < mine.length - 1) problems.push(`${key}: paged after its resolve`);
    if (resolves.length === 0 && !stillOpen.has(key)) problems.push(`${key}: trigger never resolved`);
  }
  return problems;
}

/** The pages as `action key`, restatements (a trigger with a revision) left out. */
const firstPages = (pages: readonly Page[]) =>
  pages.filter((d) => d.revision === undefined).map((d) => `${d.action} ${d.dedupKey}`);

function episodesOf(p: Pipeline) {
  const { episodes } = p.deps.pager;
  if (!episodes) throw new Error('no episode store');
  return episodes;
}

/** The pipeline's handlers with the episode store's conditional writes counted (the real store still writes). */
function countingEpisodeSaves(p: Pipeline) {
  const store = episodesOf(p);
  let saves = 0;
  const counted = new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (typeof value !== 'function') return value;
      return key === 'save'
        ? (...args: unknown[]) => {
            saves++;
            return value.apply(target, args);
          }
        : value.bind(target);
    },
  });
  const pager = new Proxy(p.deps.pager, {
    get(target, key) {
      if (key === 'episodes') return counted;
      const value = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { handlers: p.handlersWith((d) => ({ ...d, pager })), saves: () => saves };
}

async function openEpisodeKeys(p: Pipeline): Promise<Set<string>> {
  const { episodes } = p.deps.pager;
  if (!episodes) throw new Error('no episode store');
  const keys = new Set<string>();
  for (const [kind, tier] of [
    ['stale-observations', undefined],
    ['recommendation', 1],
    ['recommendation', 2],
    ['recommendation', 3],
  ] as const) {
    const { episode } = await episodes.get(kind, tier);
    if (episode.open)
      keys.add(`${kind === 'recommendation' ? `recommend:tier${tier}` : 'stale'}:${episode.number}`);
  }
  return keys;
}

describe('one page per episode and tier across queues', () => {
  it('pages a tier-3 recommend surge at 24 queues once (trigger, at most one restatement per tick, one resolve)', async () => {
    const p = await open({ config: RECOMMEND_TIER3 });
    const queues = queueIds(24);
    // Minute 0: every queue over its threshold, each evaluated by its own invocation, all at once.
    await Promise.all(queues.map((q, i) => p.evaluate(observationEvent(observation(T0, 100 + i, q)))));
    await p.poll(undefined, { queueIds: [] });
    // Minutes 1–3: the queues calm down one half at a time.
    for (const [minute, calm] of [
      [1, queues.slice(0, 12)],
      [2, queues],
      [3, queues],
    ] as const) {
      p.clock.set(T0 + minute * MINUTE);
      await Promise.all(
        queues.map((q) =>
          p.evaluate(observationEvent(observation(p.clock.now(), calm.includes(q) ? 3 : 90, q))),
        ),
      );
      await p.poll(undefined, { queueIds: [] });
    }

    const pages = pagesOf(p, 'recommendation');
    const triggers = pages.filter((d) => d.action === 'trigger' && d.revision === undefined);
    const resolves = pages.filter((d) => d.action === 'resolve');
    expect(triggers).toHaveLength(1);
    expect(resolves).toHaveLength(1);
    expect(pages.length).toBeLessThanOrEqual(4); // + restatements, at most one per tick
    expect(new Set(pages.map((d) => d.dedupKey))).toEqual(new Set(['recommend:tier3:1']));
    // The numbers: how many queues, the worst ones by waiting.
    const last = pages.filter((d) => d.action === 'trigger').at(-1);
    expect(last?.summary).toMatch(
      /^tier 3 recommended for (24 queues; worst q023: 123 waiting|12 queues; worst q012: 90 waiting), 3 agents available/,
    );
    expect([24, 12]).toContain(last?.details.queueCount);
    expect(resolves[0]?.summary).toMatch(
      /^tier 3 recommendation withdrawn after 2 min: all \d+ queues back under threshold; now q\d+: 3 waiting, 3 agents available/,
    );
    expect(episodeViolations(pages, new Set())).toEqual([]);
  });

  it('pages a Genesys outage at 30 queues once, and resolves it when the last queue reports again', async () => {
    const p = await open();
    const queues = queueIds(30);
    for (const q of queues) await p.evaluate(observationEvent(observation(T0, 10, q)));
    // No data for 4 ticks (stale after 180 s), then the queues come back one third at a time.
    for (let minute = 1; minute <= 4; minute++) {
      p.clock.set(T0 + minute * MINUTE);
      await p.poll(undefined, { queueIds: [] });
    }
    expect(pagesOf(p, 'stale-observations').map((d) => `${d.action} ${d.dedupKey}`)).toEqual([
      'trigger stale:1',
    ]);
    for (let third = 0; third < 3; third++) {
      p.clock.set(T0 + (5 + third) * MINUTE);
      for (const q of queues.slice(0, (third + 1) * 10))
        await p.evaluate(observationEvent(observation(p.clock.now(), 7, q)));
      await p.poll(undefined, { queueIds: [] });
    }

    const pages = pagesOf(p, 'stale-observations');
    expect(pages.filter((d) => d.action === 'resolve')).toHaveLength(1);
    expect(pages.length).toBeLessThanOrEqual(4);
    expect(pages[0]?.summary).toBe(
      'no observations from 30 queues since 2026-11-27T09:00:00Z: tiers held, nothing restores on missing data; last read q000: 10 waiting, 3 agents available; q001: 10 waiting, 3 agents available; q002: 10 waiting, 3 agents available',
    );
    expect(pages.at(-1)?.summary).toMatch(
      /^observations flowing again from all \d+ queues after \d+ min; now /,
    );
    expect(episodeViolations(pages, new Set())).toEqual([]);
  });

  it('pages a source clock running 10 minutes ahead at 30 queues once, and resolves it when their observations are accepted again', async () => {
    const p = await open();
    const queues = queueIds(30);
    const chunk = (observedAt: number) =>
      chunkEvent(
        queues.map((q) => observation(observedAt, 10, q)),
        `at-${p.clock.now()}`,
      );
    await p.evaluate(chunk(T0));
    // Minutes 1–2: every observation dated 10 minutes ahead (tolerance 2 × 60 s): all rejected.
    for (let minute = 1; minute <= 2; minute++) {
      p.clock.set(T0 + minute * MINUTE);
      await p.evaluate(chunk(p.clock.now() + 10 * MINUTE));
      await p.poll(undefined, { queueIds: [] });
    }
    // One incident (a chunk's queues join one by one, so a tick may restate it once with all 30).
    expect(firstPages(pagesOf(p, 'future-observation'))).toEqual(['trigger future:1']);
    // The source's clock is fixed: accepted again; the episode closes two intervals after the last rejection.
    for (let minute = 3; minute <= 6; minute++) {
      p.clock.set(T0 + minute * MINUTE);
      await p.evaluate(chunk(p.clock.now()));
      await p.poll(undefined, { queueIds: [] });
    }

    const pages = pagesOf(p, 'future-observation');
    expect(firstPages(pages)).toEqual(['trigger future:1', 'resolve future:1']);
    expect(pages.length).toBeLessThanOrEqual(4); // + restatements, at most one per tick
    const last = pages.filter((d) => d.action === 'trigger').at(-1);
    expect(last?.summary).toMatch(/^observations of 30 queues rejected: dated too far after the controller/);
    expect(last?.details.queueCount).toBe(30);
    expect(pages.at(-1)?.summary).toMatch(/^observations of all 30 queues accepted again after \d+ min/);
    expect(episodeViolations(pages, new Set())).toEqual([]);
  });

  it('pages tier 1 flapping at 6 queues once, and resolves it when the window holds too few switches', async () => {
    const p = await open({ config: { ...ONE_STEP_TIER1, flapping: { transitions: 4, windowSeconds: 600 } } });
    const queues = queueIds(6);
    // Minutes 0–4: every queue crosses both thresholds each minute (on, off, on, off, on).
    for (let minute = 0; minute <= 4; minute++) {
      p.clock.set(T0 + minute * MINUTE);
      const depth = minute % 2 === 0 ? 120 : 5;
      await p.evaluate(chunkEvent(queues.map((q) => observation(p.clock.now(), depth, q))));
      await p.poll(undefined, { queueIds: [] });
    }
    expect(firstPages(pagesOf(p, 'flapping'))).toEqual(['trigger flapping:tier1:1']);
    // Then quiet: ten minutes after the 4th switch (minute 3) the window holds only 3 of them.
    for (let minute = 5; minute <= 15; minute++) {
      p.clock.set(T0 + minute * MINUTE);
      await p.evaluate(chunkEvent(queues.map((q) => observation(p.clock.now(), 5, q))));
      await p.poll(undefined, { queueIds: [] });
    }

    const pages = pagesOf(p, 'flapping');
    expect(firstPages(pages)).toEqual(['trigger flapping:tier1:1', 'resolve flapping:tier1:1']);
    expect(pages.length).toBeLessThanOrEqual(3);
    expect(pages.filter((d) => d.action === 'trigger').at(-1)?.summary).toMatch(
      /^tier 1 flapping at 6 queues; worst /,
    );
    expect(pages.at(-1)?.summary).toMatch(
      /^tier 1 settled at all 6 queues after \d+ min: no longer flapping/,
    );
    expect(episodeViolations(pages, new Set())).toEqual([]);
  });

  it('states the numbers of the observation that switched a lever, and how long it was on', async () => {
    const p = await open();
    await p.evaluate(observationEvent(observation(T0, 412, 'sales')));
    p.clock.set(T0 + 23 * MINUTE);
    await p.evaluate(observationEvent({ ...observation(p.clock.now(), 12, 'sales'), agentsAvailable: 9 }));

    expect(pagesOf(p, 'actuator-episode').map((d) => d.summary)).toEqual([
      'sales: 412 waiting, 3 agents available; tier 1 on (tier1-datatable)',
      'sales: 12 waiting, 9 agents available; tier 1 off after 23 min (tier1-datatable)',
    ]);
  });

  it('joins a chunk of 100 queues to its episode in one write, and 5 racing chunks in a few', async () => {
    const p = await open({ config: RECOMMEND_TIER3 });
    const { handlers, saves } = countingEpisodeSaves(p);
    const queues = queueIds(200);
    // One chunk of 100 queues over the threshold: one evaluate invocation.
    await handlers.evaluate(
      chunkEvent(
        queues.slice(0, 100).map((q, i) => observation(T0, 60 + i, q)),
        'one',
      ),
    );
    expect(saves()).toBe(1);
    // Five chunks of 20 more at once: one write each, plus a retry per lost race at most.
    const racing = [0, 1, 2, 3, 4].map((c) => queues.slice(100 + c * 20, 120 + c * 20));
    await Promise.all(
      racing.map((chunk, c) =>
        handlers.evaluate(
          chunkEvent(
            chunk.map((q) => observation(T0, 70, q)),
            `race-${c}`,
          ),
        ),
      ),
    );
    expect(saves()).toBeGreaterThanOrEqual(6);
    expect(saves()).toBeLessThanOrEqual(1 + 5 + 4 + 3 + 2 + 1);

    const { episode } = await episodesOf(p).get('recommendation', 3);
    expect(episode.open).toBe(true);
    expect(Object.keys(episode.members).sort()).toEqual(queues);
    expect(firstPages(pagesOf(p, 'recommendation'))).toEqual(['trigger recommend:tier3:1']);
  });
});

// ── Interleavings: chunked evaluations, ticks, retries and crashes in any order ──

/** Every call to the stores, the pager and the episode store goes through the scheduler; numbered calls crash. */
function scheduledDeps(s: fc.Scheduler, crashAt: ReadonlySet<number>) {
  const wrap = scheduledPorts(s, crashAt);
  return (deps: PollerDeps): PollerDeps => {
    const episodes = deps.pager.episodes;
    return {
      ...deps,
      queueStates: wrap(deps.queueStates, 'queueStates'),
      pager: wrap(deps.pager, 'pager', episodes ? { episodes: wrap(episodes, 'episodes') } : {}),
    };
  };
}

const QUEUES = ['a', 'b', 'c', 'd'] as const;

const scenarioArb = fc.record({
  // Per minute, per queue: over (90) or under (5) tier 3's threshold.
  depths: fc.array(fc.array(fc.constantFrom(5, 90), { minLength: 4, maxLength: 4 }), {
    minLength: 2,
    maxLength: 5,
  }),
  // Queues evaluated together in one invocation ("chunks"), as the batching splits them.
  chunked: fc.boolean(),
  copies: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 8, maxLength: 8 }),
  ticksAt: fc.uniqueArray(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
  crashAt: fc.uniqueArray(fc.integer({ min: 1, max: 200 }), { maxLength: 6 }),
});

describe('page episodes under races, retries and crashes (fast-check scheduler)', () => {
  it('every trigger gets exactly one resolve, after every restatement, and episodes end where the states say', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), scenarioArb, async (s, scenario) => {
        const p = await startPipeline({ config: RECOMMEND_TIER3 });
        try {
          const chaotic = p.handlersWith(scheduledDeps(s, new Set(scenario.crashAt)));
          const retried = async (run: () => Promise<unknown>) => {
            for (let attempt = 1; attempt <= 3; attempt++) {
              try {
                return await run(); // EventBridge retries a failed invocation twice
              } catch {
                // retried
              }
            }
            return undefined;
          };
          let copy = 0;
          for (let minute = 0; minute < scenario.depths.length; minute++) {
            p.clock.set(T0 + minute * MINUTE);
            const events = (scenario.depths[minute] ?? []).map((depth, q) =>
              observationEvent(observation(p.clock.now(), depth, QUEUES[q])),
            );
            const groups = scenario.chunked ? [events.slice(0, 2), events.slice(2)] : events.map((e) => [e]);
            const tasks: Promise<unknown>[] = [];
            for (const group of groups) {
              const copies = scenario.copies[copy++ % scenario.copies.length] ?? 1;
              for (let c = 0; c < copies; c++) {
                tasks.push(
                  retried(async () => {
                    // One invocation per group: its evaluations share nothing in memory with the others'.
                    for (const event of group) await chaotic.evaluate(event);
                  }),
                );
              }
            }
            if (scenario.ticksAt.includes(minute))
              tasks.push(
                s
                  .schedule(Promise.resolve(), 'tick')
                  .then(() => chaotic.poll(undefined, { queueIds: [] }))
                  .catch(() => undefined),
              );
            await s.waitFor(Promise.all(tasks));
          }
          // Quiet minutes: every queue calm and reporting, ticks running, no faults.
          const quietFrom = p.clock.now();
          for (let minute = 1; minute <= 4; minute++) {
            p.clock.set(quietFrom + minute * MINUTE);
            for (const q of QUEUES) await p.evaluate(observationEvent(observation(p.clock.now(), 5, q)));
            await p.poll(undefined, { queueIds: [] });
          }
          const delivered = p.transport.delivered.filter((d) => d.kind === 'recommendation');
          expect(episodeViolations(delivered, await openEpisodeKeys(p))).toEqual([]);
          expect(await openEpisodeKeys(p)).toEqual(new Set());
          // With no crash, a queue over its threshold was paged (by its episode, nothing per queue).
          const anyOver = scenario.depths.some((m) => m.includes(90));
          if (anyOver && scenario.crashAt.length === 0) expect(delivered.length).toBeGreaterThan(0);
          expect(delivered.every((d) => d.dedupKey.startsWith('recommend:tier3:'))).toBe(true);
        } finally {
          await p.stop();
        }
      }),
      { numRuns: Number(process.env.EPISODE_RUNS ?? 8), endOnFailure: true },
    );
  }, 300_000);
});
