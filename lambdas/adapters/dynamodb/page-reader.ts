import type { OutboxEntry } from '../../core/persistence';
import { parseOutboxItem, queryPartition, type StateTable } from './items';
import { Partition } from './table-definition';

/**
 * Every page the outbox holds (pending ones, and sent ones until their TTL), for `cx-surge status`: the
 * operator's view of open incidents and undelivered pages. One Query of the PAGE partition, paged; a
 * malformed entry is skipped rather than hiding every other page from the operator.
 */
export async function listOutboxEntries(
  table: StateTable,
  onMalformed: (error: unknown) => void = () => {},
): Promise<OutboxEntry[]> {
  return queryPartition(table, Partition.Page, (item) => {
    try {
      return parseOutboxItem(item);
    } catch (e) {
      onMalformed(e);
      return undefined;
    }
  });
}
