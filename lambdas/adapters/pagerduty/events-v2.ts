// PagerDuty Events API v2 (docs/resilience.md#pagerduty): one page becomes one event, posted with the
// integration's routing key. Trigger and resolve share the page's dedup key, so every trigger opens an
// incident and its resolve closes that same incident. One HTTP attempt per call: the sender
// (lambdas/app/send-pages.ts) owns retries, backoff and the `pager` circuit breaker.
import { SurgeError } from '../../core/errors';
import type { Page } from '../../core/ports';
import { DEFAULT_PAGE_SOURCE, type PagerDutyEvent, toPagerDutyEvent } from '../sns/pagerduty-event';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

/** Where the routing key (the Events v2 integration key, a secret) comes from. Never logged. */
export interface RoutingKeySource {
  get(): Promise<string>;
}

/** PagerDuty refused or could not take the event. `retryable`: 429, 5xx, timeouts, network errors. */
export class PagerDutyEventsError extends SurgeError {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  /** A 400 is our event's fault (the breaker must not open for it); everything else is PagerDuty's. */
  get breakerFailure(): boolean {
    return this.retryable;
  }
}

export interface PagerDutyEventsOptions {
  readonly routingKey: RoutingKeySource;
  /** @default PAGERDUTY_EVENTS_URL (the drill's stand-in: http://127.0.0.1:PORT/v2/enqueue) */
  readonly url?: string;
  /** `payload.source`. @default 'cx-surge-controller' */
  readonly source?: string;
  /** Real ms before a call is abandoned. @default 3000 */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

/** The body PagerDuty accepts: the page's event plus the routing key. */
export function eventsV2Body(page: Page, routingKey: string, source?: string): PagerDutyEvent {
  const event = toPagerDutyEvent(page, source ?? DEFAULT_PAGE_SOURCE);
  // A resolve needs only the key and the action; PagerDuty ignores a payload on it, so keep it small.
  if (page.action === 'resolve') {
    return { routing_key: routingKey, event_action: 'resolve', dedup_key: event.dedup_key } as PagerDutyEvent;
  }
  return { routing_key: routingKey, ...event };
}

export class PagerDutyEventsClient {
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(private readonly options: PagerDutyEventsOptions) {
    this.url = options.url ?? PAGERDUTY_EVENTS_URL;
    this.timeoutMs = options.timeoutMs ?? 3000;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /** Posts the page once; resolves with PagerDuty's dedup key, or throws PagerDutyEventsError. */
  async send(page: Page): Promise<string> {
    const body = eventsV2Body(page, await this.options.routingKey.get(), this.options.source);
    let response: Response;
    try {
      response = await this.fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const timedOut = (error as { name?: string } | null)?.name === 'TimeoutError';
      // Never the cause object: a fetch error can quote the request, and the body holds the routing key.
      throw new PagerDutyEventsError(
        `PagerDuty Events API: ${timedOut ? `no answer within ${this.timeoutMs} ms` : 'network error'}`,
        undefined,
        true,
      );
    }
    const text = await response.text().catch(() => '');
    if (response.status === 202) {
      const dedupKey = safeJson(text)?.dedup_key;
      return typeof dedupKey === 'string' ? dedupKey : page.dedupKey;
    }
    const retryable = response.status === 429 || response.status >= 500;
    const detail = describeRejection(text);
    throw new PagerDutyEventsError(
      `PagerDuty Events API answered HTTP ${response.status}${detail ? `: ${detail}` : ''}`,
      response.status,
      retryable,
    );
  }
}

function safeJson(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** PagerDuty's `message` and `errors`, cut short (they never echo the routing key). */
function describeRejection(text: string): string {
  const body = safeJson(text);
  if (!body) return '';
  const errors = Array.isArray(body.errors) ? body.errors.map(String).join('; ') : '';
  return [typeof body.message === 'string' ? body.message : '', errors]
    .filter(Boolean)
    .join(': ')
    .slice(0, 300);
}
