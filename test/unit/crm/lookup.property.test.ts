// Invariants of the pure lookup machine over arbitrary endpoint and cache behaviour: whatever the CRMs
// answer and however long they take (within the timeouts we give them), the lookup answers within the
// budget, spends at most 2 retries, and calls nothing while the cascade guard is open.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCrmConfig } from '../../../lambdas/core/crm/config';
import {
  afterStep,
  type CacheOutcome,
  type CallOutcome,
  type LookupAnswer,
  nextStep,
  startLookup,
} from '../../../lambdas/core/crm/lookup';

const config = parseCrmConfig({
  primary: {
    baseUrl: 'https://crm.example',
    tokenUrl: 'https://crm.example/oauth/token',
    credentialsSecret: 'p',
  },
  secondary: {
    baseUrl: 'https://replica.example',
    tokenUrl: 'https://replica.example/oauth/token',
    credentialsSecret: 's',
  },
});

const customer = { customerId: 'C1' };
const callOutcome = fc.constantFrom<CallOutcome>(
  { kind: 'ok', customer, orderHistory: [{ orderId: 'O1' }] },
  { kind: 'not-found' },
  { kind: 'unauthorized' },
  { kind: 'client-error', status: 403 },
  { kind: 'rate-limited' },
  { kind: 'server-error', status: 503 },
  { kind: 'timeout' },
  { kind: 'network', detail: 'ECONNRESET' },
  { kind: 'invalid-response', detail: 'no customer' },
  { kind: 'token-failed', detail: 'HTTP 500' },
);
const start = Date.parse('2026-11-27T09:00:00Z');
const cacheOutcome = fc.oneof(
  fc.constant<CacheOutcome>({ kind: 'miss' }),
  fc.constant<CacheOutcome>({ kind: 'failed', detail: 'dynamo down' }),
  fc.integer({ min: 0, max: 86_400_000 }).map<CacheOutcome>((age) => ({
    kind: 'hit',
    record: { customer, source: 'primary', fetchedAt: start - age },
  })),
);

interface Run {
  answer: LookupAnswer;
  elapsed: number;
  retries: number;
  calls: { primary: number; secondary: number };
  firstPrimary?: CallOutcome;
}

/** Executes the machine with scripted outcomes; each call/read takes a fraction of the time it was given. */
function execute(
  calls: CallOutcome[],
  caches: CacheOutcome[],
  fractions: number[],
  primaryOpen: boolean,
  secondaryOpen: boolean,
): Run {
  let now = start;
  let s = startLookup(config, { primaryOpen, secondaryOpen }, now);
  const counted = { primary: 0, secondary: 0 };
  let i = 0;
  let firstPrimary: CallOutcome | undefined;
  for (let steps = 0; steps < 50; steps++) {
    const step = nextStep(config, s, now);
    if (step.kind === 'answer') {
      return {
        answer: step.answer,
        elapsed: now - start,
        retries: s.retriesUsed,
        calls: counted,
        ...(firstPrimary ? { firstPrimary } : {}),
      };
    }
    const f = fractions[i % fractions.length] ?? 1;
    let outcome: CallOutcome | CacheOutcome | undefined;
    if (step.kind === 'wait') now += step.ms;
    else if (step.kind === 'read-cache') {
      now += Math.floor(step.timeoutMs * f);
      outcome = caches[i % caches.length] ?? { kind: 'miss' };
    } else {
      counted[step.endpoint] += 1;
      const o = calls[i % calls.length] ?? { kind: 'timeout' };
      if (step.endpoint === 'primary' && !firstPrimary) firstPrimary = o;
      now += o.kind === 'timeout' ? step.timeoutMs : Math.floor(step.timeoutMs * f);
      outcome = o;
    }
    i++;
    s = afterStep(config, s, step, outcome, now);
  }
  throw new Error('the lookup did not answer within 50 steps');
}

const runs = fc.record({
  calls: fc.array(callOutcome, { minLength: 1, maxLength: 8 }),
  caches: fc.array(cacheOutcome, { minLength: 1, maxLength: 3 }),
  fractions: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 8 }),
  primaryOpen: fc.boolean(),
  secondaryOpen: fc.boolean(),
});

describe('crm lookup machine (property)', () => {
  it('always answers within the budget, with at most 2 retries', () => {
    fc.assert(
      fc.property(runs, ({ calls, caches, fractions, primaryOpen, secondaryOpen }) => {
        const r = execute(calls, caches, fractions, primaryOpen, secondaryOpen);
        expect(r.elapsed).toBeLessThanOrEqual(config.budgetMs);
        expect(r.retries).toBeLessThanOrEqual(2);
        expect(r.calls.primary + r.calls.secondary).toBeLessThanOrEqual(1 + 2 + 1);
      }),
      { numRuns: 500 },
    );
  });

  it('calls no endpoint while the cascade guard is open, and the secondary never while its breaker is', () => {
    fc.assert(
      fc.property(runs, ({ calls, caches, fractions, secondaryOpen }) => {
        const guarded = execute(calls, caches, fractions, true, secondaryOpen);
        expect(guarded.calls).toEqual({ primary: 0, secondary: 0 });
        expect(['cache', 'none']).toContain(guarded.answer.source);
        const r = execute(calls, caches, fractions, false, true);
        expect(r.calls.secondary).toBe(0);
      }),
      { numRuns: 500 },
    );
  });

  it('order history only from the primary; only the primary answers editable data', () => {
    fc.assert(
      fc.property(runs, ({ calls, caches, fractions, primaryOpen, secondaryOpen }) => {
        const { answer } = execute(calls, caches, fractions, primaryOpen, secondaryOpen);
        if (answer.source !== 'primary') {
          expect(answer.orderHistory).toEqual([]);
          expect(answer.readOnly).toBe(true);
        }
        if (answer.source === 'cache')
          expect(answer.banner).toMatch(/^Data Source: (Primary|Secondary) \(Cached/);
      }),
      { numRuns: 300 },
    );
  });

  it('a client error from the primary ends the lookup: no fallback, no retry', () => {
    fc.assert(
      fc.property(runs, ({ calls, caches, fractions }) => {
        const r = execute([{ kind: 'client-error', status: 400 }, ...calls], caches, fractions, false, false);
        expect(r.answer).toMatchObject({ source: 'none', errorStatus: 400 });
        expect(r.calls).toEqual({ primary: 1, secondary: 0 });
      }),
      { numRuns: 300 },
    );
  });
});
