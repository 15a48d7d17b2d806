// OAuth client credentials and per-token rate limits, on the emulator's (simulated) clock.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { ClientCredentials } from '../../lambdas/core/ports';
import { ErrorCode, GenesysHttpError } from './http';

export interface IssuedToken {
  readonly accessToken: string;
  readonly clientId: string;
  readonly expiresAt: number;
}

export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'bearer';
  readonly expires_in: number;
}

/** An RFC 6749 error answer from /oauth/token (not the API's error shape: the login service differs). */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
    this.name = 'OAuthError';
  }
  body(): Record<string, string> {
    return { error: this.error, description: this.description, error_description: this.description };
  }
}

const sameSecret = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

interface RateWindow {
  start: number;
  count: number;
}

const WINDOW_MS = 60_000;

export class Authority {
  private readonly clients = new Map<string, string>();
  private readonly revokedClients = new Set<string>();
  private tokens = new Map<string, IssuedToken>();
  private readonly windows = new Map<string, RateWindow>();

  constructor(
    private readonly now: () => number,
    clients: readonly ClientCredentials[],
    private readonly tokenTtlSeconds: number,
    private readonly rateLimitPerMinute: number,
  ) {
    for (const c of clients) this.clients.set(c.clientId, c.clientSecret);
  }

  /** `POST /oauth/token`: Basic auth header + form body `grant_type=client_credentials`. */
  issue(authorization: string | undefined, form: URLSearchParams): TokenResponse {
    const grant = form.get('grant_type');
    if (grant !== 'client_credentials') {
      throw new OAuthError(400, 'unsupported_grant_type', `grant_type '${grant ?? ''}' is not supported`);
    }
    const match = /^Basic\s+(.+)$/i.exec(authorization ?? '');
    const decoded = match?.[1] ? Buffer.from(match[1], 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon < 0)
      throw new OAuthError(401, 'invalid_client', 'client authentication (HTTP Basic) is required');
    const clientId = decoded.slice(0, colon);
    const secret = this.clients.get(clientId);
    if (
      secret === undefined ||
      this.revokedClients.has(clientId) ||
      !sameSecret(secret, decoded.slice(colon + 1))
    ) {
      throw new OAuthError(401, 'invalid_client', 'client not found or bad credentials');
    }
    const accessToken = randomBytes(32).toString('base64url');
    this.tokens.set(accessToken, {
      accessToken,
      clientId,
      expiresAt: this.now() + this.tokenTtlSeconds * 1000,
    });
    return { access_token: accessToken, token_type: 'bearer', expires_in: this.tokenTtlSeconds };
  }

  /** Checks a bearer token and counts the call against its per-minute budget. */
  authorize(authorization: string | undefined): IssuedToken {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const token = match?.[1] ? this.tokens.get(match[1]) : undefined;
    const now = this.now();
    if (!token || now >= token.expiresAt) {
      throw new GenesysHttpError(401, ErrorCode.badCredentials, 'Invalid login credentials.');
    }
    const window = this.windows.get(token.accessToken);
    const current = window && now < window.start + WINDOW_MS ? window : { start: now, count: 0 };
    if (current.count >= this.rateLimitPerMinute) {
      const retryAfter = Math.max(1, Math.ceil((current.start + WINDOW_MS - now) / 1000));
      throw new GenesysHttpError(
        429,
        ErrorCode.tooManyRequests,
        `Rate limit exceeded the maximum. [${this.rateLimitPerMinute}] requests for [client.credentials.token.rate.per.minute]`,
        { 'retry-after': String(retryAfter) },
      );
    }
    current.count += 1;
    this.windows.set(token.accessToken, current);
    return token;
  }

  /** Every token issued so far stops working (a forced logout, or a token rotation by an admin). */
  revokeTokens(): void {
    this.tokens = new Map();
    this.windows.clear();
  }

  /** The client's tokens stop working and its credentials are rejected from now on. */
  revokeClient(clientId: string): void {
    this.revokedClients.add(clientId);
    for (const [key, token] of this.tokens) if (token.clientId === clientId) this.tokens.delete(key);
  }

  /** Undoes `revokeClient`: the credentials log in again. */
  restoreClient(clientId: string): void {
    this.revokedClients.delete(clientId);
  }

  /** Tokens that are issued and not yet expired. */
  liveTokens(): number {
    const now = this.now();
    return [...this.tokens.values()].filter((t) => now < t.expiresAt).length;
  }
}
