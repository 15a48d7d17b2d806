// What went wrong with one SDK call, and whether another try is worth it. Pure functions: the session
// applies them, unit tests pin them down.

/** One failed call, reduced to what the retry policy needs. No headers, no tokens. */
export type CallFailure =
  | {
      readonly kind: 'http';
      readonly status: number;
      /** Genesys error `code` (API) or OAuth `error` (login), when the body had one. */
      readonly code?: string;
      readonly message: string;
      /** From `Retry-After`, in ms. */
      readonly retryAfterMs?: number;
    }
  | { readonly kind: 'timeout'; readonly message: string }
  | { readonly kind: 'network'; readonly code: string; readonly message: string }
  /** Not an HTTP failure at all (e.g. the SDK refusing a missing parameter): a bug, never retried. */
  | { readonly kind: 'other'; readonly message: string };

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_NETWORK',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

const record = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;

function header(headers: unknown, name: string): string | undefined {
  const h = record(headers);
  if (!h) return undefined;
  const value = h[name] ?? h[name.toLowerCase()];
  return typeof value === 'string' ? value : Array.isArray(value) ? String(value[0]) : undefined;
}

/** `Retry-After` is delta-seconds or an HTTP-date; returns ms to wait (≥ 0), undefined if absent or junk. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

function describeBody(body: unknown): { code?: string; message?: string } {
  const b = record(body);
  if (!b) return typeof body === 'string' && body ? { message: body.slice(0, 200) } : {};
  const code = typeof b.code === 'string' ? b.code : typeof b.error === 'string' ? b.error : undefined;
  const message =
    typeof b.message === 'string'
      ? b.message
      : typeof b.error_description === 'string'
        ? b.error_description
        : typeof b.description === 'string'
          ? b.description
          : undefined;
  return { ...(code ? { code } : {}), ...(message ? { message } : {}) };
}

/**
 * Reads a rejection from the SDK. Three shapes reach us: an extended response `{ status, headers, body }`
 * (API calls), an axios error with `response` (login), an axios error without one (timeout, network).
 * `nowMs` is wall-clock time, used only for an HTTP-date Retry-After.
 */
export function classifyFailure(error: unknown, nowMs: number = Date.now()): CallFailure {
  const e = record(error);
  // Axios errors carry `status` too (axios ≥ 1.x), but the body and headers live on `response`.
  const response = record(e?.response) ?? (e && typeof e.status === 'number' ? e : undefined);
  if (response && typeof response.status === 'number') {
    const { code, message } = describeBody(response.body ?? response.data);
    const retryAfterMs = parseRetryAfter(header(response.headers, 'retry-after'), nowMs);
    return {
      kind: 'http',
      status: response.status,
      ...(code ? { code } : {}),
      message: message ?? `HTTP ${response.status}`,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }
  if (typeof error === 'string') return { kind: 'other', message: error };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(error);
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout of \d+ms exceeded/.test(message)) {
    return { kind: 'timeout', message };
  }
  if ((code && NETWORK_CODES.has(code)) || e?.isAxiosError === true) {
    return { kind: 'network', code: code ?? 'UNKNOWN', message };
  }
  return { kind: 'other', message };
}

/** docs/genesys.md: 429, 5xx, timeouts and network errors are worth another try; other 4xx never are. */
export function isRetryable(failure: CallFailure): boolean {
  if (failure.kind === 'timeout' || failure.kind === 'network') return true;
  if (failure.kind === 'http') return failure.status === 429 || failure.status >= 500;
  return false;
}

export function describeFailure(failure: CallFailure): string {
  if (failure.kind === 'http')
    return `HTTP ${failure.status}${failure.code ? ` ${failure.code}` : ''}: ${failure.message}`;
  if (failure.kind === 'network') return `network error ${failure.code}`;
  return failure.kind === 'timeout' ? 'timed out' : failure.message;
}

/**
 * Full-jitter exponential backoff (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * a uniform draw in [0, min(cap, base · 2^retry)). `retry` counts from 0.
 */
export function fullJitterDelay(retry: number, random: () => number, baseMs: number, capMs: number): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** retry));
}
