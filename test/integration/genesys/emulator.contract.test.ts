// The emulator's contract, checked over raw HTTP: if these hold, code that works against it speaks the
// Genesys Cloud API's shapes, status codes and limits.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_EMULATOR_CLIENTS,
  type GenesysEmulator,
  SURGE_CONTROL_TABLE,
  startGenesysEmulator,
} from '../../../drill/genesys-emulator';
import { api, SimulatedClock, token } from './support';

const OBSERVATIONS = '/api/v2/analytics/queues/observations/query';
const queueQuery = (...queueIds: string[]) => ({
  filter: {
    type: 'or',
    predicates: queueIds.map((value) => ({
      type: 'dimension',
      dimension: 'queueId',
      operator: 'matches',
      value,
    })),
  },
  metrics: ['oWaiting', 'oOnQueueUsers'],
});

let clock: SimulatedClock;
let emulator: GenesysEmulator;
let bearer: string;

beforeAll(async () => {
  clock = new SimulatedClock();
  emulator = await startGenesysEmulator({
    clock,
    tokenTtlSeconds: 3600,
    maxPredicates: 3,
    publishDelayMs: 2000,
  });
  bearer = await token(emulator.url);
});
afterAll(() => emulator.close());
afterEach(() => emulator.faults.clear());

const call = (method: string, path: string, body?: unknown) => api(emulator.url, bearer, method, path, body);

describe('POST /oauth/token', () => {
  const login = (authorization: string | undefined, body = 'grant_type=client_credentials') =>
    fetch(`${emulator.url}/oauth/token`, {
      method: 'POST',
      headers: {
        ...(authorization ? { authorization } : {}),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body,
    });
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

  it('issues a bearer token with the configured lifetime for good client credentials', async () => {
    const res = await login(basic('surge-local-client', 'surge-local-secret'));

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: 3600,
    });
  });

  it.each([
    [
      'a wrong secret',
      basic('surge-local-client', 'nope'),
      'grant_type=client_credentials',
      401,
      'invalid_client',
    ],
    ['an unknown client', basic('who', 'ever'), 'grant_type=client_credentials', 401, 'invalid_client'],
    ['no Basic auth', undefined, 'grant_type=client_credentials', 401, 'invalid_client'],
    [
      'another grant type',
      basic('surge-local-client', 'surge-local-secret'),
      'grant_type=password',
      400,
      'unsupported_grant_type',
    ],
  ])('refuses %s with %i %s', async (_case, authorization, body, status, error) => {
    const res = await login(authorization, body);

    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error });
  });

  it('rejects a token once it has expired on the simulated clock', async () => {
    const fresh = await token(emulator.url);
    expect(
      (await api(emulator.url, fresh, 'GET', `/api/v2/flows/datatables/${SURGE_CONTROL_TABLE}`)).status,
    ).toBe(200);

    clock.advance(3600 * 1000);
    const after = await api(emulator.url, fresh, 'GET', `/api/v2/flows/datatables/${SURGE_CONTROL_TABLE}`);

    expect(after.status).toBe(401);
    expect(after.body).toMatchObject({ status: 401, code: 'bad.credentials' });
    bearer = await token(emulator.url);
  });

  it('rejects every issued token after revokeTokens, and a revoked client cannot log in', async () => {
    const before = await token(emulator.url);
    emulator.revokeTokens();
    expect((await api(emulator.url, before, 'GET', `/api/v2/flows/${'x'}`)).status).toBe(401);

    emulator.revokeClient(DEFAULT_EMULATOR_CLIENTS.primary.clientId);
    await expect(token(emulator.url)).rejects.toThrow('HTTP 401');
    const breakGlass = await token(emulator.url, DEFAULT_EMULATOR_CLIENTS.breakGlass);

    emulator.restoreClient(DEFAULT_EMULATOR_CLIENTS.primary.clientId);
    bearer = await token(emulator.url);
    expect(breakGlass).not.toBe(bearer);
  });
});

describe('rate limit', () => {
  it('answers the 301st request of a token within a minute with 429 and Retry-After, then recovers', async () => {
    // Prepare: a separate token, so its budget is its own.
    const own = await token(emulator.url);
    const path = `/api/v2/flows/datatables/${SURGE_CONTROL_TABLE}`;
    clock.advance(10_000);
    const statuses: number[] = [];
    for (let batch = 0; batch < 10; batch += 1) {
      const results = await Promise.all(
        Array.from({ length: 30 }, () => api(emulator.url, own, 'GET', path)),
      );
      statuses.push(...results.map((r) => r.status));
    }

    // Act
    clock.advance(20_000);
    const limited = await api(emulator.url, own, 'GET', path);
    const otherToken = await call('GET', path);
    clock.advance(40_000);
    const nextMinute = await api(emulator.url, own, 'GET', path);

    // Assess
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('40');
    expect(limited.body).toMatchObject({ status: 429, code: 'too.many.requests.retry.after' });
    expect(otherToken.status).toBe(200);
    expect(nextMinute.status).toBe(200);
  });
});

describe('data table rows', () => {
  beforeAll(() => {
    emulator.seedDatatable({
      id: 'dt-contract',
      fields: { SurgeActive: 'boolean', Message: 'string', Level: 'integer' },
      rows: [{ key: 'main', SurgeActive: false, Message: 'normal service', Level: 0 }],
    });
  });

  it('returns only the key unless showbrief=false (Genesys defaults showbrief to true)', async () => {
    const brief = await call('GET', '/api/v2/flows/datatables/dt-contract/rows/main');
    const full = await call('GET', '/api/v2/flows/datatables/dt-contract/rows/main?showbrief=false');

    expect(brief.body).toEqual({ key: 'main' });
    expect(full.body).toEqual({ key: 'main', SurgeActive: false, Message: 'normal service', Level: 0 });
  });

  it('ships the built-in surge-control table with rows tier1..tier3, all SurgeActive false', async () => {
    const rows = await call('GET', `/api/v2/flows/datatables/${SURGE_CONTROL_TABLE}/rows?showbrief=false`);

    expect(rows.body.entities).toEqual([
      { key: 'tier1', SurgeActive: false },
      { key: 'tier2', SurgeActive: false },
      { key: 'tier3', SurgeActive: false },
    ]);
  });

  it('PUT replaces the whole row: fields left out are gone', async () => {
    emulator.seedRow('dt-contract', { key: 'replace', SurgeActive: false, Message: 'keep me?', Level: 1 });

    const put = await call('PUT', '/api/v2/flows/datatables/dt-contract/rows/replace', {
      key: 'replace',
      SurgeActive: true,
    });

    expect(put.status).toBe(200);
    expect(emulator.readRow('dt-contract', 'replace')).toEqual({ key: 'replace', SurgeActive: true });
    expect(emulator.mutations().at(-1)).toMatchObject({
      at: new Date(clock.now()).toISOString(),
      method: 'PUT',
      path: '/api/v2/flows/datatables/dt-contract/rows/replace',
      status: 200,
      summary: expect.stringContaining('SurgeActive: false → true'),
    });
  });

  it.each([
    ['malformed JSON', '{"key": "main", ', 'unable to parse'],
    ['a field outside the schema', { key: 'main', SurgeActive: true, Colour: 'red' }, "field 'Colour'"],
    ['a wrong type', { key: 'main', SurgeActive: 'yes' }, "field 'SurgeActive' must be a boolean"],
    ['a key that is not the row id', { key: 'other', SurgeActive: true }, 'key must be present'],
    ['no body', '', 'request body is required'],
  ])('refuses %s with a Genesys-style 400 and changes nothing', async (_case, body, message) => {
    const before = emulator.readRow('dt-contract', 'main');

    const res = await call('PUT', '/api/v2/flows/datatables/dt-contract/rows/main', body);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      message: expect.stringContaining(message),
      code: 'bad.request',
      status: 400,
      messageParams: {},
      contextId: expect.any(String),
      details: [],
      errors: [],
    });
    expect(emulator.readRow('dt-contract', 'main')).toEqual(before);
    expect(emulator.mutations().at(-1)).toMatchObject({
      status: 400,
      summary: expect.stringContaining('rejected'),
    });
  });

  it.each([
    ['an unknown row', 'GET', '/api/v2/flows/datatables/dt-contract/rows/nope'],
    ['an unknown table', 'GET', '/api/v2/flows/datatables/nope/rows/main'],
    ['PUT to an unknown row', 'PUT', '/api/v2/flows/datatables/dt-contract/rows/nope'],
    ['an unknown path', 'GET', '/api/v2/nothing/here'],
  ])('answers %s with 404 not.found', async (_case, method, path) => {
    const res = await call(method, path, method === 'PUT' ? { key: 'nope', SurgeActive: true } : undefined);

    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ status: 404, code: 'not.found' });
  });

  it('refuses showbrief values other than true or false, and a method the path does not take', async () => {
    expect((await call('GET', '/api/v2/flows/datatables/dt-contract/rows/main?showbrief=maybe')).status).toBe(
      400,
    );
    expect((await call('DELETE', '/api/v2/flows/datatables/dt-contract/rows/main')).status).toBe(405);
  });
});

describe('emergency groups', () => {
  beforeAll(() => {
    emulator.seedEmergencyGroup({
      id: 'eg-contract',
      name: 'Storm',
      emergencyCallFlows: [
        { emergencyFlow: { id: 'flow-emergency' }, ivrs: [{ id: 'ivr-a' }, { id: 'ivr-b' }] },
      ],
    });
  });

  it('serves the documented shape with a version', async () => {
    const res = await call('GET', '/api/v2/architect/emergencygroups/eg-contract');

    expect(res.body).toMatchObject({
      id: 'eg-contract',
      name: 'Storm',
      version: expect.any(Number),
      state: 'active',
      enabled: false,
      emergencyCallFlows: [
        { emergencyFlow: { id: 'flow-emergency' }, ivrs: [{ id: 'ivr-a' }, { id: 'ivr-b' }] },
      ],
    });
  });

  it('accepts a PUT carrying the current version and bumps it; a stale version gets 409 and changes nothing', async () => {
    const current = (await call('GET', '/api/v2/architect/emergencygroups/eg-contract')).body;

    const flipped = await call('PUT', '/api/v2/architect/emergencygroups/eg-contract', {
      ...current,
      enabled: true,
    });
    const stale = await call('PUT', '/api/v2/architect/emergencygroups/eg-contract', {
      ...current,
      enabled: false,
    });

    expect(flipped.status).toBe(200);
    expect(flipped.body).toMatchObject({ enabled: true, version: (current.version as number) + 1 });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ status: 409, code: 'general.conflict' });
    expect(emulator.readEmergencyGroup('eg-contract').enabled).toBe(true);
  });

  it('PUT overwrites the whole group: IVRs the body leaves out are dropped', async () => {
    const current = emulator.readEmergencyGroup('eg-contract');

    await call('PUT', '/api/v2/architect/emergencygroups/eg-contract', {
      id: current.id,
      name: current.name,
      version: current.version,
      enabled: current.enabled,
    });

    expect(emulator.readEmergencyGroup('eg-contract').emergencyCallFlows).toEqual([]);
    expect(emulator.mutations().at(-1)?.summary).toContain('2 IVR reference(s) dropped');
  });

  it('refuses a PUT without a version with 400', async () => {
    const res = await call('PUT', '/api/v2/architect/emergencygroups/eg-contract', {
      name: 'Storm',
      enabled: true,
    });

    expect(res.status).toBe(400);
    expect(res.body.message).toContain('version is required');
  });
});

describe('IVRs', () => {
  beforeAll(() => {
    emulator.seedIvr({ id: 'ivr-main', name: 'Main', dnis: ['+3225550100'] });
    emulator.seedIvr({ id: 'ivr-dr', name: 'Disaster recovery', dnis: [] });
  });

  it('moves a DID between IVRs with GET/PUT and refuses one that another IVR still lists', async () => {
    const dr = (await call('GET', '/api/v2/architect/ivrs/ivr-dr')).body;
    const taken = await call('PUT', '/api/v2/architect/ivrs/ivr-dr', { ...dr, dnis: ['+3225550100'] });
    const main = (await call('GET', '/api/v2/architect/ivrs/ivr-main')).body;

    await call('PUT', '/api/v2/architect/ivrs/ivr-main', { ...main, dnis: [] });
    const moved = await call('PUT', '/api/v2/architect/ivrs/ivr-dr', { ...dr, dnis: ['+3225550100'] });

    expect(taken.status).toBe(400);
    expect(taken.body.message).toContain('already assigned to IVR ivr-main');
    expect(moved.status).toBe(200);
    expect(emulator.readIvr('ivr-dr').dnis).toEqual(['+3225550100']);
    expect(emulator.readIvr('ivr-main').dnis).toEqual([]);
  });
});

describe('flow publish', () => {
  beforeAll(() => {
    emulator.seedFlow({
      id: 'flow-contract',
      name: 'Inbound',
      versions: ['1', '2', '3'],
      publishedVersion: '1',
    });
    emulator.seedFlow({
      id: 'flow-broken',
      name: 'Broken',
      versions: ['1', '2'],
      publishedVersion: '1',
      failPublish: 'flow has errors',
    });
  });

  it('returns a running Operation; the flow shows the new publishedVersion only once it completes', async () => {
    const op = await call('POST', '/api/v2/flows/actions/publish?flow=flow-contract&version=2');
    const during = (await call('GET', '/api/v2/flows/flow-contract')).body;
    const second = await call('POST', '/api/v2/flows/actions/publish?flow=flow-contract&version=3');

    clock.advance(2000);
    const after = (await call('GET', '/api/v2/flows/flow-contract')).body;

    expect(op.body).toEqual({
      id: expect.any(String),
      complete: false,
      actionName: 'PUBLISH',
      actionStatus: 'RUNNING',
    });
    expect(during).toMatchObject({
      publishedVersion: { id: '1' },
      currentOperation: { id: op.body.id, complete: false },
    });
    expect(second.status).toBe(409);
    expect(after).toMatchObject({
      publishedVersion: { id: '2' },
      currentOperation: { id: op.body.id, complete: true, actionStatus: 'SUCCESS' },
    });
  });

  it('completes the Operation with FAILURE for a flow that cannot publish', async () => {
    await call('POST', '/api/v2/flows/actions/publish?flow=flow-broken&version=2');
    clock.advance(2000);

    const flow = (await call('GET', '/api/v2/flows/flow-broken')).body;

    expect(flow).toMatchObject({
      publishedVersion: { id: '1' },
      currentOperation: { complete: true, actionStatus: 'FAILURE', errorMessage: 'flow has errors' },
    });
  });

  it.each([
    ['an unknown version', '/api/v2/flows/actions/publish?flow=flow-contract&version=9', 400],
    ['an unknown flow', '/api/v2/flows/actions/publish?flow=nope&version=1', 404],
    ['no flow parameter', '/api/v2/flows/actions/publish?version=1', 400],
  ])('refuses %s with %i', async (_case, path, status) => {
    expect((await call('POST', path)).status).toBe(status);
  });
});

describe('POST /api/v2/analytics/queues/observations/query', () => {
  it('groups oWaiting per media type and oOnQueueUsers per routing status, leaving zero counts out', async () => {
    emulator.setObservation('q-shape', {
      waiting: 9,
      agentsAvailable: 4,
      agentsInteracting: 0,
      waitingByMediaType: { voice: 7, chat: 2, email: 0 },
    });
    emulator.setObservation('q-empty', { waiting: 0, agentsAvailable: 0 });

    const res = await call('POST', OBSERVATIONS, queueQuery('q-shape', 'q-empty', 'q-unknown'));

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      results: [
        {
          group: { queueId: 'q-shape', mediaType: 'voice' },
          data: [{ metric: 'oWaiting', stats: { count: 7 } }],
        },
        {
          group: { queueId: 'q-shape', mediaType: 'chat' },
          data: [{ metric: 'oWaiting', stats: { count: 2 } }],
        },
        {
          group: { queueId: 'q-shape' },
          data: [{ metric: 'oOnQueueUsers', qualifier: 'IDLE', stats: { count: 4 } }],
        },
        { group: { queueId: 'q-empty' } },
      ],
    });
  });

  it('follows a scenario at simulated time: each queue reports its latest line at or before now', async () => {
    const at = (s: number) => new Date(clock.now() + s * 1000).toISOString();
    emulator.followScenario([
      { queueId: 'q-scn', observedAt: at(0), waiting: 10, agentsAvailable: 1 },
      { queueId: 'q-scn', observedAt: at(60), waiting: 60, agentsAvailable: 2 },
      { queueId: 'q-scn', observedAt: at(120), waiting: 120, agentsAvailable: 3 },
    ]);
    const waiting = async () => {
      const res = await call('POST', OBSERVATIONS, { ...queueQuery('q-scn'), metrics: ['oWaiting'] });
      const results = res.body.results as { data?: { stats: { count: number } }[] }[];
      return results.flatMap((r) => r.data ?? []).reduce((sum, d) => sum + d.stats.count, 0);
    };

    const first = await waiting();
    clock.advance(90_000);
    const second = await waiting();
    clock.advance(60_000);
    const third = await waiting();

    expect([first, second, third]).toEqual([10, 60, 120]);
  });

  it.each([
    ['more predicates than allowed', queueQuery('a', 'b', 'c', 'd'), 'at most 3'],
    ['no metrics', { filter: queueQuery('a').filter }, 'metrics must be a non-empty array'],
    ['an unknown metric', { ...queueQuery('a'), metrics: ['oWaiting', 'oBogus'] }, 'unknown metric'],
    [
      'no queue predicate',
      { filter: { type: 'or', predicates: [] }, metrics: ['oWaiting'] },
      'at least one queueId',
    ],
    ['no filter', { metrics: ['oWaiting'] }, 'filter is required'],
  ])('refuses %s with 400', async (_case, body, message) => {
    const res = await call('POST', OBSERVATIONS, body);

    expect(res.status).toBe(400);
    expect(res.body.message).toContain(message);
  });
});

describe('fault plan', () => {
  const path = `/api/v2/flows/datatables/${SURGE_CONTROL_TABLE}`;

  it('answers the next N matching calls with the fault, then normally', async () => {
    emulator.faults.next({ method: 'GET', path }, { kind: 'status', status: 503 }, 2);

    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await call('GET', path)).status);

    expect(statuses).toEqual([503, 503, 200]);
  });

  it('sends Retry-After with an injected 429', async () => {
    emulator.faults.next({ path }, { kind: 'rate-limit', retryAfterSeconds: 7 });

    const res = await call('GET', path);

    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
  });

  it('fails every matching call until simulated time T ("Genesys down for 3 minutes")', async () => {
    emulator.faults.during({ path: '/api/v2/*' }, { kind: 'status', status: 503 }, 180_000);

    const during = (await call('GET', path)).status;
    clock.advance(179_999);
    const stillDown = (await call('GET', path)).status;
    clock.advance(1);
    const back = (await call('GET', path)).status;

    expect([during, stillDown, back]).toEqual([503, 503, 200]);
  });

  it('never answers a timed-out call, and logs a mutating one with status 0', async () => {
    const rowPath = `/api/v2/flows/datatables/${SURGE_CONTROL_TABLE}/rows/tier3`;
    emulator.faults.next({ method: 'PUT', path: rowPath }, { kind: 'timeout' });

    const hung = fetch(`${emulator.url}${rowPath}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'tier3', SurgeActive: true }),
      signal: AbortSignal.timeout(150),
    });

    await expect(hung).rejects.toThrow();
    expect(emulator.mutations().at(-1)).toMatchObject({ path: rowPath, status: 0 });
    expect(emulator.readRow(SURGE_CONTROL_TABLE, 'tier3').SurgeActive).toBe(false);
  });

  it('delays a call by the injected latency and then answers it normally', async () => {
    emulator.faults.next({ path }, { kind: 'latency', ms: 120 });

    const started = performance.now();
    const res = await call('GET', path);

    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
  });

  it('refuses a nonsensical fault when it is planned, not when it fires', () => {
    expect(() => emulator.faults.next({ path }, { kind: 'status', status: 200 })).toThrow(/400–599/);
    expect(emulator.faults.pending()).toBe(0);
  });
});
