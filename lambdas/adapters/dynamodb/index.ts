// The DynamoDB persistence adapter: every store over the one state table (docs/state-table.md).
import { DynamoActuatorStore } from './actuator-store';
import { DynamoBreakerStore } from './breaker-store';
import { type StateTableOptions, stateTable } from './items';
import { DynamoOverrideStore } from './override-store';
import { DynamoPageOutbox, type DynamoPageOutboxOptions } from './page-outbox';
import { DynamoQueueStateStore, type QueueStateStoreOptions } from './queue-state-store';

export { DynamoActuatorStore } from './actuator-store';
export { DynamoBreakerStore, parseBreakerItem } from './breaker-store';
export { type StateTable, type StateTableOptions, stateTable } from './items';
export { OutboxPager, type PageDelivery, type PageDeliveryOutcome } from './outbox-pager';
export { DynamoOverrideStore } from './override-store';
export { DynamoPageOutbox, type DynamoPageOutboxOptions } from './page-outbox';
export { DynamoQueueStateStore, type QueueStateStoreOptions } from './queue-state-store';
export * from './table-definition';

export interface DynamoPersistence {
  readonly queues: DynamoQueueStateStore;
  readonly overrides: DynamoOverrideStore;
  readonly actuators: DynamoActuatorStore;
  readonly outbox: DynamoPageOutbox;
  readonly breakers: DynamoBreakerStore;
}

/** All stores over one table, sharing one document client. Build once at module scope in a handler. */
export function createDynamoPersistence(
  options: StateTableOptions & { outbox?: DynamoPageOutboxOptions; queues?: QueueStateStoreOptions },
): DynamoPersistence {
  const table = stateTable(options);
  return {
    queues: new DynamoQueueStateStore(table, options.queues),
    overrides: new DynamoOverrideStore(table),
    actuators: new DynamoActuatorStore(table),
    outbox: new DynamoPageOutbox(table, options.outbox),
    breakers: new DynamoBreakerStore(table),
  };
}
