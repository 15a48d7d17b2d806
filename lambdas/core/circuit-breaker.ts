import * as z from 'zod';
import { StateError } from './errors';
import { lazySchema } from './lazy-schema';
import type { Page } from './ports';
import { Reason } from './reasons';

// The circuit breaker of one dependency, as a pure state machine (docs/resilience.md). Data in,
// decisions out: the clock and the random source are arguments, nothing here reads them. The state is
// plain JSON so it can be shared through the state table by every Lambda container and the CLI.
//
//            5 consecutive failures, or ≥ 50 % of ≥ 10 calls in the window
//   CLOSED ───────────────────────────────────────────────────────────────▶ OPEN (openMs + jitter)
//     ▲                                                                     │ now ≥ openUntil
//     │ closeAfterSuccesses probes in a row                                 ▼
//     └──────────────────────────────────────── HALF_OPEN ◀── electProbe: one probe at a time (lease)
//                                                   │ probe failed
//                                                   └──▶ OPEN again, openMs doubled (≤ maxOpenSeconds)
//
// Counted as failures: timeouts, network errors, 5xx, and 429 once the adapter's retries are spent; one
// per logical call. Other 4xx are the caller's fault and count as successes of the dependency.

/** The shared breakers: one per dependency. */
export const BREAKER_NAMES = [
  'genesys',
  'genesys-backup',
  'pager',
  'crm-primary',
  'crm-secondary',
  'kvs',
] as const;
export type BreakerName = (typeof BREAKER_NAMES)[number];
export const isBreakerName = (v: unknown): v is BreakerName =>
  typeof v === 'string' && (BREAKER_NAMES as readonly string[]).includes(v);

/** When a breaker opens and how it recovers. Every breaker has one; the CRM's counts fallbacks instead. */
export interface BreakerPolicy {
  /** Open after this many failures in a row; null: never on a streak alone. @default 5 */
  readonly consecutiveFailures: number | null;
  /** Calls needed in the window before the failure rate may open the breaker. @default 10 */
  readonly minimumCalls: number;
  /** Length of the rate window (kept as WINDOW_BUCKETS buckets). @default 60 */
  readonly windowSeconds: number;
  /** Failure rate that opens the breaker. @default 50 */
  readonly failureRatePercent: number;
  /** `at-least`: rate ≥ percent opens; `above`: rate > percent opens. @default 'at-least' */
  readonly failureRateComparison: 'at-least' | 'above';
  /** First open period. @default 30 */
  readonly openSeconds: number;
  /** Doubling after each failed probe stops here. @default 600 */
  readonly maxOpenSeconds: number;
  /** Uniform jitter added to every open period, so containers do not probe in a stampede. @default 2000 */
  readonly jitterMs: number;
  /** Successful probes in a row that close the breaker. @default 2 */
  readonly closeAfterSuccesses: number;
  /** How long an elected probe owns the half-open breaker: the dependency's call timeout. @default 3000 */
  readonly probeLeaseMs: number;
}

export const DEFAULT_BREAKER_POLICY: BreakerPolicy = Object.freeze({
  consecutiveFailures: 5,
  minimumCalls: 10,
  windowSeconds: 60,
  failureRatePercent: 50,
  failureRateComparison: 'at-least',
  openSeconds: 30,
  maxOpenSeconds: 600,
  jitterMs: 2000,
  closeAfterSuccesses: 2,
  probeLeaseMs: 3000,
});

const PolicySchema = lazySchema(() =>
  z.strictObject({
    consecutiveFailures: z.number().int().positive().nullable(),
    minimumCalls: z.number().int().positive(),
    windowSeconds: z.number().int().positive(),
    failureRatePercent: z.number().gt(0).lte(100),
    failureRateComparison: z.enum(['at-least', 'above']),
    openSeconds: z.number().positive(),
    maxOpenSeconds: z.number().positive(),
    jitterMs: z.number().int().nonnegative(),
    closeAfterSuccesses: z.number().int().positive(),
    probeLeaseMs: z.number().int().positive(),
  }),
);

/** DEFAULT_BREAKER_POLICY with `overrides` applied, validated (a RangeError names the bad field). */
export function breakerPolicy(overrides: Partial<BreakerPolicy> = {}): BreakerPolicy {
  const parsed = PolicySchema().safeParse({ ...DEFAULT_BREAKER_POLICY, ...overrides });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RangeError(`breaker policy ${issue?.path.join('.') || ''}: ${issue?.message ?? 'invalid'}`);
  }
  if (parsed.data.maxOpenSeconds < parsed.data.openSeconds) {
    throw new RangeError('breaker policy maxOpenSeconds: must be ≥ openSeconds');
  }
  return Object.freeze(parsed.data);
}

// ── State ───────────────────────────────────────────────────────────────────────────────────

/** The rate window is kept as this many buckets of windowSeconds / WINDOW_BUCKETS each. */
export const WINDOW_BUCKETS = 6;

/** Calls and failures counted in one bucket; `index` = floor(epoch ms / bucket length). */
export interface WindowBucket {
  readonly index: number;
  readonly calls: number;
  readonly failures: number;
}

export interface FailureNote {
  /** Epoch ms. */
  readonly at: number;
  /** Sanitised, one line (never a token or a secret). */
  readonly error: string;
}

/** Why a breaker opened: what the operator reads in the `circuit-open` page. */
export interface OpenCause {
  readonly trigger: 'consecutive-failures' | 'failure-rate';
  readonly consecutiveFailures: number;
  /** Calls and failures in the window when it opened. */
  readonly calls: number;
  readonly failures: number;
  readonly lastError?: string;
}

interface Episodic {
  /** Openings so far. An episode starts at CLOSED→OPEN and ends at the close; its pages share the key. */
  readonly episode: number;
}

export interface ClosedBreaker extends Episodic {
  readonly status: 'closed';
  readonly consecutiveFailures: number;
  /** Non-empty buckets, oldest first (may include expired ones; windowCounts ignores those). */
  readonly window: readonly WindowBucket[];
  readonly lastFailure?: FailureNote;
}

interface Tripped extends Episodic {
  /** Epoch ms of CLOSED→OPEN (kept through half-open and re-opens of the same episode). */
  readonly openedAt: number;
  /** The current open period without jitter; doubles after each failed probe. */
  readonly openMs: number;
  readonly cause: OpenCause;
  readonly lastFailure?: FailureNote;
}

export interface OpenBreaker extends Tripped {
  readonly status: 'open';
  /** Epoch ms from which a probe may be elected. */
  readonly openUntil: number;
}

export interface ProbeLease {
  readonly owner: string;
  /** Epoch ms; another probe may be elected once it has passed. */
  readonly leaseUntil: number;
}

export interface HalfOpenBreaker extends Tripped {
  readonly status: 'half-open';
  /** Successful probes in a row in this half-open period. */
  readonly probeSuccesses: number;
  /** Present while a probe is elected. */
  readonly probe?: ProbeLease;
}

export type BreakerState = ClosedBreaker | OpenBreaker | HalfOpenBreaker;
export type BreakerStatus = BreakerState['status'];

/** The `CircuitState` metric: 0 closed, 1 open, 2 half-open. */
export const CIRCUIT_STATE_VALUE: Readonly<Record<BreakerStatus, number>> = {
  closed: 0,
  open: 1,
  'half-open': 2,
};

export const INITIAL_BREAKER_STATE: ClosedBreaker = Object.freeze({
  status: 'closed',
  episode: 0,
  consecutiveFailures: 0,
  window: Object.freeze([]) as readonly WindowBucket[],
});

/** A state change, for logs, drill reports (`breakers` in `--json`) and pages. */
export interface BreakerTransition {
  /** Epoch ms. */
  readonly at: number;
  readonly from: BreakerStatus;
  readonly to: BreakerStatus;
  readonly episode: number;
}

export interface Step {
  readonly next: BreakerState;
  readonly transition?: BreakerTransition;
}

// ── Window ──────────────────────────────────────────────────────────────────────────────────

export const bucketMs = (policy: BreakerPolicy): number =>
  Math.ceil((policy.windowSeconds * 1000) / WINDOW_BUCKETS);
export const bucketIndex = (now: number, policy: BreakerPolicy): number => Math.floor(now / bucketMs(policy));

/** Is a bucket still inside the window at `now`? (the current bucket and the WINDOW_BUCKETS − 1 before it) */
export const bucketLive = (index: number, now: number, policy: BreakerPolicy): boolean => {
  const current = bucketIndex(now, policy);
  return index <= current && index > current - WINDOW_BUCKETS;
};

/** Calls and failures in the window at `now`. */
export function windowCounts(
  state: Pick<ClosedBreaker, 'window'>,
  now: number,
  policy: BreakerPolicy,
): { calls: number; failures: number } {
  let calls = 0;
  let failures = 0;
  for (const b of state.window) {
    if (!bucketLive(b.index, now, policy)) continue;
    calls += b.calls;
    failures += b.failures;
  }
  return { calls, failures };
}

function addToWindow(
  window: readonly WindowBucket[],
  now: number,
  failed: boolean,
  policy: BreakerPolicy,
): WindowBucket[] {
  const index = bucketIndex(now, policy);
  const live = window.filter((b) => bucketLive(b.index, now, policy));
  const at = live.findIndex((b) => b.index === index);
  const bucket = at >= 0 ? (live[at] as WindowBucket) : { index, calls: 0, failures: 0 };
  const updated = { index, calls: bucket.calls + 1, failures: bucket.failures + (failed ? 1 : 0) };
  if (at >= 0) live[at] = updated;
  else live.push(updated);
  return live.sort((a, b) => a.index - b.index);
}

/**
 * Whether a CLOSED breaker with these counts must open now, and why. Used by `afterFailure` and by the
 * shared store, which adds counts atomically and then asks this of what it read back.
 */
export function tripCause(state: ClosedBreaker, now: number, policy: BreakerPolicy): OpenCause | undefined {
  const { calls, failures } = windowCounts(state, now, policy);
  const base = {
    consecutiveFailures: state.consecutiveFailures,
    calls,
    failures,
    ...(state.lastFailure ? { lastError: state.lastFailure.error } : {}),
  };
  if (policy.consecutiveFailures !== null && state.consecutiveFailures >= policy.consecutiveFailures) {
    return { trigger: 'consecutive-failures', ...base };
  }
  if (calls >= policy.minimumCalls && calls > 0) {
    const rate = (failures * 100) / calls;
    const over =
      policy.failureRateComparison === 'at-least'
        ? rate >= policy.failureRatePercent
        : rate > policy.failureRatePercent;
    if (over) return { trigger: 'failure-rate', ...base };
  }
  return undefined;
}

// ── Verbs ───────────────────────────────────────────────────────────────────────────────────

/** An open period: `openMs` plus a uniform 0–jitterMs draw. `random` is uniform in [0, 1). */
export const openPeriodEnd = (now: number, openMs: number, policy: BreakerPolicy, random: () => number) =>
  now + openMs + Math.floor(random() * (policy.jitterMs + 1));

/** CLOSED → OPEN with `cause`: a new episode. */
export function open(
  state: ClosedBreaker,
  cause: OpenCause,
  now: number,
  policy: BreakerPolicy,
  random: () => number,
): { next: OpenBreaker; transition: BreakerTransition } {
  const openMs = policy.openSeconds * 1000;
  const next: OpenBreaker = {
    status: 'open',
    episode: state.episode + 1,
    openedAt: now,
    openMs,
    openUntil: openPeriodEnd(now, openMs, policy, random),
    cause,
    ...(state.lastFailure ? { lastFailure: state.lastFailure } : {}),
  };
  return { next, transition: { at: now, from: 'closed', to: 'open', episode: next.episode } };
}

/** HALF_OPEN → OPEN after a failed probe: the open period doubles, up to maxOpenSeconds. */
function reopen(
  state: HalfOpenBreaker,
  failure: FailureNote,
  now: number,
  policy: BreakerPolicy,
  random: () => number,
): Step {
  const openMs = Math.min(state.openMs * 2, policy.maxOpenSeconds * 1000);
  const next: OpenBreaker = {
    status: 'open',
    episode: state.episode,
    openedAt: state.openedAt,
    openMs,
    openUntil: openPeriodEnd(now, openMs, policy, random),
    cause: state.cause,
    lastFailure: failure,
  };
  return { next, transition: { at: now, from: 'half-open', to: 'open', episode: state.episode } };
}

/** HALF_OPEN → CLOSED: counts start afresh; the episode number stays (its resolve page uses it). */
function close(state: HalfOpenBreaker, now: number): Step {
  const next: ClosedBreaker = {
    status: 'closed',
    episode: state.episode,
    consecutiveFailures: 0,
    window: [],
  };
  return { next, transition: { at: now, from: 'half-open', to: 'closed', episode: state.episode } };
}

/** What a caller may do now: call the dependency, try to become the probe, or fail fast. */
export type Admission = 'call' | 'probe' | 'reject';

export function admission(state: BreakerState, now: number): Admission {
  switch (state.status) {
    case 'closed':
      return 'call';
    case 'open':
      return now >= state.openUntil ? 'probe' : 'reject';
    case 'half-open':
      return state.probe && now < state.probe.leaseUntil ? 'reject' : 'probe';
  }
}

/** Epoch ms from which a refused caller may try again (undefined while another probe holds the lease). */
export function retryAt(state: BreakerState): number | undefined {
  if (state.status === 'open') return state.openUntil;
  if (state.status === 'half-open') return state.probe?.leaseUntil;
  return undefined;
}

/**
 * Elects `owner` as the one probe of an OPEN breaker whose period is over, or of a HALF_OPEN one whose
 * probe lease is free or lapsed. Undefined when it cannot be elected (closed, still open, lease held).
 */
export function electProbe(
  state: BreakerState,
  owner: string,
  now: number,
  policy: BreakerPolicy,
): Step | undefined {
  if (admission(state, now) !== 'probe') return undefined;
  const probe: ProbeLease = { owner, leaseUntil: now + policy.probeLeaseMs };
  if (state.status === 'open') {
    const { openUntil: _, status: __, ...tripped } = state;
    const next: HalfOpenBreaker = { ...tripped, status: 'half-open', probeSuccesses: 0, probe };
    return { next, transition: { at: now, from: 'open', to: 'half-open', episode: state.episode } };
  }
  if (state.status === 'half-open') return { next: { ...state, probe } };
  return undefined;
}

const holdsProbe = (state: HalfOpenBreaker, owner: string | undefined): boolean =>
  owner !== undefined && state.probe?.owner === owner;

/**
 * A call (CLOSED) or the elected probe `owner` (HALF_OPEN) succeeded. A success from anyone else in a
 * tripped breaker (a call that started before it opened) changes nothing.
 */
export function afterSuccess(state: BreakerState, now: number, policy: BreakerPolicy, owner?: string): Step {
  if (state.status === 'closed') {
    return {
      next: { ...state, consecutiveFailures: 0, window: addToWindow(state.window, now, false, policy) },
    };
  }
  if (state.status === 'half-open' && holdsProbe(state, owner)) {
    const probeSuccesses = state.probeSuccesses + 1;
    if (probeSuccesses >= policy.closeAfterSuccesses) return close(state, now);
    const { probe: _, ...rest } = state;
    return { next: { ...rest, probeSuccesses } };
  }
  return { next: state };
}

/**
 * A call (CLOSED) or the elected probe `owner` (HALF_OPEN) failed in a way that counts (see
 * `countsAsFailure`). CLOSED opens when `tripCause` says so; a failed probe re-opens with the period doubled.
 */
export function afterFailure(
  state: BreakerState,
  failure: FailureNote,
  policy: BreakerPolicy,
  random: () => number,
  owner?: string,
): Step {
  const now = failure.at;
  if (state.status === 'closed') {
    const counted: ClosedBreaker = {
      ...state,
      consecutiveFailures: state.consecutiveFailures + 1,
      window: addToWindow(state.window, now, true, policy),
      lastFailure: failure,
    };
    const cause = tripCause(counted, now, policy);
    return cause ? open(counted, cause, now, policy, random) : { next: counted };
  }
  if (state.status === 'half-open' && holdsProbe(state, owner))
    return reopen(state, failure, now, policy, random);
  return { next: state };
}

/**
 * Does this error count against the dependency? Errors may say so themselves (`breakerFailure`), else
 * `retryable` decides (the Genesys adapter sets it for 429/5xx/timeouts/network once retries are spent),
 * else an HTTP `status` (5xx and 429 count, other 4xx do not); anything else (a socket error, a timeout
 * without a status) counts.
 */
export function countsAsFailure(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return true;
  const e = error as { breakerFailure?: unknown; retryable?: unknown; status?: unknown; $metadata?: unknown };
  if (typeof e.breakerFailure === 'boolean') return e.breakerFailure;
  if (typeof e.retryable === 'boolean') return e.retryable;
  const status =
    typeof e.status === 'number'
      ? e.status
      : (e.$metadata as { httpStatusCode?: unknown } | undefined)?.httpStatusCode;
  if (typeof status === 'number') return status >= 500 || status === 429;
  return true;
}

// ── Serialisation ───────────────────────────────────────────────────────────────────────────

const BreakerStateSchema = lazySchema(() => {
  const epochMs = z.number().int().nonnegative();
  const count = z.number().int().nonnegative();
  const FailureSchema = z.object({ at: epochMs, error: z.string() });
  const CauseSchema = z.object({
    trigger: z.enum(['consecutive-failures', 'failure-rate']),
    consecutiveFailures: count,
    calls: count,
    failures: count,
    lastError: z.string().optional(),
  });
  const tripped = {
    episode: z.number().int().positive(),
    openedAt: epochMs,
    openMs: z.number().int().positive(),
    cause: CauseSchema,
    lastFailure: FailureSchema.optional(),
  };
  return z.discriminatedUnion('status', [
    z.object({
      status: z.literal('closed'),
      episode: count,
      consecutiveFailures: count,
      window: z.array(z.object({ index: z.number().int(), calls: count, failures: count })),
      lastFailure: FailureSchema.optional(),
    }),
    z.object({ status: z.literal('open'), ...tripped, openUntil: epochMs }),
    z.object({
      status: z.literal('half-open'),
      ...tripped,
      probeSuccesses: count,
      probe: z.object({ owner: z.string().min(1), leaseUntil: epochMs }).optional(),
    }),
  ]);
});

/** The state as plain JSON (it already is; this drops nothing and copies nothing but documents intent). */
export const breakerToJSON = (state: BreakerState): BreakerState => state;

/**
 * Restores a stored state, validating every field (StateError names the first bad one). Restoring never
 * grants anything a caller did not win by a conditional write: a half-open state keeps its probe lease,
 * which only its owner can use and which lapses by itself.
 */
export function hydrateBreakerState(json: unknown): BreakerState {
  const parsed = BreakerStateSchema().safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StateError(
      `breaker.${issue?.path.map(String).join('.') || 'state'}`,
      issue?.message ?? 'invalid',
    );
  }
  return parsed.data as BreakerState;
}

// ── Pages ───────────────────────────────────────────────────────────────────────────────────

export const circuitOpenDedupKey = (breaker: string, episode: number): string =>
  `circuit-open:${breaker}:${episode}`;

const hhmmss = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

/**
 * `circuit-open`: trigger when a breaker opens (name, failure count, rate, last error, openedAt), resolve
 * when it closes; one episode, one key.
 */
export function circuitOpenPage(
  breaker: string,
  state: { readonly episode: number; readonly openedAt: number; readonly cause: OpenCause },
  action: Page['action'],
  now: number,
): Page {
  const { cause } = state;
  const rate = cause.calls > 0 ? Math.round((cause.failures * 100) / cause.calls) : 0;
  const why =
    cause.trigger === 'consecutive-failures'
      ? `${cause.consecutiveFailures} failures in a row`
      : `${cause.failures} of ${cause.calls} calls failed (${rate} %)`;
  const summary =
    action === 'trigger'
      ? `Circuit ${breaker} OPEN since ${hhmmss(state.openedAt)}Z: ${why}; calls fail fast, probed until it recovers` +
        (cause.lastError ? `. Last error: ${cause.lastError}` : '')
      : `Circuit ${breaker} closed at ${hhmmss(now)}Z: probes succeeded, calls flow again`;
  return {
    kind: 'circuit-open',
    dedupKey: circuitOpenDedupKey(breaker, state.episode),
    action,
    severity: action === 'trigger' ? 'critical' : 'info',
    summary,
    reason: Reason.CIRCUIT_OPEN,
    at: new Date(now).toISOString(),
    details: {
      breaker,
      episode: state.episode,
      openedAt: new Date(state.openedAt).toISOString(),
      trigger: cause.trigger,
      consecutiveFailures: cause.consecutiveFailures,
      calls: cause.calls,
      failures: cause.failures,
      failureRatePercent: rate,
      ...(cause.lastError ? { lastError: cause.lastError } : {}),
    },
  };
}

// ── Port: the shared store ──────────────────────────────────────────────────────────────────

/** One breaker as stored: its state plus what the store needs for conditional writes and paging. */
export interface StoredBreaker {
  readonly name: string;
  readonly state: BreakerState;
  /** Increments with every state write (counts added atomically do not change it). 0: never written. */
  readonly revision: number;
  /** Highest episode whose `circuit-open` trigger (resp. resolve) page is staged in the outbox. */
  readonly pagedEpisode: number;
  readonly resolvedEpisode: number;
  /** Bucket indices of counts present in the item (removed when the breaker opens or closes). */
  readonly countedBuckets: readonly number[];
}

/** Outcomes one container adds to a CLOSED breaker in one write. */
export interface BreakerCounts {
  /** Calls and failures per bucket. */
  readonly buckets: readonly WindowBucket[];
  /** The failure being written (failures are written at once, one per write). */
  readonly failure?: FailureNote;
  /** The newest success in this batch: it resets the streak if newer than the stored last failure. */
  readonly lastSuccessAt?: number;
  /** Buckets that have left the window: dropped in the same write. */
  readonly expired?: readonly number[];
}

/**
 * Where breakers live so that every container shares them (the state table in AWS and in drills).
 * Transitions are conditional on `revision`, so of N concurrent writers exactly one wins.
 */
export interface BreakerStore {
  /** The breaker as stored (closed and empty if it was never written). */
  get(name: string): Promise<StoredBreaker>;
  /** Every breaker ever written. */
  list(): Promise<StoredBreaker[]>;
  /**
   * Adds counts atomically if the breaker is CLOSED and returns what is stored afterwards; if it is not
   * closed any more, adds nothing and returns its current state.
   */
  addCounts(name: string, counts: BreakerCounts, now: number): Promise<StoredBreaker>;
  /** Writes `next` if the revision is still `expectedRevision`; undefined when another writer won. */
  transition(previous: StoredBreaker, next: BreakerState, now: number): Promise<StoredBreaker | undefined>;
  /** Records that the episode's trigger (or resolve) page is staged. */
  markPaged(name: string, episode: number, action: Page['action']): Promise<void>;
}
