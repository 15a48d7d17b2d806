// DynamoDB persistence on dynalite (loopback, in-process): throughput of the evaluation's load+save path
// and the number of DynamoDB calls each evaluation path makes (counted by an SDK middleware).
// Figures are printed, never asserted. dynalite is far slower than DynamoDB; compare runs, not services.
import { performance } from 'node:perf_hooks';
import { createDynamoPersistence, OutboxPager } from '../lambdas/adapters/dynamodb';
import { LocalOutboxPager } from '../lambdas/adapters/local';
import { openEpisode } from '../lambdas/core/persistence';
import type { Page } from '../lambdas/core/ports';
import { countDynamoCalls, startLocalDynamo } from '../test/support/local-dynamo';

const state = (n: number) => ({
  lastObservedAt: new Date(1_700_000_000_000 + n * 60_000).toISOString(),
  tiers: {
    tier1: { active: false, activateStreak: n % 10, restoreStreak: 0 },
    tier2: { active: false, activateStreak: 0, restoreStreak: n % 5 },
    tier3: { active: false, activateStreak: 0, restoreStreak: 0 },
  },
});

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

export async function run(): Promise<void> {
  const dynamo = await startLocalDynamo();
  const clock = { t: 1_700_000_000_000, now: () => clock.t };
  const store = createDynamoPersistence({ client: dynamo.client, tableName: dynamo.tableName, clock });
  const calls = countDynamoCalls(dynamo.client);
  try {
    // ── Throughput: loadForEvaluation + save, sequential, one queue per 10 iterations ──
    const iterations = 400;
    for (let i = 0; i < 20; i++) {
      const { queue } = await store.queues.loadForEvaluation(`warm-${i}`);
      await store.queues.save(`warm-${i}`, state(i), queue?.version);
    }
    const latencies: number[] = [];
    const started = performance.now();
    for (let i = 0; i < iterations; i++) {
      const queueId = `q${i % 40}`;
      const t0 = performance.now();
      const { queue } = await store.queues.loadForEvaluation(queueId);
      await store.queues.save(queueId, state(i), queue?.version);
      latencies.push(performance.now() - t0);
    }
    const elapsedS = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    console.log(
      `load+save (BatchGetItem + conditional PutItem), ${iterations} sequential on dynalite: ` +
        `${(iterations / elapsedS).toFixed(0)} evaluations/s, p50 ${percentile(latencies, 0.5).toFixed(2)} ms, ` +
        `p99 ${percentile(latencies, 0.99).toFixed(2)} ms`,
    );

    const concurrent = 10;
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: concurrent }, async (_, w) => {
        for (let i = 0; i < iterations / concurrent; i++) {
          const queueId = `c${w}`;
          const { queue } = await store.queues.loadForEvaluation(queueId);
          await store.queues.save(queueId, state(i), queue?.version);
        }
      }),
    );
    console.log(
      `load+save, ${concurrent} queues in parallel: ${(iterations / ((performance.now() - t1) / 1000)).toFixed(0)} evaluations/s`,
    );

    // ── DynamoDB calls per evaluation path ──
    const pager = new OutboxPager(store.outbox, new LocalOutboxPager(), clock);
    const rows: [string, number, Record<string, number>][] = [];
    const measure = async (label: string, path: () => Promise<void>) => {
      calls.reset();
      await path();
      rows.push([label, calls.total(), calls.snapshot()]);
    };

    await measure('evaluation, no transition (read state+overrides, write state)', async () => {
      const { queue } = await store.queues.loadForEvaluation('q1');
      await store.queues.save('q1', state(1), queue?.version);
    });
    await measure(
      'evaluation losing an optimistic race, re-read + re-save (incl. the winner’s PutItem)',
      async () => {
        const { queue } = await store.queues.loadForEvaluation('q1');
        await store.queues.save('q1', state(2), queue?.version); // a concurrent writer wins first
        await store.queues.save('q1', state(3), queue?.version).catch(async () => {
          const again = await store.queues.loadForEvaluation('q1');
          await store.queues.save('q1', state(3), again.queue?.version);
        });
      },
    );
    const page = (action: Page['action'], dedupKey: string): Page => ({
      kind: 'actuator-episode',
      dedupKey,
      action,
      severity: action === 'trigger' ? 'critical' : 'info',
      summary: `tier 2 gate ${action}`,
      reason: action === 'trigger' ? 'tier-activated' : 'tier-restored',
      at: new Date(clock.t).toISOString(),
      details: {},
    });
    let dedupKey = '';
    await measure('evaluation, activation (state, demand, lease, applied, page)', async () => {
      const { queue } = await store.queues.loadForEvaluation('q1');
      await store.queues.save('q1', state(4), queue?.version);
      await store.actuators.setDemand('tier2-gate', 'q1', true, clock.t);
      const lease = await store.actuators.acquireLease('tier2-gate', 'bench', clock.t, 10_000);
      const episode = openEpisode(lease.record, clock.t);
      dedupKey = episode.dedupKey;
      await store.actuators.recordApplied('tier2-gate', 'active', lease, clock.t, { episode });
      await pager.deliver(page('trigger', dedupKey));
    });
    await measure('evaluation, restore (as activation + trigger-delivered check)', async () => {
      const { queue } = await store.queues.loadForEvaluation('q1');
      await store.queues.save('q1', state(5), queue?.version);
      await store.actuators.setDemand('tier2-gate', 'q1', false, clock.t);
      const lease = await store.actuators.acquireLease('tier2-gate', 'bench', clock.t, 10_000);
      await store.actuators.recordApplied('tier2-gate', 'inactive', lease, clock.t);
      await pager.deliver(page('resolve', dedupKey));
    });
    await measure(
      '20 duplicate activations racing (lease, applied check, outbox dedup), all 20',
      async () => {
        await store.actuators.setDemand('a-race', 'q1', true, clock.t);
        await Promise.all(
          Array.from({ length: 20 }, async (_, i) => {
            try {
              const lease = await store.actuators.acquireLease('a-race', `w${i}`, clock.t, 10_000);
              // A duplicate that gets the lease after the winner released it finds the work done.
              if (lease.record.applied === lease.record.desired) {
                await store.actuators.releaseLease(lease);
                return;
              }
              await store.actuators.recordApplied('a-race', 'active', lease, clock.t);
              await pager.deliver(page('trigger', 'actuator:a-race:1'));
            } catch {
              // LeaseHeldError: another duplicate owns this switch
            }
          }),
        );
      },
    );
    await measure('poller tick housekeeping (list queues, list actuators, retry pages)', async () => {
      await store.queues.list();
      await store.actuators.list();
      await pager.retryPending();
    });

    console.log('\nDynamoDB calls per path:');
    for (const [label, total, byCommand] of rows) {
      const detail = Object.entries(byCommand)
        .map(([c, n]) => `${c.replace(/Command$/, '')}×${n}`)
        .join(' ');
      console.log(`  ${String(total).padStart(3)}  ${label.padEnd(90)} ${detail}`);
    }
  } finally {
    await dynamo.stop();
  }
}
