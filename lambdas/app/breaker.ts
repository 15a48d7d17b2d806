import {
  admission,
  afterFailure,
  afterSuccess,
  type BreakerPolicy,
  type BreakerState,
  type BreakerStatus,
  type BreakerStore,
  type BreakerTransition,
  bucketIndex,
  bucketLive,
  circuitOpenPage,
  countsAsFailure,
  DEFAULT_BREAKER_POLICY,
  electProbe,
  type FailureNote,
  open,
  retryAt,
  type StoredBreaker,
  tripCause,
  type WindowBucket,
} from '../core/circuit-breaker';
import { CircuitOpenError } from '../core/errors';
import type { Clock, Page } from '../core/ports';
import type { AppLogger } from './deps';

// Running calls through a named shared circuit breaker (docs/resilience.md).
//
//   const breakers = new SharedBreakers({ store, clock, pages: outboxPager, log, owner: () => requestId });
//   const rows = await breakers.run('genesys', () => genesys.read(...));               // throws CircuitOpenError when open
//   const contact = await breakers.run('crm-primary', () => crm.lookup(id), { fallback: () => fromCache(id) });
//   await breakers.record('crm-primary', { ok: false, error: 'fallback used' });      // count an outcome, no call
//   await breakers.probe('genesys', () => genesys.organizationsMe());                  // the poller's prober
//
// One instance per container (module scope): it keeps each breaker's last known state for `refreshMs`
// and the successes of a healthy CLOSED breaker in memory, flushed at most every `flushMs`, so a healthy
// dependency costs no DynamoDB write per call. Failures are written at once (atomic ADD), and only the
// writer that wins the conditional CLOSED→OPEN write stages the `circuit-open` page.

/** Where `circuit-open` pages go: the page outbox (staged durably, delivered by the sender). */
export interface PageStager {
  /** Records a page durably; false if (dedupKey, action) was already recorded. */
  stage(page: Page): Promise<boolean>;
}

export interface SharedBreakersOptions {
  readonly store: BreakerStore;
  readonly clock: Clock;
  readonly pages: PageStager;
  readonly log: AppLogger;
  /** Names this container in probe leases (Lambda request id, drill tick); made unique per call. */
  readonly owner: () => string;
  /** Uniform [0, 1) for the open-period jitter. @default Math.random */
  readonly random?: () => number;
  /** Per-breaker policies; breakers not named use DEFAULT_BREAKER_POLICY. */
  readonly policies?: Readonly<Partial<Record<string, BreakerPolicy>>>;
  /** Successes of a healthy breaker are written at most this often per container. @default 5000 */
  readonly flushMs?: number;
  /** A breaker's state read from the table is trusted this long before it is read again. @default 5000 */
  readonly refreshMs?: number;
  /** Every state change this container made (the winner's view): logs, metrics, drill reports. */
  readonly onTransition?: (breaker: string, transition: BreakerTransition) => void;
}

export interface RunOptions<T> {
  /** Runs instead of the call when the breaker refuses it. Without one, CircuitOpenError is thrown. */
  readonly fallback?: (error: CircuitOpenError) => T | Promise<T>;
  /** Does this error count against the dependency? @default countsAsFailure (lambdas/core/circuit-breaker.ts) */
  readonly isFailure?: (error: unknown) => boolean;
}

export type ProbeResult =
  | { readonly breaker: string; readonly probed: false; readonly status: BreakerStatus }
  | {
      readonly breaker: string;
      readonly probed: true;
      readonly ok: boolean;
      readonly status: BreakerStatus;
      readonly error?: string;
    };

interface Local {
  view?: StoredBreaker;
  readAt: number;
  /** Successes not yet written, per bucket. */
  pending: Map<number, number>;
  lastSuccessAt?: number;
  lastFlushAt: number;
}

const describe = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

export class SharedBreakers {
  private readonly local = new Map<string, Local>();
  private readonly random: () => number;
  private readonly flushMs: number;
  private readonly refreshMs: number;
  private sequence = 0;

  constructor(private readonly options: SharedBreakersOptions) {
    this.random = options.random ?? Math.random;
    this.flushMs = options.flushMs ?? 5000;
    this.refreshMs = options.refreshMs ?? 5000;
  }

  policy(name: string): BreakerPolicy {
    return this.options.policies?.[name] ?? DEFAULT_BREAKER_POLICY;
  }

  /**
   * Runs `call` through breaker `name`. CLOSED: the call runs and its outcome is counted. OPEN: no call,
   * the fallback runs (or CircuitOpenError). Past the open period: this caller tries to become the one
   * probe; if elected, the call is the probe and its outcome closes or re-opens the breaker.
   */
  async run<T>(name: string, call: () => Promise<T>, options: RunOptions<T> = {}): Promise<T> {
    const view = await this.view(name);
    const now = this.options.clock.now();
    const admitted = admission(view.state, now);
    if (admitted === 'call') return this.closedCall(name, call, options);
    if (admitted === 'probe') {
      const owner = this.nextOwner();
      const elected = await this.elect(view, owner, now);
      if (elected) return this.probeCall(name, elected, owner, call, options);
    }
    return this.refuse(name, options);
  }

  /**
   * Counts an outcome without running a call (the CRM breaker counts lookups that needed a fallback).
   * A failure may open the breaker; in a tripped breaker outcomes are not counted.
   */
  async record(name: string, outcome: { ok: true } | { ok: false; error: string }): Promise<void> {
    const view = await this.view(name);
    if (view.state.status !== 'closed') return;
    if (outcome.ok) await this.countSuccess(name);
    else await this.countFailure(name, { at: this.options.clock.now(), error: outcome.error });
  }

  /** Is breaker `name` refusing calls right now (by this container's view)? */
  async isOpen(name: string): Promise<boolean> {
    return admission((await this.view(name)).state, this.options.clock.now()) === 'reject';
  }

  /** Every breaker as stored (one Query). */
  list(): Promise<StoredBreaker[]> {
    return this.options.store.list();
  }

  /** The breaker as stored now (one read). */
  async state(name: string): Promise<BreakerState> {
    return (await this.refresh(name)).state;
  }

  /**
   * The prober: if breaker `name` is due (OPEN past its period, or HALF_OPEN with no live probe), this
   * caller becomes the probe and runs `probe` (a cheap read-only call). Does nothing to a CLOSED breaker.
   */
  async probe(name: string, probe: () => Promise<unknown>): Promise<ProbeResult> {
    const view = await this.refresh(name);
    const now = this.options.clock.now();
    if (admission(view.state, now) !== 'probe')
      return { breaker: name, probed: false, status: view.state.status };
    const owner = this.nextOwner();
    const elected = await this.elect(view, owner, now);
    if (!elected) return { breaker: name, probed: false, status: (await this.view(name)).state.status };
    try {
      await this.probeCall(name, elected, owner, probe, {});
      return { breaker: name, probed: true, ok: true, status: (await this.view(name)).state.status };
    } catch (error) {
      return {
        breaker: name,
        probed: true,
        ok: false,
        status: (await this.view(name)).state.status,
        error: describe(error),
      };
    }
  }

  /**
   * Stages any `circuit-open` page a crash left unstaged: the trigger of every episode that opened, the
   * resolve of every episode that closed (with its trigger first, so PagerDuty always gets the pair).
   * The poller runs it every tick over what one Query returns.
   */
  async repairPages(stored?: readonly StoredBreaker[]): Promise<number> {
    const all = stored ?? (await this.options.store.list());
    let staged = 0;
    for (const b of all) {
      const { state } = b;
      if (state.episode === 0) continue;
      if (state.status !== 'closed' && b.pagedEpisode < state.episode) {
        if (await this.stageTrigger(b.name, state)) staged++;
        await this.options.store.markPaged(b.name, state.episode, 'trigger');
      }
      if (state.status === 'closed' && b.resolvedEpisode < state.episode) {
        // The trigger's facts are gone with the close: rebuild a minimal one under the same key.
        const trigger = circuitOpenPage(
          b.name,
          {
            episode: state.episode,
            openedAt: state.lastFailure?.at ?? this.options.clock.now(),
            cause: unknownCause,
          },
          'trigger',
          this.options.clock.now(),
        );
        if (b.pagedEpisode < state.episode && (await this.options.pages.stage(trigger))) staged++;
        if (await this.stageResolve(b.name, state.episode)) staged++;
        await this.options.store.markPaged(b.name, state.episode, 'resolve');
      }
    }
    return staged;
  }

  /** Writes every breaker's pending successes now (end of a CLI run; a Lambda just lets them wait). */
  async flush(): Promise<void> {
    for (const name of this.local.keys()) await this.flushSuccesses(name, true);
  }

  // ── internals ──

  private nextOwner(): string {
    return `${this.options.owner()}#${++this.sequence}`;
  }

  private entry(name: string): Local {
    let e = this.local.get(name);
    if (!e) {
      e = { readAt: Number.NEGATIVE_INFINITY, pending: new Map(), lastFlushAt: this.options.clock.now() };
      this.local.set(name, e);
    }
    return e;
  }

  /** The cached view, re-read when older than refreshMs (pending successes ride along when due). */
  private async view(name: string): Promise<StoredBreaker> {
    const e = this.entry(name);
    const now = this.options.clock.now();
    // A healthy view is trusted for refreshMs; one with failures is re-read, so containers learn within
    // one call that another opened it.
    const trusted = e.view?.state.status !== 'closed' || e.view.state.consecutiveFailures === 0;
    if (e.view && trusted && now - e.readAt < this.refreshMs) return e.view;
    if (e.pending.size > 0 && e.view?.state.status === 'closed') {
      await this.flushSuccesses(name, true);
      if (e.view && this.options.clock.now() - e.readAt < this.refreshMs) return e.view;
    }
    return this.refresh(name);
  }

  private async refresh(name: string): Promise<StoredBreaker> {
    return this.remember(name, await this.options.store.get(name));
  }

  private remember(name: string, view: StoredBreaker): StoredBreaker {
    const e = this.entry(name);
    e.view = view;
    e.readAt = this.options.clock.now();
    if (view.state.status !== 'closed') e.pending.clear(); // outcomes of a tripped breaker do not count
    return view;
  }

  private async closedCall<T>(name: string, call: () => Promise<T>, options: RunOptions<T>): Promise<T> {
    let value: T;
    try {
      value = await call();
    } catch (error) {
      if ((options.isFailure ?? countsAsFailure)(error)) {
        await this.countFailure(name, { at: this.options.clock.now(), error: describe(error) });
      } else {
        await this.countSuccess(name);
      }
      throw error;
    }
    await this.countSuccess(name);
    return value;
  }

  private async countSuccess(name: string): Promise<void> {
    const e = this.entry(name);
    const now = this.options.clock.now();
    const index = bucketIndex(now, this.policy(name));
    e.pending.set(index, (e.pending.get(index) ?? 0) + 1);
    e.lastSuccessAt = now;
    await this.flushSuccesses(name, false);
  }

  /** Writes pending successes if `force` or flushMs has passed since the last write. */
  private async flushSuccesses(name: string, force: boolean): Promise<void> {
    const e = this.entry(name);
    const now = this.options.clock.now();
    if (e.pending.size === 0 || (!force && now - e.lastFlushAt < this.flushMs)) return;
    const stored = await this.options.store.addCounts(name, this.drain(name), now);
    this.remember(name, stored);
  }

  /** Takes the pending successes out as counts (with the buckets that have left the window). */
  private drain(name: string, failure?: FailureNote) {
    const e = this.entry(name);
    const policy = this.policy(name);
    const now = this.options.clock.now();
    const buckets = new Map<number, { calls: number; failures: number }>();
    for (const [index, n] of e.pending)
      if (bucketLive(index, now, policy)) buckets.set(index, { calls: n, failures: 0 });
    if (failure) {
      const index = bucketIndex(failure.at, policy);
      const b = buckets.get(index) ?? { calls: 0, failures: 0 };
      buckets.set(index, { calls: b.calls + 1, failures: b.failures + 1 });
    }
    const expired = (e.view?.countedBuckets ?? []).filter((i) => !bucketLive(i, now, policy));
    const lastSuccessAt = e.lastSuccessAt;
    e.pending.clear();
    e.lastSuccessAt = undefined;
    e.lastFlushAt = now;
    return {
      buckets: [...buckets].map(([index, b]): WindowBucket => ({ index, ...b })),
      ...(failure ? { failure } : {}),
      ...(lastSuccessAt !== undefined ? { lastSuccessAt } : {}),
      ...(expired.length > 0 ? { expired } : {}),
    };
  }

  /** A counted failure: written at once; opens the breaker if the shared counts say so. */
  private async countFailure(name: string, failure: FailureNote): Promise<void> {
    const stored = this.remember(
      name,
      await this.options.store.addCounts(name, this.drain(name, failure), failure.at),
    );
    if (stored.state.status !== 'closed') return;
    const policy = this.policy(name);
    const cause = tripCause(stored.state, failure.at, policy);
    if (!cause) return;
    const step = open(stored.state, cause, failure.at, policy, this.random);
    const won = await this.options.store.transition(stored, step.next, failure.at);
    if (!won) {
      await this.refresh(name); // another container opened it first: it pages, we do not
      return;
    }
    this.remember(name, won);
    this.options.log.warn('circuit opened', { breaker: name, episode: step.next.episode, ...cause });
    if (step.transition) this.options.onTransition?.(name, step.transition);
    await this.stageTrigger(name, step.next);
    await this.options.store.markPaged(name, step.next.episode, 'trigger');
  }

  private async elect(view: StoredBreaker, owner: string, now: number): Promise<StoredBreaker | undefined> {
    const step = electProbe(view.state, owner, now, this.policy(view.name));
    if (!step) return undefined;
    const won = await this.options.store.transition(view, step.next, now);
    if (!won) {
      await this.refresh(view.name);
      return undefined;
    }
    this.remember(view.name, won);
    if (step.transition) this.options.onTransition?.(view.name, step.transition);
    return won;
  }

  private async probeCall<T>(
    name: string,
    elected: StoredBreaker,
    owner: string,
    call: () => Promise<T>,
    options: RunOptions<T>,
  ): Promise<T> {
    const policy = this.policy(name);
    let value: T;
    try {
      value = await call();
    } catch (error) {
      const counted = (options.isFailure ?? countsAsFailure)(error);
      const now = this.options.clock.now();
      const step = counted
        ? afterFailure(elected.state, { at: now, error: describe(error) }, policy, this.random, owner)
        : afterSuccess(elected.state, now, policy, owner);
      await this.settleProbe(name, elected, step.next, step.transition);
      throw error;
    }
    const step = afterSuccess(elected.state, this.options.clock.now(), policy, owner);
    await this.settleProbe(name, elected, step.next, step.transition);
    return value;
  }

  /** Writes the probe's result; lost if the lease lapsed and another probe was elected meanwhile. */
  private async settleProbe(
    name: string,
    elected: StoredBreaker,
    next: BreakerState,
    transition: BreakerTransition | undefined,
  ): Promise<void> {
    const now = this.options.clock.now();
    const won = await this.options.store.transition(elected, next, now);
    if (!won) {
      this.options.log.warn('probe result not recorded: its lease lapsed and another probe was elected', {
        breaker: name,
      });
      await this.refresh(name);
      return;
    }
    this.remember(name, won);
    if (!transition) return;
    this.options.onTransition?.(name, transition);
    if (transition.to === 'closed') {
      this.options.log.info('circuit closed', { breaker: name, episode: transition.episode });
      await this.stageResolve(name, transition.episode);
      await this.options.store.markPaged(name, transition.episode, 'resolve');
    } else if (transition.to === 'open') {
      const s = next as Extract<BreakerState, { status: 'open' }>;
      this.options.log.warn('probe failed; circuit re-opened', {
        breaker: name,
        episode: s.episode,
        openMs: s.openMs,
        openUntil: new Date(s.openUntil).toISOString(),
      });
    }
  }

  /** True if this call recorded the page (false: it was already staged). */
  private stageTrigger(name: string, state: Exclude<BreakerState, { status: 'closed' }>): Promise<boolean> {
    return this.options.pages.stage(circuitOpenPage(name, state, 'trigger', state.openedAt));
  }

  private stageResolve(name: string, episode: number): Promise<boolean> {
    const now = this.options.clock.now();
    return this.options.pages.stage(
      circuitOpenPage(name, { episode, openedAt: now, cause: unknownCause }, 'resolve', now),
    );
  }

  private async refuse<T>(name: string, options: RunOptions<T>): Promise<T> {
    const e = this.entry(name);
    const error = new CircuitOpenError(name, e.view ? retryAt(e.view.state) : undefined);
    if (options.fallback) return options.fallback(error);
    throw error;
  }
}

/** For pages rebuilt without the original cause (a resolve only needs the key). */
const unknownCause = {
  trigger: 'consecutive-failures',
  consecutiveFailures: 0,
  calls: 0,
  failures: 0,
} as const;
