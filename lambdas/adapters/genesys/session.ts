// A Genesys Cloud session: one SDK ApiClient, one cached OAuth token, and the call discipline of
// docs/genesys.md. Lives at module scope in a Lambda, so a warm container reuses its token (the rate limit
// is 300 requests/min per token; a token per call would also pay a login per call).
//
//   call ─▶ token fresh? ─no─▶ login (primary ─rejected─▶ primary, refreshed ─rejected─▶ break-glass)
//     │
//     ▼
//   attempt ─▶ 2xx ─▶ body
//     ├─ 429 / 5xx / timeout / network ─▶ wait (Retry-After, else full jitter) ─▶ attempt   (≤ 2 retries,
//     │                                    and only if the wait ends before the caller's deadline)
//     ├─ 401 ─▶ log in again (refreshed secret) ─▶ attempt ─401─▶ break-glass ─▶ attempt ─401─▶ GenesysAuthError
//     └─ other 4xx ─▶ GenesysApiError (never retried)
import type { ClientCredentials, Clock, CredentialsSource } from '../../core/ports';
import {
  GenesysApiError,
  GenesysAuthError,
  GenesysDeadlineError,
  type GenesysFailureKind,
  GenesysNotFoundError,
} from './errors';
import { type CallFailure, classifyFailure, describeFailure, fullJitterDelay, isRetryable } from './failures';
import { createSdk, type ExtendedResponse, type GatewayOptions, parseGateway, type Sdk } from './sdk';

export type CredentialKind = 'primary' | 'breakGlass';

/** What the session did, for logs, metrics and benchmarks. Never carries a secret or a token. */
export type SessionEvent =
  | {
      readonly type: 'call';
      readonly operation: string;
      readonly outcome: number | 'timeout' | 'network' | 'other';
    }
  | {
      readonly type: 'retry';
      readonly operation: string;
      readonly retry: number;
      readonly waitMs: number;
      readonly reason: string;
    }
  | { readonly type: 'login'; readonly credentials: CredentialKind; readonly expiresInSeconds: number }
  | { readonly type: 'login-rejected'; readonly credentials: CredentialKind; readonly reason: string }
  | { readonly type: 'reauthenticate'; readonly operation: string; readonly reason: string }
  /** A refresh before expiry failed; the old token, still valid this long, keeps being used. */
  | { readonly type: 'token-kept'; readonly reason: string; readonly validForSeconds: number };

export interface GenesysSessionOptions {
  readonly credentials: CredentialsSource;
  /** Time for token expiry, deadlines and backoff (simulated in drills and tests). */
  readonly clock: Clock;
  /** A `PureCloudRegionHosts` key. @default 'us_east_1' */
  readonly region?: string;
  /** Send login and API calls here instead (the emulator: `http://127.0.0.1:PORT`). */
  readonly gateway?: string | GatewayOptions;
  /** Per-call HTTP timeout, real milliseconds. @default 3000 */
  readonly callTimeoutMs?: number;
  /** Retries after the first attempt, for 429/5xx/timeouts/network errors. @default 2 */
  readonly maxRetries?: number;
  /** Full-jitter backoff base and cap. @default 250 / 2000 */
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  /** Budget for one operation when the caller gives no deadline. @default 20000 */
  readonly defaultBudgetMs?: number;
  /** Log in again this long before the token expires (at most a tenth of its lifetime). @default 60000 */
  readonly tokenRefreshMarginMs?: number;
  /** @default real setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform [0, 1). @default Math.random */
  readonly random?: () => number;
  readonly onEvent?: (event: SessionEvent) => void;
}

interface CachedToken {
  readonly credentials: CredentialKind;
  readonly refreshAt: number;
  /** Clock ms when Genesys stops accepting it. */
  readonly expiresAt: number;
}

/** After a failed refresh with a still-valid token, try refreshing again at most this often. */
export const TOKEN_REFRESH_RETRY_MS = 30_000;

type Attempt<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly failure: CallFailure; readonly attempts: number };

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const sameCredentials = (a: ClientCredentials, b: ClientCredentials): boolean =>
  a.clientId === b.clientId && a.clientSecret === b.clientSecret;

export class GenesysSession {
  readonly sdk: Sdk;
  private readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly maxRetries: number;
  private readonly backoffBaseMs: number;
  private readonly backoffCapMs: number;
  private readonly defaultBudgetMs: number;
  private readonly refreshMarginMs: number;
  private token: CachedToken | undefined;
  private loginInFlight: Promise<void> | undefined;

  constructor(private readonly options: GenesysSessionOptions) {
    this.clock = options.clock;
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.maxRetries = options.maxRetries ?? 2;
    this.backoffBaseMs = options.backoffBaseMs ?? 250;
    this.backoffCapMs = options.backoffCapMs ?? 2000;
    this.defaultBudgetMs = options.defaultBudgetMs ?? 20_000;
    this.refreshMarginMs = options.tokenRefreshMarginMs ?? 60_000;
    this.sdk = createSdk({
      region: options.region ?? 'us_east_1',
      ...(options.gateway ? { gateway: parseGateway(options.gateway) } : {}),
      timeoutMs: options.callTimeoutMs ?? 3000,
    });
  }

  /** True while the cached token belongs to the break-glass client (page it). */
  get usingBreakGlass(): boolean {
    return this.token?.credentials === 'breakGlass';
  }

  /** The absolute deadline (clock ms) for an operation: the caller's, or now + the default budget. */
  deadlineFor(options?: { deadline?: number }): number {
    return options?.deadline ?? this.clock.now() + this.defaultBudgetMs;
  }

  /** Forget the token: the next call logs in. */
  invalidate(): void {
    this.token = undefined;
  }

  /**
   * Runs one SDK call under the session's discipline and returns the response body.
   * `operation` names it in errors and events (no secrets in it).
   */
  async call<T = unknown>(
    operation: string,
    invoke: (sdk: Sdk) => Promise<unknown>,
    deadline: number,
    options: { maxRetries?: number } = {},
  ): Promise<T> {
    let authFailures = 0;
    for (;;) {
      await this.ensureToken(operation, deadline);
      const result = await this.withRetries(
        operation,
        async () => (await invoke(this.sdk)) as ExtendedResponse,
        deadline,
        options.maxRetries,
      );
      if (result.ok) return result.value.body as T;
      const { failure, attempts } = result;
      if (failure.kind !== 'http' || failure.status !== 401)
        throw this.finalError(operation, failure, attempts, false);
      authFailures += 1;
      if (authFailures === 1) {
        // The token may have been revoked or the secret rotated: log in again once with a refreshed secret.
        this.emit({ type: 'reauthenticate', operation, reason: 'HTTP 401, logging in again' });
        await this.login(operation, deadline, { refreshed: true });
      } else if (authFailures === 2 && !this.usingBreakGlass) {
        this.emit({
          type: 'reauthenticate',
          operation,
          reason: 'HTTP 401 after a fresh login, using break-glass',
        });
        await this.login(operation, deadline, { refreshed: true, only: 'breakGlass' });
      } else {
        throw new GenesysAuthError(
          `${operation}: rejected with HTTP 401 even after logging in again${this.usingBreakGlass ? ' with the break-glass client' : ''}`,
          { operation, kind: 'auth', status: 401, ...code(failure), attempts, retryable: false },
        );
      }
    }
  }

  private emit(event: SessionEvent): void {
    this.options.onEvent?.(event);
  }

  private async ensureToken(operation: string, deadline: number): Promise<void> {
    const previous = this.token;
    if (previous && this.clock.now() < previous.refreshAt) return;
    if (!previous || this.clock.now() >= previous.expiresAt) {
      await this.login(operation, deadline, { refreshed: false });
      return;
    }
    // Refreshing early, before expiry: if Genesys (or Secrets Manager) fails us now, the token we have is
    // still good. Keep using it rather than failing calls it could have served (docs/resilience.md). The
    // SDK only replaces its access token on a successful login, so it still holds this one.
    try {
      await this.login(operation, deadline, { refreshed: false });
    } catch (error) {
      const now = this.clock.now();
      if (now >= previous.expiresAt) throw error;
      this.token = { ...previous, refreshAt: Math.min(previous.expiresAt, now + TOKEN_REFRESH_RETRY_MS) };
      this.emit({
        type: 'token-kept',
        reason: error instanceof Error ? error.message : String(error),
        validForSeconds: Math.floor((previous.expiresAt - now) / 1000),
      });
    }
  }

  /** Concurrent callers share one login. */
  private login(
    operation: string,
    deadline: number,
    how: { refreshed: boolean; only?: CredentialKind },
  ): Promise<void> {
    if (!this.loginInFlight) {
      this.token = undefined;
      this.loginInFlight = this.loginSequence(operation, deadline, how).finally(() => {
        this.loginInFlight = undefined;
      });
    }
    return this.loginInFlight;
  }

  /** Primary (cached secret, then a refreshed one if it differs) → break-glass (refreshed). */
  private async loginSequence(
    operation: string,
    deadline: number,
    how: { refreshed: boolean; only?: CredentialKind },
  ): Promise<void> {
    const reasons: string[] = [];
    if (how.only !== 'breakGlass') {
      let tried: ClientCredentials | undefined;
      for (const forceRefresh of how.refreshed ? [true] : [false, true]) {
        const credentials = await this.options.credentials.get('primary', { forceRefresh });
        if (!credentials) {
          reasons.push('primary credentials are not configured');
          break;
        }
        if (tried && sameCredentials(tried, credentials)) break;
        tried = credentials;
        const rejection = await this.loginWith('primary', credentials, operation, deadline);
        if (!rejection) return;
        reasons.push(`primary: ${rejection}`);
      }
    }
    const breakGlass = await this.options.credentials.get('breakGlass', { forceRefresh: true });
    if (!breakGlass) {
      reasons.push('no break-glass credentials configured');
    } else {
      const rejection = await this.loginWith('breakGlass', breakGlass, operation, deadline);
      if (!rejection) return;
      reasons.push(`break-glass: ${rejection}`);
    }
    throw new GenesysAuthError(`${operation}: cannot log in to Genesys Cloud (${reasons.join('; ')})`, {
      operation: 'login',
      kind: 'auth',
      attempts: reasons.length,
      retryable: false,
    });
  }

  /** Returns undefined on success, or why the credentials were rejected. Transient failures are retried. */
  private async loginWith(
    kind: CredentialKind,
    credentials: ClientCredentials,
    operation: string,
    deadline: number,
  ): Promise<string | undefined> {
    const startedAt = this.clock.now();
    const result = await this.withRetries(
      `login (${kind}) for ${operation}`,
      () => this.sdk.client.loginClientCredentialsGrant(credentials.clientId, credentials.clientSecret),
      deadline,
    );
    if (result.ok) {
      // The SDK stamps expiry with the wall clock; keep its lifetime, and count it on our clock.
      const lifetimeMs = Math.max(0, Math.round((result.value.tokenExpiryTime - Date.now()) / 1000) * 1000);
      const margin = Math.min(this.refreshMarginMs, lifetimeMs / 10);
      this.token = {
        credentials: kind,
        refreshAt: startedAt + lifetimeMs - margin,
        expiresAt: startedAt + lifetimeMs,
      };
      this.emit({ type: 'login', credentials: kind, expiresInSeconds: lifetimeMs / 1000 });
      return undefined;
    }
    const { failure, attempts } = result;
    if (failure.kind === 'http' && (failure.status === 400 || failure.status === 401)) {
      const reason = describeFailure(failure);
      this.emit({ type: 'login-rejected', credentials: kind, reason });
      return reason;
    }
    throw this.finalError(`login (${kind}) for ${operation}`, failure, attempts, false);
  }

  /**
   * Attempts `attempt`, retrying what is worth retrying. Resolves with the value, or with a failure that is
   * not worth retrying (the caller decides: 401 → re-login). Throws when retries or the deadline run out.
   */
  private async withRetries<T>(
    operation: string,
    attempt: () => Promise<T>,
    deadline: number,
    maxRetries: number = this.maxRetries,
  ): Promise<Attempt<T>> {
    for (let attempts = 1; ; attempts += 1) {
      if (this.clock.now() >= deadline) {
        throw new GenesysDeadlineError(`${operation}: deadline reached before attempt ${attempts}`, {
          operation,
          kind: 'deadline',
          attempts: attempts - 1,
          retryable: true,
        });
      }
      let failure: CallFailure;
      try {
        const value = await attempt();
        const status = (value as Partial<ExtendedResponse>)?.status;
        this.emit({ type: 'call', operation, outcome: typeof status === 'number' ? status : 200 });
        return { ok: true, value };
      } catch (error) {
        failure = classifyFailure(error);
        this.emit({
          type: 'call',
          operation,
          outcome: failure.kind === 'http' ? failure.status : failure.kind,
        });
      }
      if (!isRetryable(failure)) return { ok: false, failure, attempts };
      const retry = attempts - 1;
      if (retry >= maxRetries) throw this.finalError(operation, failure, attempts, true);
      const honoursRetryAfter = failure.kind === 'http' && failure.retryAfterMs !== undefined;
      const waitMs =
        failure.kind === 'http' && failure.retryAfterMs !== undefined
          ? failure.retryAfterMs
          : fullJitterDelay(retry, this.random, this.backoffBaseMs, this.backoffCapMs);
      if (this.clock.now() + waitMs >= deadline) {
        throw new GenesysDeadlineError(
          `${operation}: ${describeFailure(failure)}; ${honoursRetryAfter ? 'Retry-After' : 'backoff'} of ${waitMs} ms would pass the deadline, leaving it to the next tick`,
          { operation, kind: 'deadline', ...httpDetails(failure), attempts, retryable: true, waitMs },
        );
      }
      this.emit({ type: 'retry', operation, retry: retry + 1, waitMs, reason: describeFailure(failure) });
      await this.sleep(waitMs);
    }
  }

  private finalError(
    operation: string,
    failure: CallFailure,
    attempts: number,
    retryable: boolean,
  ): GenesysApiError {
    const message = `${operation}: ${describeFailure(failure)}${attempts > 1 ? ` (after ${attempts} attempts)` : ''}`;
    const kind: GenesysFailureKind = failure.kind === 'other' ? 'invalid-response' : failure.kind;
    const details = { operation, kind, ...httpDetails(failure), attempts, retryable };
    if (failure.kind === 'http' && failure.status === 404) return new GenesysNotFoundError(message, details);
    return new GenesysApiError(message, details);
  }
}

function code(failure: CallFailure): { code?: string } {
  return failure.kind === 'http' && failure.code ? { code: failure.code } : {};
}

function httpDetails(failure: CallFailure): { status?: number; code?: string } {
  return failure.kind === 'http' ? { status: failure.status, ...code(failure) } : {};
}
