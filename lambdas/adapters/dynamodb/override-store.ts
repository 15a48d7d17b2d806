import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConfigError } from '../../core/errors';
import { OverrideSchema } from '../../core/override';
import type { ManualOverride, OverrideStore } from '../../core/persistence';
import {
  isConditionFailed,
  overrideEntryName,
  overridesKey,
  parseOverridesItem,
  parseWith,
  type StateTable,
} from './items';

/**
 * Manual overrides live in ONE item (`entries`: a map keyed `<queue>#<tier>`) so an evaluation reads them
 * together with its queue state in a single BatchGetItem. Each put/remove touches only its own map entry,
 * so concurrent operators editing different (queue, tier) pairs do not overwrite each other.
 */
export class DynamoOverrideStore implements OverrideStore {
  constructor(private readonly table: StateTable) {}

  async list(): Promise<ManualOverride[]> {
    const { Item } = await this.table.doc.send(
      new GetCommand({ TableName: this.table.tableName, Key: overridesKey(), ConsistentRead: true }),
    );
    return parseOverridesItem(Item);
  }

  async put(override: ManualOverride): Promise<void> {
    const valid: ManualOverride = parseWith(
      OverrideSchema(),
      override,
      (field, detail) => new ConfigError(`override.${field}`, detail),
    );
    const names = { '#entries': 'entries', '#entry': overrideEntryName(valid.queue, valid.tier) };
    const now = this.table.clock.now();
    // A nested SET needs the map to exist; the very first put creates it. If two first puts race, the
    // loser's create fails its condition and it retries the nested SET.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.table.doc.send(
          new UpdateCommand({
            TableName: this.table.tableName,
            Key: overridesKey(),
            UpdateExpression: 'SET #entries.#entry = :override, updatedAt = :now',
            ConditionExpression: 'attribute_exists(#entries)',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ':override': valid, ':now': now },
          }),
        );
        return;
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
      try {
        await this.table.doc.send(
          new UpdateCommand({
            TableName: this.table.tableName,
            Key: overridesKey(),
            UpdateExpression: 'SET #entries = :entries, updatedAt = :now',
            ConditionExpression: 'attribute_not_exists(#entries)',
            ExpressionAttributeNames: { '#entries': 'entries' },
            ExpressionAttributeValues: { ':entries': { [names['#entry']]: valid }, ':now': now },
          }),
        );
        return;
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
    }
    throw new Error(`override ${names['#entry']}: could not be written after 3 attempts`);
  }

  async remove(queue: string, tier: 1 | 2 | 3): Promise<boolean> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: overridesKey(),
          UpdateExpression: 'REMOVE #entries.#entry SET updatedAt = :now',
          ConditionExpression: 'attribute_exists(#entries.#entry)',
          ExpressionAttributeNames: { '#entries': 'entries', '#entry': overrideEntryName(queue, tier) },
          ExpressionAttributeValues: { ':now': this.table.clock.now() },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }
}
