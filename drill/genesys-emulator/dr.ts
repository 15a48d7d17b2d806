// What the emulator adds for DR switchover (docs/dr.md): IVR listing with paging, callbacks (create,
// read one conversation, find them by interval through the conversation details query) and the
// per-token limit on IVR PUTs. Routes only; the IVRs themselves live in org.ts.
import { randomUUID } from 'node:crypto';
import { badRequest, ErrorCode, GenesysHttpError, isPlainObject, notFound } from './http';
import type { Org } from './org';

/** A callback as the emulated org keeps it. `data` becomes the customer participant's attributes. */
export interface EmulatedCallback {
  readonly conversationId: string;
  /** Epoch ms (simulated) the callback was created. */
  readonly createdAt: number;
  readonly queueId?: string;
  readonly callbackNumbers: readonly string[];
  readonly callbackUserName?: string;
  readonly callbackScheduledTime?: string;
  readonly data: Readonly<Record<string, string>>;
}

export interface CallbackInput {
  readonly queueId?: string;
  readonly callbackNumbers: readonly string[];
  readonly callbackUserName?: string;
  readonly callbackScheduledTime?: string;
  readonly data?: Readonly<Record<string, string>>;
}

/** Conversation details query paging limit (Genesys caps pageSize at 100 for this query). */
export const DETAILS_MAX_PAGE_SIZE = 100;
/** IVR listing paging limit. */
export const IVR_LIST_MAX_PAGE_SIZE = 100;

export class CallbackBook {
  private readonly byId = new Map<string, EmulatedCallback>();

  constructor(private readonly now: () => number) {}

  create(input: unknown): EmulatedCallback {
    if (!isPlainObject(input)) throw badRequest('the callback must be a JSON object');
    const numbers = input.callbackNumbers;
    if (!Array.isArray(numbers) || numbers.length === 0 || numbers.some((n) => typeof n !== 'string' || !n)) {
      throw badRequest('callbackNumbers is required: a non-empty array of phone numbers');
    }
    const data = input.data ?? {};
    if (!isPlainObject(data) || Object.values(data).some((v) => typeof v !== 'string')) {
      throw badRequest('data must be a map of string to string');
    }
    const text = (field: string): string | undefined => {
      const v = input[field];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string') throw badRequest(`${field} must be a string`);
      return v;
    };
    const queueId = text('queueId');
    const callbackUserName = text('callbackUserName');
    const callbackScheduledTime = text('callbackScheduledTime');
    const callback: EmulatedCallback = {
      conversationId: randomUUID(),
      createdAt: this.now(),
      callbackNumbers: [...(numbers as string[])],
      data: { ...(data as Record<string, string>) },
      ...(queueId ? { queueId } : {}),
      ...(callbackUserName ? { callbackUserName } : {}),
      ...(callbackScheduledTime ? { callbackScheduledTime } : {}),
    };
    this.byId.set(callback.conversationId, callback);
    return callback;
  }

  get(conversationId: string): EmulatedCallback {
    const callback = this.byId.get(conversationId);
    if (!callback) throw notFound(`conversation ${conversationId}`);
    return callback;
  }

  all(): EmulatedCallback[] {
    return [...this.byId.values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  /** `POST /api/v2/analytics/conversations/details/query` for callbacks (the only media type kept here). */
  query(body: unknown): { conversations?: unknown[]; totalHits: number } {
    if (!isPlainObject(body)) throw badRequest('the query must be a JSON object');
    const interval = typeof body.interval === 'string' ? body.interval.split('/') : [];
    const start = Date.parse(interval[0] ?? '');
    const end = Date.parse(interval[1] ?? '');
    if (interval.length !== 2 || !Number.isFinite(start) || !Number.isFinite(end) || end <= start) {
      throw badRequest('interval is required: "<ISO start>/<ISO end>" with start before end');
    }
    const paging = isPlainObject(body.paging) ? body.paging : {};
    const pageSize = paging.pageSize ?? 25;
    const pageNumber = paging.pageNumber ?? 1;
    if (
      !Number.isInteger(pageSize) ||
      (pageSize as number) < 1 ||
      (pageSize as number) > DETAILS_MAX_PAGE_SIZE
    )
      throw badRequest(`paging.pageSize must be an integer 1–${DETAILS_MAX_PAGE_SIZE}`);
    if (!Number.isInteger(pageNumber) || (pageNumber as number) < 1)
      throw badRequest('paging.pageNumber must be an integer ≥ 1');
    const wantsCallbacks = JSON.stringify(body.segmentFilters ?? []).includes('"callback"');
    const hits = wantsCallbacks ? this.all().filter((c) => c.createdAt >= start && c.createdAt < end) : [];
    const page = hits.slice(
      ((pageNumber as number) - 1) * (pageSize as number),
      (pageNumber as number) * (pageSize as number),
    );
    // Genesys leaves `conversations` out of an empty page; totalHits counts every match.
    return {
      ...(page.length ? { conversations: page.map(detailsView) } : {}),
      totalHits: hits.length,
    };
  }
}

/** AnalyticsConversationWithoutAttributes: the details query never returns participant attributes. */
function detailsView(c: EmulatedCallback): unknown {
  const at = new Date(c.createdAt).toISOString();
  return {
    conversationId: c.conversationId,
    conversationStart: at,
    originatingDirection: 'outbound',
    participants: [
      {
        participantId: `${c.conversationId}-customer`,
        purpose: 'customer',
        sessions: [
          {
            mediaType: 'callback',
            callbackNumbers: [...c.callbackNumbers],
            ...(c.callbackUserName ? { callbackUserName: c.callbackUserName } : {}),
            ...(c.callbackScheduledTime ? { callbackScheduledTime: c.callbackScheduledTime } : {}),
            segments: [
              {
                segmentStart: at,
                segmentType: 'scheduled',
                ...(c.queueId ? { queueId: c.queueId } : {}),
              },
            ],
          },
        ],
      },
    ],
  };
}

/** `GET /api/v2/conversations/{id}`: the one read that shows the callback's `data` (participant attributes). */
export function conversationView(c: EmulatedCallback): unknown {
  return {
    id: c.conversationId,
    startTime: new Date(c.createdAt).toISOString(),
    participants: [
      {
        id: `${c.conversationId}-customer`,
        purpose: 'customer',
        attributes: { ...c.data },
        callbacks: [
          {
            state: 'scheduled',
            callbackNumbers: [...c.callbackNumbers],
            ...(c.callbackUserName ? { callbackUserName: c.callbackUserName } : {}),
          },
        ],
        ...(c.queueId ? { queueId: c.queueId } : {}),
      },
    ],
  };
}

/** `GET /api/v2/architect/ivrs?pageSize=&pageNumber=`: an entity listing of the org's IVR configs. */
export function listIvrs(org: Org, params: URLSearchParams): unknown {
  const pageSize = Number(params.get('pageSize') ?? 25);
  const pageNumber = Number(params.get('pageNumber') ?? 1);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > IVR_LIST_MAX_PAGE_SIZE)
    throw badRequest(`pageSize must be an integer 1–${IVR_LIST_MAX_PAGE_SIZE}`);
  if (!Number.isInteger(pageNumber) || pageNumber < 1) throw badRequest('pageNumber must be an integer ≥ 1');
  const all = org.listIvrs();
  const entities = all.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
  return {
    entities,
    pageSize,
    pageNumber,
    total: all.length,
    pageCount: Math.max(1, Math.ceil(all.length / pageSize)),
  };
}

const WINDOW_MS = 60_000;
const IVR_PUT = /^\/api\/v2\/architect\/ivrs\/[^/]+$/;

/**
 * Per-endpoint limits on top of the per-token one: `PUT /api/v2/architect/ivrs/{id}` at
 * `ivrPutsPerMinute` per token (community reports ~100/min), a fixed window like the general limit.
 */
export class EndpointLimits {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly now: () => number,
    private readonly ivrPutsPerMinute: number,
  ) {}

  /** Counts the call; throws the 429 Genesys answers when the endpoint's budget for this token is spent. */
  take(token: string, method: string, path: string): void {
    if (method !== 'PUT' || !IVR_PUT.test(path)) return;
    const now = this.now();
    const window = this.windows.get(token);
    const current = window && now < window.start + WINDOW_MS ? window : { start: now, count: 0 };
    if (current.count >= this.ivrPutsPerMinute) {
      const retryAfter = Math.max(1, Math.ceil((current.start + WINDOW_MS - now) / 1000));
      throw new GenesysHttpError(
        429,
        ErrorCode.tooManyRequests,
        `Rate limit exceeded the maximum. [${this.ivrPutsPerMinute}] requests for [architect.ivrs.put.per.minute]`,
        { 'retry-after': String(retryAfter) },
      );
    }
    current.count += 1;
    this.windows.set(token, current);
  }
}

/** POSTs that only read (never in the mutation log). */
export const READ_ONLY_POSTS: ReadonlySet<string> = new Set([
  '/api/v2/analytics/conversations/details/query',
]);
