import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EMULATOR_CLIENTS } from '../../../drill/genesys-emulator';
import { SecretsManagerCredentialsSource } from '../../../lambdas/adapters/secrets';
import { InvalidEventError } from '../../../lambdas/handlers/events';
import { failingFirst, observation, observationEvent, type Pipeline, pipelinePerTest, T0 } from './harness';

const MINUTE = 60_000;
const open = pipelinePerTest();

const tier1Row = (p: Pipeline) => p.emulator.readRow('surge-control', 'tier1').SurgeActive;
const episodeTriggers = (p: Pipeline) =>
  p.pagesSent().filter((x) => x.startsWith('actuator-episode trigger'));

describe('evaluate pipeline under duplicates and crashes', () => {
  it('switches exactly once and pages exactly once for 20 concurrent deliveries of one activating observation', async () => {
    const p = await open();
    const event = observationEvent(observation(T0, 120));

    const results = await Promise.all(Array.from({ length: 20 }, () => p.evaluate(event)));

    const accepted = results.filter((r) => r.kind === 'observation' && r.outcome === 'accepted');
    expect(accepted).toHaveLength(1);
    expect(p.switchCalls()).toHaveLength(1);
    expect(episodeTriggers(p)).toEqual(['actuator-episode trigger actuator:tier1-datatable:1']);
    expect(tier1Row(p)).toBe(true);
  });

  it('converges after a failure between the Genesys switch and the applied write, with no second switch or page', async () => {
    const p = await open();
    const crashing = p.handlersWith((deps) => ({
      ...deps,
      actuatorStore: failingFirst(deps.actuatorStore, 'recordApplied', 1, () => new Error('Lambda killed')),
    }));

    await expect(crashing.evaluate(observationEvent(observation(T0, 120)))).rejects.toThrow('Lambda killed');
    expect(p.switchCalls()).toHaveLength(1);
    // The page was staged before the crash and the lever really is on: the sender delivers it already.
    expect(episodeTriggers(p)).toEqual(['actuator-episode trigger actuator:tier1-datatable:1']);

    // The poller keeps ticking; the dead holder's lease expires; the tick finds the row already on.
    for (let minute = 1; minute <= 3; minute++) {
      p.clock.set(T0 + minute * MINUTE);
      await p.poll(undefined, { queueIds: [] });
    }

    expect(p.switchCalls()).toHaveLength(1);
    expect(episodeTriggers(p)).toEqual(['actuator-episode trigger actuator:tier1-datatable:1']);
    const record = await p.deps.actuatorStore.get('tier1-datatable');
    expect(record).toMatchObject({ desired: 'active', applied: 'active' });
  });

  it('lets a stale lease holder switch but not record: the newer holder records, one page', async () => {
    const p = await open();
    let nested: Promise<unknown> | undefined;
    const slow = p.handlersWith((deps) => ({
      ...deps,
      switches: {
        apply: async (actuator, state, options) => {
          const outcome = await deps.switches.apply(actuator, state, options);
          if (!nested) {
            // This holder stalls past its lease; meanwhile the next tick takes the actuator over.
            p.clock.advance(50_000);
            nested = p.poll(undefined, { queueIds: [] });
            await nested;
          }
          return outcome;
        },
      },
    }));

    const response = await slow.evaluate(observationEvent(observation(T0, 120)));

    expect(response.kind === 'observation' && response.result.actuations).toEqual([
      { actuatorId: 'tier1-datatable', result: 'fenced-out' },
    ]);
    expect(p.switchCalls()).toHaveLength(1);
    expect(episodeTriggers(p)).toHaveLength(1);
    const record = await p.deps.actuatorStore.get('tier1-datatable');
    expect(record).toMatchObject({ applied: 'active', fencingToken: 2 });
  });
});

describe('evaluate pipeline under Genesys faults', () => {
  it('switches on the first tick after a 3-minute Genesys outage that began with the activation', async () => {
    const p = await open();
    p.emulator.faults.until({ path: '/api/v2/*' }, { kind: 'status', status: 503 }, T0 + 3 * MINUTE);

    const first = await p.evaluate(observationEvent(observation(T0, 120)));
    expect(first.kind === 'observation' && first.result.actuations[0]?.result).toBe('failed');

    for (let minute = 1; minute <= 3; minute++) {
      p.clock.set(T0 + minute * MINUTE);
      await p.poll(undefined, { queueIds: [] });
    }

    const switched = p.switchCalls();
    expect(switched).toHaveLength(1);
    expect(switched[0]?.at).toBe('2026-11-27T09:03:00.000Z');
    expect(tier1Row(p)).toBe(true);
    // One SwitchFailures point per failed tick per ActuatorType, and one without it (what the alarm reads).
    const failures = p.telemetry.metrics.filter((m) => m.name === 'SwitchFailures');
    expect(failures.map((m) => m.dimensions)).toEqual([
      { ActuatorType: 'datatable-row' },
      {},
      { ActuatorType: 'datatable-row' },
      {},
      { ActuatorType: 'datatable-row' },
      {},
    ]);
    const failing = p.pagesSent().filter((x) => x.startsWith('switch-failing'));
    expect(failing).toEqual([
      'switch-failing trigger switch-failing:tier1-datatable:0',
      'switch-failing resolve switch-failing:tier1-datatable:0',
    ]);
  });

  it('keeps switching with cached credentials when Secrets Manager fails after warm-up', async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify(DEFAULT_EMULATOR_CLIENTS.primary) })
      .rejects(new Error('Secrets Manager unavailable'));
    const stale: string[] = [];
    const credentials = new SecretsManagerCredentialsSource({
      primarySecret: 'cx-surge/genesys-client',
      provider: new SecretsProvider({ awsSdkV3Client: sm as unknown as SecretsManagerClient }),
      onStaleServed: (name) => stale.push(name),
    });
    const p = await open({ credentials });

    await p.evaluate(observationEvent(observation(T0, 120)));
    expect(tier1Row(p)).toBe(true);

    // Every token is revoked: the session logs in again with forced-fresh credentials, Secrets
    // Manager fails, the last good value is served and the switch still goes through.
    p.emulator.revokeTokens();
    p.clock.set(T0 + MINUTE);
    await p.evaluate(observationEvent(observation(T0 + MINUTE, 10)));

    expect(tier1Row(p)).toBe(false);
    expect(stale).toContain('cx-surge/genesys-client');
    expect(sm.commandCalls(GetSecretValueCommand).length).toBeGreaterThan(1);
    sm.restore();
  });
});

describe('evaluate pipeline input handling', () => {
  it.each([
    [
      'a non-numeric waiting',
      { ...observationEvent(observation(T0, 1)), detail: { ...observation(T0, 1), waiting: 'abc' } },
      'detail.waiting',
    ],
    [
      'a local timestamp',
      {
        ...observationEvent(observation(T0, 1)),
        detail: { ...observation(T0, 1), observedAt: '2026-11-27 09:00' },
      },
      'detail.observedAt',
    ],
    ['no envelope at all', { hello: 'world' }, 'not an EventBridge event'],
    [
      'an unknown source',
      { ...observationEvent(observation(T0, 1)), source: 'someone.else' },
      "unexpected event source 'someone.else'",
    ],
  ])('rejects %s with an error naming it and stores nothing', async (_case, event, message) => {
    const p = await open();

    await expect(p.evaluate(event)).rejects.toThrow(InvalidEventError);
    await expect(p.evaluate(event)).rejects.toThrow(message);

    expect(await p.deps.queueStates.list()).toEqual([]);
    expect(p.switchCalls()).toEqual([]);
  });

  it('ignores a redelivered and a late observation without touching the stored state', async () => {
    const p = await open();
    await p.evaluate(observationEvent(observation(T0, 10)));
    await p.evaluate(observationEvent(observation(T0 + MINUTE, 12)));
    const before = await p.deps.queueStates.load('sales');

    const redelivered = await p.evaluate(observationEvent(observation(T0 + MINUTE, 12)));
    const late = await p.evaluate(observationEvent(observation(T0, 500)));

    expect(redelivered.kind === 'observation' && redelivered.result.decision.ignoredReason).toBe('duplicate');
    expect(late.kind === 'observation' && late.result.decision.ignoredReason).toBe('out-of-order');
    expect(await p.deps.queueStates.load('sales')).toEqual(before);
    expect(p.switchCalls()).toEqual([]);
  });
});
