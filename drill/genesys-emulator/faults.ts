// The emulator's fault plan: what goes wrong, for which calls, for how long.
// Two kinds of rules: "the next N calls matching" (counted) and "every matching call until simulated
// time T" (windowed, e.g. "Genesys down for 3 minutes"). A live window wins (an outage hides everything
// else); otherwise the oldest counted rule with calls left that matches the call decides its fault.

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What happens to a matching call. */
export type Fault =
  /** Answer with this status (5xx or 4xx) and a Genesys-style error body. */
  | { readonly kind: 'status'; readonly status: number }
  /** 429 with `Retry-After: retryAfterSeconds` (what a real rate limit sends). */
  | { readonly kind: 'rate-limit'; readonly retryAfterSeconds: number }
  /** Never answer: the request hangs until the client gives up (its own timeout) or the emulator closes. */
  | { readonly kind: 'timeout' }
  /** Answer normally, after this many real milliseconds (the client's timeout runs on real time). */
  | { readonly kind: 'latency'; readonly ms: number }
  /**
   * Never answer, but apply the call later, when `landLateWrites()` is called: a write that lands after
   * its sender timed out and gave up (e.g. a superseded lease holder's PUT landing after a restore).
   */
  | { readonly kind: 'late' };

/** Which calls a rule applies to. `path` is exact, a prefix when it ends in `*`, or a RegExp. */
export interface CallMatcher {
  readonly method?: HttpMethod;
  readonly path: string | RegExp;
}

interface CountedRule {
  readonly matcher: CallMatcher;
  readonly fault: Fault;
  remaining: number;
}

interface WindowedRule {
  readonly matcher: CallMatcher;
  readonly fault: Fault;
  /** Epoch ms on the emulator's clock; the rule applies while now < until. */
  readonly until: number;
}

export function matches(matcher: CallMatcher, method: string, path: string): boolean {
  if (matcher.method && matcher.method !== method) return false;
  if (matcher.path instanceof RegExp) return matcher.path.test(path);
  if (matcher.path.endsWith('*')) return path.startsWith(matcher.path.slice(0, -1));
  return matcher.path === path;
}

function checkFault(fault: Fault): void {
  if (
    fault.kind === 'status' &&
    !(Number.isInteger(fault.status) && fault.status >= 400 && fault.status <= 599)
  ) {
    throw new RangeError(`fault.status must be an HTTP error status (400–599), got ${fault.status}`);
  }
  if (
    fault.kind === 'rate-limit' &&
    !(Number.isInteger(fault.retryAfterSeconds) && fault.retryAfterSeconds >= 0)
  ) {
    throw new RangeError(`fault.retryAfterSeconds must be an integer ≥ 0, got ${fault.retryAfterSeconds}`);
  }
  if (fault.kind === 'latency' && !(fault.ms >= 0))
    throw new RangeError(`fault.ms must be ≥ 0, got ${fault.ms}`);
}

export class FaultPlan {
  private counted: CountedRule[] = [];
  private windowed: WindowedRule[] = [];

  constructor(private readonly now: () => number) {}

  /** The next `count` calls (default 1) matching `matcher` get `fault`. */
  next(matcher: CallMatcher, fault: Fault, count = 1): this {
    checkFault(fault);
    if (!(Number.isInteger(count) && count >= 1))
      throw new RangeError(`count must be an integer ≥ 1, got ${count}`);
    this.counted.push({ matcher, fault, remaining: count });
    return this;
  }

  /** Every call matching `matcher` gets `fault` until the emulator's clock reaches `until` (epoch ms or ISO). */
  until(matcher: CallMatcher, fault: Fault, until: number | string): this {
    checkFault(fault);
    const at = typeof until === 'string' ? Date.parse(until) : until;
    if (!Number.isFinite(at))
      throw new RangeError(`until must be epoch ms or an ISO timestamp, got ${until}`);
    this.windowed.push({ matcher, fault, until: at });
    return this;
  }

  /** Every matching call gets `fault` for `durationMs` of simulated time from now. */
  during(matcher: CallMatcher, fault: Fault, durationMs: number): this {
    return this.until(matcher, fault, this.now() + durationMs);
  }

  /** Drops every rule. */
  clear(): void {
    this.counted = [];
    this.windowed = [];
  }

  /** Rules still able to fire (counted with calls left, windows not yet over). */
  pending(): number {
    const now = this.now();
    return (
      this.counted.filter((r) => r.remaining > 0).length + this.windowed.filter((r) => now < r.until).length
    );
  }

  /** Consumes and returns the fault for this call, if any. */
  take(method: string, path: string): Fault | undefined {
    const now = this.now();
    this.windowed = this.windowed.filter((r) => now < r.until);
    const windowed = this.windowed.find((r) => matches(r.matcher, method, path));
    if (windowed) return windowed.fault;
    const counted = this.counted.find((r) => r.remaining > 0 && matches(r.matcher, method, path));
    if (!counted) return undefined;
    counted.remaining -= 1;
    this.counted = this.counted.filter((r) => r.remaining > 0);
    return counted.fault;
  }
}
