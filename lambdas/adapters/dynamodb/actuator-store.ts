import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LeaseHeldError, StaleFencingTokenError } from '../../core/errors';
import type {
  ActuatorEpisode,
  ActuatorFailure,
  ActuatorRecord,
  ActuatorStore,
  Lease,
  RecordAppliedOptions,
} from '../../core/persistence';
import type { ActuatorState } from '../../core/ports';
import { actuatorKey, isConditionFailed, parseActuatorItem, queryPartition, type StateTable } from './items';
import { Partition } from './table-definition';

/*
 * Lease lock with fencing, one per actuator item. Every condition reads an explicit `leaseExpiresAt`
 * (epoch ms), never TTL deletion, and every write that claims to know the target's state carries the
 * token it was granted.
 *
 *   A: acquire ─► token 7, expires t+L ─► switch ───────(paused)──────────────► recordApplied(7) ✗ stale
 *                                                  │ t+L: lease expires
 *   B:                                             └─ acquire ─► token 8 ─► switch ─► recordApplied(8) ✓
 *
 *   A: acquire ─► token 7 ─► switch ──(paused past t+L)──► recordApplied(7) ✗ lease expired
 *      (nobody re-acquired, token still 7: rejected anyway, see below; the next tick reads back and records)
 *
 * recordApplied requires `fencingToken = :token AND leaseExpiresAt > :now`. A token check alone would
 * accept the second case; we reject it because an expired holder's read-back is older than the lease
 * promised and anything may have touched the target since. Rejecting is always safe here: actuators are
 * level-triggered and idempotent, so the next holder reads the target back and records it one tick later.
 * Leases are acquirable when `leaseExpiresAt < now` and usable while `now < leaseExpiresAt`, so two
 * holders never overlap on one clock; keep leaseMs well above switch time plus clock skew and at most the
 * Lambda timeout.
 */

const NAMES = {
  '#demandedBy': 'demandedBy',
  '#applied': 'applied',
  '#fencingToken': 'fencingToken',
  '#leaseOwner': 'leaseOwner',
  '#leaseExpiresAt': 'leaseExpiresAt',
  '#episode': 'episode',
  '#stagedEpisode': 'stagedEpisode',
  '#lastError': 'lastError',
  '#consecutiveFailures': 'consecutiveFailures',
  '#updatedAt': 'updatedAt',
  '#demandChangedAt': 'demandChangedAt',
  '#verifiedAt': 'verifiedAt',
  '#appliedChangedAt': 'appliedChangedAt',
} as const;
type Name = keyof typeof NAMES;
const names = (...used: Name[]): Record<string, string> => Object.fromEntries(used.map((n) => [n, NAMES[n]]));

function requireNonEmpty(field: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0)
    throw new TypeError(`${field}: must be a non-empty string`);
}

export class DynamoActuatorStore implements ActuatorStore {
  constructor(private readonly table: StateTable) {}

  async setDemand(
    actuatorId: string,
    demander: string,
    demanding: boolean,
    now: number,
  ): Promise<ActuatorRecord> {
    requireNonEmpty('actuatorId', actuatorId);
    requireNonEmpty('demander', demander);
    // ADD/DELETE on a string set are atomic per element: concurrent demanders never lose each other.
    // `desired` is derived from the set on read, so there is nothing else to keep consistent.
    const { Attributes } = await this.table.doc.send(
      new UpdateCommand({
        TableName: this.table.tableName,
        Key: actuatorKey(actuatorId),
        UpdateExpression: `${demanding ? 'ADD' : 'DELETE'} #demandedBy :demander SET #updatedAt = :now, #demandChangedAt = :now`,
        ExpressionAttributeNames: names('#demandedBy', '#updatedAt', '#demandChangedAt'),
        ExpressionAttributeValues: { ':demander': new Set([demander]), ':now': now },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return this.parse(Attributes, actuatorId);
  }

  async get(actuatorId: string): Promise<ActuatorRecord | undefined> {
    requireNonEmpty('actuatorId', actuatorId);
    const { Item } = await this.table.doc.send(
      new GetCommand({ TableName: this.table.tableName, Key: actuatorKey(actuatorId), ConsistentRead: true }),
    );
    return Item ? parseActuatorItem(Item) : undefined;
  }

  async list(): Promise<ActuatorRecord[]> {
    return queryPartition(this.table, Partition.Actuator, parseActuatorItem);
  }

  async acquireLease(actuatorId: string, owner: string, now: number, leaseMs: number): Promise<Lease> {
    requireNonEmpty('actuatorId', actuatorId);
    requireNonEmpty('owner', owner);
    if (!(Number.isInteger(leaseMs) && leaseMs > 0))
      throw new TypeError(`leaseMs: must be a positive integer`);
    const expiresAt = now + leaseMs;

    // Conditions to take the lease: nobody ever held it (or it was released), or it has expired.
    const leaseFree = 'attribute_not_exists(#leaseExpiresAt)';
    const leaseExpired = '#leaseExpiresAt < :now';
    try {
      const { Attributes } = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: actuatorKey(actuatorId),
          UpdateExpression:
            'SET #leaseOwner = :owner, #leaseExpiresAt = :expiresAt, #updatedAt = :now ADD #fencingToken :one',
          ConditionExpression: `${leaseFree} OR ${leaseExpired}`,
          ExpressionAttributeNames: names('#leaseOwner', '#leaseExpiresAt', '#updatedAt', '#fencingToken'),
          ExpressionAttributeValues: { ':owner': owner, ':expiresAt': expiresAt, ':now': now, ':one': 1 },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const record = this.parse(Attributes, actuatorId);
      return { actuatorId, owner, token: record.fencingToken, expiresAt, record };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      // Real DynamoDB names the holder in ALL_OLD; dynalite returns nothing and we do not spend a read on it.
      const holder = (error.Item?.leaseOwner as { S?: string } | undefined)?.S;
      const until = (error.Item?.leaseExpiresAt as { N?: string } | undefined)?.N;
      throw new LeaseHeldError(
        `actuator ${actuatorId}: lease is held${holder ? ` by ${holder}` : ''}${until ? ` until ${until}` : ''}`,
        { cause: error },
      );
    }
  }

  async recordApplied(
    actuatorId: string,
    applied: ActuatorState,
    lease: Lease,
    now: number,
    options: RecordAppliedOptions = {},
  ): Promise<ActuatorRecord> {
    if (applied !== 'active' && applied !== 'inactive') {
      throw new TypeError(`applied: must be 'active' or 'inactive', got ${String(applied)}`);
    }
    const release = options.release ?? true;
    const set = [
      '#applied = :applied',
      '#updatedAt = :now',
      '#verifiedAt = :now',
      '#consecutiveFailures = :zero',
      ...(options.episode ? ['#episode = :episode'] : []),
      ...(options.changed ? ['#appliedChangedAt = :now'] : []),
    ];
    const remove = ['#lastError', ...(release ? ['#leaseOwner', '#leaseExpiresAt'] : [])];

    // Conditions to record: our acquisition is still the newest one, and our lease has not run out.
    const tokenIsCurrent = '#fencingToken = :token';
    const leaseNotExpired = '#leaseExpiresAt > :now';
    return this.fencedUpdate(actuatorId, lease, now, {
      UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
      ConditionExpression: `${tokenIsCurrent} AND ${leaseNotExpired}`,
      ExpressionAttributeNames: names(
        '#applied',
        '#updatedAt',
        '#verifiedAt',
        '#consecutiveFailures',
        '#lastError',
        '#fencingToken',
        '#leaseExpiresAt',
        ...(options.episode ? (['#episode'] as const) : []),
        ...(options.changed ? (['#appliedChangedAt'] as const) : []),
        ...(release ? (['#leaseOwner'] as const) : []),
      ),
      ExpressionAttributeValues: {
        ':applied': applied,
        ':now': now,
        ':zero': 0,
        ':token': lease.token,
        ...(options.episode ? { ':episode': options.episode } : {}),
      },
    });
  }

  async adopt(actuatorId: string, now: number): Promise<void> {
    requireNonEmpty('actuatorId', actuatorId);
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: actuatorKey(actuatorId),
          UpdateExpression: 'SET #applied = :inactive, #updatedAt = :now, #verifiedAt = :now',
          ConditionExpression: 'attribute_not_exists(pk)',
          ExpressionAttributeNames: names('#applied', '#updatedAt', '#verifiedAt'),
          ExpressionAttributeValues: { ':inactive': 'inactive', ':now': now },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error; // created meanwhile (demanded, or adopted by another tick)
    }
  }

  async recordStagedEpisode(
    actuatorId: string,
    episode: ActuatorEpisode,
    lease: Lease,
    now: number,
  ): Promise<ActuatorRecord> {
    // The same conditions as recordApplied: a superseded or expired holder must not stage a trigger.
    return this.fencedUpdate(actuatorId, lease, now, {
      UpdateExpression: 'SET #stagedEpisode = :episode, #updatedAt = :now',
      ConditionExpression: '#fencingToken = :token AND #leaseExpiresAt > :now',
      ExpressionAttributeNames: names('#stagedEpisode', '#updatedAt', '#fencingToken', '#leaseExpiresAt'),
      ExpressionAttributeValues: { ':episode': episode, ':now': now, ':token': lease.token },
    });
  }

  async recordFailure(
    actuatorId: string,
    failure: ActuatorFailure,
    lease: Lease,
    options: { release?: boolean } = {},
  ): Promise<ActuatorRecord> {
    const release = options.release ?? true;
    const tokenIsCurrent = '#fencingToken = :token';
    return this.fencedUpdate(actuatorId, lease, failure.at, {
      UpdateExpression:
        'SET #applied = :unknown, #lastError = :failure, #updatedAt = :now ADD #consecutiveFailures :one' +
        (release ? ' REMOVE #leaseOwner, #leaseExpiresAt' : ''),
      ConditionExpression: tokenIsCurrent,
      ExpressionAttributeNames: names(
        '#applied',
        '#lastError',
        '#updatedAt',
        '#consecutiveFailures',
        '#fencingToken',
        ...(release ? (['#leaseOwner', '#leaseExpiresAt'] as const) : []),
      ),
      ExpressionAttributeValues: {
        ':unknown': 'unknown',
        ':failure': { message: failure.message, at: failure.at },
        ':now': failure.at,
        ':one': 1,
        ':token': lease.token,
      },
    });
  }

  async releaseLease(lease: Lease): Promise<boolean> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: actuatorKey(lease.actuatorId),
          UpdateExpression: 'REMOVE #leaseOwner, #leaseExpiresAt',
          ConditionExpression: '#fencingToken = :token AND attribute_exists(#leaseExpiresAt)',
          ExpressionAttributeNames: names('#leaseOwner', '#leaseExpiresAt', '#fencingToken'),
          ExpressionAttributeValues: { ':token': lease.token },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  private async fencedUpdate(
    actuatorId: string,
    lease: Lease,
    now: number,
    update: Pick<
      ConstructorParameters<typeof UpdateCommand>[0],
      'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >,
  ): Promise<ActuatorRecord> {
    requireNonEmpty('actuatorId', actuatorId);
    if (lease.actuatorId !== actuatorId) {
      throw new TypeError(`lease: was granted for actuator ${lease.actuatorId}, not ${actuatorId}`);
    }
    try {
      const { Attributes } = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: actuatorKey(actuatorId),
          ...update,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return this.parse(Attributes, actuatorId);
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      throw new StaleFencingTokenError(
        `actuator ${actuatorId}: lease with fencing token ${lease.token} is no longer valid: ${await this.whyStale(actuatorId, lease, now)}`,
        { cause: error },
      );
    }
  }

  /** Failure path only: one read to tell the operator which condition failed. */
  private async whyStale(actuatorId: string, lease: Lease, now: number): Promise<string> {
    const current = await this.get(actuatorId).catch(() => undefined);
    if (!current) return 'the actuator item is gone';
    if (current.fencingToken !== lease.token) return `superseded by token ${current.fencingToken}`;
    if (!current.lease) return 'the lease was released';
    return `the lease expired at ${current.lease.expiresAt} (now ${now})`;
  }

  private parse(attributes: Record<string, unknown> | undefined, actuatorId: string): ActuatorRecord {
    if (!attributes) throw new Error(`actuator ${actuatorId}: UpdateItem returned no attributes`);
    return parseActuatorItem(attributes);
  }
}
