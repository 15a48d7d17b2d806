// One OAuth 2 client-credentials REST CRM endpoint (the primary or its read replica): token cache,
// search, health probe. It speaks HTTP and answers in the core's words (CallOutcome): every HTTP result
// is classified, and a 2xx whose body does not match is `invalid-response` — a failure, never a crash.
//
//   call(key, timeoutMs) ─▶ token usable for the whole call? ─no─▶ POST tokenUrl (Basic, client_credentials)
//                            │ yes                                  │ within the same timeout
//                            ▼                                      ▼
//                          POST baseUrl + searchPath (Bearer) ─▶ classify ─▶ CallOutcome
import * as z from 'zod';
import type { CrmEndpointConfig, CrmPrimaryConfig } from '../../core/crm/config';
import { at, mapCustomer, mapOrderHistory, sourceFieldOf } from '../../core/crm/customer';
import type { CallOutcome, Endpoint } from '../../core/crm/lookup';
import type { CrmEndpointPort, LookupKey } from '../../core/crm/ports';
import { type AccessToken, tokenUsable, tokenValidUntil } from '../../core/crm/token';
import { lazySchema } from '../../core/lazy-schema';
import type { Clock } from '../../core/ports';
import { HttpNetworkError, HttpTimeoutError, type HttpTransport } from './http';
import type { CrmSecrets } from './secrets';

/** What the endpoint did, for traces and metrics. Never a token or a secret. */
export type EndpointEvent =
  | {
      readonly type: 'token';
      readonly endpoint: Endpoint;
      readonly reason: 'none' | 'expiring' | 'forced';
      readonly expiresInSeconds: number;
    }
  | { readonly type: 'token-failed'; readonly endpoint: Endpoint; readonly detail: string }
  | {
      readonly type: 'request';
      readonly endpoint: Endpoint;
      readonly status: number | 'timeout' | 'network';
    };

export interface RestCrmEndpointOptions {
  readonly endpoint: Endpoint;
  readonly config: CrmEndpointConfig | CrmPrimaryConfig;
  readonly secrets: CrmSecrets;
  readonly clock: Clock;
  readonly transport: HttpTransport;
  /** Refresh a token this long before it expires (beyond the call's own timeout). */
  readonly tokenRefreshMarginMs: number;
  readonly onEvent?: (event: EndpointEvent) => void;
}

/** An OAuth token answer (built on the first token: lazySchema). */
const TokenResponseSchema = lazySchema(() =>
  z.object({
    access_token: z.string().min(1),
    token_type: z.string().regex(/^bearer$/i),
    expires_in: z.number().positive(),
  }),
);

class TokenFailure extends Error {}

const joinUrl = (base: string, path: string): string => `${base.replace(/\/+$/, '')}${path}`;

export class RestCrmEndpoint implements CrmEndpointPort {
  private token: AccessToken | undefined;
  private readonly name: Endpoint;

  constructor(private readonly options: RestCrmEndpointOptions) {
    this.name = options.endpoint;
  }

  /** Searches one customer. Everything (token refresh included) happens within `timeoutMs`. */
  async search(
    key: LookupKey,
    options: { timeoutMs: number; forceTokenRefresh?: boolean },
  ): Promise<CallOutcome> {
    const { clock } = this.options;
    const deadline = clock.now() + options.timeoutMs;
    const body = this.searchBody(key);
    if (body === undefined) {
      return {
        kind: 'invalid-response',
        detail: `no field of the ${this.name}'s field map holds the lookup key`,
      };
    }
    const authorization = await this.authorization(deadline, options.forceTokenRefresh === true);
    if (typeof authorization !== 'string') return authorization;
    const result = await this.send(
      {
        method: 'POST',
        url: joinUrl(this.options.config.baseUrl, this.options.config.searchPath),
        headers: { authorization, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      },
      deadline,
    );
    if ('kind' in result) return result;
    return this.classify(result.status, result.body, key);
  }

  /** The prober's cheap read-only call: true on 2xx from the health path with a valid token. */
  async probe(timeoutMs: number): Promise<boolean> {
    const deadline = this.options.clock.now() + timeoutMs;
    const authorization = await this.authorization(deadline, false);
    if (typeof authorization !== 'string') return false;
    const result = await this.send(
      {
        method: 'GET',
        url: joinUrl(this.options.config.baseUrl, this.options.config.healthPath),
        headers: { authorization, accept: 'application/json' },
      },
      deadline,
    );
    return !('kind' in result) && result.status >= 200 && result.status < 300;
  }

  /** Forget the token (tests; a rotated client). */
  forgetToken(): void {
    this.token = undefined;
  }

  private searchBody(key: LookupKey): Record<string, unknown> | undefined {
    const map = this.options.config.fieldMap;
    const field = 'customerId' in key ? sourceFieldOf(map, 'customerId') : sourceFieldOf(map, 'phone');
    if (field === undefined) return undefined;
    const value = 'customerId' in key ? key.customerId : key.phone;
    // The replica is asked to do the least work: no order history, low priority (docs/crm.md).
    return this.name === 'primary'
      ? { [field]: value, include_order_history: true }
      : { [field]: value, fallback_mode: true, include_order_history: false, priority: 'LOW' };
  }

  /** `Bearer …` for a token that stays valid through `deadline`, or why there is none. */
  private async authorization(deadline: number, force: boolean): Promise<string | CallOutcome> {
    const { clock, tokenRefreshMarginMs } = this.options;
    const now = clock.now();
    if (!force && tokenUsable(this.token, now, deadline - now, tokenRefreshMarginMs)) {
      return `Bearer ${this.token.value}`;
    }
    const reason = force ? 'forced' : this.token ? 'expiring' : 'none';
    // Never keep a token we decided not to send: if the refresh fails, nothing stale is left to send.
    this.token = undefined;
    try {
      this.token = await this.fetchToken(deadline, force);
    } catch (error) {
      if (error instanceof HttpTimeoutError) return { kind: 'timeout' };
      const detail = error instanceof Error ? error.message : String(error);
      this.options.onEvent?.({ type: 'token-failed', endpoint: this.name, detail });
      if (error instanceof HttpNetworkError) return { kind: 'network', detail };
      return { kind: 'token-failed', detail };
    }
    this.options.onEvent?.({
      type: 'token',
      endpoint: this.name,
      reason,
      expiresInSeconds: Math.round((this.token.validUntil - clock.now()) / 1000),
    });
    if (!tokenUsable(this.token, clock.now(), deadline - clock.now(), 0)) {
      this.token = undefined;
      return { kind: 'token-failed', detail: 'the new token expires before the call could finish' };
    }
    return `Bearer ${this.token.value}`;
  }

  private async fetchToken(deadline: number, forceSecret: boolean): Promise<AccessToken> {
    const { config, secrets, clock } = this.options;
    const credentials = await secrets.get(config.credentialsSecret, { forceRefresh: forceSecret });
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (config.scope) form.set('scope', config.scope);
    const requestedAt = clock.now();
    const timeoutMs = deadline - requestedAt;
    if (timeoutMs <= 0) throw new HttpTimeoutError(0);
    const basic = Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString('base64');
    const response = await this.options.transport(
      {
        method: 'POST',
        url: config.tokenUrl,
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      },
      timeoutMs,
    );
    if (response.status < 200 || response.status >= 300) {
      throw new TokenFailure(`token endpoint answered HTTP ${response.status}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(response.body);
    } catch {
      throw new TokenFailure('token endpoint answered a body that is not JSON');
    }
    const parsed = TokenResponseSchema().safeParse(json);
    if (!parsed.success)
      throw new TokenFailure('token endpoint answered without a bearer access_token/expires_in');
    return {
      value: parsed.data.access_token,
      validUntil: tokenValidUntil(requestedAt, parsed.data.expires_in),
    };
  }

  private async send(
    request: Parameters<HttpTransport>[0],
    deadline: number,
  ): Promise<{ status: number; body: string } | CallOutcome> {
    const timeoutMs = deadline - this.options.clock.now();
    if (timeoutMs <= 0) return { kind: 'timeout' };
    try {
      const response = await this.options.transport(request, timeoutMs);
      this.options.onEvent?.({ type: 'request', endpoint: this.name, status: response.status });
      return response;
    } catch (error) {
      if (error instanceof HttpTimeoutError) {
        this.options.onEvent?.({ type: 'request', endpoint: this.name, status: 'timeout' });
        return { kind: 'timeout' };
      }
      this.options.onEvent?.({ type: 'request', endpoint: this.name, status: 'network' });
      return { kind: 'network', detail: error instanceof Error ? error.message : String(error) };
    }
  }

  private classify(status: number, text: string, key: LookupKey): CallOutcome {
    if (status === 404) return { kind: 'not-found' };
    if (status === 401) {
      // The CRM no longer accepts this token (revoked, rotated): never send it again.
      this.token = undefined;
      return { kind: 'unauthorized' };
    }
    if (status === 429) return { kind: 'rate-limited' };
    if (status >= 500) return { kind: 'server-error', status };
    if (status >= 400) return { kind: 'client-error', status };
    if (status < 200 || status >= 300)
      return { kind: 'invalid-response', detail: `unexpected HTTP ${status}` };
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { kind: 'invalid-response', detail: 'the body is not JSON' };
    }
    const record = at(body, this.options.config.recordPath);
    const customer = mapCustomer(record, this.options.config.fieldMap);
    if (!customer.ok) return { kind: 'invalid-response', detail: customer.detail };
    if ('customerId' in key && customer.value.customerId !== key.customerId) {
      return { kind: 'invalid-response', detail: 'the record is for another customer' };
    }
    if (this.name !== 'primary' || !('orderHistoryField' in this.options.config)) {
      return { kind: 'ok', customer: customer.value };
    }
    const orders = mapOrderHistory(at(record, this.options.config.orderHistoryField));
    if (!orders.ok) return { kind: 'invalid-response', detail: orders.detail };
    return { kind: 'ok', customer: customer.value, orderHistory: orders.value };
  }
}
