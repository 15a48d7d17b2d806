// Operator overrides end to end on the stand-ins: DynamoDB semantics on dynalite, levers at the Genesys
// emulator through the real adapter, on a simulated clock. Every path: set, expire, clear, wildcard,
// conflicting overrides, replaced overrides, bad input (nothing written), and the pages they stage.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SURGE_CONTROL_TABLE } from '../../../drill/genesys-emulator';
import { SimulatedClock } from '../../../drill/simulated-clock';
import { type StandIns, startStandIns } from '../../../drill/stand-ins';
import { DynamoPageOutbox, stateTable } from '../../../lambdas/adapters/dynamodb';
import { listOutboxEntries } from '../../../lambdas/adapters/dynamodb/page-reader';
import { convergeActuators } from '../../../lambdas/app/converge';
import { DEMAND_REPAIR_GRACE_MS } from '../../../lambdas/app/deps';
import { evaluateObservation } from '../../../lambdas/app/evaluate-observation';
import {
  type ApplyNow,
  clearOverride,
  convergeNow,
  type OperatorPorts,
  readStatus,
  setOverride,
} from '../../../lambdas/app/operate';
import { RecordingTelemetry } from '../../../lambdas/app/telemetry';
import { actuatorsForDrill } from '../../../lambdas/core/actuator-plan';
import { parseConfig } from '../../../lambdas/core/config';
import { ConfigError } from '../../../lambdas/core/errors';

const T0 = Date.parse('2026-11-27T09:00:00Z');
const config = parseConfig({ queues: [{ id: 'sales' }, { id: 'support' }] });
const actuators = actuatorsForDrill(config, SURGE_CONTROL_TABLE); // one surge-control row per tier, queues ['*']

let clock: SimulatedClock;
let standIns: StandIns;
let ports: OperatorPorts;
let applyNow: ApplyNow;

const leverAtEmulator = (tier: number) =>
  standIns.emulator.readRow(SURGE_CONTROL_TABLE, `tier${tier}`)?.SurgeActive;
const observe = (queueId: string, waiting: number, minute: number) => {
  clock.set(T0 + minute * 60_000);
  return evaluateObservation(standIns.deps, {
    queueId,
    observedAt: new Date(clock.now()).toISOString(),
    waiting,
    agentsAvailable: 10,
  });
};
const operatorPages = async () =>
  (
    await listOutboxEntries(
      stateTable({ client: standIns.dynamo.client, tableName: standIns.dynamo.tableName }),
    )
  )
    .filter((e) => e.page.kind === 'operator-override')
    .map((e) => `${e.page.action} ${e.page.details.queue} tier${e.page.details.tier} ${e.page.details.state}`)
    .sort();

beforeEach(async () => {
  clock = new SimulatedClock(T0);
  standIns = await startStandIns({ config, actuators, clock, telemetry: new RecordingTelemetry() });
  const table = stateTable({ client: standIns.dynamo.client, tableName: standIns.dynamo.tableName, clock });
  const { deps } = standIns;
  ports = {
    config,
    actuators,
    queueStates: deps.queueStates,
    overrides: deps.overrides,
    actuatorStore: deps.actuatorStore,
    outbox: new DynamoPageOutbox(table, { claimMs: 1 }),
    listPages: () => listOutboxEntries(table),
    clock,
  };
  applyNow = convergeNow(deps, 'the stand-ins');
  await observe('sales', 10, 0);
  await observe('support', 10, 0);
});
afterEach(async () => {
  await standIns.stop();
});

/** An operator's next click, a few seconds later: past the convergence's demand grace (docs/architecture.md). */
const secondsLater = () => clock.advance(DEMAND_REPAIR_GRACE_MS);
/** The poller's tick, as far as overrides are concerned: the same convergence, over every queue. */
const pollerTick = () => convergeActuators(standIns.deps, { deliverPages: false });

const set = (request: Record<string, string>, by = 'local:ana') =>
  setOverride(ports, applyNow, { tier: '2', state: 'active', reason: 'flash sale', ...request }, by);

describe('cx-surge override', () => {
  it('set: switches the lever at the emulator at once, without waiting for an observation', async () => {
    expect(leverAtEmulator(2)).toBe(false);

    const outcome = await set({ queue: 'sales', for: '30m' });

    expect(leverAtEmulator(2)).toBe(true);
    expect(outcome.applied.ok).toBe(true);
    expect(outcome.changes).toEqual([
      {
        actuatorId: 'tier2-datatable',
        desired: ['inactive', 'active'],
        applied: ['never switched', 'active'],
      },
    ]);
    const status = await readStatus(ports);
    expect(status.queues.find((q) => q.queueId === 'sales')?.tiers[1]).toMatchObject({
      auto: 'inactive',
      effective: true,
      override: { queue: 'sales', state: 'active', by: 'local:ana', until: '2026-11-27T09:30:00Z' },
    });
    expect(await operatorPages()).toEqual(['trigger sales tier2 active']);
  });

  it('expire: the automatic state applies again at the first observation after `until`', async () => {
    await set({ queue: 'sales', for: '10m' });
    await observe('sales', 10, 5);
    expect(leverAtEmulator(2)).toBe(true); // still in force: held on although the queue is quiet

    await observe('sales', 10, 11);

    expect(leverAtEmulator(2)).toBe(false);
    const tier2 = (await readStatus(ports)).queues.find((q) => q.queueId === 'sales')?.tiers[1];
    expect(tier2).toMatchObject({ effective: false });
    expect(tier2).not.toHaveProperty('override');
  });

  it('expire: with no observation at all, the poller tick after `until` hands the tier back', async () => {
    await set({ queue: 'sales', for: '10m' });
    clock.set(T0 + 9 * 60_000);
    await pollerTick();
    expect(leverAtEmulator(2)).toBe(true);

    clock.set(T0 + 10 * 60_000 + 1);
    await pollerTick();

    expect(leverAtEmulator(2)).toBe(false);
  });

  it('a second change to the same lever within the demand grace waits for the next tick, and says so', async () => {
    await set({ queue: 'sales' });
    clock.advance(2_000); // the operator changes their mind two seconds later

    const outcome = await clearOverride(ports, applyNow, { queue: 'sales', tier: '2' }, 'local:ana');

    // Demand changed 2 s ago: an evaluation could be in flight, so the convergence leaves it to the next tick.
    expect(leverAtEmulator(2)).toBe(true);
    expect(outcome.applied.ok).toBe(true);
    expect(outcome.applied.detail).toContain("1 demand change(s) wait for the poller's next tick");
    secondsLater();
    await pollerTick();
    expect(leverAtEmulator(2)).toBe(false);
  });

  it('clear: ends the override at once and resolves its page', async () => {
    await set({ queue: 'sales' });
    expect(leverAtEmulator(2)).toBe(true);

    secondsLater();
    const outcome = await clearOverride(ports, applyNow, { queue: 'sales', tier: '2' }, 'local:bo');

    expect(leverAtEmulator(2)).toBe(false);
    expect(outcome.changes).toEqual([
      { actuatorId: 'tier2-datatable', desired: ['active', 'inactive'], applied: ['active', 'inactive'] },
    ]);
    expect(await ports.overrides.list()).toEqual([]);
    expect(await operatorPages()).toEqual(['resolve sales tier2 active', 'trigger sales tier2 active']);
    // …and the next observations leave it off (the stored effective state agrees).
    await observe('sales', 10, 2);
    expect(leverAtEmulator(2)).toBe(false);
  });

  it('wildcard: holds a tier for every queue, and a queue-specific override beats it (conflicting overrides)', async () => {
    // Both queues surge on tier 1: its lever is on for both.
    for (let m = 1; m <= 10; m++) {
      await observe('sales', 80, m);
      await observe('support', 80, m);
    }
    expect(leverAtEmulator(1)).toBe(true);

    secondsLater();
    await set({ queue: '*', tier: '1', state: 'inactive', reason: 'bot outage' });
    expect(leverAtEmulator(1)).toBe(false);

    // sales must keep its bot: the specific override wins over '*' for sales, so the shared lever is on.
    secondsLater();
    await set({ queue: 'sales', tier: '1', state: 'active', reason: 'sales keeps the bot' });
    expect(leverAtEmulator(1)).toBe(true);
    const status = await readStatus(ports);
    expect(status.queues.map((q) => [q.queueId, q.tiers[0]?.effective, q.tiers[0]?.override?.queue])).toEqual(
      [
        ['sales', true, 'sales'],
        ['support', false, '*'],
      ],
    );

    // Clearing the specific one leaves the wildcard in force for sales too.
    secondsLater();
    await clearOverride(ports, applyNow, { queue: 'sales', tier: '1' }, 'local:ana');
    expect(leverAtEmulator(1)).toBe(false);
    // Clearing the wildcard hands both queues back to the controller, which still sees the surge.
    secondsLater();
    await clearOverride(ports, applyNow, { queue: '*', tier: '1' }, 'local:ana');
    expect(leverAtEmulator(1)).toBe(true);
  });

  it('replaces the override of the same queue and tier, resolving the old page', async () => {
    await set({ queue: 'sales', state: 'active', reason: 'first' });
    secondsLater();
    const outcome = await set({ queue: 'sales', state: 'inactive', reason: 'second' }, 'local:bo');

    expect(outcome.replaced).toMatchObject({ state: 'active', reason: 'first' });
    expect(leverAtEmulator(2)).toBe(false);
    expect(await ports.overrides.list()).toEqual([
      expect.objectContaining({ state: 'inactive', by: 'local:bo' }),
    ]);
    expect(await operatorPages()).toEqual([
      'resolve sales tier2 active',
      'trigger sales tier2 active',
      'trigger sales tier2 inactive',
    ]);
  });

  it.each([
    [{ queue: 'sales', tier: '7' }, "--tier: must be 1, 2 or 3, got '7'"],
    [{ queue: 'sales', until: '2026-11-27T08:00:00Z' }, '--until: 2026-11-27T08:00:00Z is in the past'],
    [{ queue: 'sales', reason: '' }, '--reason: is required'],
    [{ queue: 'sales', for: '1h', until: '2026-11-27T18:00:00Z' }, '--for: and --until conflict'],
    [{ queue: 'salse' }, "--queue: unknown queue 'salse' (known: sales, support; '*' for every queue)"],
  ])('rejects %j with one line and writes nothing', async (request, message) => {
    await expect(set(request)).rejects.toThrow(ConfigError);
    await expect(set(request)).rejects.toThrow(message);

    expect(await ports.overrides.list()).toEqual([]);
    expect(await operatorPages()).toEqual([]);
    expect(leverAtEmulator(2)).toBe(false);
  });

  it('rejects clearing an override that does not exist', async () => {
    await expect(clearOverride(ports, applyNow, { queue: 'sales', tier: '3' }, 'x')).rejects.toThrow(
      "--queue: no override for queue 'sales' tier 3",
    );
  });

  it('keeps the override written when applying it now fails, and says so', async () => {
    const failing: ApplyNow = {
      how: 'invoking the poller',
      apply: async () => Promise.reject(new Error('AccessDenied')),
    };

    const outcome = await setOverride(
      ports,
      failing,
      { queue: 'sales', tier: '2', state: 'active', reason: 'x' },
      'y',
    );

    expect(outcome.applied).toEqual({
      ok: false,
      detail:
        "invoking the poller failed (Error: AccessDenied); the override is written and the poller's next tick applies it",
    });
    expect(await ports.overrides.list()).toHaveLength(1);
    // The next observation of the queue applies it.
    await observe('sales', 10, 1);
    expect(leverAtEmulator(2)).toBe(true);
  });
});
