// The HTTP transport the CRM adapter speaks through: one request, one timeout, a classified failure.
// `fetchTransport` is the real one (Node's fetch, AbortSignal timeout). The drill wraps it so that
// the stand-ins' slow answers and timeouts cost simulated time instead of wall time (drill/crm).

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The call did not answer within its timeout. */
export class HttpTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = 'HttpTimeoutError';
  }
}

/** Nothing answered (refused, reset, DNS): the endpoint is unreachable. */
export class HttpNetworkError extends Error {
  constructor(detail: string, options?: { cause?: unknown }) {
    super(detail, options);
    this.name = 'HttpNetworkError';
  }
}

export type HttpTransport = (request: HttpRequest, timeoutMs: number) => Promise<HttpResponse>;

/** Node's fetch with a per-call timeout; the body is read within the same timeout. */
export const fetchTransport: HttpTransport = async (request, timeoutMs) => {
  const signal = AbortSignal.timeout(Math.max(1, Math.floor(timeoutMs)));
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      signal,
    });
    const body = await response.text();
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      headers[key] = value;
    });
    return { status: response.status, headers, body };
  } catch (error) {
    const name = (error as { name?: string } | null)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new HttpTimeoutError(timeoutMs);
    const cause = (error as { cause?: { code?: string } } | null)?.cause;
    throw new HttpNetworkError(cause?.code ?? (error instanceof Error ? error.message : String(error)), {
      cause: error,
    });
  }
};
