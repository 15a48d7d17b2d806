// The DR partition of the state table (docs/dr.md "State"): the run lease, the DR state, each run's
// header and its stored plan (one item per operation), the callback mirror ledger and readiness.
//
//   pk = DR   sk = LEASE                     owner, runId, fencingToken, leaseExpiresAt
//             sk = STATE                     NORMAL | FAILED_OVER, mode, window start, runs
//             sk = RUN#<runId>               the run header (JSON), status
//             sk = OP#<runId>#<000001>       one planned operation (JSON) and its progress
//             sk = MIRROR#<conversationId>   a backup-org callback and its shadow in the primary org
//             sk = READINESS                 open readiness episodes
//
// One lease for all DR runs: a conditional write (`attribute_not_exists OR expired`) that bumps a
// fencing token. Every later write of the run carries that token and is conditional on no newer
// token having written the item (`fence ≤ token`); the run renews its lease before each batch of
// Genesys writes and stops when the renewal fails, so a paused holder cannot overwrite a newer one.
import {
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DrOp, DrOpRecord, DrStateRecord, LeaseFact } from '../../core/dr-plan';
import type { DrLease, DrRunHeader, DrRunStore, MirrorEntry, ReadinessRecord } from '../../core/dr-ports';
import { LeaseHeldError, StaleFencingTokenError, StoredItemError } from '../../core/errors';
import { isConditionFailed, type StateTable } from './items';

export const DR_PARTITION = 'DR';
const LEASE = 'LEASE';
const STATE = 'STATE';
const READINESS = 'READINESS';
const runKey = (runId: string) => ({ pk: DR_PARTITION, sk: `RUN#${runId}` });
const opKey = (runId: string, index: number) => ({
  pk: DR_PARTITION,
  sk: `OP#${runId}#${String(index).padStart(6, '0')}`,
});
const mirrorKey = (sourceId: string) => ({ pk: DR_PARTITION, sk: `MIRROR#${sourceId}` });

const FENCE = 'attribute_not_exists(#fence) OR #fence <= :token';

function json<T>(item: Record<string, unknown>, field: string): T {
  const raw = item[field];
  if (typeof raw !== 'string')
    throw new StoredItemError(`${item.pk}/${item.sk}`, field, 'must be a JSON string');
  try {
    return JSON.parse(raw) as T;
  } catch (cause) {
    throw new StoredItemError(`${item.pk}/${item.sk}`, field, 'is not valid JSON', { cause });
  }
}

export class DynamoDrRunStore implements DrRunStore {
  /** opId → item index per run (a run's plan never changes once stored). */
  private readonly indexes = new Map<string, Map<string, number>>();

  constructor(private readonly table: StateTable) {}

  private get name(): string {
    return this.table.tableName;
  }

  async readLease(now: number): Promise<LeaseFact> {
    const { Item } = await this.table.doc.send(
      new GetCommand({ TableName: this.name, Key: { pk: DR_PARTITION, sk: LEASE }, ConsistentRead: true }),
    );
    const expiresAt = Item?.leaseExpiresAt as number | undefined;
    if (!Item || expiresAt === undefined || expiresAt < now) return { free: true };
    return {
      free: false,
      holder: { runId: String(Item.runId), owner: String(Item.owner), expiresAt },
    };
  }

  async acquireLease(runId: string, owner: string, now: number, leaseMs: number): Promise<DrLease> {
    const expiresAt = now + leaseMs;
    try {
      const { Attributes } = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.name,
          Key: { pk: DR_PARTITION, sk: LEASE },
          UpdateExpression:
            'SET #owner = :owner, runId = :runId, leaseExpiresAt = :exp ADD fencingToken :one',
          ConditionExpression: 'attribute_not_exists(leaseExpiresAt) OR leaseExpiresAt < :now',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':owner': owner,
            ':runId': runId,
            ':exp': expiresAt,
            ':now': now,
            ':one': 1,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { runId, owner, token: Number(Attributes?.fencingToken ?? 0), expiresAt };
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
      const held = await this.readLease(now);
      throw new LeaseHeldError(
        `another DR run holds the lease${held.holder ? ` (run ${held.holder.runId}, ${held.holder.owner}, until ${new Date(held.holder.expiresAt).toISOString()})` : ''}`,
        { cause: e },
      );
    }
  }

  async renewLease(lease: DrLease, now: number, leaseMs: number): Promise<DrLease> {
    const expiresAt = now + leaseMs;
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.name,
          Key: { pk: DR_PARTITION, sk: LEASE },
          UpdateExpression: 'SET leaseExpiresAt = :exp',
          // Only the token matters: an expired lease nobody re-acquired is still ours to extend.
          ConditionExpression: 'fencingToken = :token',
          ExpressionAttributeValues: { ':exp': expiresAt, ':token': lease.token },
        }),
      );
      return { ...lease, expiresAt };
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
      throw new StaleFencingTokenError(
        `DR run ${lease.runId} lost its lease (token ${lease.token}): another run took over or it lapsed`,
        { cause: e },
      );
    }
  }

  async releaseLease(lease: DrLease): Promise<void> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.name,
          Key: { pk: DR_PARTITION, sk: LEASE },
          UpdateExpression: 'REMOVE leaseExpiresAt, #owner, runId',
          ConditionExpression: 'fencingToken = :token',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':token': lease.token },
        }),
      );
    } catch (e) {
      if (!isConditionFailed(e)) throw e; // somebody newer holds it: theirs to release
    }
  }

  async readState(): Promise<DrStateRecord> {
    const { Item } = await this.table.doc.send(
      new GetCommand({ TableName: this.name, Key: { pk: DR_PARTITION, sk: STATE }, ConsistentRead: true }),
    );
    return Item ? json<DrStateRecord>(Item, 'state') : { state: 'NORMAL' };
  }

  async writeState(state: DrStateRecord, lease: DrLease): Promise<void> {
    await this.fencedPut({ pk: DR_PARTITION, sk: STATE, state: JSON.stringify(state) }, lease);
  }

  async createRun(header: DrRunHeader, ops: readonly DrOp[], lease: DrLease): Promise<void> {
    const items = ops.map((op, i) => ({
      ...opKey(header.runId, i + 1),
      op: JSON.stringify(op),
      status: 'pending',
      writes: 0,
      attempts: 0,
      fence: lease.token,
    }));
    for (let i = 0; i < items.length; i += 25) {
      let pending = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt > 8)
          throw new Error(`DR run ${header.runId}: could not store its plan (unprocessed items)`);
        const { UnprocessedItems } = await this.table.doc.send(
          new BatchWriteCommand({ RequestItems: { [this.name]: pending } }),
        );
        pending = (UnprocessedItems?.[this.name] ?? []) as typeof pending;
      }
    }
    // The header last: a run is visible only once its whole plan is stored.
    await this.fencedPut(
      { ...runKey(header.runId), status: header.status, header: JSON.stringify(header) },
      lease,
    );
  }

  async getRun(runId: string): Promise<{ header: DrRunHeader; ops: DrOpRecord[] } | undefined> {
    const { Item } = await this.table.doc.send(
      new GetCommand({ TableName: this.name, Key: runKey(runId), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const header = json<DrRunHeader>(Item, 'header');
    const ops = await this.queryPrefix(`OP#${runId}#`, (item) => ({
      op: json<DrOp>(item, 'op'),
      status: item.status === 'verified' ? ('verified' as const) : ('pending' as const),
      writes: Number(item.writes ?? 0),
      attempts: Number(item.attempts ?? 0),
      ...(typeof item.verifiedAt === 'number' ? { verifiedAt: item.verifiedAt } : {}),
      ...(typeof item.lastError === 'string' ? { lastError: item.lastError } : {}),
      sk: String(item.sk),
    }));
    ops.sort((a, b) => a.sk.localeCompare(b.sk));
    return { header, ops: ops.map(({ sk: _sk, ...record }) => record) };
  }

  async listRuns(): Promise<DrRunHeader[]> {
    const runs = await this.queryPrefix('RUN#', (item) => json<DrRunHeader>(item, 'header'));
    return runs.sort((a, b) => a.startedAt - b.startedAt || a.runId.localeCompare(b.runId));
  }

  async findIncompleteRun(): Promise<DrRunHeader | undefined> {
    return (await this.listRuns()).find((r) => r.status === 'running');
  }

  async recordOps(runId: string, records: readonly DrOpRecord[], lease: DrLease): Promise<void> {
    const run = await this.getRunIndex(runId);
    for (let i = 0; i < records.length; i += 25) {
      await Promise.all(
        records.slice(i, i + 25).map(async (r) => {
          const index = run.get(r.op.opId);
          if (index === undefined) throw new Error(`DR run ${runId}: no stored operation ${r.op.opId}`);
          await this.fencedUpdate(
            opKey(runId, index),
            `SET #status = :status, writes = :writes, attempts = :attempts${r.verifiedAt !== undefined ? ', verifiedAt = :verifiedAt' : ''}${r.lastError !== undefined ? ', lastError = :lastError' : ''}`,
            {
              ':status': r.status,
              ':writes': r.writes,
              ':attempts': r.attempts,
              ...(r.verifiedAt !== undefined ? { ':verifiedAt': r.verifiedAt } : {}),
              ...(r.lastError !== undefined ? { ':lastError': r.lastError.slice(0, 1000) } : {}),
            },
            lease,
            { '#status': 'status' },
          );
        }),
      );
    }
  }

  async updateRun(runId: string, patch: Partial<DrRunHeader>, lease: DrLease): Promise<void> {
    const { Item } = await this.table.doc.send(
      new GetCommand({ TableName: this.name, Key: runKey(runId), ConsistentRead: true }),
    );
    if (!Item) throw new Error(`DR run ${runId} is not stored`);
    const header = { ...json<DrRunHeader>(Item, 'header'), ...patch };
    await this.fencedPut({ ...runKey(runId), status: header.status, header: JSON.stringify(header) }, lease);
  }

  async getMirrors(sourceIds: readonly string[]): Promise<Map<string, MirrorEntry>> {
    const wanted = new Set(sourceIds);
    const all = await this.queryPrefix('MIRROR#', (item) => json<MirrorEntry>(item, 'entry'));
    return new Map(
      all.filter((m) => wanted.has(m.sourceConversationId)).map((m) => [m.sourceConversationId, m]),
    );
  }

  async putMirror(entry: MirrorEntry, lease: DrLease): Promise<void> {
    await this.fencedPut({ ...mirrorKey(entry.sourceConversationId), entry: JSON.stringify(entry) }, lease);
  }

  async readReadiness(): Promise<ReadinessRecord> {
    const { Item } = await this.table.doc.send(
      new GetCommand({
        TableName: this.name,
        Key: { pk: DR_PARTITION, sk: READINESS },
        ConsistentRead: true,
      }),
    );
    return Item ? json<ReadinessRecord>(Item, 'record') : { openEpisodes: {} };
  }

  async writeReadiness(record: ReadinessRecord): Promise<void> {
    await this.table.doc.send(
      new PutCommand({
        TableName: this.name,
        Item: { pk: DR_PARTITION, sk: READINESS, record: JSON.stringify(record) },
      }),
    );
  }

  private async getRunIndex(runId: string): Promise<Map<string, number>> {
    const cached = this.indexes.get(runId);
    if (cached) return cached;
    const ops = await this.queryPrefix(`OP#${runId}#`, (item) => ({
      opId: json<DrOp>(item, 'op').opId,
      index: Number(String(item.sk).split('#').pop()),
    }));
    const index = new Map(ops.map((o) => [o.opId, o.index]));
    this.indexes.set(runId, index);
    return index;
  }

  private async fencedPut(item: Record<string, unknown>, lease: DrLease): Promise<void> {
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.name,
          Item: { ...item, fence: lease.token },
          ConditionExpression: FENCE,
          ExpressionAttributeNames: { '#fence': 'fence' },
          ExpressionAttributeValues: { ':token': lease.token },
        }),
      );
    } catch (e) {
      throw this.stale(e, lease, String(item.sk));
    }
  }

  private async fencedUpdate(
    key: { pk: string; sk: string },
    set: string,
    values: Record<string, unknown>,
    lease: DrLease,
    names: Record<string, string> = {},
  ): Promise<void> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.name,
          Key: key,
          UpdateExpression: `${set}, #fence = :token`,
          ConditionExpression: `attribute_exists(pk) AND (${FENCE})`,
          ExpressionAttributeNames: { '#fence': 'fence', ...names },
          ExpressionAttributeValues: { ':token': lease.token, ...values },
        }),
      );
    } catch (e) {
      throw this.stale(e, lease, key.sk);
    }
  }

  private stale(e: unknown, lease: DrLease, sk: string): unknown {
    if (!isConditionFailed(e)) return e;
    return new StaleFencingTokenError(
      `DR run ${lease.runId}: ${sk} was written by a newer lease holder (token ${lease.token} is stale)`,
      { cause: e },
    );
  }

  private async queryPrefix<T>(prefix: string, each: (item: Record<string, unknown>) => T): Promise<T[]> {
    const out: T[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.table.doc.send(
        new QueryCommand({
          TableName: this.name,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': DR_PARTITION, ':prefix': prefix },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) out.push(each(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}
