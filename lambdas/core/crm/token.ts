// When an OAuth access token may still be sent. Pure: the adapter asks before every call.

export interface AccessToken {
  readonly value: string;
  /** Epoch ms after which the CRM rejects it. */
  readonly validUntil: number;
}

/**
 * A token is sent only if it stays valid for the whole call (its timeout) plus a margin: a token that
 * could expire in flight is refreshed first, so no endpoint ever receives a stale token.
 */
export function tokenUsable(
  token: AccessToken | undefined,
  now: number,
  callTimeoutMs: number,
  marginMs: number,
): token is AccessToken {
  return token !== undefined && token.validUntil > now + callTimeoutMs + marginMs;
}

/** The token's validity on our clock: its lifetime counted from when we asked for it. */
export function tokenValidUntil(requestedAt: number, expiresInSeconds: number): number {
  return requestedAt + Math.max(0, expiresInSeconds) * 1000;
}
