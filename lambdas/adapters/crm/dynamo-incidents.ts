// Counts the primary's refusals (other 4xx) per window in the state table and stages one page per window
// once they reach the threshold. The atomic ADD makes exactly one container see the count reach it.
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CrmIncidents } from '../../app/crm-lookup';
import { crmLookupRefusedPage } from '../../core/crm/pages';
import type { PageOutbox } from '../../core/persistence';
import type { StateTable } from '../dynamodb/items';
import { TTL_ATTRIBUTE } from '../dynamodb/table-definition';

export const CRM_CLIENT_ERRORS_PARTITION = 'CRM_CLIENT_ERRORS';

export interface DynamoCrmIncidentsOptions {
  readonly table: StateTable;
  /** Pages are staged here; the poller's outbox sender delivers them (never inline). */
  readonly outbox: Pick<PageOutbox, 'recordNew'>;
  readonly threshold: number;
  readonly windowSeconds: number;
}

export class DynamoCrmIncidents implements CrmIncidents {
  constructor(private readonly options: DynamoCrmIncidentsOptions) {}

  async clientError(status: number, now: number): Promise<void> {
    const { table, threshold, windowSeconds } = this.options;
    const windowMs = windowSeconds * 1000;
    const windowStart = Math.floor(now / windowMs) * windowMs;
    const { Attributes } = await table.doc.send(
      new UpdateCommand({
        TableName: table.tableName,
        Key: { pk: CRM_CLIENT_ERRORS_PARTITION, sk: String(windowStart) },
        UpdateExpression: 'ADD #count :one SET lastStatus = :status, #ttl = :ttl',
        ExpressionAttributeNames: { '#count': 'count', '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ':one': 1,
          ':status': status,
          ':ttl': Math.floor((windowStart + windowMs) / 1000) + 86_400,
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    if (Attributes?.count !== threshold) return;
    await this.options.outbox.recordNew(
      crmLookupRefusedPage(status, threshold, windowStart, windowSeconds, now),
      now,
    );
  }
}
