// Local stand-ins of the two CRMs (docs/crm.md): a primary and its read replica, each an OAuth 2
// client-credentials REST API on node:http (127.0.0.1), with its own schema, its own expiring tokens,
// the seeded customer set, and faults on the drill's simulated clock.
//
//   POST /oauth/token              Basic client auth, grant_type=client_credentials → { access_token, expires_in }
//   POST /v1/customers/search      Bearer; primary { customer_id | phone }       → 200 { customer } | 404
//                                          replica { acct_id | phone_e164, fallback_mode: true, … } → 200 { result } | 404
//   GET  /v1/health                Bearer → 200 { status: "ok" }
//
// Latency: with `latency: 'simulated'` a slow answer or a timeout is announced in the response header
// `x-simulated-latency-ms` (a number, or `never`), and the drill's transport (simulated-transport.ts)
// advances the clock instead of waiting. With `latency: 'real'` the stand-in really waits or hangs.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ClientCredentials, Clock } from '../../lambdas/core/ports';
// One request-body reader for the stand-ins (bounded: 1 MiB; more fails the request).
import { readBody } from '../genesys-emulator/http';
import { primaryRecord, type SeedCustomer, secondaryRecord, seedCustomers } from './customers';

export type CrmKind = 'primary' | 'secondary';
export const SIMULATED_LATENCY_HEADER = 'x-simulated-latency-ms';

/**
 * What goes wrong: HTTP 503, 429, no answer, connection reset, 401 (token revoked), a slow answer, any
 * other status (`status`), or a 200 whose body is not a customer record (`bad-body`).
 */
export type CrmFaultKind = '5xx' | '429' | 'timeout' | 'down' | '401' | 'slow' | 'status' | 'bad-body';

export interface CrmFault {
  readonly kind: CrmFaultKind;
  /** For `slow`: how long the answer takes. @default 2000 */
  readonly latencyMs?: number;
  /** For `status`: the HTTP status to answer (e.g. 400, 403). */
  readonly status?: number;
}

interface Window extends CrmFault {
  readonly from: number;
  readonly until: number;
}

/** Fault windows on the simulated clock, and counted faults for the next N API calls (token calls included when `onToken`). */
export class CrmFaultPlan {
  private windows: Window[] = [];
  private counted: { fault: CrmFault; remaining: number; onToken: boolean }[] = [];
  constructor(private readonly now: () => number) {}

  /** Every call between `from` and `until` (epoch ms, simulated) gets the fault. */
  window(fault: CrmFault, from: number, until: number): this {
    if (!(until > from)) throw new RangeError('fault window: until must be after from');
    this.windows.push({ ...fault, from, until });
    return this;
  }

  /** The next `count` search/health calls (and token calls too with `onToken`) get the fault. */
  next(fault: CrmFault, count = 1, options: { onToken?: boolean } = {}): this {
    this.counted.push({ fault, remaining: count, onToken: options.onToken === true });
    return this;
  }

  clear(): void {
    this.windows = [];
    this.counted = [];
  }

  take(isTokenCall: boolean): CrmFault | undefined {
    const now = this.now();
    const live = this.windows.find((w) => now >= w.from && now < w.until);
    if (live) return live;
    const counted = this.counted.find((c) => c.remaining > 0 && (!isTokenCall || c.onToken));
    if (!counted) return undefined;
    counted.remaining -= 1;
    return counted.fault;
  }
}

export interface CrmRequestRecord {
  /** Simulated epoch ms of arrival. */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  /** HTTP status answered; 0 for no answer (timeout / down). */
  status: number;
  readonly body?: unknown;
  /** Set when the request carried a token that had expired (a stale token was sent). */
  readonly staleToken?: boolean;
  readonly fault?: CrmFaultKind;
}

export interface CrmStandInOptions {
  readonly kind: CrmKind;
  readonly clock: Clock;
  readonly port?: number;
  readonly client?: ClientCredentials;
  /** Access-token lifetime. @default 300 (primary) / 120 (secondary) */
  readonly tokenTtlSeconds?: number;
  readonly customers?: readonly SeedCustomer[];
  /** @default 'simulated' */
  readonly latency?: 'simulated' | 'real';
  /** Latency of a healthy answer (ms, on the simulated clock or real). @default 40 primary / 25 secondary */
  readonly baseLatencyMs?: number;
  /** Latency of a slow answer when the fault gives none. @default 2000 */
  readonly slowLatencyMs?: number;
}

export interface CrmStandIn {
  readonly kind: CrmKind;
  readonly url: string;
  readonly tokenUrl: string;
  readonly client: ClientCredentials;
  readonly faults: CrmFaultPlan;
  /** Every request received, in arrival order. */
  requests(): CrmRequestRecord[];
  /** Requests that carried an expired or revoked token (must stay 0: no stale token is ever sent). */
  staleTokenRequests(): number;
  /** Search calls received. */
  searches(): number;
  /** Every token issued so far is rejected from now on. */
  revokeTokens(): void;
  close(): Promise<void>;
}

export const STAND_IN_CLIENTS: Readonly<Record<CrmKind, ClientCredentials>> = {
  primary: { clientId: 'crm-primary-client', clientSecret: 'crm-primary-secret' },
  secondary: { clientId: 'crm-replica-client', clientSecret: 'crm-replica-secret' },
};

const sameSecret = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export async function startCrmStandIn(options: CrmStandInOptions): Promise<CrmStandIn> {
  const { kind, clock } = options;
  const now = (): number => clock.now();
  const client = options.client ?? STAND_IN_CLIENTS[kind];
  const ttlMs = (options.tokenTtlSeconds ?? (kind === 'primary' ? 300 : 120)) * 1000;
  const customers = options.customers ?? seedCustomers();
  const byId = new Map(customers.map((c) => [c.id, c]));
  const byPhone = new Map(customers.map((c) => [c.phone, c]));
  const simulated = (options.latency ?? 'simulated') === 'simulated';
  const baseLatency = options.baseLatencyMs ?? (kind === 'primary' ? 40 : 25);
  const faults = new CrmFaultPlan(now);
  const tokens = new Map<string, number>(); // token → expiresAt
  const revoked = new Set<string>();
  const log: CrmRequestRecord[] = [];
  const hanging = new Set<ServerResponse>();

  const idField = kind === 'primary' ? 'customer_id' : 'acct_id';
  const phoneField = kind === 'primary' ? 'phone' : 'phone_e164';

  const send = async (
    res: ServerResponse,
    record: CrmRequestRecord,
    status: number,
    body: unknown,
    latencyMs: number,
  ): Promise<void> => {
    record.status = status;
    const text = JSON.stringify(body);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
    };
    if (simulated) headers[SIMULATED_LATENCY_HEADER] = String(latencyMs);
    else if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    if (res.destroyed) return;
    res.writeHead(status, headers);
    res.end(text);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const text = await readBody(req);
    const isToken = path === '/oauth/token';
    let body: unknown;
    if (!isToken && text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    // Token checks come before faults are applied, so a stale token is caught whatever else happens.
    let staleToken = false;
    let tokenOk = false;
    if (!isToken) {
      const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const expiresAt = token ? tokens.get(token) : undefined;
      if ((expiresAt !== undefined && now() >= expiresAt) || (token && revoked.has(token))) staleToken = true;
      tokenOk = expiresAt !== undefined && now() < expiresAt;
    }
    const fault = faults.take(isToken);
    const record: CrmRequestRecord = {
      at: now(),
      method,
      path,
      status: 0,
      ...(body !== undefined ? { body } : {}),
      ...(staleToken ? { staleToken } : {}),
      ...(fault ? { fault: fault.kind } : {}),
    };
    log.push(record);

    if (fault?.kind === 'down') {
      res.socket?.destroy();
      return;
    }
    if (fault?.kind === 'timeout') {
      if (simulated) {
        record.status = 0;
        res.writeHead(504, { [SIMULATED_LATENCY_HEADER]: 'never', 'content-length': '0' });
        res.end();
        return;
      }
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    const latency = fault?.kind === 'slow' ? (fault.latencyMs ?? options.slowLatencyMs ?? 2000) : baseLatency;
    if (fault?.kind === '5xx') return send(res, record, 503, { error: 'service_unavailable' }, latency);
    if (fault?.kind === '429') return send(res, record, 429, { error: 'rate_limited' }, latency);
    if (fault?.kind === 'status')
      return send(res, record, fault.status ?? 400, { error: 'injected' }, latency);
    if (fault?.kind === 'bad-body' && !isToken) {
      return send(res, record, 200, { customers: 'maintenance page' }, latency);
    }

    if (isToken) {
      if (method !== 'POST') return send(res, record, 405, { error: 'method_not_allowed' }, latency);
      const form = new URLSearchParams(text);
      if (form.get('grant_type') !== 'client_credentials') {
        return send(res, record, 400, { error: 'unsupported_grant_type' }, latency);
      }
      const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const decoded = basic ? Buffer.from(basic, 'base64').toString('utf8') : '';
      const colon = decoded.indexOf(':');
      if (
        colon < 0 ||
        decoded.slice(0, colon) !== client.clientId ||
        !sameSecret(decoded.slice(colon + 1), client.clientSecret)
      ) {
        return send(res, record, 401, { error: 'invalid_client' }, latency);
      }
      const accessToken = randomBytes(24).toString('base64url');
      tokens.set(accessToken, now() + ttlMs);
      return send(
        res,
        record,
        200,
        { access_token: accessToken, token_type: 'bearer', expires_in: ttlMs / 1000 },
        latency,
      );
    }
    if (fault?.kind === '401' || !tokenOk) {
      // A 401 fault is a revoked token: the CRM forgets it, so sending it again would be stale.
      const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (token && tokens.delete(token)) revoked.add(token);
      return send(res, record, 401, { error: 'invalid_token' }, latency);
    }
    if (path === '/v1/health' && method === 'GET') return send(res, record, 200, { status: 'ok' }, latency);
    if (path !== '/v1/customers/search') return send(res, record, 404, { error: 'no_such_path' }, latency);
    if (method !== 'POST') return send(res, record, 405, { error: 'method_not_allowed' }, latency);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return send(res, record, 400, { error: 'body must be a JSON object' }, latency);
    }
    const query = body as Record<string, unknown>;
    if (kind === 'secondary' && (query.fallback_mode !== true || query.include_order_history !== false)) {
      // The replica serves fallback-mode reads only (docs/crm.md): anything else is a caller bug.
      return send(
        res,
        record,
        400,
        { error: 'fallback_mode: true and include_order_history: false required' },
        latency,
      );
    }
    const id = query[idField];
    const phone = query[phoneField];
    if (typeof id !== 'string' && typeof phone !== 'string') {
      return send(res, record, 400, { error: `${idField} or ${phoneField} required` }, latency);
    }
    const found = typeof id === 'string' ? byId.get(id) : byPhone.get(phone as string);
    if (!found) return send(res, record, 404, { error: 'not_found' }, latency);
    return kind === 'primary'
      ? send(
          res,
          record,
          200,
          { customer: primaryRecord(found, query.include_order_history === true) },
          latency,
        )
      : send(res, record, 200, { result: secondaryRecord(found) }, latency);
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
  const url = `http://127.0.0.1:${port}`;
  return {
    kind,
    url,
    tokenUrl: `${url}/oauth/token`,
    client,
    faults,
    requests: () => log.map((r) => ({ ...r })),
    staleTokenRequests: () => log.filter((r) => r.staleToken).length,
    searches: () => log.filter((r) => r.path === '/v1/customers/search').length,
    revokeTokens: () => {
      for (const token of tokens.keys()) revoked.add(token);
      tokens.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const res of hanging) res.destroy();
        server.close((err) => (err ? reject(err) : resolve()));
        for (const socket of sockets) socket.destroy();
      }),
  };
}
