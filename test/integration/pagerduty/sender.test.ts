import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type PagerDutyStandIn, startPagerDutyStandIn } from '../../../drill/pagerduty-stand-in';
import { DynamoBreakerStore, DynamoPageOutbox, stateTable } from '../../../lambdas/adapters/dynamodb';
import { PagerDutyEventsClient } from '../../../lambdas/adapters/pagerduty/events-v2';
import { SharedBreakers } from '../../../lambdas/app/breaker';
import type { AppLogger } from '../../../lambdas/app/deps';
import { DEAD_REDRIVE_MS, PageSender } from '../../../lambdas/app/send-pages';
import type { Page } from '../../../lambdas/core/ports';
import { type LocalDynamo, startLocalDynamo } from '../../support/local-dynamo';

// The asynchronous sender end to end: outbox on dynalite → `pager` breaker → PagerDuty Events v2 on the
// local stand-in (real HTTP on 127.0.0.1). Retry waits run on a simulated clock.

const T0 = Date.parse('2026-11-27T09:00:00Z');
const ROUTING_KEY = 'R0123456789ABCDEF0123456789ABCDE';
const quiet: AppLogger = { info() {}, warn() {}, error() {} };

const page = (n: number, action: Page['action'] = 'trigger'): Page => ({
  kind: 'actuator-episode',
  dedupKey: `actuator:tier2-gate:${n}`,
  action,
  severity: 'critical',
  summary: `sales: 412 waiting, 3 agents available; tier 2 on (${n})`,
  reason: 'actuator-demanded',
  at: new Date(T0).toISOString(),
  details: { actuatorId: 'tier2-gate', queueId: 'sales', waiting: 412, agentsAvailable: 3 },
});

describe('page sender → PagerDuty Events v2 (stand-in)', () => {
  let dynamo: LocalDynamo;
  let pd: PagerDutyStandIn;
  let outbox: DynamoPageOutbox;
  let sender: PageSender;
  let waits: number[];
  let emailed: Page[];
  const clock = { t: T0, now: () => clock.t };

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  afterAll(async () => {
    await pd?.close();
    await dynamo.stop();
  });
  beforeEach(async () => {
    clock.t = T0;
    waits = [];
    emailed = [];
    await pd?.close();
    pd = await startPagerDutyStandIn({ clock, routingKey: ROUTING_KEY });
    const table = stateTable({ client: dynamo.client, tableName: await dynamo.createTable(), clock });
    outbox = new DynamoPageOutbox(table);
    const breakers = new SharedBreakers({
      store: new DynamoBreakerStore(table),
      clock,
      pages: { stage: (p) => outbox.recordNew(p, clock.now()) },
      log: quiet,
      owner: () => 'sender',
      random: () => 0.5,
    });
    sender = new PageSender({
      outbox,
      pagerDuty: new PagerDutyEventsClient({ url: pd.url, routingKey: { get: async () => ROUTING_KEY } }),
      email: { send: async (p) => emailed.push(p) },
      breakers,
      clock,
      log: quiet,
      sleep: async (ms) => {
        waits.push(ms);
        clock.t += ms;
      },
      random: () => 0.75,
    });
  });

  /** What the table's stream would hand the sender: the pending entries with the claim they were staged with. */
  const streamRecords = async () =>
    (await outbox.backlog()).pending.map((e) => ({ page: e.page, claimUntil: e.claimUntil }));

  it('every trigger opens an incident and its resolve closes it (same dedup key), e-mail gets a copy', async () => {
    await outbox.recordNew(page(1), clock.now());
    expect(await sender.deliverStaged(await streamRecords())).toMatchObject({ sent: 1 });
    expect(pd.incidents.get('actuator:tier2-gate:1')).toMatchObject({ status: 'triggered', triggers: 1 });

    clock.t += 60_000;
    await outbox.recordNew(page(1, 'resolve'), clock.now());
    expect(await sender.deliverStaged(await streamRecords())).toMatchObject({ sent: 1 });
    expect(pd.incidents.get('actuator:tier2-gate:1')).toMatchObject({ status: 'resolved' });
    expect(pd.events.map((e) => `${e.status} ${e.eventAction}`)).toEqual(['202 trigger', '202 resolve']);
    expect(emailed.map((p) => p.action)).toEqual(['trigger', 'resolve']);
    expect((await outbox.get('actuator:tier2-gate:1', 'resolve'))?.status).toBe('sent');
  });

  it('a duplicate stream delivery sends nothing twice', async () => {
    await outbox.recordNew(page(2), clock.now());
    const records = await streamRecords();
    await sender.deliverStaged(records);
    expect(await sender.deliverStaged(records)).toMatchObject({ sent: 0, skipped: 1 });
    expect(pd.events).toHaveLength(1);
  });

  it('retries 429 and 5xx with full-jitter waits under 1 s, 2 s, 4 s, then succeeds', async () => {
    pd.failNext('429', 1);
    pd.failNext('5xx', 1);
    await outbox.recordNew(page(3), clock.now());
    expect(await sender.deliverStaged(await streamRecords())).toMatchObject({ sent: 1 });
    expect(waits).toEqual([750, 1500]);
    expect(pd.events.map((e) => e.status)).toEqual([429, 503, 202]);
  });

  it('after 3 retries the page is dead-lettered (kept, not lost) and re-driven once PagerDuty is back', async () => {
    pd.fail('5xx', T0, T0 + 60_000);
    await outbox.recordNew(page(4), clock.now());
    expect(await sender.deliverStaged(await streamRecords())).toMatchObject({ dead: 1 });
    expect(pd.events).toHaveLength(4); // 1 + 3 retries
    expect(waits).toEqual([750, 1500, 3000]);
    expect(await outbox.get('actuator:tier2-gate:4', 'trigger')).toMatchObject({
      status: 'dead',
      attempts: 1,
    });
    expect((await outbox.backlog()).dead).toBe(1);

    clock.t = T0 + 6 * 60_000; // past the re-drive delay, PagerDuty healthy
    expect(await sender.sweep()).toMatchObject({ sent: 1 });
    expect(pd.incidents.get('actuator:tier2-gate:4')?.status).toBe('triggered');
  });

  it('a 400 (invalid event) is dead at once, never retried, and does not count against the breaker', async () => {
    const bad = { ...page(5), summary: 'x'.repeat(2000) }; // our adapter cuts it: force a bad body instead
    const rejecting = new PagerDutyEventsClient({
      url: pd.url,
      routingKey: { get: async () => 'WRONGKEY0123456789AB' },
    });
    const s = new PageSender({
      outbox,
      pagerDuty: rejecting,
      breakers: new SharedBreakers({
        store: new DynamoBreakerStore(
          stateTable({ client: dynamo.client, tableName: await dynamo.createTable(), clock }),
        ),
        clock,
        pages: { stage: async () => true },
        log: quiet,
        owner: () => 's',
      }),
      clock,
      log: quiet,
      sleep: async () => {},
    });
    for (let i = 0; i < 6; i++) {
      await outbox.recordNew({ ...bad, dedupKey: `bad:${i}` }, clock.now());
    }
    expect(await s.deliverStaged(await streamRecords())).toMatchObject({ dead: 6 });
    expect(pd.events.map((e) => e.status)).toEqual([400, 400, 400, 400, 400, 400]);
    expect(await outbox.get('bad:0', 'trigger')).toMatchObject({ status: 'dead' });
  });

  it('when PagerDuty stays down the pager breaker opens: pages stay queued with no call, then all go out', async () => {
    pd.fail('5xx', T0, T0 + 10 * 60_000);
    for (let i = 10; i < 17; i++) await outbox.recordNew(page(i), clock.now());
    const first = await sender.deliverStaged(await streamRecords());
    expect(first).toMatchObject({ dead: 5, queued: 2 }); // the 5th dead page opens the breaker
    const calls = pd.events.length;
    expect(calls).toBe(5 * 4);

    clock.t = T0 + 11 * 60_000; // healthy again; breaker due for a probe, dead pages due for a re-drive
    const later = await sender.sweep();
    // The 7 pages, and the breaker's own circuit-open page, staged in the same outbox when it opened.
    expect(later.sent).toBe(8);
    expect([...pd.incidents.keys()].filter((k) => k.startsWith('actuator:'))).toHaveLength(7);
    expect(pd.incidents.get('circuit-open:pager:1')?.status).toBe('triggered');
  });

  it('a resolve waits while its trigger is still pending', async () => {
    pd.failNext('down', 4);
    await outbox.recordNew(page(20), clock.now());
    await outbox.recordNew(page(20, 'resolve'), clock.now());
    const r = await sender.deliverStaged(await streamRecords());
    expect(r).toMatchObject({ dead: 1 }); // the trigger, after 4 refused connections
    // The resolve went out after the trigger died (a resolve for an unknown key harms nothing)…
    // …but had the trigger still been pending it would have waited:
    await outbox.recordNew(page(21), clock.now());
    await outbox.recordNew(page(21, 'resolve'), clock.now());
    const resolveOnly = (await streamRecords()).filter(
      (x) => x.page.action === 'resolve' && x.page.dedupKey.endsWith(':21'),
    );
    expect(await sender.deliverStaged(resolveOnly)).toMatchObject({ queued: 1 });
    expect(pd.incidents.has('actuator:tier2-gate:21')).toBe(false);
  });

  it('sends a restatement into the open incident, holds the resolve back while one is pending, drops one staged after the resolve went out', async () => {
    await outbox.recordNew(page(7), clock.now());
    await sender.deliverStaged(await streamRecords());
    const restated = { ...page(7), summary: 'restated: 12 queues', revision: 3 };
    await outbox.recordNew(restated, clock.now());
    await outbox.recordNew(page(7, 'resolve'), clock.now());
    // The stream hands over the resolve first: it waits for the pending restatement.
    const records = await streamRecords();
    const resolveFirst = [...records].sort((a) => (a.page.action === 'resolve' ? -1 : 1));
    await sender.deliver(resolveFirst[0]?.page as Page);
    expect(pd.events.map((e) => e.eventAction)).toEqual(['trigger']);
    clock.t += 120_000;
    await sender.sweep();
    expect(pd.events.map((e) => `${e.eventAction} ${e.dedupKey}`)).toEqual([
      'trigger actuator:tier2-gate:7',
      'trigger actuator:tier2-gate:7',
      'resolve actuator:tier2-gate:7',
    ]);

    // A restatement staged late, after the resolve went out, never reopens the incident.
    await outbox.recordNew({ ...restated, revision: 4 }, clock.now());
    expect(await sender.deliverStaged(await streamRecords())).toMatchObject({ sent: 0, skipped: 1 });
    expect(pd.incidents.get('actuator:tier2-gate:7')).toMatchObject({ status: 'resolved' });
    expect((await outbox.backlog()).pending).toEqual([]);
  });

  it('housekeeping reads only what is due: sent pages leave the due index, a rejected dead page stays counted but never due', async () => {
    for (let n = 10; n < 40; n++) {
      await outbox.recordNew(page(n), clock.now());
      await outbox.markSent(page(n), clock.now());
    }
    await outbox.recordNew(page(50), clock.now());
    await outbox.markFailed(page(50), 'HTTP 503', clock.now());
    await outbox.recordNew(page(51), clock.now());
    await outbox.markDead(page(51), 'rejected', 'HTTP 400', clock.now());
    await outbox.recordNew(page(52), clock.now());
    await outbox.markDead(page(52), 'retries-exhausted', 'HTTP 503', clock.now());

    const backlog = await outbox.backlog();
    expect(backlog.pending.map((e) => e.page.dedupKey)).toEqual(['actuator:tier2-gate:50']);
    expect(backlog.dead).toBe(2);
    // Due now: the released one only; the retries-exhausted one after its re-drive time; the rejected never.
    clock.t += 1000;
    expect(
      (await outbox.claimDue(clock.now(), 25, { redriveDead: true })).map((e) => e.page.dedupKey),
    ).toEqual(['actuator:tier2-gate:50']);
    await outbox.markSent(page(50), clock.now());
    clock.t += DEAD_REDRIVE_MS;
    expect(await outbox.claimDue(clock.now(), 25, { redriveDead: false })).toEqual([]);
    expect(
      (await outbox.claimDue(clock.now(), 25, { redriveDead: true })).map((e) => e.page.dedupKey),
    ).toEqual(['actuator:tier2-gate:52']);
    await outbox.markSent(page(52), clock.now());
    clock.t += 24 * 3600_000; // the rejected page never comes due
    expect(await outbox.claimDue(clock.now(), 25, { redriveDead: true })).toEqual([]);
  });
});
