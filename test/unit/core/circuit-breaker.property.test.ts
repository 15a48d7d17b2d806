import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  admission,
  afterFailure,
  afterSuccess,
  type BreakerPolicy,
  type BreakerState,
  breakerPolicy,
  electProbe,
  hydrateBreakerState,
  INITIAL_BREAKER_STATE,
} from '../../../lambdas/core/circuit-breaker';

// Model-based test: arbitrary sequences of calls, failures, probe elections and time passing, run against
// the pure breaker and against a deliberately naive reference (a list of timestamped outcomes, recounted
// from scratch at every step). After every command both must agree on status, episode, streak, window
// counts, open period and probe holder, and the state must survive a JSON round trip unchanged.

type Status = 'closed' | 'open' | 'half-open';

/** The reference: the §9 rules written as plainly as possible. */
class Reference {
  status: Status = 'closed';
  episode = 0;
  streak = 0;
  outcomes: { at: number; failed: boolean }[] = [];
  openMs = 0;
  openUntil = 0;
  probeOwner: string | undefined;
  probeLeaseUntil = 0;
  probeSuccesses = 0;
  now = 1_700_000_000_000;

  constructor(readonly policy: BreakerPolicy) {}

  private bucket(at: number): number {
    return Math.floor(at / Math.ceil((this.policy.windowSeconds * 1000) / 6));
  }
  window(): { calls: number; failures: number } {
    const current = this.bucket(this.now);
    const live = this.outcomes.filter((o) => this.bucket(o.at) > current - 6 && this.bucket(o.at) <= current);
    return { calls: live.length, failures: live.filter((o) => o.failed).length };
  }
  private openFor(ms: number, r: number) {
    this.status = 'open';
    this.openMs = ms;
    this.openUntil = this.now + ms + Math.floor(r * (this.policy.jitterMs + 1));
    this.probeOwner = undefined;
    this.probeSuccesses = 0;
  }
  success(owner: string | undefined) {
    if (this.status === 'closed') {
      this.streak = 0;
      this.outcomes.push({ at: this.now, failed: false });
    } else if (this.status === 'half-open' && owner !== undefined && owner === this.probeOwner) {
      this.probeSuccesses++;
      this.probeOwner = undefined;
      if (this.probeSuccesses >= this.policy.closeAfterSuccesses) {
        this.status = 'closed';
        this.streak = 0;
        this.outcomes = [];
        this.probeSuccesses = 0;
      }
    }
  }
  failure(owner: string | undefined, r: number) {
    if (this.status === 'closed') {
      this.streak++;
      this.outcomes.push({ at: this.now, failed: true });
      const { calls, failures } = this.window();
      const p = this.policy;
      const byStreak = p.consecutiveFailures !== null && this.streak >= p.consecutiveFailures;
      const rate = calls > 0 ? (failures * 100) / calls : 0;
      const byRate =
        calls >= p.minimumCalls &&
        (p.failureRateComparison === 'at-least' ? rate >= p.failureRatePercent : rate > p.failureRatePercent);
      if (byStreak || byRate) {
        this.episode++;
        this.outcomes = [];
        this.openFor(p.openSeconds * 1000, r);
      }
    } else if (this.status === 'half-open' && owner !== undefined && owner === this.probeOwner) {
      this.openFor(Math.min(this.openMs * 2, this.policy.maxOpenSeconds * 1000), r);
    }
  }
  elect(owner: string): boolean {
    const due =
      (this.status === 'open' && this.now >= this.openUntil) ||
      (this.status === 'half-open' && (this.probeOwner === undefined || this.now >= this.probeLeaseUntil));
    if (!due) return false;
    if (this.status === 'open') this.probeSuccesses = 0;
    this.status = 'half-open';
    this.probeOwner = owner;
    this.probeLeaseUntil = this.now + this.policy.probeLeaseMs;
    return true;
  }
}

interface Real {
  state: BreakerState;
}

function agree(model: Reference, real: Real): void {
  const s = real.state;
  expect(s.status).toBe(model.status);
  expect(s.episode).toBe(model.episode);
  if (s.status === 'closed') {
    expect(s.consecutiveFailures).toBe(model.streak);
    let calls = 0;
    let failures = 0;
    const current = Math.floor(model.now / Math.ceil((model.policy.windowSeconds * 1000) / 6));
    for (const b of s.window) {
      if (b.index <= current - 6 || b.index > current) continue;
      calls += b.calls;
      failures += b.failures;
    }
    expect({ calls, failures }).toEqual(model.window());
  } else {
    expect(s.openMs).toBe(model.openMs);
    if (s.status === 'open') expect(s.openUntil).toBe(model.openUntil);
    else {
      expect(s.probeSuccesses).toBe(model.probeSuccesses);
      expect(s.probe?.owner).toBe(model.probeOwner);
    }
  }
  expect(hydrateBreakerState(JSON.parse(JSON.stringify(s)))).toEqual(s);
}

/** `holder`: whoever holds the probe right now (so probe outcomes are common, not a lucky guess). */
const owners = fc.constantFrom(undefined, 'a', 'b', 'holder', 'holder');
const resolve = (owner: string | undefined, m: Reference): string | undefined =>
  owner === 'holder' ? m.probeOwner : owner;

class Succeed implements fc.Command<Reference, Real> {
  constructor(readonly owner: string | undefined) {}
  check = () => true;
  run(m: Reference, r: Real) {
    const owner = resolve(this.owner, m);
    r.state = afterSuccess(r.state, m.now, m.policy, owner).next;
    m.success(owner);
    agree(m, r);
  }
  toString = () => `succeed(${this.owner ?? '-'})`;
}

class Fail implements fc.Command<Reference, Real> {
  constructor(
    readonly owner: string | undefined,
    readonly r: number,
  ) {}
  check = () => true;
  run(m: Reference, real: Real) {
    const owner = resolve(this.owner, m);
    real.state = afterFailure(
      real.state,
      { at: m.now, error: 'HTTP 503' },
      m.policy,
      () => this.r,
      owner,
    ).next;
    m.failure(owner, this.r);
    agree(m, real);
  }
  toString = () => `fail(${this.owner ?? '-'}, ${this.r.toFixed(2)})`;
}

class Elect implements fc.Command<Reference, Real> {
  constructor(readonly owner: string) {}
  check = () => true;
  run(m: Reference, r: Real) {
    const step = electProbe(r.state, this.owner, m.now, m.policy);
    const elected = m.elect(this.owner);
    expect(step !== undefined).toBe(elected);
    expect(admission(r.state, m.now) === 'probe').toBe(elected);
    if (step) r.state = step.next;
    agree(m, r);
  }
  toString = () => `elect(${this.owner})`;
}

class Wait implements fc.Command<Reference, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  run(m: Reference, r: Real) {
    m.now += this.ms;
    agree(m, r);
  }
  toString = () => `wait(${this.ms})`;
}

/** The prober's round: elect, then report the probe's outcome (the common path, made likely). */
class ProbeRound implements fc.Command<Reference, Real> {
  constructor(
    readonly ok: boolean,
    readonly r: number,
  ) {}
  check = () => true;
  run(m: Reference, real: Real) {
    new Elect('p').run(m, real);
    (this.ok ? new Succeed('holder') : new Fail('holder', this.r)).run(m, real);
  }
  toString = () => `probeRound(${this.ok ? 'ok' : 'fail'})`;
}

const commands = [
  fc
    .tuple(fc.boolean(), fc.double({ min: 0, max: 0.999, noNaN: true }))
    .map(([ok, r]) => new ProbeRound(ok, r)),
  owners.map((o) => new Succeed(o)),
  fc.tuple(owners, fc.double({ min: 0, max: 0.999, noNaN: true })).map(([o, r]) => new Fail(o, r)),
  fc.constantFrom('a', 'b').map((o) => new Elect(o)),
  fc
    .oneof(fc.integer({ min: 0, max: 4_000 }), fc.integer({ min: 5_000, max: 700_000 }))
    .map((ms) => new Wait(ms)),
];

const policies = fc.oneof(
  fc.constant(breakerPolicy()),
  // The CRM cascade guard: no streak rule, > 10 % of ≥ 20 lookups, 5 minutes open.
  fc.constant(
    breakerPolicy({
      consecutiveFailures: null,
      minimumCalls: 20,
      failureRatePercent: 10,
      failureRateComparison: 'above',
      openSeconds: 300,
    }),
  ),
  fc
    .record({
      consecutiveFailures: fc.option(fc.integer({ min: 1, max: 8 }), { nil: null }),
      minimumCalls: fc.integer({ min: 1, max: 12 }),
      windowSeconds: fc.constantFrom(6, 60, 61),
      failureRatePercent: fc.integer({ min: 1, max: 100 }),
      failureRateComparison: fc.constantFrom('at-least' as const, 'above' as const),
      openSeconds: fc.integer({ min: 1, max: 60 }),
      jitterMs: fc.integer({ min: 0, max: 3000 }),
      closeAfterSuccesses: fc.integer({ min: 1, max: 3 }),
    })
    .map((p) => breakerPolicy({ ...p, maxOpenSeconds: p.openSeconds * 8 })),
);

describe('circuit breaker (model-based)', () => {
  it('agrees with the reference model on every command sequence', () => {
    fc.assert(
      fc.property(policies, fc.commands(commands, { maxCommands: 120 }), (policy, cmds) => {
        fc.modelRun(() => ({ model: new Reference(policy), real: { state: INITIAL_BREAKER_STATE } }), cmds);
      }),
      { numRuns: 300 },
    );
  });

  it('never lets two owners hold the probe at once, and never re-opens for longer than the cap', () => {
    fc.assert(
      fc.property(fc.commands(commands, { maxCommands: 80 }), (cmds) => {
        const policy = breakerPolicy();
        const model = new Reference(policy);
        const real: Real = { state: INITIAL_BREAKER_STATE };
        for (const c of cmds) {
          c.run(model, real);
          const s = real.state;
          if (s.status !== 'closed') expect(s.openMs).toBeLessThanOrEqual(policy.maxOpenSeconds * 1000);
          if (s.status === 'open') {
            expect(s.openUntil - model.now).toBeLessThanOrEqual(
              policy.maxOpenSeconds * 1000 + policy.jitterMs,
            );
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
