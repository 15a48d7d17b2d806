import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { replay } from '../../../drill/replay';
import { createDynamoPersistence } from '../../../lambdas/adapters/dynamodb';
import type { QueueObservation } from '../../../lambdas/core/observation';
import { createEvaluateHandler } from '../../../lambdas/handlers/evaluate-handler';
import { countDynamoCalls } from '../../support/local-dynamo';
import {
  chunkAt,
  chunkEvent,
  episodePages,
  failingSaves,
  iso,
  observation,
  observationEvent,
  outcomes,
  pipelinePerTest,
  T0,
  tier1Row,
} from './harness';
import { invariantViolations } from './invariants';

// Batching by chunk (docs/architecture.md, "Batching"): one QueueObservations event per Genesys chunk,
// one evaluate invocation decides every queue of it. Every rule still holds per queue, and one queue's
// failure never loses another's decision.

const MINUTE = 60_000;
const open = pipelinePerTest();

const QUEUES = ['q-a', 'q-b', 'q-c', 'q-d'];
/**
 * DynamoDB under load hands back part of a BatchGetItem as UnprocessedKeys. This middleware does that
 * to the next `calls` BatchGetItem answers of dynalite: the queue items `which` picks are moved from
 * Responses to UnprocessedKeys (dynalite itself never leaves keys unprocessed).
 */
function leaveUnprocessed(client: DynamoDBClient, calls: number, which: (sk: string) => boolean) {
  const plan = { left: calls };
  // Items may be marshalled ({ S: … }) or plain here, depending on where the document client unmarshals.
  const text = (v: unknown): string | undefined =>
    typeof v === 'string' ? v : ((v as { S?: string } | undefined)?.S ?? undefined);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const out = await next(args);
      if (context.commandName !== 'BatchGetItemCommand' || plan.left <= 0) return out;
      plan.left--;
      const output = out.output as {
        Responses?: Record<string, Record<string, unknown>[]>;
        UnprocessedKeys?: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead?: boolean }>;
      };
      for (const [table, items] of Object.entries(output.Responses ?? {})) {
        const moved = items.filter((i) => text(i.pk) === 'QUEUES' && which(text(i.sk) ?? ''));
        if (moved.length === 0) continue;
        (output.Responses as Record<string, unknown[]>)[table] = items.filter((i) => !moved.includes(i));
        output.UnprocessedKeys = {
          [table]: { Keys: moved.map((i) => ({ pk: i.pk, sk: i.sk })), ConsistentRead: true },
        };
      }
      return out;
    },
    { step: 'initialize', name: 'leaveUnprocessed', override: true },
  );
  return plan;
}

describe('evaluate a chunk of queues in one invocation', () => {
  it('decides every queue of a chunk as single events would: same transitions as replay, one switch, one page', async () => {
    const p = await open();
    const lines: QueueObservation[] = [];
    const decided: string[] = [];
    const depths = [
      [10, 120, 10, 10],
      [10, 130, 60, 10],
      [10, 10, 70, 10],
      [10, 10, 10, 10],
    ];
    for (let m = 0; m < depths.length; m++) {
      const chunk = QUEUES.map((q, i) => observation(T0 + m * MINUTE, depths[m]?.[i] ?? 0, q));
      lines.push(...chunk);
      p.clock.set(T0 + m * MINUTE);
      const response = await p.evaluate(chunkEvent(chunk));
      if (response.kind !== 'observations') throw new Error(`unexpected response ${response.kind}`);
      for (const r of response.results)
        decided.push(...r.decision.transitions.map((t) => `${t.queueId} ${t.tier} ${t.action} ${t.at}`));
    }

    const expected = replay(
      lines.map((o, i) => ({ line: i + 2, observation: o })),
      p.deps.config,
    ).transitions.map((t) => `${t.queueId} ${t.tier} ${t.action} ${t.at}`);
    expect(decided).toEqual(expected);
    const states = await p.deps.queueStates.list();
    expect(states.map((s) => [s.queueId, s.version])).toEqual(QUEUES.map((q) => [q, 4]));
    expect(expected).toEqual([
      `q-b 1 activate ${iso(T0)}`,
      `q-c 1 activate ${iso(T0 + MINUTE)}`,
      `q-b 1 restore ${iso(T0 + 2 * MINUTE)}`,
      `q-c 1 restore ${iso(T0 + 3 * MINUTE)}`,
    ]);
    // Tier 1 on from q-b's activation until q-c (the last demander) restored: one episode.
    expect(p.switchCalls()).toHaveLength(2);
    expect(episodePages(p)).toEqual([
      'actuator-episode trigger actuator:tier1-datatable:1',
      'actuator-episode resolve actuator:tier1-datatable:1',
    ]);
    expect(tier1Row(p)).toBe(false);
  });

  it('reads a 100-queue chunk in one BatchGetItem call and writes its shard once when nothing transitions', async () => {
    const p = await open();
    const evaluate = createEvaluateHandler(() => p.deps, p.telemetry); // without the page sender's sweep
    const ids = Array.from({ length: 100 }, (_, i) => `q-${String(i).padStart(3, '0')}`);
    await evaluate(chunkAt(T0, ids, 10, '0000'));
    const calls = countDynamoCalls(p.dynamo.client);
    p.clock.set(T0 + MINUTE);

    const response = await evaluate(chunkAt(T0 + MINUTE, ids, 11, '0000'));

    expect(response.kind === 'observations' && response.results.map((r) => r.decision.outcome)).toEqual(
      ids.map(() => 'accepted'),
    );
    // The shard item (100 states) and the overrides item in one call; the shard written once.
    expect(calls.snapshot()).toEqual({ BatchGetItemCommand: 1, PutItemCommand: 1 });
    expect(p.emulator.requests()).toHaveLength(0);
  });

  it('still evaluates a single-queue QueueObservation event (a partner-bus event) alongside chunks', async () => {
    const p = await open();
    await p.evaluate(chunkEvent([observation(T0, 10, 'q-a'), observation(T0, 10, 'q-b')]));
    p.clock.set(T0 + MINUTE);

    const single = await p.evaluate(observationEvent(observation(T0 + MINUTE, 120, 'q-a')));
    const chunkLater = await p.evaluate(
      chunkEvent([observation(T0 + MINUTE, 120, 'q-a'), observation(T0 + MINUTE, 10, 'q-b')]),
    );

    expect(single.kind === 'observation' && single.outcome).toBe('accepted');
    expect(
      chunkLater.kind === 'observations' &&
        chunkLater.results.map((r) => r.decision.ignoredReason ?? r.decision.outcome),
    ).toEqual(['duplicate', 'accepted']);
    expect(tier1Row(p)).toBe(true);
  });

  it('decides a queue seen twice in one chunk in arrival order, the older one ignored as out-of-order', async () => {
    const p = await open();
    const response = await p.evaluate(
      chunkEvent([
        observation(T0 + MINUTE, 120, 'q-a'),
        observation(T0 + MINUTE, 10, 'q-b'),
        observation(T0, 10, 'q-a'),
        observation(T0 + 2 * MINUTE, 10, 'q-a'),
      ]),
    );

    expect(outcomes(response)).toEqual(['q-a accepted', 'q-b accepted', 'q-a out-of-order', 'q-a accepted']);
    const a = await p.deps.queueStates.load('q-a');
    expect(a?.version).toBe(2);
    expect(
      response.kind === 'observations' &&
        response.results.flatMap((r) => r.decision.transitions.map((t) => t.action)),
    ).toEqual(['activate', 'restore']);
    // Level-triggered: by the time the chunk switches, q-a wants tier 1 off again, so nothing is switched.
    expect((await p.deps.actuatorStore.get('tier1-datatable'))?.demandedBy).toEqual([]);
    expect(p.switchCalls()).toHaveLength(0);
    expect(episodePages(p)).toEqual([]);
  });
});

describe('a chunk under races, retries and crashes', () => {
  it('switches once and pages once when the same chunk is delivered five times at once', async () => {
    const p = await open();
    const chunk = QUEUES.map((q, i) => observation(T0, i === 2 ? 120 : 10, q));

    const responses = await Promise.all(Array.from({ length: 5 }, () => p.evaluate(chunkEvent(chunk))));

    const accepted = responses.flatMap((r) =>
      r.kind === 'observations' ? r.results.filter((x) => x.decision.outcome === 'accepted') : [],
    );
    expect(accepted.map((r) => r.observation.queueId).sort()).toEqual(QUEUES);
    expect(p.switchCalls()).toHaveLength(1);
    expect(episodePages(p)).toEqual(['actuator-episode trigger actuator:tier1-datatable:1']);
    expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
  });

  it('re-decides only the conflicting queue when two chunks with a queue in common race', async () => {
    const p = await open();
    await p.evaluate(chunkAt(T0, QUEUES, 10));
    p.clock.set(T0 + MINUTE);
    // A partner-triggered poll and the scheduled one read q-b at the same minute: two chunks race.
    const first = chunkEvent(
      ['q-a', 'q-b'].map((q) => observation(T0 + MINUTE, q === 'q-b' ? 120 : 10, q)),
      'one',
    );
    const second = chunkEvent(
      ['q-b', 'q-c', 'q-d'].map((q) => observation(T0 + MINUTE, q === 'q-b' ? 120 : 10, q)),
      'two',
    );

    const [r1, r2] = await Promise.all([p.evaluate(first), p.evaluate(second)]);

    const decided = [r1, r2].flatMap(outcomes);
    expect(decided.filter((o) => o.startsWith('q-b')).sort()).toEqual(['q-b accepted', 'q-b duplicate']);
    expect(decided.filter((o) => !o.startsWith('q-b')).sort()).toEqual([
      'q-a accepted',
      'q-c accepted',
      'q-d accepted',
    ]);
    expect(p.switchCalls()).toHaveLength(1);
    expect(episodePages(p)).toEqual(['actuator-episode trigger actuator:tier1-datatable:1']);
    expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
  });

  it("keeps every other queue's decision when one queue's write fails, and the redelivered chunk completes it", async () => {
    const p = await open();
    // q-c's state is kept in a shard of its own: its write fails alone (a shard's queues are written together).
    await p.evaluate(
      chunkEvent(
        ['q-a', 'q-b', 'q-d'].map((q) => observation(T0, 10, q)),
        'abd',
        '0000',
      ),
    );
    await p.evaluate(chunkEvent([observation(T0, 10, 'q-c')], 'c', '0001'));
    p.clock.set(T0 + MINUTE);
    const broken = p.handlersWith(
      failingSaves({ queueId: 'q-c', times: 1, error: () => new Error('ProvisionedThroughputExceeded') }),
    );
    const chunk = QUEUES.map((q) => observation(T0 + MINUTE, q === 'q-c' || q === 'q-a' ? 120 : 10, q));

    await expect(broken.evaluate(chunkEvent(chunk))).rejects.toThrow(/1 of the chunk's entries failed.*q-c/);
    const afterFailure = await p.deps.queueStates.list();
    expect(afterFailure.map((s) => [s.queueId, s.version])).toEqual([
      ['q-a', 2],
      ['q-b', 2],
      ['q-c', 1],
      ['q-d', 2],
    ]);
    // q-a's activation was decided and switched although q-c failed.
    expect(tier1Row(p)).toBe(true);

    const retried = await broken.evaluate(chunkEvent(chunk)); // EventBridge redelivers the chunk
    expect(outcomes(retried)).toEqual(['q-a duplicate', 'q-b duplicate', 'q-c accepted', 'q-d duplicate']);
    expect(p.switchCalls()).toHaveLength(1);
    expect(episodePages(p)).toEqual(['actuator-episode trigger actuator:tier1-datatable:1']);
    expect((await p.deps.actuatorStore.get('tier1-datatable'))?.demandedBy).toEqual(['q-a', 'q-c']);
  });

  it('converges after a crash between one queue’s demand write and its state write (the chunk is retried)', async () => {
    const p = await open();
    await p.evaluate(chunkAt(T0, QUEUES, 10));
    p.clock.set(T0 + MINUTE);
    const chunk = QUEUES.map((q) => observation(T0 + MINUTE, q === 'q-b' ? 120 : 10, q));
    // The Lambda dies after recording q-b's demand, before writing q-b's state (and before switching).
    const crashing = p.handlersWith(
      failingSaves({ queueId: 'q-b', times: 1, error: () => new Error('Lambda killed') }),
    );

    await expect(crashing.evaluate(chunkEvent(chunk))).rejects.toThrow(/q-b: Error: Lambda killed/);
    expect((await p.deps.actuatorStore.get('tier1-datatable'))?.demandedBy).toEqual(['q-b']);
    expect(p.switchCalls()).toHaveLength(0);

    await p.evaluate(chunkEvent(chunk));
    expect(p.switchCalls()).toHaveLength(1);
    expect(tier1Row(p)).toBe(true);
    expect(episodePages(p)).toEqual(['actuator-episode trigger actuator:tier1-datatable:1']);

    // The load ends; a quiet chunk restores; ticks find nothing to repair.
    p.clock.set(T0 + 2 * MINUTE);
    await p.evaluate(chunkAt(T0 + 2 * MINUTE, QUEUES, 10));
    for (let m = 3; m <= 5; m++) {
      p.clock.set(T0 + m * MINUTE);
      await p.poll(undefined, { queueIds: [] });
    }
    expect(tier1Row(p)).toBe(false);
    expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
  });

  it('re-requests keys BatchGetItem left unprocessed, and reads alone the shard still unprocessed after that', async () => {
    const p = await open();
    await p.evaluate(chunkAt(T0, QUEUES, 10, '0000'));
    const calls = countDynamoCalls(p.dynamo.client);
    p.clock.set(T0 + MINUTE);

    // Once: the shard holding the chunk's states comes back unprocessed, and the re-request gets it.
    leaveUnprocessed(p.dynamo.client, 1, (sk) => sk === '0000');
    const once = await p.evaluate(chunkAt(T0 + MINUTE, QUEUES, 10, '0000'));
    expect(once.kind === 'observations' && once.results.map((r) => r.decision.outcome)).toEqual(
      QUEUES.map(() => 'accepted'),
    );
    expect(calls.snapshot().BatchGetItemCommand).toBe(2);

    // Six times in a row (every retry): the shard stays unprocessed, is read on its own, and is still decided.
    calls.reset();
    p.clock.set(T0 + 2 * MINUTE);
    leaveUnprocessed(p.dynamo.client, 6, (sk) => sk === '0000');
    const stubborn = await p.evaluate(
      chunkAt(T0 + 2 * MINUTE, QUEUES, (q) => (q === 'q-d' ? 120 : 10), '0000'),
    );
    expect(stubborn.kind === 'observations' && stubborn.results.map((r) => r.decision.outcome)).toEqual(
      QUEUES.map(() => 'accepted'),
    );
    expect(calls.snapshot().BatchGetItemCommand).toBe(6); // 1 + 5 re-requests, then the shard's own GetItem
    expect((await p.deps.queueStates.load('q-d'))?.version).toBe(3);
    expect(tier1Row(p)).toBe(true);
  });

  it("decides the rest of the chunk when one queue's stored item is corrupt, and names that queue", async () => {
    const p = await open();
    await p.evaluate(chunkAt(T0, QUEUES, 10, '0000'));
    const raw = DynamoDBDocumentClient.from(p.dynamo.client);
    await raw.send(
      new UpdateCommand({
        TableName: p.dynamo.tableName,
        Key: { pk: 'QUEUES', sk: '0000' },
        UpdateExpression: 'SET #states.#q = :bad',
        ExpressionAttributeNames: { '#states': 'states', '#q': 'q-b' },
        ExpressionAttributeValues: { ':bad': '1|not an entry' },
      }),
    );
    p.clock.set(T0 + MINUTE);

    await expect(
      p.evaluate(chunkAt(T0 + MINUTE, QUEUES, (q) => (q === 'q-a' ? 120 : 10), '0000')),
    ).rejects.toThrow(/queue q-b: .*QUEUES\/0000: states\.q-b/);

    const versions = (await Promise.all(['q-a', 'q-c', 'q-d'].map((q) => p.deps.queueStates.load(q)))).map(
      (s) => s?.version,
    );
    expect(versions).toEqual([2, 2, 2]);
    expect(tier1Row(p)).toBe(true);
  });

  it('evaluates the valid entries of a chunk and fails the event naming the invalid one', async () => {
    const p = await open();
    const event = chunkEvent([observation(T0, 120, 'q-a')]);
    const bad = {
      ...event,
      detail: { observations: [observation(T0, 120, 'q-a'), { ...observation(T0, 10, 'q-b'), waiting: -1 }] },
    };

    await expect(p.evaluate(bad)).rejects.toThrow(/detail\.observations\.1\.waiting: must be ≥ 0/);
    expect((await p.deps.queueStates.load('q-a'))?.version).toBe(1);
    expect(await p.deps.queueStates.load('q-b')).toBeUndefined();
  });
});

describe('the poll tick publishes by chunk and pages stale queues once', () => {
  it('publishes one event per 100 queues read', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `q-${i}`);
    const p = await open();
    for (const q of ids) p.emulator.setObservation(q, { waiting: 3, agentsAvailable: 2 });

    const result = await p.poll(undefined, { queueIds: ids });

    const events = p.bus.drain();
    expect(result.observations).toHaveLength(250);
    expect(events.map((e) => e.detail.observations.length)).toEqual([100, 100, 50]);
    expect(events.flatMap((e) => e.detail.observations.map((o) => o.queueId))).toEqual(ids);
    const queries = p.emulator
      .requests()
      .filter((r) => r.path === '/api/v2/analytics/queues/observations/query');
    expect(queries).toHaveLength(3);
  });

  it('writes nothing per queue on later ticks of an outage, pages each silence once, and again after recovery', async () => {
    const p = await open();
    await p.evaluate(chunkAt(T0, QUEUES, 10));
    const calls = countDynamoCalls(p.dynamo.client);
    const writes = () =>
      Object.entries(calls.snapshot())
        .filter(([c]) => /Put|Update|Delete|Write/.test(c))
        .reduce((n, [, k]) => n + k, 0);
    // Stale pages are one episode across queues (docs/resilience.md): one incident, restated when its
    // queues change, never one page per queue.
    const stale = () => p.transport.delivered.filter((d) => d.kind === 'stale-observations');
    const staleTriggers = () => stale().filter((d) => d.action === 'trigger' && d.revision === undefined);

    // Silence: stale after 180 s. The first stale tick opens the episode and writes the marks once.
    for (let m = 1; m <= 3; m++) {
      p.clock.set(T0 + m * MINUTE);
      await p.poll(undefined, { queueIds: [] });
    }
    expect(staleTriggers()).toHaveLength(1);
    expect(staleTriggers()[0]?.details.queueCount).toBe(4);
    calls.reset();
    for (let m = 4; m <= 8; m++) {
      p.clock.set(T0 + m * MINUTE);
      const tick = await p.poll(undefined, { queueIds: [] });
      expect(tick.staleQueues).toEqual(QUEUES);
    }
    expect(writes()).toBe(0);
    expect(stale()).toHaveLength(1);

    // q-a recovers (it leaves the episode, which stays open for the other three), then falls silent again.
    p.clock.set(T0 + 9 * MINUTE);
    await p.evaluate(chunkEvent([observation(T0 + 9 * MINUTE, 10, 'q-a')]));
    await p.poll(undefined, { queueIds: [] });
    expect(stale().filter((d) => d.action === 'resolve')).toHaveLength(0);
    expect(stale().at(-1)?.details.queueCount).toBe(3);
    for (let m = 10; m <= 12; m++) {
      p.clock.set(T0 + m * MINUTE);
      await p.poll(undefined, { queueIds: [] });
    }
    expect(staleTriggers()).toHaveLength(1);
    expect(stale().at(-1)?.details.queueCount).toBe(4);
    expect((await p.deps.queueStates.loadStaleMarks()).since).toEqual({
      [iso(T0)]: ['q-b', 'q-c', 'q-d'],
      [iso(T0 + 9 * MINUTE)]: ['q-a'],
    });
  });
});

describe('the batch read itself (dynalite)', () => {
  it("reads a shard's queues and the overrides in one BatchGetItem call, and looks up queues it does not hold", async () => {
    const p = await open();
    const store = createDynamoPersistence({
      client: p.dynamo.client,
      tableName: p.dynamo.tableName,
      clock: p.clock,
    });
    const ids = Array.from({ length: 250 }, (_, i) => `q-${i}`);
    for (const q of ids.slice(0, 10)) await store.queues.save(q, { q }, undefined);
    const calls = countDynamoCalls(p.dynamo.client);

    const inShard = await store.queues.loadManyForEvaluation(ids.slice(0, 10), { shardId: '0000' });
    expect(calls.snapshot()).toEqual({ BatchGetItemCommand: 1 });
    calls.reset();
    const snapshot = await store.queues.loadManyForEvaluation(ids, { shardId: '0000' });

    // The 240 it does not hold: one Query of the shards, then their items from before shards and their
    // placement pointers (100 keys a call each).
    expect(calls.snapshot()).toEqual({ BatchGetItemCommand: 7, QueryCommand: 1 });
    expect([...inShard.queues.keys()].sort()).toEqual(ids.slice(0, 10).sort());
    expect([...snapshot.queues.keys()].sort()).toEqual(ids.slice(0, 10).sort());
    expect(new Set([...snapshot.homes.values()].map((h) => h.shardId))).toEqual(new Set(['0000']));
    expect(snapshot.unread).toEqual([]);
    expect(snapshot.overrides).toEqual([]);
  });
});
