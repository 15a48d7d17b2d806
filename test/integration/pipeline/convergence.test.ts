import { describe, expect, it } from 'vitest';
import { createDynamoPersistence } from '../../../lambdas/adapters/dynamodb';
import { convergeActuators } from '../../../lambdas/app/converge';
import type { Actuator } from '../../../lambdas/core/config';
import { actuatorEpisodePage, staleObservationsPage } from '../../../lambdas/core/pages';
import {
  episodePages,
  failingFirst,
  observation,
  observationEvent,
  pipelinePerTest,
  quietTicks,
  T0,
  tier1Row,
  writesAfter,
} from './harness';
import { invariantViolations } from './invariants';

// Issue 9, "always converge": each case reproduced on dynalite + the emulator with the real handlers.

const MINUTE = 60_000;
const open = pipelinePerTest();

describe('demand is rebuilt from the queue states', () => {
  it('leaves no demand behind when an older activating and a newer quiet observation are evaluated at once', async () => {
    const p = await open();
    let quietDone!: () => void;
    const quietSaved = new Promise<void>((resolve) => {
      quietDone = resolve;
    });
    const older = p.handlersWith(writesAfter(quietSaved));

    // The older (activating) evaluation writes its demand, then waits; the newer (quiet) one saves first.
    const activating = older.evaluate(observationEvent(observation(T0, 120)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await p.evaluate(observationEvent(observation(T0 + MINUTE, 5)));
    quietDone();
    const lost = await activating;

    expect(lost.kind === 'observation' && lost.result.decision.ignoredReason).toBe('out-of-order');
    const record = await p.deps.actuatorStore.get('tier1-datatable');
    expect(record?.demandedBy).toEqual([]);
    await quietTicks(p, T0 + MINUTE, 2);
    expect(tier1Row(p)).toBe(false);
    // Anything switched on in between was switched off again, and every trigger has its resolve.
    const triggers = episodePages(p).filter((x) => x.includes('trigger')).length;
    const resolves = episodePages(p).filter((x) => x.includes('resolve')).length;
    expect(resolves).toBe(triggers);
  });

  it('repairs demand left by an evaluation that failed before saving and was retried after a newer observation', async () => {
    const p = await open();
    const failing = p.handlersWith((deps) => ({
      ...deps,
      queueStates: failingFirst(deps.queueStates, 'saveMany', 1, () => new Error('Lambda killed')),
    }));
    await expect(failing.evaluate(observationEvent(observation(T0, 120)))).rejects.toThrow('Lambda killed');
    p.clock.set(T0 + MINUTE);
    await p.evaluate(observationEvent(observation(T0 + MINUTE, 5)));
    // EventBridge's retry of the failed event arrives late: out-of-order, ignored.
    const retry = await p.evaluate(observationEvent(observation(T0, 120)));
    expect(retry.kind === 'observation' && retry.result.decision.ignoredReason).toBe('out-of-order');

    await quietTicks(p, T0 + MINUTE, 3);

    const record = await p.deps.actuatorStore.get('tier1-datatable');
    expect(record).toMatchObject({ demandedBy: [], desired: 'inactive' });
    expect(tier1Row(p)).toBe(false);
    expect(p.switchCalls()).toEqual([]);
  });
});

describe('convergeActuators', () => {
  it('makes an override take effect at once, without waiting for the queue to be observed again', async () => {
    const p = await open();
    await p.evaluate(observationEvent(observation(T0, 5)));
    p.clock.set(T0 + 10_000);
    await p.deps.overrides.put({ queue: 'sales', tier: 1, state: 'active', reason: 'flash sale', by: 'ops' });

    const result = await convergeActuators(p.deps, { queueIds: ['sales'] });
    await p.deliverPages(); // the page sender's run (the table's stream in AWS)

    expect(result.repaired).toEqual([{ actuatorId: 'tier1-datatable', queueId: 'sales', demanding: true }]);
    expect(tier1Row(p)).toBe(true);
    expect(episodePages(p)).toEqual(['actuator-episode trigger actuator:tier1-datatable:1']);

    // Cleared: off again at once, and the episode resolves.
    p.clock.set(T0 + 20_000);
    await p.deps.overrides.remove('sales', 1);
    await convergeActuators(p.deps, { queueIds: ['sales'] });
    await p.deliverPages();
    expect(tier1Row(p)).toBe(false);
    expect(episodePages(p)).toEqual([
      'actuator-episode trigger actuator:tier1-datatable:1',
      'actuator-episode resolve actuator:tier1-datatable:1',
    ]);
  });

  it('applies an override that expires while its queue receives no observations on the next tick', async () => {
    const p = await open();
    await p.evaluate(observationEvent(observation(T0, 5)));
    await p.deps.overrides.put({
      queue: 'sales',
      tier: 1,
      state: 'active',
      until: new Date(T0 + 90_000).toISOString().replace('.000Z', 'Z'),
      reason: 'test',
      by: 'ops',
    });
    await convergeActuators(p.deps, { queueIds: ['sales'] });
    expect(tier1Row(p)).toBe(true);

    await quietTicks(p, T0, 2);

    expect(tier1Row(p)).toBe(false);
  });

  it('puts back a lever switched off by hand and pages drift, trigger then resolve', async () => {
    const p = await open();
    await p.evaluate(observationEvent(observation(T0, 120)));
    expect(tier1Row(p)).toBe(true);

    p.emulator.seedRow('surge-control', { key: 'tier1', SurgeActive: false }); // an admin, in the UI
    await quietTicks(p, T0, 1);

    expect(tier1Row(p)).toBe(true);
    expect(p.pagesSent().filter((x) => x.startsWith('drift'))).toEqual([
      'drift trigger drift:tier1-datatable:1:active',
      'drift resolve drift:tier1-datatable:1:active',
    ]);
    const record = await p.deps.actuatorStore.get('tier1-datatable');
    expect(record).toMatchObject({ applied: 'active', desired: 'active' });
  });

  it('finds a settled inactive lever switched on by hand within a few ticks', async () => {
    const p = await open();
    await p.evaluate(observationEvent(observation(T0, 120)));
    p.clock.set(T0 + MINUTE);
    await p.evaluate(observationEvent(observation(T0 + MINUTE, 5)));
    expect(tier1Row(p)).toBe(false);

    p.emulator.seedRow('surge-control', { key: 'tier1', SurgeActive: true });
    await quietTicks(p, T0 + MINUTE, 2);

    expect(tier1Row(p)).toBe(false);
    expect(p.pagesSent().filter((x) => x.startsWith('drift trigger'))).toHaveLength(1);
  });

  it('reads back no lever and writes nothing when everything already agrees and nothing is active', async () => {
    const p = await open();
    await p.evaluate(observationEvent(observation(T0, 5)));
    const before = p.emulator.requests().length;

    const result = await convergeActuators(p.deps, { verify: false });

    expect(result.repaired).toEqual([]);
    expect(result.reconciled).toEqual([]);
    expect(p.emulator.requests().length).toBe(before);
  });
});

describe('late writes', () => {
  it('puts back a lever a superseded holder switched on late, after the restore ran, and pages drift', async () => {
    const p = await open();
    // The first PUT is held: the client times out and retries (which succeeds); the held one lands later.
    p.emulator.faults.next({ method: 'PUT', path: '/api/v2/flows/datatables/*' }, { kind: 'late' });
    await p.evaluate(observationEvent(observation(T0, 120)));
    expect(tier1Row(p)).toBe(true);
    p.clock.set(T0 + MINUTE);
    await p.evaluate(observationEvent(observation(T0 + MINUTE, 5)));
    expect(tier1Row(p)).toBe(false);

    const landed = await p.emulator.landLateWrites();
    expect(landed.map((m) => m.summary)).toEqual([
      'landed late: data table surge-control row tier1: SurgeActive: false → true',
    ]);
    expect(tier1Row(p)).toBe(true); // the ghost: on, while the record says inactive

    await quietTicks(p, T0 + MINUTE, 1);

    expect(tier1Row(p)).toBe(false);
    expect(p.pagesSent().filter((x) => x.startsWith('drift'))).toEqual([
      'drift trigger drift:tier1-datatable:1:inactive',
      'drift resolve drift:tier1-datatable:1:inactive',
    ]);
  });
});

describe('a holder that dies after switching on', () => {
  it('resolves the trigger it staged but never recorded when the lever must go back off', async () => {
    const p = await open();
    await p.evaluate(observationEvent(observation(T0, 120)));
    p.clock.set(T0 + MINUTE);
    await p.evaluate(observationEvent(observation(T0 + MINUTE, 5)));
    expect(episodePages(p)).toEqual([
      'actuator-episode trigger actuator:tier1-datatable:1',
      'actuator-episode resolve actuator:tier1-datatable:1',
    ]);

    // What a holder leaves when it crashes (or loses its lease) between staging the next episode's
    // trigger and recording the switch: the lever on, the trigger in the outbox, the record off.
    p.clock.set(T0 + MINUTE + 10_000);
    p.emulator.seedRow('surge-control', { key: 'tier1', SurgeActive: true });
    await p.deps.pager.stage(
      actuatorEpisodePage(
        p.deps.actuators[0] as Actuator,
        'active',
        'actuator:tier1-datatable:2',
        ['sales'],
        p.clock.now(),
      ),
    );
    await quietTicks(p, T0 + MINUTE + 10_000, 3);

    expect(tier1Row(p)).toBe(false);
    expect(episodePages(p).slice(2)).toEqual([
      'actuator-episode trigger actuator:tier1-datatable:2',
      'actuator-episode resolve actuator:tier1-datatable:2',
    ]);
    expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
    expect(await p.deps.actuatorStore.get('tier1-datatable')).toMatchObject({
      applied: 'inactive',
      episode: { number: 2, dedupKey: 'actuator:tier1-datatable:2' },
    });
  });
});

describe('the poll tick', () => {
  it('keeps publishing the chunks it read when one chunk query fails', async () => {
    const p = await open();
    const { createGenesys } = await import('../../../lambdas/adapters/genesys');
    const genesys = createGenesys({
      credentials: {
        get: async () => ({ clientId: 'surge-local-client', clientSecret: 'surge-local-secret' }),
      },
      clock: p.clock,
      gateway: p.emulator.url,
      sleep: p.clock.sleep,
      queuesPerQuery: 1,
      queryConcurrency: 1, // one after another, so the faults fall on the first chunk's attempts
    });
    const { poll } = p.handlersWith((deps) => ({ ...deps, observations: genesys.observations }));
    p.emulator.setObservation('sales', { waiting: 7, agentsAvailable: 1 });
    p.emulator.setObservation('support', { waiting: 9, agentsAvailable: 1 });
    // The first chunk fails, its two retries too; the second chunk is answered.
    p.emulator.faults.next(
      { path: '/api/v2/analytics/queues/observations/query' },
      { kind: 'status', status: 500 },
      3,
    );

    const result = await poll(undefined, { queueIds: ['sales', 'support'] });

    expect(result.unreadQueues).toEqual(['sales']);
    expect(result.readError).toContain('500');
    expect(
      p.bus.drain().flatMap((e) => e.detail.observations.map((o) => `${o.queueId} ${o.waiting}`)),
    ).toEqual(['support 9']);
  });

  it('keeps ticking with a 240-character queue id: its page keys stay within 255 characters', async () => {
    const p = await open();
    const queueId = `q-${'x'.repeat(238)}`;
    await p.evaluate(observationEvent(observation(T0, 120, queueId)));
    await quietTicks(p, T0, 5); // stale after 180 s: the stale episode lists the long id

    const keys = p.transport.delivered.map((d) => d.dedupKey);
    const stale = p.transport.delivered.find((d) => d.kind === 'stale-observations');
    expect(stale?.details.queueIds).toEqual([queueId]);
    expect(stale?.summary).toContain(queueId);
    expect(Math.max(...keys.map((k) => k.length))).toBeLessThanOrEqual(255);
    expect(Math.max(...p.transport.delivered.map((d) => d.summary.length))).toBeLessThanOrEqual(1024);
    expect(tier1Row(p)).toBe(true);
  });

  it('stays inside its deadline with 3 actuators and Retry-After: 15, leaving the rest to the next tick', async () => {
    const p = await open({
      config: {
        tiers: {
          tier1: { activate: { waitingAbove: 50, forObservations: 1 } },
          tier2: {
            activate: { waitingAbove: 50, agentsAvailableBelow: 5, forObservations: 1 },
            restore: { waitingBelow: 25 },
          },
          tier3: {
            mode: 'auto',
            activate: { waitingAbove: 50, forObservations: 1 },
            restore: { waitingBelow: 25 },
          },
        },
      },
    });
    p.emulator.faults.until(
      { path: '/api/v2/flows/datatables/*' },
      { kind: 'rate-limit', retryAfterSeconds: 15 },
      T0 + 10 * MINUTE,
    );
    await p.evaluate(observationEvent(observation(T0, 120)));
    p.clock.set(T0 + MINUTE);
    const started = p.clock.now();

    await p.poll(undefined, { queueIds: [], remainingMs: 60_000 });

    // Before: one actuator after the other, ~40 s each (120 s against a 60 s Lambda timeout).
    expect(p.clock.now() - started).toBeLessThanOrEqual(60_000);
    p.emulator.faults.clear();
    // The 429 storm opened the shared genesys breaker; the prober closes it within a few ticks.
    await quietTicks(p, T0 + 10 * MINUTE, 5);
    for (const row of ['tier1', 'tier2', 'tier3'])
      expect(p.emulator.readRow('surge-control', row).SurgeActive).toBe(true);
  });

  it('claims a new trigger before a backlog of stale pages (the outbox orders by priority, then age)', async () => {
    const p = await open();
    const { outbox } = createDynamoPersistence({
      client: p.dynamo.client,
      tableName: p.dynamo.tableName,
      clock: p.clock,
    });
    for (let i = 0; i < 30; i++) {
      const page = staleObservationsPage(`q${i}`, '2026-11-27T09:00:00Z', 'trigger', T0);
      await outbox.recordNew(page, T0);
      await outbox.markFailed(page, 'SNS down', T0); // released: due for a retry
    }
    const trigger = actuatorEpisodePage(
      p.deps.actuators[0] as Actuator,
      'active',
      'actuator:tier1-datatable:1',
      ['q0'],
      T0,
    );
    await outbox.recordNew(trigger, T0 + MINUTE);
    await outbox.markFailed(trigger, 'SNS down', T0 + MINUTE);

    const claimed = await outbox.claimPending(T0 + 2 * MINUTE, 1);

    expect(claimed.map((e) => `${e.page.kind} ${e.page.dedupKey}`)).toEqual([
      'actuator-episode actuator:tier1-datatable:1',
    ]);
  });
});
