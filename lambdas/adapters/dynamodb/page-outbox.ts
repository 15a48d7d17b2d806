import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConfigError, StoredItemError } from '../../core/errors';
import { pagePriority } from '../../core/pages';
import type { OutboxEntry, PageOutbox } from '../../core/persistence';
import type { Page } from '../../core/ports';
import {
  isConditionFailed,
  PageSchema,
  pageKey,
  parseOutboxItem,
  parseWith,
  queryPartition,
  type StateTable,
} from './items';
import { Partition } from './table-definition';

export interface DynamoPageOutboxOptions {
  /** How long a sender owns a page before a retry may take it over. @default 60_000 */
  readonly claimMs?: number;
  /** How long sent entries are kept (TTL housekeeping; pending entries never expire). @default 7 days */
  readonly keepSentSeconds?: number;
  /**
   * Called for a malformed pending entry, which claimPending skips so one bad item cannot block every
   * other page's retry. Log it. @default ignore
   */
  readonly onMalformed?: (error: StoredItemError) => void;
}

/**
 * Page outbox, one item per (dedupKey, action). The first writer of an entry wins (conditional put) and
 * sends; duplicates see the entry and send nothing. A failed send leaves the entry pending; the poller's
 * tick claims lapsed pending entries (conditional update on status and claim time) and resends them.
 *
 *   recordNew ──► pending (claimed until now+claimMs) ──send ok──► markSent ──► sent (+ttl)
 *                    ▲            │ send failed
 *                    └── markFailed: attempts+1, claim released ◄─ claimPending (next tick)
 */
export class DynamoPageOutbox implements PageOutbox {
  private readonly claimMs: number;
  private readonly keepSentSeconds: number;
  private readonly onMalformed: (error: StoredItemError) => void;

  constructor(
    private readonly table: StateTable,
    options: DynamoPageOutboxOptions = {},
  ) {
    this.claimMs = options.claimMs ?? 60_000;
    this.keepSentSeconds = options.keepSentSeconds ?? 7 * 24 * 3600;
    this.onMalformed = options.onMalformed ?? (() => {});
  }

  async recordNew(page: Page, now: number): Promise<boolean> {
    const valid = parseWith(
      PageSchema,
      page,
      (field, detail) => new ConfigError(`page.${field}`, detail),
    ) as Page;
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: {
            ...pageKey(valid.dedupKey, valid.action),
            page: JSON.stringify(valid),
            status: 'pending',
            attempts: 0,
            createdAt: now,
            claimUntil: now + this.claimMs,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  async get(dedupKey: string, action: Page['action']): Promise<OutboxEntry | undefined> {
    const { Item } = await this.table.doc.send(
      new GetCommand({
        TableName: this.table.tableName,
        Key: pageKey(dedupKey, action),
        ConsistentRead: true,
      }),
    );
    return Item ? parseOutboxItem(Item) : undefined;
  }

  async markSent(page: Page, now: number): Promise<void> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: pageKey(page.dedupKey, page.action),
          UpdateExpression: 'SET #status = :sent, sentAt = :now, #ttl = :ttl REMOVE claimUntil',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#status': 'status', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':sent': 'sent',
            ':now': now,
            ':ttl': Math.floor(now / 1000) + this.keepSentSeconds,
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      throw new Error(
        `page ${page.dedupKey}#${page.action}: no outbox entry to mark sent (recordNew first)`,
        {
          cause: error,
        },
      );
    }
  }

  async markFailed(page: Page, error: string, now: number): Promise<void> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: pageKey(page.dedupKey, page.action),
          // claimUntil 0 = released: the next claimPending may take it at once.
          UpdateExpression:
            'SET lastError = :error, claimUntil = :released, failedAt = :now ADD attempts :one',
          // Never turn a page another sender already delivered back into a failure.
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':error': error.slice(0, 1000),
            ':released': 0,
            ':now': now,
            ':one': 1,
            ':pending': 'pending',
          },
        }),
      );
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
    }
  }

  async claimPending(now: number, limit = 25): Promise<OutboxEntry[]> {
    const lapsed = await this.queryLapsedPending(now);
    // Most urgent first: a new trigger never waits behind a backlog of stale or recommendation pages.
    lapsed.sort((a, b) => pagePriority(a.page) - pagePriority(b.page) || a.createdAt - b.createdAt);
    const claimed: OutboxEntry[] = [];
    for (const entry of lapsed) {
      if (claimed.length >= limit) break;
      try {
        const { Attributes } = await this.table.doc.send(
          new UpdateCommand({
            TableName: this.table.tableName,
            Key: pageKey(entry.page.dedupKey, entry.page.action),
            UpdateExpression: 'SET claimUntil = :claimUntil',
            ConditionExpression: '#status = :pending AND claimUntil < :now',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':claimUntil': now + this.claimMs,
              ':pending': 'pending',
              ':now': now,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        if (Attributes) claimed.push(parseOutboxItem(Attributes));
      } catch (error) {
        if (!isConditionFailed(error)) throw error; // someone else claimed or sent it meanwhile
      }
    }
    return claimed;
  }

  async discard(page: Page): Promise<void> {
    try {
      await this.table.doc.send(
        new DeleteCommand({
          TableName: this.table.tableName,
          Key: pageKey(page.dedupKey, page.action),
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':pending': 'pending' },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }

  // ── The asynchronous sender's operations (lambdas/app/send-pages.ts) ──

  /**
   * Claims a page the table's stream just announced: only if it is still pending with the claim it was
   * staged with (nobody took it since). False: another sender has it, or it was sent.
   */
  async claimStaged(page: Page, stagedClaimUntil: number, now: number): Promise<boolean> {
    return this.conditionalClaim(page, now, '#status = :pending AND claimUntil = :seen', {
      ':seen': stagedClaimUntil,
    });
  }

  /** Gives a claimed page back without counting an attempt (breaker open, or waiting for its trigger). */
  async release(page: Page): Promise<void> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: pageKey(page.dedupKey, page.action),
          UpdateExpression: 'SET claimUntil = :released',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':released': 0, ':pending': 'pending' },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }

  /**
   * Dead-letters a page: `rejected` (PagerDuty refused the event: it will never succeed) or
   * `retries-exhausted` (re-driven later by `claimDead`). Kept, counted by the DeadPages alarm.
   */
  async markDead(
    page: Page,
    reason: 'rejected' | 'retries-exhausted',
    error: string,
    now: number,
  ): Promise<void> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: pageKey(page.dedupKey, page.action),
          UpdateExpression:
            'SET #status = :dead, deadReason = :reason, deadAt = :now, lastError = :error, claimUntil = :released ADD attempts :one',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':dead': 'dead',
            ':reason': reason,
            ':now': now,
            ':error': error.slice(0, 1000),
            ':released': 0,
            ':one': 1,
            ':pending': 'pending',
          },
        }),
      );
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
    }
  }

  /** Re-drives pages dead for `retries-exhausted` at least `afterMs` ago: back to pending, claimed by us. */
  async claimDead(now: number, afterMs: number, limit = 25): Promise<OutboxEntry[]> {
    const dead = await queryPartition(this.table, Partition.Page, (item) => item, {
      expression: '#status = :dead AND deadReason = :retries AND deadAt < :before',
      names: { '#status': 'status' },
      values: { ':dead': 'dead', ':retries': 'retries-exhausted', ':before': now - afterMs },
    });
    const claimed: OutboxEntry[] = [];
    for (const item of dead.slice(0, limit)) {
      try {
        const { Attributes } = await this.table.doc.send(
          new UpdateCommand({
            TableName: this.table.tableName,
            Key: { pk: item.pk, sk: item.sk },
            UpdateExpression: 'SET #status = :pending, claimUntil = :claimUntil REMOVE deadReason, deadAt',
            ConditionExpression: '#status = :dead AND deadAt < :before',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':pending': 'pending',
              ':dead': 'dead',
              ':claimUntil': now + this.claimMs,
              ':before': now - afterMs,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        if (Attributes) claimed.push(parseOutboxItem(Attributes));
      } catch (error) {
        if (!isConditionFailed(error)) throw error;
      }
    }
    return claimed;
  }

  /** Pending entries with their claim (what the table's stream would announce), and the dead ones' count. */
  async backlog(): Promise<{
    pending: (OutboxEntry & { claimUntil: number })[];
    dead: number;
    oldestPendingAt?: number;
  }> {
    const items = await queryPartition(this.table, Partition.Page, (item) =>
      item.status === 'sent' ? undefined : item,
    );
    const pending: (OutboxEntry & { claimUntil: number })[] = [];
    let dead = 0;
    for (const item of items) {
      if (item.status === 'dead') {
        dead++;
        continue;
      }
      try {
        pending.push({ ...parseOutboxItem(item), claimUntil: Number(item.claimUntil ?? 0) });
      } catch (error) {
        if (!(error instanceof StoredItemError)) throw error;
        this.onMalformed(error);
      }
    }
    pending.sort((a, b) => a.createdAt - b.createdAt);
    const oldest = pending[0]?.createdAt;
    return { pending, dead, ...(oldest !== undefined ? { oldestPendingAt: oldest } : {}) };
  }

  private async conditionalClaim(
    page: Page,
    now: number,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: pageKey(page.dedupKey, page.action),
          UpdateExpression: 'SET claimUntil = :claimUntil',
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':claimUntil': now + this.claimMs, ':pending': 'pending', ...values },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  private async queryLapsedPending(now: number): Promise<OutboxEntry[]> {
    const parse = (item: Record<string, unknown>): OutboxEntry | undefined => {
      try {
        return parseOutboxItem(item);
      } catch (error) {
        if (!(error instanceof StoredItemError)) throw error;
        this.onMalformed(error);
        return undefined;
      }
    };
    return queryPartition(this.table, Partition.Page, parse, {
      expression: '#status = :pending AND claimUntil < :now',
      names: { '#status': 'status' },
      values: { ':pending': 'pending', ':now': now },
    });
  }
}
