// The cascade guard end to end: the real crm-lookup handler on the stand-ins, its breakers shared through
// the state table on dynalite. More than 10 % of ≥ 20 lookups on the fallback path opens crm-primary for
// 5 minutes: no endpoint is called, answers come from the cache or `source: none`; the prober closes it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedCustomerId } from '../../../drill/crm/customers';
import { type CrmStandIns, type StandInRuntime, startCrmStandIns } from '../../../drill/crm/stand-ins';
import { RecordingTelemetry } from '../../../lambdas/app/telemetry';
import { createCrmLookupHandler } from '../../../lambdas/handlers/crm-lookup-handler';

let crm: CrmStandIns;
let runtime: StandInRuntime;
let lookup: ReturnType<typeof createCrmLookupHandler>;
const telemetry = new RecordingTelemetry();

beforeAll(async () => {
  crm = await startCrmStandIns();
  runtime = crm.runtime({ random: () => 0 });
  lookup = createCrmLookupHandler(() => runtime, telemetry);
});
afterAll(() => crm.close());

const calls = () => ({ primary: crm.primary.searches(), secondary: crm.secondary.searches() });

describe('cascade guard', () => {
  it('opens after more than 10 % of 20+ lookups needed the fallback, then calls no endpoint, until probes close it', async () => {
    // Prepare: 20 healthy lookups, one a second (they also fill the cache for C0001…C0020).
    for (let n = 1; n <= 20; n++) {
      expect((await lookup({ customerId: seedCustomerId(n), interactionId: `i${n}` })).source).toBe(
        'primary',
      );
      crm.clock.advance(1000);
    }
    const outageStart = crm.clock.now();
    crm.primary.faults.window({ kind: '5xx' }, outageStart, outageStart + 3_600_000);

    // Act: lookups keep coming while the primary fails.
    const sources: string[] = [];
    for (let n = 21; n <= 23; n++) {
      sources.push((await lookup({ customerId: seedCustomerId(n) })).source);
      crm.clock.advance(1000);
    }

    // Assess: 3 fallbacks of 23 lookups (13 %) opened crm-primary (2 of 22 = 9 % did not).
    expect(sources).toEqual(['secondary', 'secondary', 'secondary']);
    expect(runtime.transitions.map((t) => [t.breaker, t.transition.from, t.transition.to])).toEqual([
      ['crm-primary', 'closed', 'open'],
    ]);
    expect(await runtime.outbox.get('circuit-open:crm-primary:1', 'trigger')).toMatchObject({
      status: 'pending',
    });

    // While open: no external call at all; cached customers answer from the cache, others get none.
    const before = calls();
    const cached = await lookup({ customerId: seedCustomerId(5) });
    const uncached = await lookup({ customerId: seedCustomerId(150) });
    crm.clock.advance(4 * 60_000);
    const later = await lookup({ customerId: seedCustomerId(6) });
    expect(calls()).toEqual(before);
    expect(cached).toMatchObject({ found: true, source: 'cache', readOnly: true });
    expect(uncached).toMatchObject({ found: false, source: 'none' });
    expect(later.source).toBe('cache');
    expect(telemetry.metrics.filter((m) => m.name === 'CrmGuarded' && m.value === 1)).toHaveLength(3);

    // Past the 5 minutes the prober probes; the primary is still down: re-opened, doubled.
    crm.clock.advance(62_000);
    const [failed] = await runtime.probe();
    expect(failed).toMatchObject({ breaker: 'crm-primary', probed: true, ok: false, status: 'open' });
    expect((await lookup({ customerId: seedCustomerId(7) })).source).toBe('cache');
    expect(calls().secondary).toBe(before.secondary);

    // The primary recovers; two good probes close the guard, lookups reach the primary again.
    crm.primary.faults.clear();
    crm.clock.advance(10 * 60_000 + 5_000);
    expect((await runtime.probe())[0]).toMatchObject({ probed: true, ok: true, status: 'half-open' });
    expect((await runtime.probe())[0]).toMatchObject({ probed: true, ok: true, status: 'closed' });
    const after = await lookup({ customerId: seedCustomerId(8) });
    expect(after).toMatchObject({ source: 'primary', readOnly: false });
    expect(await runtime.outbox.get('circuit-open:crm-primary:1', 'resolve')).toBeDefined();
  });
});
