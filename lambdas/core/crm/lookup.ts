// The CRM lookup as a pure state machine (docs/crm.md): `nextStep` says what to do now (call an
// endpoint with a timeout, wait, read the cache, answer), the application does it and feeds the outcome
// back with `afterStep`. Every rule lives here: the budget arithmetic, the status-code branching, the
// retry counter, the fresh-cache shortcut, the last-resort cache and the answer's shape.
//
//   primary ──2xx──▶ answer (write-through)      guard open ─▶ cache (any age) ─▶ answer | none
//     │ 404 ─▶ found:false (authoritative)
//     │ 401 ─▶ refresh token, retry once (counted)
//     │ other 4xx ─▶ error answer, no fallback
//     └ 5xx / 429 / timeout / network / bad body ─▶ cache fresh? ─yes─▶ answer
//                                                     │ no
//                                                     ▼
//                                                 secondary ──2xx──▶ answer (write-through)
//                                                     │ fails (retried while retries and time last)
//                                                     ▼
//                                                 cache of any age (flagged with its age) | none
import type { CrmConfig } from './config';
import type { Customer, Order } from './customer';

export type Endpoint = 'primary' | 'secondary';
export type Source = Endpoint | 'cache' | 'none';

/** What the agent's screen pop gets (the Data Action's output contract, docs/crm.md). */
export interface LookupAnswer {
  readonly found: boolean;
  readonly customer: Customer | null;
  readonly source: Source;
  /** True unless the data is live from the primary: the agent must not edit it. */
  readonly readOnly: boolean;
  /** What the screen pop shows above the record ('' for live primary data). */
  readonly banner: string;
  /** Age of the data: 0 when live, the cached record's age otherwise. */
  readonly dataAgeSeconds: number;
  /** Only from the primary (live): other sources answer an empty list. */
  readonly orderHistory: readonly Order[];
  /** Set on `error` answers (the primary refused the request: other 4xx). */
  readonly errorStatus?: number;
}

/** A record as the cache keeps it (written through on every endpoint success). */
export interface CachedCustomer {
  readonly customer: Customer;
  /** Which endpoint the record came from. */
  readonly source: Endpoint;
  /** Epoch ms when it was fetched. */
  readonly fetchedAt: number;
}

/** What one endpoint call came to (the adapter classifies HTTP results into these). */
export type CallOutcome =
  | { readonly kind: 'ok'; readonly customer: Customer; readonly orderHistory?: readonly Order[] }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'unauthorized' }
  | { readonly kind: 'client-error'; readonly status: number }
  | { readonly kind: 'rate-limited' }
  | { readonly kind: 'server-error'; readonly status: number }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'network'; readonly detail: string }
  | { readonly kind: 'invalid-response'; readonly detail: string }
  /** The token endpoint failed or refused the client: the API was never called. */
  | { readonly kind: 'token-failed'; readonly detail: string };

export type CacheOutcome =
  | { readonly kind: 'hit'; readonly record: CachedCustomer }
  | { readonly kind: 'miss' }
  | { readonly kind: 'failed'; readonly detail: string };

export type Step =
  | {
      readonly kind: 'call';
      readonly endpoint: Endpoint;
      /** Everything this call may take, token refresh included (already cut by the budget). */
      readonly timeoutMs: number;
      /** Get a new token even if the cached one looks valid (after a 401). */
      readonly forceTokenRefresh: boolean;
    }
  | { readonly kind: 'wait'; readonly ms: number }
  | { readonly kind: 'read-cache'; readonly timeoutMs: number }
  | {
      readonly kind: 'answer';
      readonly answer: LookupAnswer;
      /** Write this through to the cache (endpoint successes only). */
      readonly writeThrough?: CachedCustomer;
    };

/** How the lookup ended, for the cascade guard, metrics and logs. */
export type LookupPath =
  /** The primary answered (2xx or 404). */
  | 'primary'
  /** The primary failed and the fallback answered (cache, secondary, last-resort cache or none). */
  | 'fallback'
  /** The cascade guard (crm-primary open) kept every endpoint out: cache or none. */
  | 'guarded'
  /** The primary refused the request (other 4xx): an error answer, nothing else tried. */
  | 'client-error';

/** One line of the path a lookup took (the CLI prints it; logs carry it). */
export interface PathEntry {
  readonly atMs: number;
  readonly what: string;
}

export interface LookupGates {
  /** The crm-primary breaker is open (the cascade guard): no external endpoint at all. */
  readonly primaryOpen: boolean;
  /** The crm-secondary breaker is open: skip the secondary. */
  readonly secondaryOpen: boolean;
}

type AnswerStep = Extract<Step, { kind: 'answer' }>;

export interface LookupState {
  readonly gates: LookupGates;
  readonly startedAt: number;
  readonly deadline: number;
  readonly phase: 'primary' | 'fallback-cache' | 'secondary' | 'last-resort' | 'done';
  /** Retries spent so far: every retry of the lookup, whatever the endpoint or the reason. */
  readonly retriesUsed: number;
  readonly primaryReauthed: boolean;
  readonly secondaryReauthed: boolean;
  /** The next call must fetch a new token first (after a 401). */
  readonly forceTokenRefresh: boolean;
  /** Backoff to wait before the next secondary call (a retry). */
  readonly waitMs: number;
  readonly cache?: CacheOutcome;
  readonly secondaryNotFound: boolean;
  readonly path: LookupPath;
  readonly trace: readonly PathEntry[];
  /** Set once the lookup knows its answer (phase 'done'). */
  readonly result?: AnswerStep;
}

export function startLookup(config: CrmConfig, gates: LookupGates, now: number): LookupState {
  const s: LookupState = {
    gates,
    startedAt: now,
    deadline: now + config.budgetMs,
    phase: gates.primaryOpen ? 'last-resort' : 'primary',
    retriesUsed: 0,
    primaryReauthed: false,
    secondaryReauthed: false,
    forceTokenRefresh: false,
    waitMs: 0,
    secondaryNotFound: false,
    path: gates.primaryOpen ? 'guarded' : 'primary',
    trace: [],
  };
  return gates.primaryOpen
    ? note(s, now, 'crm-primary breaker open (cascade guard): no external endpoint is called')
    : s;
}

const note = (s: LookupState, now: number, what: string): LookupState => ({
  ...s,
  trace: [...s.trace, { atMs: now - s.startedAt, what }],
});

const done = (s: LookupState, result: AnswerStep): LookupState => ({ ...s, phase: 'done', result });

/** Time a call may take now: the endpoint's cap, cut to what is left minus the cache reserve. */
export function callTimeout(config: CrmConfig, endpoint: Endpoint, deadline: number, now: number): number {
  const cap = endpoint === 'primary' ? config.primary.callTimeoutMs : (config.secondary?.callTimeoutMs ?? 0);
  return Math.max(0, Math.min(cap, deadline - now - config.cacheReserveMs));
}

/** Wait before the k-th retry of the lookup (k counts from 1, across endpoints and reasons). */
export const backoffMs = (config: CrmConfig, k: number): number => config.backoffBaseMs * 2 ** (k - 1);

const ageSeconds = (record: CachedCustomer, now: number): number =>
  Math.max(0, Math.floor((now - record.fetchedAt) / 1000));

export function describeAge(seconds: number): string {
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400 * 2) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} days ago`;
}

const label = (e: Endpoint): string => (e === 'primary' ? 'Primary' : 'Secondary');

/** Every answer the lookup gives, built in one place (the README's table lists the same). */
export const answers = {
  live(customer: Customer, orderHistory: readonly Order[]): LookupAnswer {
    return {
      found: true,
      customer,
      source: 'primary',
      readOnly: false,
      banner: '',
      dataAgeSeconds: 0,
      orderHistory,
    };
  },
  notFound(source: Endpoint): LookupAnswer {
    return {
      found: false,
      customer: null,
      source,
      readOnly: source !== 'primary',
      banner:
        source === 'primary'
          ? 'No customer record found'
          : 'No customer record found (Data Source: Secondary, read-only replica)',
      dataAgeSeconds: 0,
      orderHistory: [],
    };
  },
  secondary(customer: Customer): LookupAnswer {
    return {
      found: true,
      customer,
      source: 'secondary',
      readOnly: true,
      banner: 'Data Source: Secondary (read-only replica, no order history)',
      dataAgeSeconds: 0,
      orderHistory: [],
    };
  },
  cached(record: CachedCustomer, now: number, fresh: boolean): LookupAnswer {
    const age = ageSeconds(record, now);
    return {
      found: true,
      customer: record.customer,
      source: 'cache',
      readOnly: true,
      banner: `Data Source: ${label(record.source)} (Cached ${describeAge(age)}${fresh ? '' : ', may be outdated'})`,
      dataAgeSeconds: age,
      orderHistory: [],
    };
  },
  none(): LookupAnswer {
    return {
      found: false,
      customer: null,
      source: 'none',
      readOnly: true,
      banner: 'Customer data unavailable: the CRM cannot be reached. Ask the caller and search manually.',
      dataAgeSeconds: 0,
      orderHistory: [],
    };
  },
  error(status: number): LookupAnswer {
    return {
      found: false,
      customer: null,
      source: 'none',
      readOnly: true,
      banner: `CRM lookup refused (HTTP ${status}): search manually.`,
      dataAgeSeconds: 0,
      orderHistory: [],
      errorStatus: status,
    };
  },
} as const;

export function describeOutcome(o: CallOutcome): string {
  switch (o.kind) {
    case 'ok':
      return '2xx';
    case 'not-found':
      return '404 not found';
    case 'unauthorized':
      return '401 unauthorized';
    case 'client-error':
      return `HTTP ${o.status}`;
    case 'rate-limited':
      return '429 rate limited';
    case 'server-error':
      return `HTTP ${o.status}`;
    case 'timeout':
      return 'timed out';
    case 'network':
      return `network error (${o.detail})`;
    case 'invalid-response':
      return `2xx with a body that does not match (${o.detail})`;
    case 'token-failed':
      return `token refresh failed (${o.detail})`;
  }
}

/** Worth a retry on the secondary (on the primary, every one of these means: fall back). */
const isTransient = (o: CallOutcome): boolean =>
  o.kind === 'server-error' ||
  o.kind === 'rate-limited' ||
  o.kind === 'timeout' ||
  o.kind === 'network' ||
  o.kind === 'invalid-response' ||
  o.kind === 'token-failed';

/** What to do now: config and state in, one step out. No I/O, no clock read (`now` is passed in). */
export function nextStep(config: CrmConfig, s: LookupState, now: number): Step {
  switch (s.phase) {
    case 'done':
      if (!s.result) throw new Error('nextStep: a finished lookup without an answer');
      return s.result;
    case 'primary': {
      const timeoutMs = callTimeout(config, 'primary', s.deadline, now);
      if (timeoutMs < config.minCallMs)
        return nextStep(config, toFallback(s, now, 'no time left for the primary'), now);
      return { kind: 'call', endpoint: 'primary', timeoutMs, forceTokenRefresh: s.forceTokenRefresh };
    }
    case 'fallback-cache':
      return { kind: 'read-cache', timeoutMs: cacheReadTimeout(s, now) };
    case 'secondary': {
      if (s.waitMs > 0) return { kind: 'wait', ms: s.waitMs };
      const timeoutMs = callTimeout(config, 'secondary', s.deadline, now);
      if (timeoutMs < config.minCallMs)
        return nextStep(config, lastResort(note(s, now, 'no time left for the secondary'), now), now);
      return { kind: 'call', endpoint: 'secondary', timeoutMs, forceTokenRefresh: s.forceTokenRefresh };
    }
    case 'last-resort':
      return { kind: 'read-cache', timeoutMs: cacheReadTimeout(s, now) };
  }
}

/** The cache read may use whatever is left; the reserve kept back from every call is there for it. */
const cacheReadTimeout = (s: LookupState, now: number): number => Math.max(1, s.deadline - now);

/** Folds the outcome of `step` into the state. */
export function afterStep(
  config: CrmConfig,
  s: LookupState,
  step: Step,
  outcome: CallOutcome | CacheOutcome | undefined,
  now: number,
): LookupState {
  switch (step.kind) {
    case 'answer':
      return s;
    case 'wait':
      return { ...note(s, now, `waited ${step.ms} ms`), waitMs: 0 };
    case 'read-cache':
      return afterCacheRead(config, s, outcome as CacheOutcome, now);
    case 'call':
      return step.endpoint === 'primary'
        ? afterPrimary(config, s, outcome as CallOutcome, now)
        : afterSecondary(config, s, outcome as CallOutcome, now);
  }
}

function toFallback(s: LookupState, now: number, why: string): LookupState {
  return {
    ...note(s, now, `→ fallback (${why})`),
    phase: 'fallback-cache',
    path: 'fallback',
    forceTokenRefresh: false,
  };
}

/** The last resort: a cached record of any age if one was read, else read the cache now. */
function lastResort(s: LookupState, now: number): LookupState {
  const next: LookupState = { ...s, phase: 'last-resort', forceTokenRefresh: false, waitMs: 0 };
  return next.cache ? finishFromCache(next, next.cache, now) : next;
}

function finishFromCache(s: LookupState, cache: CacheOutcome, now: number): LookupState {
  if (cache.kind === 'hit')
    return done(s, { kind: 'answer', answer: answers.cached(cache.record, now, false) });
  if (s.secondaryNotFound) return done(s, { kind: 'answer', answer: answers.notFound('secondary') });
  return done(s, { kind: 'answer', answer: answers.none() });
}

function afterPrimary(config: CrmConfig, s: LookupState, o: CallOutcome, now: number): LookupState {
  const seen = note(s, now, `primary: ${describeOutcome(o)}`);
  switch (o.kind) {
    case 'ok':
      return done(seen, {
        kind: 'answer',
        answer: answers.live(o.customer, o.orderHistory ?? []),
        writeThrough: { customer: o.customer, source: 'primary', fetchedAt: now },
      });
    case 'not-found':
      return done(seen, { kind: 'answer', answer: answers.notFound('primary') });
    case 'client-error':
      return done({ ...seen, path: 'client-error' }, { kind: 'answer', answer: answers.error(o.status) });
    case 'unauthorized':
      if (!s.primaryReauthed && s.retriesUsed < config.maxRetries) {
        return {
          ...note(seen, now, `retry ${s.retriesUsed + 1}: new primary token, call the primary once more`),
          primaryReauthed: true,
          retriesUsed: s.retriesUsed + 1,
          forceTokenRefresh: true,
        };
      }
      return toFallback(
        seen,
        now,
        s.primaryReauthed ? '401 again after a token refresh' : '401, no retry left',
      );
    default:
      return toFallback(seen, now, describeOutcome(o));
  }
}

function afterCacheRead(config: CrmConfig, s: LookupState, o: CacheOutcome, now: number): LookupState {
  const what =
    o.kind === 'hit'
      ? `cache: hit (from the ${o.record.source}, ${describeAge(ageSeconds(o.record, now))})`
      : o.kind === 'miss'
        ? 'cache: miss'
        : `cache: read failed (${o.detail})`;
  const seen: LookupState = { ...note(s, now, what), cache: o };
  if (s.phase === 'last-resort') return finishFromCache(seen, o, now);
  // The fresh-cache shortcut: a record younger than cacheFreshSeconds answers the fallback at once.
  if (o.kind === 'hit' && ageSeconds(o.record, now) < config.cacheFreshSeconds) {
    return done(seen, { kind: 'answer', answer: answers.cached(o.record, now, true) });
  }
  if (!config.secondary) return lastResort(note(seen, now, 'no secondary configured'), now);
  if (s.gates.secondaryOpen)
    return lastResort(note(seen, now, 'crm-secondary breaker open: secondary skipped'), now);
  return { ...seen, phase: 'secondary', forceTokenRefresh: false };
}

function afterSecondary(config: CrmConfig, s: LookupState, o: CallOutcome, now: number): LookupState {
  const seen = note(s, now, `secondary: ${describeOutcome(o)}`);
  if (o.kind === 'ok') {
    return done(seen, {
      kind: 'answer',
      answer: answers.secondary(o.customer),
      writeThrough: { customer: o.customer, source: 'secondary', fetchedAt: now },
    });
  }
  if (o.kind === 'not-found') return lastResort({ ...seen, secondaryNotFound: true }, now);
  if (o.kind === 'unauthorized' && !s.secondaryReauthed && s.retriesUsed < config.maxRetries) {
    return {
      ...note(seen, now, `retry ${s.retriesUsed + 1}: new secondary token, call the secondary once more`),
      secondaryReauthed: true,
      retriesUsed: s.retriesUsed + 1,
      forceTokenRefresh: true,
    };
  }
  if (isTransient(o) && s.retriesUsed < config.maxRetries) {
    const k = s.retriesUsed + 1;
    const wait = backoffMs(config, k);
    // Only worth it if a useful call still fits after the wait, with the cache reserve kept.
    if (now + wait + config.minCallMs + config.cacheReserveMs <= s.deadline) {
      return {
        ...note(seen, now, `retry ${k}: the secondary again after ${wait} ms`),
        retriesUsed: k,
        waitMs: wait,
        forceTokenRefresh: false,
      };
    }
  }
  return lastResort(seen, now);
}
