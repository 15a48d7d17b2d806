import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { convergeActuators } from '../../../lambdas/app/converge';
import { countDynamoCalls } from '../../support/local-dynamo';
import { plantQueueCopy, tier1ActiveState } from '../../support/queue-states';
import {
  chunkAt,
  episodePages,
  failingSaves,
  gatedWrites,
  iso,
  observation,
  observationEvent,
  outcomes,
  type Pipeline,
  pipelinePerTest,
  T0,
  tier1Row,
} from './harness';
import { invariantViolations } from './invariants';

// Queue states per chunk (docs/architecture.md, "Queue states per chunk"): the poller forms its queries
// and events from the shards that hold the states and names the shard in each event; an evaluation
// reads and writes that one shard. Races between evaluations of one shard, a single-queue event racing
// a chunk, a crash between demand and the shard's write, and two placements of a new queue all end with
// every lever where the states and overrides say.

const MINUTE = 60_000;
const open = pipelinePerTest();

describe('the poller places queues in shards and names the shard in each event', () => {
  it('keeps placed queues where they are and puts new ones in a shard with room', async () => {
    const p = await open();
    const ids = Array.from({ length: 150 }, (_, i) => `q-${String(i).padStart(3, '0')}`);
    for (const q of ids) p.emulator.setObservation(q, { waiting: 3, agentsAvailable: 2 });
    await p.poll(undefined, { queueIds: ids });
    for (const e of p.bus.drain()) await p.evaluate(e);
    const placed = await p.deps.queueStates.listPlacement();
    expect(placed.shards.map((s) => [s.shardId, s.queueIds.length])).toEqual([
      ['0000', 100],
      ['0001', 50],
    ]);

    // The config changes: 20 queues go, 30 come, in a different order. Nobody moves.
    const later = [...ids.slice(20).reverse(), ...Array.from({ length: 30 }, (_, i) => `new-${i}`)];
    for (const q of later) p.emulator.setObservation(q, { waiting: 3, agentsAvailable: 2 });
    p.clock.set(T0 + MINUTE);
    await p.poll(undefined, { queueIds: later });
    const events = p.bus.drain();

    expect(events.map((e) => [e.detail.shardId, e.detail.observations.length])).toEqual([
      ['0000', 80],
      ['0001', 80],
    ]);
    for (const e of events) {
      const shard = placed.shards.find((s) => s.shardId === e.detail.shardId);
      const mine = e.detail.observations.map((o) => o.queueId).filter((q) => !q.startsWith('new-'));
      expect(mine.every((q) => shard?.queueIds.includes(q))).toBe(true);
    }
    const calls = countDynamoCalls(p.dynamo.client);
    for (const e of events) await p.evaluate(e);
    // Quiet and placed: one BatchGetItem and one PutItem per shard; new queues: one Query of the shards
    // and one claim of each one's placement pointer (docs/architecture.md).
    expect(calls.snapshot().PutItemCommand).toBe(2 + 30);
    const after = await p.deps.queueStates.listPlacement();
    expect(after.shards.map((s) => [s.shardId, s.queueIds.length])).toEqual([
      ['0000', 100],
      ['0001', 80],
    ]);
    expect(after.states.find((s) => s.queueId === 'q-000')?.version).toBe(1); // removed from config: kept
  });
});

describe('a single-queue event reads its own shard (placement pointers, docs/architecture.md)', () => {
  /** Query calls by partition key (every shard is one Query of `QUEUES`). */
  function queriedPartitions(p: Pipeline): string[] {
    const seen: string[] = [];
    p.dynamo.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'QueryCommand') {
          const values = (args.input as { ExpressionAttributeValues?: Record<string, unknown> })
            .ExpressionAttributeValues;
          const pk = values?.[':pk'];
          seen.push(typeof pk === 'string' ? pk : String((pk as { S?: string } | undefined)?.S));
        }
        return next(args);
      },
      { step: 'initialize', name: 'queriedPartitions', override: true },
    );
    return seen;
  }

  it('decides a partner-bus observation and an override of one queue reading only that queue’s shard', async () => {
    const p = await open();
    const ids = Array.from({ length: 250 }, (_, i) => `q-${String(i).padStart(3, '0')}`);
    for (const [i, shardId] of ['0000', '0001', '0002'].entries())
      await p.evaluate(chunkAt(T0, ids.slice(i * 100, i * 100 + 100), 10, shardId));
    const queried = queriedPartitions(p);
    p.clock.set(T0 + MINUTE);

    expect(outcomes(await p.evaluate(observationEvent(observation(T0 + MINUTE, 120, 'q-150'))))).toEqual([
      'q-150 accepted',
    ]);
    expect(tier1Row(p)).toBe(true);
    p.clock.set(T0 + MINUTE + 30_000); // past the grace for repairing demand just written
    await p.deps.overrides.put({ queue: 'q-150', tier: 1, state: 'inactive', reason: 'test', by: 'ops' });
    await convergeActuators(p.deps, { queueIds: ['q-150'] }); // `surge override` applying it at once
    await p.deliverPages(); // the page sender's run
    expect(tier1Row(p)).toBe(false);

    expect(queried.filter((pk) => pk === 'QUEUES' || pk === 'QUEUE')).toEqual([]);
    expect((await p.deps.queueStates.load('q-150'))?.version).toBe(2);
    expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
  });
});

describe('races on one shard', () => {
  it('switches once and pages once when a chunk naming its shard is delivered three times at once', async () => {
    const p = await open();
    const queues = ['q-a', 'q-b', 'q-c'];
    await p.evaluate(chunkAt(T0, queues, 10, '0000'));
    p.clock.set(T0 + MINUTE);
    const event = chunkAt(T0 + MINUTE, queues, (q) => (q === 'q-b' ? 120 : 10), '0000');

    const responses = await Promise.all([p.evaluate(event), p.evaluate(event), p.evaluate(event)]);

    const all = responses.flatMap(outcomes);
    expect(all.filter((o) => o.endsWith('accepted')).sort()).toEqual(queues.map((q) => `${q} accepted`));
    expect(all.filter((o) => o.endsWith('duplicate'))).toHaveLength(6);
    expect(p.switchCalls()).toHaveLength(1);
    expect(episodePages(p)).toEqual(['actuator-episode trigger actuator:tier1-datatable:1']);
    expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
  });

  it('lets a single-queue event and a chunk of its shard race: each queue decided once, the other queues kept', async () => {
    const p = await open();
    const queues = ['q-a', 'q-b', 'q-c'];
    await p.evaluate(chunkAt(T0, queues, 10, '0000'));
    p.clock.set(T0 + MINUTE);
    const gated = gatedWrites();
    const chaotic = p.handlersWith(gated.alter);

    // Both read the shard before either writes: the single event of q-b (a partner bus) and the chunk.
    const single = chaotic.evaluate(observationEvent(observation(T0 + MINUTE, 120, 'q-b')));
    const chunk = chaotic.evaluate(chunkAt(T0 + MINUTE, queues, (q) => (q === 'q-b' ? 120 : 10), '0000'));
    await gated.held(2);
    gated.release();
    const results = [...outcomes(await single), ...outcomes(await chunk)];

    expect(results.filter((o) => o.startsWith('q-b')).sort()).toEqual(['q-b accepted', 'q-b duplicate']);
    expect(results.filter((o) => !o.startsWith('q-b')).sort()).toEqual(['q-a accepted', 'q-c accepted']);
    const states = await p.deps.queueStates.list();
    expect(states.map((s) => [s.queueId, s.version])).toEqual(queues.map((q) => [q, 2]));
    expect(p.switchCalls()).toHaveLength(1);
    expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
  });

  it('converges after a crash between recording demand and writing the shard (the chunk is redelivered)', async () => {
    const p = await open();
    const queues = ['q-a', 'q-b'];
    await p.evaluate(chunkAt(T0, queues, 10, '0000'));
    p.clock.set(T0 + MINUTE);
    const crashing = p.handlersWith(failingSaves({ times: 1, error: () => new Error('Lambda killed') }));
    const event = chunkAt(T0 + MINUTE, queues, (q) => (q === 'q-a' ? 120 : 10), '0000');

    await expect(crashing.evaluate(event)).rejects.toThrow(/Lambda killed/);
    expect((await p.deps.actuatorStore.get('tier1-datatable'))?.demandedBy).toEqual(['q-a']);
    expect(p.switchCalls()).toHaveLength(0);
    expect(outcomes(await crashing.evaluate(event))).toEqual(['q-a accepted', 'q-b accepted']);

    expect(p.switchCalls()).toHaveLength(1);
    expect(tier1Row(p)).toBe(true);
    p.clock.set(T0 + 2 * MINUTE);
    await p.evaluate(chunkAt(T0 + 2 * MINUTE, queues, 10, '0000'));
    for (let m = 3; m <= 4; m++) {
      p.clock.set(T0 + m * MINUTE);
      await p.poll(undefined, { queueIds: [] });
    }
    expect(tier1Row(p)).toBe(false);
    expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
  });
});

describe('two placements of a new queue', () => {
  it('keeps one copy when two ticks place a new queue in two shards: the later write is re-decided where the first put it', async () => {
    const p = await open();
    const gated = gatedWrites({ inOrder: true });
    const chaotic = p.handlersWith(gated.alter);
    // Two ticks listed the shards before either evaluation wrote, and placed q-new differently: the
    // older observation (surging) in 0001, the newer (quiet) one in 0000. The older writes first.
    const older = chaotic.evaluate(chunkAt(T0, ['q-new'], 120, '0001', 'a'));
    await gated.held(1);
    p.clock.set(T0 + MINUTE);
    const newer = chaotic.evaluate(chunkAt(T0 + MINUTE, ['q-new'], 10, '0000', 'b'));
    await gated.held(2);
    gated.release();
    expect([...outcomes(await older), ...outcomes(await newer)]).toEqual([
      'q-new accepted',
      'q-new accepted',
    ]);
    const placed = await p.deps.queueStates.listPlacement();
    expect(placed.extraCopies).toEqual([]);
    expect(placed.shards.filter((s) => s.queueIds.length > 0)).toEqual([
      { shardId: '0001', queueIds: ['q-new'] },
    ]);
    // The newer observation was decided on the older one's state: activated, then restored.
    expect(placed.states).toMatchObject([{ queueId: 'q-new', version: 2, state: { lastWaiting: 10 } }]);

    p.clock.set(T0 + 2 * MINUTE);
    p.emulator.setObservation('q-new', { waiting: 10, agentsAvailable: 3 });
    await p.poll(undefined, { queueIds: ['q-new'] });
    const events = p.bus.drain();
    expect(events.map((e) => e.detail.shardId)).toEqual(['0001']);
    for (const e of events) await p.evaluate(e);
    p.clock.set(T0 + 3 * MINUTE);
    await p.poll(undefined, { queueIds: [] });

    expect(tier1Row(p)).toBe(false);
    expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
  });

  it('keeps the newest of two copies placed before pointers, removes the other on the next tick, and the lever follows the copy kept', async () => {
    const p = await open();
    const raw = DynamoDBDocumentClient.from(p.dynamo.client);
    await p.evaluate(chunkAt(T0, ['q-new'], 10, '0001'));
    // A newer copy, surging, in 0000, left by a placement before pointers (its demand never recorded).
    await plantQueueCopy(
      { raw, tableName: p.dynamo.tableName, now: p.clock.now() },
      '0000',
      'q-new',
      tier1ActiveState('q-new', iso(T0 + MINUTE)),
      1,
    );

    p.clock.set(T0 + 2 * MINUTE);
    p.emulator.setObservation('q-new', { waiting: 130, agentsAvailable: 3 });
    await p.poll(undefined, { queueIds: ['q-new'] });
    const events = p.bus.drain();
    expect(events.map((e) => e.detail.shardId)).toEqual(['0000']);
    expect(tier1Row(p)).toBe(true); // the tick's convergence followed the copy kept
    for (const e of events) await p.evaluate(e);
    p.clock.set(T0 + 3 * MINUTE);
    await p.poll(undefined, { queueIds: [] });

    const settled = await p.deps.queueStates.listPlacement();
    expect(settled.extraCopies).toEqual([]);
    expect(settled.shards.map((s) => [s.shardId, s.queueIds])).toEqual([
      ['0000', ['q-new']],
      ['0001', []],
    ]);
    // A single-queue event finds it where it was kept, and its pointer follows.
    p.clock.set(T0 + 4 * MINUTE);
    expect(outcomes(await p.evaluate(observationEvent(observation(T0 + 4 * MINUTE, 10, 'q-new'))))).toEqual([
      'q-new accepted',
    ]);
    expect((await p.deps.queueStates.loadForEvaluation('q-new')).home?.shardId).toBe('0000');
    expect(tier1Row(p)).toBe(false);
    expect(await invariantViolations(p)).toEqual({ levers: [], pages: [] });
  });
});
