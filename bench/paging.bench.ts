// Paging figures on the stand-ins (dynalite, the Genesys emulator, the PagerDuty stand-in, simulated
// time): pages delivered for a tier-3 recommend surge and for a Genesys outage at 1,000 queues, and the
// DynamoDB calls (and items read) of one page-housekeeping pass with 10,000 retained pages.
// Prints numbers; asserts nothing. Run: `npm run bench paging` (PAGING_QUEUES to change 1,000).
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SimulatedClock } from '../drill/simulated-clock';
import { type StandIns, startStandIns } from '../drill/stand-ins';
import { createDynamoPersistence } from '../lambdas/adapters/dynamodb';
import { evaluateObservation } from '../lambdas/app/evaluate-observation';
import { pollTick } from '../lambdas/app/poll-tick';
import { PageSender } from '../lambdas/app/send-pages';
import { RecordingTelemetry } from '../lambdas/app/telemetry';
import { parseConfig } from '../lambdas/core/config';
import type { Page } from '../lambdas/core/ports';

const QUEUES = Number(process.env.PAGING_QUEUES ?? 1000);
const RETAINED = 10_000;
const MINUTE = 60_000;
const T0 = Date.parse('2026-11-27T09:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const queueIds = Array.from({ length: QUEUES }, (_, i) => `q${String(i + 1).padStart(4, '0')}`);

async function withStandIns<T>(config: unknown, run: (s: StandIns, clock: SimulatedClock) => Promise<T>) {
  const clock = new SimulatedClock(T0);
  const parsed = parseConfig(config);
  const standIns = await startStandIns({
    config: parsed,
    actuators: [],
    clock,
    telemetry: new RecordingTelemetry(),
  });
  try {
    return await run(standIns, clock);
  } finally {
    await standIns.stop();
  }
}

async function evaluateAll(s: StandIns, at: number, waiting: number): Promise<void> {
  for (const queueId of queueIds)
    await evaluateObservation(s.deps, { queueId, observedAt: iso(at), waiting, agentsAvailable: 2 });
}

const byKind = (pages: readonly Page[]) => {
  const out: Record<string, number> = {};
  for (const p of pages) out[`${p.kind} ${p.action}`] = (out[`${p.kind} ${p.action}`] ?? 0) + 1;
  return out;
};

/** Every queue's tier 3 (recommend mode) over its threshold at once, then all back under. */
async function recommendSurge() {
  const config = {
    queues: queueIds.map((id) => ({ id })),
    tiers: {
      tier1: { mode: 'off' },
      tier2: { mode: 'off' },
      tier3: {
        mode: 'recommend',
        activate: { waitingAbove: 50, forObservations: 1 },
        restore: { waitingBelow: 25, forObservations: 1 },
      },
    },
  };
  return withStandIns(config, async (s, clock) => {
    const started = Date.now();
    await evaluateAll(s, T0, 100);
    await s.deliverPages();
    clock.set(T0 + MINUTE);
    await pollTick(s.deps, { queueIds: [] });
    await s.deliverPages();
    clock.set(T0 + 2 * MINUTE);
    await evaluateAll(s, clock.now(), 5);
    await pollTick(s.deps, { queueIds: [] });
    await s.deliverPages();
    clock.set(T0 + 3 * MINUTE);
    await pollTick(s.deps, { queueIds: [] });
    await s.deliverPages();
    const pages = s.transport.delivered.filter((p) => p.kind === 'recommendation');
    return { pages: pages.length, byKind: byKind(pages), ms: Date.now() - started };
  });
}

/** Genesys stops answering (no observations) for 8 minutes; stale after 180 s; then every queue reports again. */
async function genesysOutage() {
  const config = { queues: queueIds.map((id) => ({ id })), staleAfterSeconds: 180 };
  return withStandIns(config, async (s, clock) => {
    const started = Date.now();
    await evaluateAll(s, T0, 5);
    await s.deliverPages();
    for (let minute = 1; minute <= 8; minute++) {
      clock.set(T0 + minute * MINUTE);
      await pollTick(s.deps, { queueIds: [] });
      await s.deliverPages();
    }
    clock.set(T0 + 9 * MINUTE);
    await evaluateAll(s, clock.now(), 5);
    await pollTick(s.deps, { queueIds: [] });
    await s.deliverPages();
    clock.set(T0 + 10 * MINUTE);
    await pollTick(s.deps, { queueIds: [] });
    await s.deliverPages();
    const pages = s.transport.delivered.filter((p) => p.kind === 'stale-observations');
    return { pages: pages.length, byKind: byKind(pages), ms: Date.now() - started };
  });
}

/** One scheduled pass of the page sender (sweep + backlog for the alarms) over 10,000 retained sent pages. */
async function housekeeping() {
  return withStandIns({}, async (s, clock) => {
    const doc = DynamoDBDocumentClient.from(s.dynamo.client);
    const page = (i: number): Page => ({
      kind: 'actuator-episode',
      dedupKey: `actuator:lever-${i}:1`,
      action: 'trigger',
      severity: 'error',
      summary: `q${i}: 400 waiting, 2 agents available; tier 1 on (lever-${i})`,
      reason: 'actuator-demanded',
      at: iso(T0),
      details: { actuatorId: `lever-${i}`, tier: 1, demandedBy: [`q${i}`] },
    });
    for (let i = 0; i < RETAINED; i += 25) {
      const items = Array.from({ length: Math.min(25, RETAINED - i) }, (_, k) => {
        const p = page(i + k);
        return {
          PutRequest: {
            Item: {
              pk: 'PAGE',
              sk: `${p.dedupKey}#${p.action}`,
              page: JSON.stringify(p),
              status: 'sent',
              attempts: 0,
              createdAt: T0,
              sentAt: T0,
              ttl: Math.floor(T0 / 1000) + 7 * 86_400,
            },
          },
        };
      });
      await doc.send(new BatchWriteCommand({ RequestItems: { [s.dynamo.tableName]: items } }));
    }
    const { outbox } = createDynamoPersistence({
      client: s.dynamo.client,
      tableName: s.dynamo.tableName,
      clock,
    });
    // A few pages really due: three whose delivery failed (claims released).
    for (let i = 0; i < 3; i++) {
      const p = { ...page(RETAINED + i), dedupKey: `actuator:due-${i}:1` };
      await outbox.recordNew(p, T0);
      await outbox.markFailed(p, 'HTTP 503', T0);
    }
    clock.set(T0 + MINUTE);
    const breakers = s.deps.resilience?.breakers;
    if (!breakers) throw new Error('stand-ins without breakers');
    const sender = new PageSender({
      outbox,
      pagerDuty: { send: async () => ({}) },
      breakers,
      clock,
      log: new RecordingTelemetry(),
      sleep: async () => {},
    });
    await breakers.state('pager'); // warm this container's view, as a warm Lambda has it
    const calls: Record<string, number> = {};
    let itemsRead = 0;
    s.dynamo.client.middlewareStack.add(
      (next, context) => async (args) => {
        const name = String(context.commandName);
        calls[name] = (calls[name] ?? 0) + 1;
        const result = await next(args);
        const output = result.output as { ScannedCount?: number; Count?: number; Item?: unknown };
        itemsRead += output.ScannedCount ?? output.Count ?? (output.Item ? 1 : 0);
        return result;
      },
      { step: 'initialize', name: 'countCalls' },
    );
    const sweep = await sender.sweep();
    const backlog = await outbox.backlog();
    const total = Object.values(calls).reduce((a, b) => a + b, 0);
    return { total, calls, itemsRead, sent: sweep.sent, pendingAfter: backlog.pending.length };
  });
}

export async function run(): Promise<void> {
  const surge = await recommendSurge();
  console.log(
    `tier-3 recommend surge at ${QUEUES.toLocaleString('en-US')} queues: ${surge.pages} recommendation page(s) delivered ${JSON.stringify(surge.byKind)} (${(surge.ms / 1000).toFixed(1)} s wall)`,
  );
  const outage = await genesysOutage();
  console.log(
    `Genesys outage at ${QUEUES.toLocaleString('en-US')} queues (8 min, stale after 180 s): ${outage.pages} stale page(s) delivered ${JSON.stringify(outage.byKind)} (${(outage.ms / 1000).toFixed(1)} s wall)`,
  );
  const pass = await housekeeping();
  console.log(
    `one page-housekeeping pass (sweep + backlog) with ${RETAINED.toLocaleString('en-US')} retained sent pages and 3 due: ${pass.total} DynamoDB calls ${JSON.stringify(pass.calls)}, ${pass.itemsRead.toLocaleString('en-US')} items read, ${pass.sent} delivered`,
  );
}
