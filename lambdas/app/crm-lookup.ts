// The CRM screen-pop lookup use case (docs/crm.md): runs the pure lookup machine (lambdas/core/crm)
// against the ports — the two endpoints, the cache, the shared breakers — and never throws: whatever
// fails, the agent gets an answer before the budget ends.
import type { CrmConfig } from '../core/crm/config';
import {
  afterStep,
  answers,
  type CacheOutcome,
  type CallOutcome,
  type Endpoint,
  type LookupAnswer,
  type LookupPath,
  type LookupState,
  nextStep,
  type PathEntry,
  startLookup,
} from '../core/crm/lookup';
import type { CrmBreakers, CrmEndpointPort, CustomerCache, LookupKey } from '../core/crm/ports';
import type { Clock } from '../core/ports';
import type { AppLogger } from './deps';

/** Repeated client errors (the primary refusing our requests: other 4xx) page once per window. */
export interface CrmIncidents {
  clientError(status: number, now: number): Promise<void>;
}

export interface CrmLookupDeps {
  readonly config: CrmConfig;
  readonly clock: Clock;
  /** Backoff waits (simulated time in drills and tests). */
  readonly sleep: (ms: number) => Promise<void>;
  readonly primary: CrmEndpointPort;
  /** Absent when the config names no secondary. */
  readonly secondary?: CrmEndpointPort;
  readonly cache: CustomerCache;
  readonly breakers: CrmBreakers;
  readonly incidents?: CrmIncidents;
  readonly log: AppLogger;
}

export interface CrmLookupResult {
  readonly answer: LookupAnswer;
  readonly path: LookupPath;
  /** What happened, in order, with ms since the start (the CLI prints it). */
  readonly trace: readonly PathEntry[];
  readonly retries: number;
  /** Calls made to each endpoint (token requests not included). */
  readonly calls: Readonly<Record<Endpoint, number>>;
  /** Clock ms from start to answer. */
  readonly elapsedMs: number;
  readonly cacheWritten: boolean;
}

export async function crmLookup(deps: CrmLookupDeps, key: LookupKey): Promise<CrmLookupResult> {
  const { config, clock } = deps;
  const startedAt = clock.now();
  const calls: Record<Endpoint, number> = { primary: 0, secondary: 0 };
  let s: LookupState | undefined;
  try {
    const gates = await deps.breakers.gates(startedAt).catch((error: unknown) => {
      // Breaker state unreadable: behave as if closed (the endpoints' own timeouts still bound the lookup).
      deps.log.warn('crm breakers unreadable; calling as if closed', { error: String(error) });
      return { primaryOpen: false, secondaryOpen: false };
    });
    s = startLookup(config, gates, startedAt);
    for (;;) {
      const step = nextStep(config, s, clock.now());
      if (step.kind === 'answer') {
        const cacheWritten = await finish(deps, s, step.writeThrough);
        return result(s, step.answer, calls, clock.now() - startedAt, cacheWritten);
      }
      let outcome: CallOutcome | CacheOutcome | undefined;
      if (step.kind === 'wait') {
        await deps.sleep(step.ms);
      } else if (step.kind === 'read-cache') {
        outcome = await deps.cache.read(key, { timeoutMs: step.timeoutMs });
      } else {
        const endpoint = step.endpoint === 'primary' ? deps.primary : deps.secondary;
        if (!endpoint) throw new Error('crmLookup: the secondary was called but none is configured');
        calls[step.endpoint] += 1;
        const called = await endpoint.search(key, {
          timeoutMs: step.timeoutMs,
          forceTokenRefresh: step.forceTokenRefresh,
        });
        outcome = called;
        if (step.endpoint === 'secondary') {
          const ok = called.kind === 'ok' || called.kind === 'not-found' || called.kind === 'client-error';
          await deps.breakers.recordSecondary(ok, clock.now()).catch(() => {});
        }
        if (step.endpoint === 'primary' && called.kind === 'client-error') {
          await deps.incidents?.clientError(called.status, clock.now()).catch(() => {});
        }
      }
      s = afterStep(config, s, step, outcome, clock.now());
    }
  } catch (error) {
    // A bug or an adapter that threw: the agent still gets an answer, and the log says why.
    deps.log.error('crm lookup failed unexpectedly; answering source none', {
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    const trace = s?.trace ?? [];
    return {
      answer: answers.none(),
      path: s?.path ?? 'fallback',
      trace: [...trace, { atMs: clock.now() - startedAt, what: 'unexpected error: answered source none' }],
      retries: s?.retriesUsed ?? 0,
      calls,
      elapsedMs: clock.now() - startedAt,
      cacheWritten: false,
    };
  }
}

/** Write-through and the cascade guard's count, side by side, bounded by what is left of the budget. */
async function finish(
  deps: CrmLookupDeps,
  s: LookupState,
  writeThrough: Parameters<CustomerCache['write']>[0] | undefined,
): Promise<boolean> {
  const now = deps.clock.now();
  // The answer must not wait past the budget for bookkeeping: the write-through gets what is left.
  const timeoutMs = s.deadline - now;
  const [written] = await Promise.all([
    writeThrough && timeoutMs > 0 ? deps.cache.write(writeThrough, { timeoutMs }) : Promise.resolve(false),
    s.path === 'primary' || s.path === 'fallback'
      ? deps.breakers.recordLookup(s.path === 'fallback', now).catch((error: unknown) => {
          deps.log.warn('crm cascade guard could not count the lookup', { error: String(error) });
        })
      : Promise.resolve(),
  ]);
  if (s.path === 'fallback') {
    deps.log.warn('crm lookup failed over', { trace: s.trace.map((t) => `${t.atMs} ms ${t.what}`) });
  }
  return written;
}

function result(
  s: LookupState,
  answer: LookupAnswer,
  calls: Record<Endpoint, number>,
  elapsedMs: number,
  cacheWritten: boolean,
): CrmLookupResult {
  return { answer, path: s.path, trace: s.trace, retries: s.retriesUsed, calls, elapsedMs, cacheWritten };
}
