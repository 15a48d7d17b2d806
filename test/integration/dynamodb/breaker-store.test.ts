import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DynamoBreakerStore,
  DynamoPageOutbox,
  Partition,
  stateTable,
} from '../../../lambdas/adapters/dynamodb';
import { queryPartition } from '../../../lambdas/adapters/dynamodb/items';
import { SharedBreakers } from '../../../lambdas/app/breaker';
import type { AppLogger } from '../../../lambdas/app/deps';
import { type BreakerTransition, INITIAL_BREAKER_STATE } from '../../../lambdas/core/circuit-breaker';
import { CircuitOpenError } from '../../../lambdas/core/errors';
import { countDynamoCalls, type LocalDynamo, startLocalDynamo } from '../../support/local-dynamo';

// The shared breaker on dynalite: many containers (SharedBreakers instances) over one table, racing the
// way Lambda containers do. Time is a shared simulated clock; only DynamoDB calls are real.

const T0 = Date.parse('2026-11-27T09:00:00Z');
const quiet: AppLogger = { info() {}, warn() {}, error() {} };
const unavailable = () => Object.assign(new Error('HTTP 503 service.unavailable'), { status: 503 });

describe('shared circuit breaker (dynalite)', () => {
  let dynamo: LocalDynamo;
  let store: DynamoBreakerStore;
  let outbox: DynamoPageOutbox;
  let transitions: { container: number; breaker: string; t: BreakerTransition }[];
  let table: ReturnType<typeof stateTable>;
  const clock = { t: T0, now: () => clock.t };

  const container = (i: number) =>
    new SharedBreakers({
      store,
      clock,
      pages: { stage: (page) => outbox.recordNew(page, clock.now()) },
      log: quiet,
      owner: () => `container-${i}`,
      random: () => 0.5,
      onTransition: (breaker, t) => transitions.push({ container: i, breaker, t }),
    });
  const pages = () => queryPartition(table, Partition.Page, (item) => String(item.sk));

  /** Opens `genesys` from one container: 5 failures in a row. */
  const openGenesys = async (c: SharedBreakers) => {
    for (let i = 0; i < 5; i++) {
      await expect(c.run('genesys', () => Promise.reject(unavailable()))).rejects.toThrow(/503/);
    }
  };

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(async () => dynamo.stop());
  beforeEach(async () => {
    clock.t = T0;
    transitions = [];
    table = stateTable({ client: dynamo.client, tableName: await dynamo.createTable(), clock });
    store = new DynamoBreakerStore(table);
    outbox = new DynamoPageOutbox(table);
  });

  it('20 containers failing at once: exactly one OPEN write and one page', async () => {
    const containers = Array.from({ length: 20 }, (_, i) => container(i));
    const results = await Promise.allSettled(
      containers.map((c) => c.run('genesys', () => Promise.reject(unavailable()))),
    );
    expect(results.every((r) => r.status === 'rejected')).toBe(true);

    const opened = transitions.filter((x) => x.t.to === 'open');
    expect(opened).toHaveLength(1);
    const stored = await store.get('genesys');
    expect(stored.state).toMatchObject({ status: 'open', episode: 1 });
    expect(stored.revision).toBe(1);
    expect(stored.pagedEpisode).toBe(1);
    expect(await pages()).toEqual(['circuit-open:genesys:1#trigger']);

    // Now every container fails fast, without calling.
    let calls = 0;
    for (const c of containers) {
      clock.t += 10; // still inside the 30 s open period
      await expect(
        c.run('genesys', async () => {
          calls++;
        }),
      ).rejects.toBeInstanceOf(CircuitOpenError);
    }
    expect(calls).toBe(0);
  });

  it('20 concurrent callers at half-open: exactly one probe reaches the dependency', async () => {
    await openGenesys(container(99));
    const { state } = await store.get('genesys');
    clock.t = (state.status === 'open' ? state.openUntil : 0) + 1;

    const containers = Array.from({ length: 20 }, (_, i) => container(i));
    let calls = 0;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const runs = containers.map((c) =>
      c.run(
        'genesys',
        async () => {
          calls++;
          await gate; // hold the probe in flight while the others decide
          return 'probed';
        },
        { fallback: () => 'fell back' },
      ),
    );
    // Let every caller reach its decision, then let the probe answer.
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    const answers = await Promise.all(runs);
    expect(calls).toBe(1);
    expect(answers.filter((a) => a === 'probed')).toHaveLength(1);
    expect(answers.filter((a) => a === 'fell back')).toHaveLength(19);
    expect((await store.get('genesys')).state).toMatchObject({ status: 'half-open', probeSuccesses: 1 });
  });

  it('a healthy CLOSED breaker writes nothing per call: successes are flushed at most every 5 s', async () => {
    const calls = countDynamoCalls(dynamo.client);
    const c = container(1);
    for (let i = 0; i < 100; i++) {
      clock.t = T0 + i * 40; // 100 calls in 4 s
      expect(await c.run('genesys', async () => i)).toBe(i);
    }
    const during = calls.snapshot();
    expect(during.UpdateItemCommand ?? 0).toBe(0);
    expect(during.GetItemCommand).toBe(1); // the first read; the view is trusted for 5 s
    clock.t = T0 + 5_000;
    await c.run('genesys', async () => 'x');
    expect(calls.snapshot().UpdateItemCommand).toBe(1);
    const stored = await store.get('genesys');
    // The 100 earlier successes were written; the 101st waits in memory for the next flush.
    expect(stored.state.status === 'closed' && stored.state.window.reduce((n, b) => n + b.calls, 0)).toBe(
      100,
    );
    await c.flush();
    const flushed = await store.get('genesys');
    expect(flushed.state.status === 'closed' && flushed.state.window.reduce((n, b) => n + b.calls, 0)).toBe(
      101,
    );
    calls.reset();
  });

  it('failures are written at once and counted across containers', async () => {
    const a = container(1);
    const b = container(2);
    for (const c of [a, b, a, b])
      await expect(c.run('genesys', () => Promise.reject(unavailable()))).rejects.toThrow();
    const stored = await store.get('genesys');
    expect(stored.state).toMatchObject({ status: 'closed', consecutiveFailures: 4 });
    // The 5th failure, in either container, opens it.
    await expect(b.run('genesys', () => Promise.reject(unavailable()))).rejects.toThrow();
    expect((await store.get('genesys')).state.status).toBe('open');
  });

  it('a flushed success ends the streak only if it is newer than the last failure anywhere', async () => {
    const a = container(1);
    const b = container(2);
    await a.run('genesys', async () => 'ok'); // a success at T0, held in a's memory
    clock.t = T0 + 1_000;
    for (let i = 0; i < 3; i++)
      await expect(b.run('genesys', () => Promise.reject(unavailable()))).rejects.toThrow();
    await a.flush(); // older than b's failures: the streak stays
    expect((await store.get('genesys')).state).toMatchObject({ consecutiveFailures: 3 });
    clock.t = T0 + 2_000;
    await a.run('genesys', async () => 'ok');
    await a.flush(); // newer: the streak ends
    expect((await store.get('genesys')).state).toMatchObject({ consecutiveFailures: 0 });
  });

  it('4xx answers are the caller’s fault and never open the breaker', async () => {
    const c = container(1);
    for (let i = 0; i < 12; i++) {
      await expect(
        c.run('genesys', () => Promise.reject(Object.assign(new Error('HTTP 404'), { status: 404 }))),
      ).rejects.toThrow(/404/);
    }
    expect((await store.get('genesys')).state.status).toBe('closed');
  });

  it('probes close it after 2 successes and the resolve shares the trigger’s key; a failed probe doubles the wait', async () => {
    const c = container(1);
    await openGenesys(c);
    let s = (await store.get('genesys')).state;
    clock.t = (s.status === 'open' ? s.openUntil : 0) + 1;
    const failed = await c.probe('genesys', () => Promise.reject(unavailable()));
    expect(failed).toMatchObject({ probed: true, ok: false, status: 'open' });
    s = (await store.get('genesys')).state;
    expect(s).toMatchObject({ status: 'open', openMs: 60_000 });

    expect(await c.probe('genesys', async () => 'early')).toMatchObject({ probed: false, status: 'open' });
    clock.t = (s.status === 'open' ? s.openUntil : 0) + 1;
    expect(await c.probe('genesys', async () => 'ok')).toMatchObject({
      probed: true,
      ok: true,
      status: 'half-open',
    });
    expect(await c.probe('genesys', async () => 'ok')).toMatchObject({
      probed: true,
      ok: true,
      status: 'closed',
    });
    expect(transitions.map((x) => `${x.t.from}>${x.t.to}`)).toEqual([
      'closed>open',
      'open>half-open',
      'half-open>open',
      'open>half-open',
      'half-open>closed',
    ]);
    expect((await pages()).sort()).toEqual([
      'circuit-open:genesys:1#resolve',
      'circuit-open:genesys:1#trigger',
    ]);
    const stored = await store.get('genesys');
    expect(stored).toMatchObject({ pagedEpisode: 1, resolvedEpisode: 1 });
    expect(stored.state).toEqual({ status: 'closed', episode: 1, consecutiveFailures: 0, window: [] });
  });

  it('a transition from a stale revision loses', async () => {
    const fresh = await store.get('kvs');
    expect(fresh.state).toEqual(INITIAL_BREAKER_STATE);
    const next = { ...INITIAL_BREAKER_STATE, consecutiveFailures: 1 };
    expect(await store.transition(fresh, next, T0)).toBeDefined();
    expect(await store.transition(fresh, next, T0)).toBeUndefined();
  });

  it('page repair stages what a crash between the OPEN write and the page left out', async () => {
    const seen = await store.get('pager');
    // A container won the OPEN write and died before staging its page.
    await store.transition(
      seen,
      {
        status: 'open',
        episode: 1,
        openedAt: T0,
        openMs: 30_000,
        openUntil: T0 + 31_000,
        cause: { trigger: 'consecutive-failures', consecutiveFailures: 5, calls: 5, failures: 5 },
      },
      T0,
    );
    expect(await pages()).toEqual([]);
    const c = container(1);
    expect(await c.repairPages()).toBe(1);
    expect(await c.repairPages()).toBe(0);
    expect(await pages()).toEqual(['circuit-open:pager:1#trigger']);
  });
});
