// The real adapter, through the real SDK (purecloud-platform-client-v2), against the emulator on loopback.
// Time is simulated: waits advance the clock instead of sleeping, so retries and polls cost nothing.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_EMULATOR_CLIENTS,
  type GenesysEmulator,
  SURGE_CONTROL_TABLE,
  startGenesysEmulator,
} from '../../../drill/genesys-emulator';
import {
  ActuatorSwitchError,
  createGenesys,
  GenesysApiError,
  GenesysAuthError,
  GenesysDeadlineError,
  GenesysNotFoundError,
  type GenesysOptions,
  type SessionEvent,
  UnsupportedActuatorError,
} from '../../../lambdas/adapters/genesys';
import type { Actuator, ActuatorOf } from '../../../lambdas/core/config';
import { ObservationError } from '../../../lambdas/core/errors';
import { emulatorCredentials, type RecordingCredentials, SimulatedClock, simulatedSleep } from './support';

const row = (rowId: string, datatableId = 'dt-adapter'): ActuatorOf<'datatable-row'> => ({
  id: `row-${rowId}`,
  tier: 1,
  queues: ['*'],
  type: 'datatable-row',
  datatableId,
  rowId,
  field: 'SurgeActive',
  activeValue: true,
  inactiveValue: false,
});
const group = (groupId: string): ActuatorOf<'emergency-group'> => ({
  id: `eg-${groupId}`,
  tier: 2,
  queues: ['*'],
  type: 'emergency-group',
  groupId,
});
const flow = (flowId: string): ActuatorOf<'flow-publish'> => ({
  id: `flow-${flowId}`,
  tier: 3,
  queues: ['*'],
  type: 'flow-publish',
  flowId,
  surgeVersion: '2',
  normalVersion: '1',
});

let clock: SimulatedClock;
let emulator: GenesysEmulator;

beforeAll(async () => {
  clock = new SimulatedClock();
  emulator = await startGenesysEmulator({ clock, tokenTtlSeconds: 3600, publishDelayMs: 2500 });
  emulator.seedDatatable({
    id: 'dt-adapter',
    fields: { SurgeActive: 'boolean', Message: 'string' },
    rows: [],
  });
});
afterAll(() => emulator.close());
afterEach(() => {
  emulator.faults.clear();
  emulator.restoreClient(DEFAULT_EMULATOR_CLIENTS.primary.clientId);
  emulator.restoreClient(DEFAULT_EMULATOR_CLIENTS.breakGlass.clientId);
});

interface Harness {
  genesys: ReturnType<typeof createGenesys>;
  credentials: RecordingCredentials;
  sleep: ReturnType<typeof simulatedSleep>;
  events: SessionEvent[];
}

/** A fresh adapter (own session, own token) on the shared emulator. */
function harness(overrides: Partial<GenesysOptions> = {}): Harness {
  const credentials = emulatorCredentials();
  const sleep = simulatedSleep(clock);
  const events: SessionEvent[] = [];
  const genesys = createGenesys({
    credentials,
    clock,
    gateway: emulator.url,
    sleep,
    random: () => 0.5,
    callTimeoutMs: 1000,
    onEvent: (e) => events.push(e),
    ...overrides,
  });
  return { genesys, credentials, sleep, events };
}

const mutationsOf = (pathPart: string) => emulator.mutations().filter((m) => m.path.includes(pathPart));
const requestsTo = (method: string, path: string) =>
  emulator.requests().filter((r) => r.method === method && r.path === path);
const caught = async (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (e) => e,
  );

describe('ObservationSource.read', () => {
  it('sums waiting over media types and counts only IDLE on-queue users as available', async () => {
    emulator.setObservation('q-sum', {
      waiting: 57,
      agentsAvailable: 3,
      agentsInteracting: 11,
      waitingByMediaType: { voice: 40, chat: 12, message: 5 },
    });
    const { genesys } = harness();

    const read = await genesys.observations.read(['q-sum']);

    expect(read).toEqual({
      observations: [
        { queueId: 'q-sum', observedAt: '2026-11-27T09:00:00Z', waiting: 57, agentsAvailable: 3 },
      ],
      usedBreakGlass: false,
    });
  });

  it('reports a queue the response leaves out as 0 waiting and unknown agents, stamped with the read time', async () => {
    clock.advance(60_000);
    const { genesys } = harness();

    const read = await genesys.observations.read(['q-never-seen']);

    expect(read.observations).toEqual([
      {
        queueId: 'q-never-seen',
        observedAt: new Date(clock.now()).toISOString().replace('.000Z', 'Z'),
        waiting: 0,
        agentsAvailable: null,
      },
    ]);
  });

  it('tells no idle agents (0) from agents unknown (null), as a scenario line with an empty column means', async () => {
    emulator.setObservation('q-none-idle', { waiting: 300, agentsAvailable: 0, agentsInteracting: 7 });
    emulator.setObservation('q-unknown', { waiting: 300, agentsAvailable: null });
    const { genesys } = harness();

    const read = await genesys.observations.read(['q-none-idle', 'q-unknown']);

    expect(read.observations.map((o) => [o.queueId, o.waiting, o.agentsAvailable])).toEqual([
      ['q-none-idle', 300, 0],
      ['q-unknown', 300, null],
    ]);
  });

  it('reads many queues in chunks of queuesPerQuery, one query per chunk', async () => {
    const queues = ['q-c1', 'q-c2', 'q-c3', 'q-c4', 'q-c5'];
    for (const [i, q] of queues.entries())
      emulator.setObservation(q, { waiting: (i + 1) * 10, agentsAvailable: i });
    const { genesys, events } = harness({ queuesPerQuery: 2 });

    const read = await genesys.observations.read([...queues, 'q-c1']);

    expect(read.observations.map((o) => [o.queueId, o.waiting, o.agentsAvailable])).toEqual([
      ['q-c1', 10, 0],
      ['q-c2', 20, 1],
      ['q-c3', 30, 2],
      ['q-c4', 40, 3],
      ['q-c5', 50, 4],
    ]);
    const queries = events.filter((e) => e.type === 'call' && e.operation.startsWith('postAnalytics'));
    expect(queries).toHaveLength(3);
  });

  it('makes no call for an empty list and refuses a blank queue id naming it', async () => {
    const { genesys, events } = harness();

    expect(await genesys.observations.read([])).toEqual({ observations: [], usedBreakGlass: false });
    const error = await caught(genesys.observations.read(['q-ok', ' ']));

    expect(error).toBeInstanceOf(ObservationError);
    expect((error as ObservationError).field).toBe('queueIds.1');
    expect(events).toEqual([]);
  });
});

describe('SurgeSwitch.apply: datatable-row', () => {
  it('sets the field, keeps the rest of the row, verifies by read-back, and is idempotent', async () => {
    emulator.seedRow('dt-adapter', { key: 'happy', SurgeActive: false, Message: 'we are busy' });
    const { genesys } = harness();

    const first = await genesys.switch.apply(row('happy'), 'active');
    const second = await genesys.switch.apply(row('happy'), 'active');

    expect(first).toEqual({ state: 'active', changed: true, usedBreakGlass: false });
    expect(second).toEqual({ state: 'active', changed: false, usedBreakGlass: false });
    expect(emulator.readRow('dt-adapter', 'happy')).toEqual({
      key: 'happy',
      SurgeActive: true,
      Message: 'we are busy',
    });
    expect(mutationsOf('/rows/happy')).toHaveLength(1);
  });

  it('switches a row of the built-in surge-control table back and forth', async () => {
    const { genesys } = harness();
    const tier2 = row('tier2', SURGE_CONTROL_TABLE);

    await genesys.switch.apply(tier2, 'active');
    const restored = await genesys.switch.apply(tier2, 'inactive');

    expect(restored).toMatchObject({ state: 'inactive', changed: true });
    expect(mutationsOf(`${SURGE_CONTROL_TABLE}/rows/tier2`).map((m) => m.summary)).toEqual([
      `data table ${SURGE_CONTROL_TABLE} row tier2: SurgeActive: false → true`,
      `data table ${SURGE_CONTROL_TABLE} row tier2: SurgeActive: true → false`,
    ]);
  });

  it('does not retry a 404: an unknown row fails at once, non-retryable, naming the actuator', async () => {
    const { genesys, sleep } = harness();

    const error = await caught(genesys.switch.apply(row('missing'), 'active'));

    expect(error).toBeInstanceOf(ActuatorSwitchError);
    expect(error).toMatchObject({ actuatorId: 'row-missing', stage: 'read', retryable: false });
    expect((error as Error).cause).toBeInstanceOf(GenesysNotFoundError);
    expect(requestsTo('GET', '/api/v2/flows/datatables/dt-adapter/rows/missing')).toHaveLength(1);
    expect(sleep.waits).toEqual([]);
  });

  it('does not retry a 400: a field outside the table schema fails the write once', async () => {
    emulator.seedRow('dt-adapter', { key: 'badfield', SurgeActive: false });
    const { genesys } = harness();

    const error = await caught(
      genesys.switch.apply({ ...row('badfield'), field: 'Colour', activeValue: 'red' }, 'active'),
    );

    expect(error).toMatchObject({ stage: 'write', retryable: false });
    expect((error as Error).message).toContain("field 'Colour' is not in the data table's schema");
    expect(mutationsOf('/rows/badfield')).toEqual([expect.objectContaining({ status: 400 })]);
  });
});

describe('SurgeSwitch.apply: emergency-group', () => {
  it('flips enabled, PUTs the whole group back (IVRs kept), and is idempotent', async () => {
    emulator.seedEmergencyGroup({
      id: 'eg-happy',
      name: 'Surge overflow',
      emergencyCallFlows: [
        { emergencyFlow: { id: 'flow-overflow' }, ivrs: [{ id: 'ivr-1' }, { id: 'ivr-2' }] },
      ],
    });
    const { genesys } = harness();

    const on = await genesys.switch.apply(group('eg-happy'), 'active');
    const again = await genesys.switch.apply(group('eg-happy'), 'active');
    const off = await genesys.switch.apply(group('eg-happy'), 'inactive');

    expect([on.changed, again.changed, off.changed]).toEqual([true, false, true]);
    expect(emulator.readEmergencyGroup('eg-happy')).toMatchObject({
      enabled: false,
      version: 3,
      emergencyCallFlows: [
        { emergencyFlow: { id: 'flow-overflow' }, ivrs: [{ id: 'ivr-1' }, { id: 'ivr-2' }] },
      ],
    });
    expect(mutationsOf('emergencygroups/eg-happy')).toHaveLength(2);
  });

  it('resolves a 409 on a stale version by re-reading and writing again, keeping the other edit', async () => {
    emulator.seedEmergencyGroup({ id: 'eg-race', name: 'Race' });
    let edited = false;
    const { genesys } = harness({
      // An admin edits the group between our GET and our PUT.
      onEvent: (e) => {
        if (!edited && e.type === 'call' && e.operation.startsWith('getArchitectEmergencygroup')) {
          edited = true;
          emulator.editEmergencyGroup('eg-race', { description: 'edited by an admin' });
        }
      },
    });

    const outcome = await genesys.switch.apply(group('eg-race'), 'active');

    expect(outcome).toEqual({ state: 'active', changed: true, usedBreakGlass: false });
    expect(mutationsOf('emergencygroups/eg-race').map((m) => m.status)).toEqual([409, 200]);
    expect(emulator.readEmergencyGroup('eg-race')).toMatchObject({
      enabled: true,
      description: 'edited by an admin',
    });
  });

  it('after a 409, makes no second write when the re-read shows the group already in the wanted state', async () => {
    emulator.seedEmergencyGroup({ id: 'eg-beaten', name: 'Beaten' });
    let edited = false;
    const { genesys } = harness({
      onEvent: (e) => {
        if (!edited && e.type === 'call' && e.operation.startsWith('getArchitectEmergencygroup')) {
          edited = true;
          emulator.editEmergencyGroup('eg-beaten', { enabled: true });
        }
      },
    });

    const outcome = await genesys.switch.apply(group('eg-beaten'), 'active');

    expect(outcome).toMatchObject({ state: 'active', changed: false });
    expect(mutationsOf('emergencygroups/eg-beaten').map((m) => m.status)).toEqual([409]);
  });
});

describe('SurgeSwitch.apply: flow-publish', () => {
  it('publishes the surge version, polls the Operation on simulated time, confirms publishedVersion', async () => {
    emulator.seedFlow({ id: 'f-happy', name: 'Inbound', versions: ['1', '2'], publishedVersion: '1' });
    const { genesys, sleep } = harness({ publishPollMs: 1000 });

    const on = await genesys.switch.apply(flow('f-happy'), 'active');
    const again = await genesys.switch.apply(flow('f-happy'), 'active');

    expect(on).toEqual({ state: 'active', changed: true, usedBreakGlass: false });
    expect(again.changed).toBe(false);
    expect(sleep.waits).toEqual([1000, 1000, 1000]);
    expect(emulator.readFlow('f-happy').publishedVersion).toEqual({ id: '2' });
    expect(mutationsOf('flow=f-happy')).toHaveLength(1);
  });

  it('reports a publish that completes with FAILURE as a non-retryable publish error', async () => {
    emulator.seedFlow({
      id: 'f-broken',
      name: 'Broken',
      versions: ['1', '2'],
      publishedVersion: '1',
      failPublish: 'flow has validation errors',
    });
    const { genesys } = harness();

    const error = await caught(genesys.switch.apply(flow('f-broken'), 'active'));

    expect(error).toMatchObject({ stage: 'publish', retryable: false });
    expect((error as Error).message).toContain('flow has validation errors');
  });

  it('leaves a publish still running at the deadline to the next tick, which waits for it instead of publishing again', async () => {
    emulator.seedFlow({ id: 'f-slow', name: 'Slow', versions: ['1', '2'], publishedVersion: '1' });
    const { genesys } = harness({ publishPollMs: 1000 });

    const error = await caught(
      genesys.switch.apply(flow('f-slow'), 'active', { deadline: clock.now() + 1500 }),
    );
    const nextTick = await genesys.switch.apply(flow('f-slow'), 'active');

    expect(error).toMatchObject({ stage: 'publish', retryable: true });
    expect(nextTick).toMatchObject({ state: 'active', changed: false });
    expect(mutationsOf('flow=f-slow')).toHaveLength(1);
    expect(emulator.readFlow('f-slow').publishedVersion).toEqual({ id: '2' });
  });
});

it('refuses actuator types that are not Genesys levers, making no call', async () => {
  const { genesys, events } = harness();
  const kvs: Actuator = {
    id: 'kvs',
    tier: 3,
    queues: ['*'],
    type: 'cloudfront-kvs',
    key: 'chat',
    activeValue: 'off',
    inactiveValue: 'on',
  };

  await expect(genesys.switch.apply(kvs, 'active')).rejects.toBeInstanceOf(UnsupportedActuatorError);
  await expect(
    genesys.switch.apply({ id: 'n', tier: 1, queues: ['*'], type: 'notify-only' }, 'active'),
  ).rejects.toThrow(/not a Genesys Cloud lever/);
  expect(events).toEqual([]);
});

describe('resilience', () => {
  // A fresh row per test, so the emulator's logs hold this test's calls only.
  let flaky: string;
  let flakyPath: string;
  let rows = 0;
  beforeEach(() => {
    rows += 1;
    flaky = `flaky-${rows}`;
    flakyPath = `/api/v2/flows/datatables/dt-adapter/rows/${flaky}`;
    emulator.seedRow('dt-adapter', { key: flaky, SurgeActive: false });
  });

  it('rides out a burst of two 503s with full-jitter backoff, then switches', async () => {
    emulator.faults.next({ method: 'GET', path: flakyPath }, { kind: 'status', status: 503 }, 2);
    const { genesys, sleep, events } = harness({ random: () => 0.5 });

    const outcome = await genesys.switch.apply(row(flaky), 'active');

    expect(outcome).toMatchObject({ state: 'active', changed: true });
    // random 0.5 × min(cap 2000, base 250 × 2^retry)
    expect(sleep.waits).toEqual([125, 250]);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(2);
  });

  it('gives up after two retries with a retryable error carrying the attempts', async () => {
    emulator.faults.next({ method: 'GET', path: flakyPath }, { kind: 'status', status: 503 }, 3);
    const { genesys } = harness();

    const error = await caught(genesys.switch.apply(row(flaky), 'active'));

    expect(error).toMatchObject({ stage: 'read', retryable: true });
    expect((error as Error).cause).toMatchObject({ status: 503, attempts: 3, retryable: true });
    expect(requestsTo('GET', flakyPath)).toHaveLength(3);
  });

  it('waits exactly Retry-After on a 429, then succeeds', async () => {
    emulator.faults.next({ method: 'PUT', path: flakyPath }, { kind: 'rate-limit', retryAfterSeconds: 3 });
    const { genesys, sleep } = harness();

    const outcome = await genesys.switch.apply(row(flaky), 'active');

    expect(outcome.changed).toBe(true);
    expect(sleep.waits).toEqual([3000]);
    expect(mutationsOf(flakyPath).map((m) => m.status)).toEqual([429, 200]);
  });

  it('fails fast, without waiting, when Retry-After would pass the caller deadline', async () => {
    emulator.faults.next({ method: 'GET', path: flakyPath }, { kind: 'rate-limit', retryAfterSeconds: 30 });
    const { genesys, sleep } = harness();

    const error = await caught(
      genesys.switch.apply(row(flaky), 'active', { deadline: clock.now() + 10_000 }),
    );

    expect(error).toMatchObject({ retryable: true });
    expect((error as Error).cause).toBeInstanceOf(GenesysDeadlineError);
    expect((error as Error).cause).toMatchObject({ status: 429, waitMs: 30_000 });
    expect(sleep.waits).toEqual([]);
  });

  it('times out a call that hangs (per-call timeout) and retries it', async () => {
    emulator.faults.next({ method: 'GET', path: flakyPath }, { kind: 'timeout' });
    const { genesys, events } = harness({ callTimeoutMs: 150 });

    const outcome = await genesys.switch.apply(row(flaky), 'active');

    expect(outcome.changed).toBe(true);
    expect(events).toContainEqual(expect.objectContaining({ type: 'retry', reason: 'timed out' }));
  });

  it('reports a network error (nothing listening) as retryable after the retries', async () => {
    const { genesys } = harness({ gateway: 'http://127.0.0.1:9' });

    const error = await caught(genesys.observations.read(['q-any']));

    expect(error).toBeInstanceOf(GenesysApiError);
    expect(error).toMatchObject({ kind: 'network', retryable: true, attempts: 3 });
  });
});

describe('authentication', () => {
  it('logs in once and reuses the token across reads and switches', async () => {
    const { genesys, events } = harness();

    await genesys.observations.read(['q-a']);
    await genesys.switch.apply(row('tier3', SURGE_CONTROL_TABLE), 'inactive');
    await genesys.observations.read(['q-a']);

    expect(events.filter((e) => e.type === 'login')).toHaveLength(1);
  });

  it('logs in again before the token expires on the simulated clock, never sending an expired token', async () => {
    const shortLived = await startGenesysEmulator({ clock, tokenTtlSeconds: 300 });
    try {
      const { genesys, events } = harness({ gateway: shortLived.url });

      await genesys.observations.read(['q-a']);
      clock.advance(269_000);
      await genesys.observations.read(['q-a']);
      clock.advance(2_000); // 271 s: inside the last tenth of the 300 s lifetime
      await genesys.observations.read(['q-a']);

      expect(events.filter((e) => e.type === 'login')).toHaveLength(2);
      expect(shortLived.requests().filter((r) => r.status === 401)).toEqual([]);
    } finally {
      await shortLived.close();
    }
  });

  it('keeps using a still-valid token when the refresh before expiry fails, until it really expires', async () => {
    const shortLived = await startGenesysEmulator({ clock, tokenTtlSeconds: 300 });
    try {
      const { genesys, events } = harness({ gateway: shortLived.url });
      await genesys.observations.read(['q-a']);
      clock.advance(275_000); // inside the refresh margin: the next call refreshes first
      shortLived.faults.until(
        { method: 'POST', path: '/oauth/token' },
        { kind: 'status', status: 503 },
        clock.now() + 60_000,
      );

      const read = await genesys.observations.read(['q-a']);

      expect(read.observations).toHaveLength(1);
      const kept = events.filter((e) => e.type === 'token-kept');
      expect(kept).toHaveLength(1);
      expect(kept[0]).toMatchObject({ validForSeconds: expect.any(Number) });
      expect(shortLived.requests().filter((r) => r.status === 401)).toEqual([]);
      // Within the retry interval the refresh is not tried again: no extra login calls.
      const logins = shortLived.requests().filter((r) => r.path === '/oauth/token').length;
      await genesys.observations.read(['q-a']);
      expect(shortLived.requests().filter((r) => r.path === '/oauth/token').length).toBe(logins);

      clock.advance(40_000); // past the token's 300 s: no token left, and login still fails
      await expect(genesys.observations.read(['q-a'])).rejects.toThrow(/503/);
    } finally {
      await shortLived.close();
    }
  });

  it('on a 401 mid-run (tokens revoked) logs in again once with a refreshed secret and carries on', async () => {
    const { genesys, credentials, events } = harness();
    await genesys.observations.read(['q-a']);

    emulator.revokeTokens();
    const read = await genesys.observations.read(['q-a']);

    expect(read.usedBreakGlass).toBe(false);
    expect(events.filter((e) => e.type === 'reauthenticate')).toHaveLength(1);
    expect(credentials.asked.at(-1)).toEqual({ which: 'primary', forceRefresh: true });
  });

  it('falls back to the break-glass client when the primary is revoked, and says so', async () => {
    emulator.seedRow('dt-adapter', { key: 'glass', SurgeActive: false });
    const { genesys, credentials } = harness();
    await genesys.observations.read(['q-a']);

    emulator.revokeClient(DEFAULT_EMULATOR_CLIENTS.primary.clientId);
    const outcome = await genesys.switch.apply(row('glass'), 'active');
    const read = await genesys.observations.read(['q-a']);

    expect(outcome).toEqual({ state: 'active', changed: true, usedBreakGlass: true });
    expect(read.usedBreakGlass).toBe(true);
    expect(emulator.readRow('dt-adapter', 'glass').SurgeActive).toBe(true);
    expect(credentials.asked).toContainEqual({ which: 'breakGlass', forceRefresh: true });
  });

  it('goes back to the primary client at the next login once it is accepted again', async () => {
    const { genesys } = harness();
    emulator.revokeClient(DEFAULT_EMULATOR_CLIENTS.primary.clientId);
    expect((await genesys.observations.read(['q-a'])).usedBreakGlass).toBe(true);

    emulator.restoreClient(DEFAULT_EMULATOR_CLIENTS.primary.clientId);
    emulator.revokeTokens();
    const read = await genesys.observations.read(['q-a']);

    expect(read.usedBreakGlass).toBe(false);
  });

  it('fails with GenesysAuthError when neither client is accepted, without retrying the rejection', async () => {
    const { genesys } = harness();
    emulator.revokeClient(DEFAULT_EMULATOR_CLIENTS.primary.clientId);
    emulator.revokeClient(DEFAULT_EMULATOR_CLIENTS.breakGlass.clientId);
    const loginsBefore = requestsTo('POST', '/oauth/token').length;

    const error = await caught(genesys.observations.read(['q-a']));

    expect(error).toBeInstanceOf(GenesysAuthError);
    expect((error as Error).message).toMatch(
      /primary: HTTP 401 invalid_client.*break-glass: HTTP 401 invalid_client/,
    );
    expect(requestsTo('POST', '/oauth/token').length - loginsBefore).toBe(2);
  });

  it('fails with GenesysAuthError naming the gap when there is no break-glass client to fall back to', async () => {
    const { genesys, credentials } = harness();
    credentials.breakGlass = undefined;
    emulator.revokeClient(DEFAULT_EMULATOR_CLIENTS.primary.clientId);

    const error = await caught(genesys.observations.read(['q-a']));

    expect(error).toBeInstanceOf(GenesysAuthError);
    expect((error as Error).message).toContain('no break-glass credentials configured');
  });
});
