// A Genesys Cloud Platform API emulator on node:http (127.0.0.1), for tests, drills and people with curl.
// It keeps time by the clock it is given (simulated in drills): token expiry, the rate-limit window,
// publish operations, scenario observations and time-windowed faults all follow `clock.now()`.
//
// Every request goes through the same steps, in the order the real service applies them:
//   fault plan ─▶ (login | bearer token ─▶ rate limit) ─▶ route ─▶ mutation log
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { QueueObservation } from '../../lambdas/core/observation';
import type { ClientCredentials, Clock } from '../../lambdas/core/ports';
import { Authority, OAuthError } from './auth';
import {
  CallbackBook,
  type CallbackInput,
  conversationView,
  type EmulatedCallback,
  EndpointLimits,
  listIvrs,
  READ_ONLY_POSTS,
} from './dr';
import { FaultPlan } from './faults';
import {
  badRequest,
  defaultCodeFor,
  ErrorCode,
  GenesysHttpError,
  notFound,
  parseJsonBody,
  readBody,
  sendError,
  sendJson,
} from './http';
import {
  answerObservationQuery,
  type EmulatedObservation,
  ObservationBook,
  parseObservationQuery,
} from './observations';
import {
  type DatatableRow,
  type DatatableSeed,
  type EmergencyGroup,
  type EmergencyGroupSeed,
  type FieldType,
  type Flow,
  type FlowSeed,
  type Ivr,
  type IvrSeed,
  Org,
} from './org';

/** The test clients every emulator accepts unless told otherwise: a primary and a break-glass client. */
export const DEFAULT_EMULATOR_CLIENTS = {
  primary: { clientId: 'surge-local-client', clientSecret: 'surge-local-secret' },
  breakGlass: { clientId: 'surge-break-glass-client', clientSecret: 'surge-break-glass-secret' },
} as const satisfies Record<string, ClientCredentials>;

/** The data table every emulator starts with; the drill's default actuators switch its rows. */
export const SURGE_CONTROL_TABLE = 'surge-control';

export interface GenesysEmulatorOptions {
  /** The emulator's notion of now (simulated in drills and tests). */
  readonly clock: Clock;
  /** TCP port on 127.0.0.1. @default 0 (any free port) */
  readonly port?: number;
  /** OAuth clients it accepts. @default DEFAULT_EMULATOR_CLIENTS (primary and break-glass) */
  readonly clients?: readonly ClientCredentials[];
  /** Lifetime of an access token (Genesys allows 300–172800 per OAuth client). @default 86400 */
  readonly tokenTtlSeconds?: number;
  /** Requests per minute per token before 429. @default 300 */
  readonly rateLimitPerMinute?: number;
  /** Predicates allowed in one observations query. @default 100 */
  readonly maxPredicates?: number;
  /** Simulated ms until a publish Operation completes. @default 2000 */
  readonly publishDelayMs?: number;
  /** `PUT /api/v2/architect/ivrs/{id}` per minute per token before 429 (docs/dr.md). @default 100 */
  readonly ivrPutsPerMinute?: number;
  /** Called for every mutating call once it is answered (the CLI prints them as they happen). */
  readonly onMutation?: (mutation: MutationRecord) => void;
}

/** One mutating call the emulator received, whatever became of it. */
export interface MutationRecord {
  /** ISO-8601 simulated time the call arrived. */
  readonly at: string;
  readonly method: string;
  /** Path and query, e.g. /api/v2/flows/actions/publish?flow=f1&version=2 */
  readonly path: string;
  /** What changed, or why nothing did. */
  readonly summary: string;
  /** HTTP status answered; 0 if it was never answered (a timeout fault). */
  readonly status: number;
}

export interface RequestRecord {
  readonly at: string;
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly status: number;
}

export interface GenesysEmulator {
  /** e.g. http://127.0.0.1:54321 */
  readonly url: string;
  readonly port: number;
  readonly clients: readonly ClientCredentials[];
  /** Fault injection: `faults.next(...)`, `faults.until(...)`, `faults.during(...)`, `faults.clear()`. */
  readonly faults: FaultPlan;
  close(): Promise<void>;

  /** The queue's current observation (until changed); overrides a scenario for that queue. */
  setObservation(queueId: string, observation: EmulatedObservation): void;
  /** Serve observations from scenario lines at the emulator's simulated time. */
  followScenario(lines: readonly QueueObservation[]): void;

  seedDatatable(seed: DatatableSeed): void;
  /** Creates the data table, or adds the fields it lacks; throws RangeError on a field of another type. */
  ensureDatatable(datatableId: string, fields: Readonly<Record<string, FieldType>>): void;
  /** Adds or replaces a row (seeding, not a call). */
  seedRow(datatableId: string, row: DatatableRow): void;
  /** Does the data table have this row? (false if the table does not exist) */
  hasRow(datatableId: string, rowId: string): boolean;
  seedEmergencyGroup(seed: EmergencyGroupSeed): void;
  seedIvr(seed: IvrSeed): void;
  seedFlow(seed: FlowSeed): void;
  /** Someone edits the group outside our client (bumps its version; not a call, so not in the mutation log). */
  editEmergencyGroup(
    groupId: string,
    patch: Partial<Pick<EmergencyGroup, 'name' | 'description' | 'enabled' | 'emergencyCallFlows'>>,
  ): EmergencyGroup;

  /** All tokens issued so far are rejected from now on (401). */
  revokeTokens(): void;
  /** This client's credentials and tokens are rejected from now on (401). */
  revokeClient(clientId: string): void;
  restoreClient(clientId: string): void;

  /** Applies the calls held by `late` faults now, in arrival order; returns what they did. */
  landLateWrites(): Promise<MutationRecord[]>;
  /** Calls held by `late` faults, not landed yet. */
  lateWritesHeld(): number;

  /** Every mutating call received, in arrival order. */
  mutations(): MutationRecord[];
  /** Every request received (answered ones get their status when answered), in arrival order. */
  requests(): RequestRecord[];

  readRow(datatableId: string, rowId: string): DatatableRow;
  readEmergencyGroup(groupId: string): EmergencyGroup;
  readIvr(ivrId: string): Ivr;
  readFlow(flowId: string): Flow;

  /** A customer takes a callback in this org (as its flows would); not a client call, so not logged. */
  takeCallback(input: CallbackInput): EmulatedCallback;
  /** Every callback of the org, oldest first. */
  callbacks(): EmulatedCallback[];
}

const OBSERVATIONS_PATH = '/api/v2/analytics/queues/observations/query';

const isMutating = (method: string, path: string): boolean =>
  method !== 'GET' &&
  method !== 'HEAD' &&
  path !== '/oauth/token' &&
  path !== OBSERVATIONS_PATH &&
  !READ_ONLY_POSTS.has(path);

function showbrief(params: URLSearchParams): boolean {
  const value = params.get('showbrief');
  if (value === null || value === 'true') return true;
  if (value === 'false') return false;
  throw badRequest(`showbrief must be true or false, got '${value}'`);
}

interface Routed {
  readonly status: number;
  readonly body: unknown;
  /** For the mutation log. */
  readonly summary?: string;
}

type Route = (
  match: RegExpExecArray,
  params: URLSearchParams,
  body: () => Promise<unknown>,
) => Promise<Routed>;

/** A call held by a `late` fault: everything needed to apply it later. */
interface HeldCall {
  readonly method: string;
  readonly path: string;
  readonly search: string;
  readonly params: URLSearchParams;
  readonly body: string;
}

export async function startGenesysEmulator(options: GenesysEmulatorOptions): Promise<GenesysEmulator> {
  const now = (): number => options.clock.now();
  const iso = (): string => new Date(now()).toISOString();
  const clients = options.clients ?? [DEFAULT_EMULATOR_CLIENTS.primary, DEFAULT_EMULATOR_CLIENTS.breakGlass];
  const authority = new Authority(
    now,
    clients,
    options.tokenTtlSeconds ?? 86_400,
    options.rateLimitPerMinute ?? 300,
  );
  const faults = new FaultPlan(now);
  const org = new Org(now, options.publishDelayMs ?? 2000);
  const book = new ObservationBook(now);
  const maxPredicates = options.maxPredicates ?? 100;
  const callbackBook = new CallbackBook(now);
  const endpointLimits = new EndpointLimits(now, options.ivrPutsPerMinute ?? 100);
  const mutationLog: MutationRecord[] = [];
  const requestLog: { at: string; method: string; path: string; status: number }[] = [];

  org.seedDatatable({
    id: SURGE_CONTROL_TABLE,
    name: 'surge-control',
    fields: { SurgeActive: 'boolean' },
    rows: ['tier1', 'tier2', 'tier3'].map((key) => ({ key, SurgeActive: false })),
  });

  const ok = (body: unknown, summary?: string): Routed => ({
    status: 200,
    body,
    ...(summary ? { summary } : {}),
  });
  const routes: [string, RegExp, Route][] = [
    [
      'POST',
      /^\/api\/v2\/analytics\/queues\/observations\/query$/,
      async (_m, _p, body) =>
        ok(
          answerObservationQuery(parseObservationQuery(await body(), maxPredicates), (q) => book.current(q)),
        ),
    ],
    // The controller's health probe (cheapest read-only call): the organization of the token.
    [
      'GET',
      /^\/api\/v2\/organizations\/me$/,
      async () =>
        ok({
          id: 'emulated-org',
          name: 'cx-surge emulator',
          state: 'active',
          selfUri: '/api/v2/organizations/me',
        }),
    ],
    ['GET', /^\/api\/v2\/flows\/datatables\/([^/]+)$/, async (m) => ok(org.getDatatable(m[1] as string))],
    [
      'GET',
      /^\/api\/v2\/flows\/datatables\/([^/]+)\/rows$/,
      async (m, p) => {
        const all = org.listRows(m[1] as string, showbrief(p));
        // Paged when the caller asks (pageSize ≤ 500, as Genesys); without pageSize every row, one page.
        const pageSize = p.has('pageSize') ? Number(p.get('pageSize')) : Math.max(1, all.length);
        const pageNumber = Number(p.get('pageNumber') ?? 1);
        if (!Number.isInteger(pageSize) || pageSize < 1 || (p.has('pageSize') && pageSize > 500))
          throw badRequest('pageSize must be an integer 1–500');
        if (!Number.isInteger(pageNumber) || pageNumber < 1) throw badRequest('pageNumber must be ≥ 1');
        const entities = all.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
        return ok({
          entities,
          pageSize,
          pageNumber,
          total: all.length,
          pageCount: Math.max(1, Math.ceil(all.length / pageSize)),
        });
      },
    ],
    [
      'GET',
      /^\/api\/v2\/flows\/datatables\/([^/]+)\/rows\/([^/]+)$/,
      async (m, p) => ok(org.getRow(m[1] as string, m[2] as string, showbrief(p))),
    ],
    [
      'PUT',
      /^\/api\/v2\/flows\/datatables\/([^/]+)\/rows\/([^/]+)$/,
      async (m, _p, body) => {
        const change = org.putRow(m[1] as string, m[2] as string, await body());
        return ok(change.result, change.summary);
      },
    ],
    [
      'GET',
      /^\/api\/v2\/architect\/emergencygroups\/([^/]+)$/,
      async (m) => ok(org.getEmergencyGroup(m[1] as string)),
    ],
    [
      'PUT',
      /^\/api\/v2\/architect\/emergencygroups\/([^/]+)$/,
      async (m, _p, body) => {
        const change = org.putEmergencyGroup(m[1] as string, await body());
        return ok(change.result, change.summary);
      },
    ],
    ['GET', /^\/api\/v2\/architect\/ivrs$/, async (_m, p) => ok(listIvrs(org, p))],
    ['GET', /^\/api\/v2\/architect\/ivrs\/([^/]+)$/, async (m) => ok(org.getIvr(m[1] as string))],
    [
      'POST',
      /^\/api\/v2\/conversations\/callbacks$/,
      async (_m, _p, body) => {
        const callback = callbackBook.create(await body());
        return ok(
          {
            conversation: { id: callback.conversationId },
            callbackIdentifiers: [{ type: 'EXTERNAL', id: callback.conversationId }],
          },
          `callback ${callback.conversationId} created for ${callback.callbackNumbers.join(' ')}${Object.keys(callback.data).length ? ` (data ${JSON.stringify(callback.data)})` : ''}`,
        );
      },
    ],
    [
      'GET',
      /^\/api\/v2\/conversations\/([^/]+)$/,
      async (m) => ok(conversationView(callbackBook.get(m[1] as string))),
    ],
    [
      'POST',
      /^\/api\/v2\/analytics\/conversations\/details\/query$/,
      async (_m, _p, body) => ok(callbackBook.query(await body())),
    ],
    [
      'PUT',
      /^\/api\/v2\/architect\/ivrs\/([^/]+)$/,
      async (m, _p, body) => {
        const change = org.putIvr(m[1] as string, await body());
        return ok(change.result, change.summary);
      },
    ],
    [
      'POST',
      /^\/api\/v2\/flows\/actions\/publish$/,
      async (_m, p) => {
        const change = org.publish(p.get('flow'), p.get('version'));
        return ok(change.result, change.summary);
      },
    ],
    ['GET', /^\/api\/v2\/flows\/([^/]+)$/, async (m) => ok(org.getFlow(m[1] as string))],
    [
      'GET',
      /^\/api\/v2\/flows\/([^/]+)\/versions$/,
      async (m) => {
        const entities = org.getFlowVersions(m[1] as string);
        return ok({
          entities,
          pageSize: entities.length,
          pageNumber: 1,
          total: entities.length,
          pageCount: 1,
        });
      },
    ],
  ];

  async function route(
    method: string,
    path: string,
    params: URLSearchParams,
    body: () => Promise<unknown>,
  ): Promise<Routed> {
    let pathMatched = false;
    for (const [routeMethod, pattern, handler] of routes) {
      const match = pattern.exec(path);
      if (!match) continue;
      pathMatched = true;
      if (routeMethod !== method) continue;
      const decoded = match.map((part) => decodeURIComponent(part)) as unknown as RegExpExecArray;
      return handler(decoded, params, body);
    }
    if (pathMatched)
      throw new GenesysHttpError(405, ErrorCode.methodNotAllowed, `${method} is not allowed on ${path}`);
    throw notFound(`resource ${path}`);
  }

  const hanging = new Set<ServerResponse>();
  const held: HeldCall[] = [];

  async function landLateWrites(): Promise<MutationRecord[]> {
    const landed: MutationRecord[] = [];
    for (const call of held.splice(0)) {
      let status: number;
      let summary: string;
      try {
        const result = await route(call.method, call.path, call.params, async () => parseJsonBody(call.body));
        status = result.status;
        summary = `landed late: ${result.summary ?? 'done'}`;
      } catch (e) {
        status = e instanceof GenesysHttpError ? e.status : 500;
        summary = `landed late, rejected: ${(e as Error).message}`;
      }
      const record = { at: iso(), method: call.method, path: `${call.path}${call.search}`, summary, status };
      mutationLog.push(record);
      options.onMutation?.({ ...record });
      landed.push(record);
    }
    return landed;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const arrivedAt = iso();
    const request = { at: arrivedAt, method, path, status: 0 };
    requestLog.push(request);
    const mutating = isMutating(method, path);
    const logMutation = (status: number, summary: string): void => {
      if (!mutating) return;
      const record = { at: arrivedAt, method, path: `${path}${url.search}`, summary, status };
      mutationLog.push(record);
      options.onMutation?.({ ...record });
    };
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      request.status = status;
      sendJson(res, status, body, headers);
    };
    const refuse = (error: GenesysHttpError): void => {
      request.status = error.status;
      logMutation(error.status, `rejected: ${error.message}`);
      sendError(res, error);
    };

    const fault = faults.take(method, path);
    if (fault?.kind === 'timeout') {
      logMutation(0, 'no answer (timeout fault)');
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (fault?.kind === 'late') {
      // Accepted (the token is checked now, as Genesys would) but neither answered nor applied yet.
      try {
        authority.authorize(req.headers.authorization);
        held.push({ method, path, search: url.search, params: url.searchParams, body: await readBody(req) });
      } catch (e) {
        refuse(
          e instanceof GenesysHttpError
            ? e
            : new GenesysHttpError(
                500,
                ErrorCode.internalServerError,
                `emulator error: ${(e as Error).message}`,
              ),
        );
        return;
      }
      logMutation(0, 'held: no answer, applied late (late-write fault)');
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (fault?.kind === 'status') {
      refuse(
        new GenesysHttpError(
          fault.status,
          defaultCodeFor(fault.status),
          `injected fault: HTTP ${fault.status}`,
        ),
      );
      return;
    }
    if (fault?.kind === 'rate-limit') {
      refuse(
        new GenesysHttpError(429, ErrorCode.tooManyRequests, 'injected fault: rate limit exceeded', {
          'retry-after': String(fault.retryAfterSeconds),
        }),
      );
      return;
    }
    if (fault?.kind === 'latency') {
      await new Promise((resolve) => setTimeout(resolve, fault.ms));
      if (res.destroyed) return;
    }

    try {
      if (path === '/oauth/token') {
        if (method !== 'POST')
          throw new GenesysHttpError(405, ErrorCode.methodNotAllowed, 'use POST /oauth/token');
        const form = new URLSearchParams(await readBody(req));
        try {
          answer(200, authority.issue(req.headers.authorization, form));
        } catch (e) {
          if (!(e instanceof OAuthError)) throw e;
          answer(e.status, e.body());
        }
        return;
      }
      const token = authority.authorize(req.headers.authorization);
      endpointLimits.take(token.accessToken, method, path);
      const result = await route(method, path, url.searchParams, async () =>
        parseJsonBody(await readBody(req)),
      );
      logMutation(result.status, result.summary ?? 'done');
      answer(result.status, result.body);
    } catch (e) {
      if (e instanceof GenesysHttpError) refuse(e);
      else
        refuse(
          new GenesysHttpError(500, ErrorCode.internalServerError, `emulator error: ${(e as Error).message}`),
        );
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    clients,
    faults,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const res of hanging) res.destroy();
        server.close((err) => (err ? reject(err) : resolve()));
        for (const socket of sockets) socket.destroy();
      }),
    setObservation: (queueId, observation) => book.set(queueId, observation),
    followScenario: (lines) => book.follow(lines),
    seedDatatable: (seed) => org.seedDatatable(seed),
    ensureDatatable: (datatableId, fields) => org.ensureDatatable(datatableId, fields),
    seedRow: (datatableId, row) => org.seedRow(datatableId, row),
    hasRow: (datatableId, rowId) => org.hasRow(datatableId, rowId),
    seedEmergencyGroup: (seed) => org.seedEmergencyGroup(seed),
    seedIvr: (seed) => org.seedIvr(seed),
    seedFlow: (seed) => org.seedFlow(seed),
    editEmergencyGroup: (groupId, patch) => org.editEmergencyGroup(groupId, patch),
    revokeTokens: () => authority.revokeTokens(),
    revokeClient: (clientId) => authority.revokeClient(clientId),
    restoreClient: (clientId) => authority.restoreClient(clientId),
    landLateWrites,
    lateWritesHeld: () => held.length,
    mutations: () => mutationLog.map((m) => ({ ...m })),
    requests: () => requestLog.map((r) => ({ ...r })),
    readRow: (datatableId, rowId) => org.getRow(datatableId, rowId, false),
    readEmergencyGroup: (groupId) => org.getEmergencyGroup(groupId),
    readIvr: (ivrId) => org.getIvr(ivrId),
    readFlow: (flowId) => org.getFlow(flowId),
    takeCallback: (input) => callbackBook.create(input),
    callbacks: () => callbackBook.all(),
  };
}
