import { DeleteCommand, GetCommand, PutCommand, paginateQuery, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConfigError, StoredItemError } from '../../core/errors';
import { DEAD_REDRIVE_MS, pagePriority } from '../../core/pages';
import type { OutboxEntry, PageOutbox } from '../../core/persistence';
import type { Page } from '../../core/ports';
import { isConditionFailed, PageSchema, pageKey, parseOutboxItem, parseWith, type StateTable } from './items';
import { DynamoPageEpisodeStore } from './page-episode-store';
import { DUE_PAGES_INDEX, Partition } from './table-definition';

/** The outbox entry of a page: (dedupKey, action), and a restatement (`revision`) its own entry. */
export const pageEntryKey = (page: Pick<Page, 'dedupKey' | 'action' | 'revision'>) => {
  const key = pageKey(page.dedupKey, page.action);
  return page.revision ? { ...key, sk: `${key.sk}#${page.revision}` } : key;
};

/** Urgent pages (triggers and critical ones) in one shard of the due index, informational ones in the other. */
export const dueShardOf = (page: Page): string => `${Partition.Page}#${pagePriority(page) < 10 ? 0 : 1}`;
const DUE_SHARDS = [`${Partition.Page}#0`, `${Partition.Page}#1`] as const;
/** A rejected page is dead for good: in the index (counted by the DeadPages alarm) but never due. */
const NEVER = Number.MAX_SAFE_INTEGER;

export interface DynamoPageOutboxOptions {
  /** How long a sender owns a page before a retry may take it over. @default 60_000 */
  readonly claimMs?: number;
  /** How long sent entries are kept (TTL housekeeping; pending entries never expire). @default 7 days */
  readonly keepSentSeconds?: number;
  /** How long after a retries-exhausted dead-letter a page is due again. @default DEAD_REDRIVE_MS */
  readonly redriveAfterMs?: number;
  /**
   * Called for a malformed pending entry, which claimPending skips so one bad item cannot block every
   * other page's retry. Log it. @default ignore
   */
  readonly onMalformed?: (error: StoredItemError) => void;
}

/** How long a sender's claim on a page lasts (recordNew stages a page claimed this long). */
export const OUTBOX_CLAIM_MS = 60_000;

/**
 * Page outbox, one item per (dedupKey, action) (a restatement of an open incident: one per revision).
 * The first writer of an entry wins (conditional put); duplicates see the entry and stage nothing. A
 * sender claims an entry (conditional update on status and claim time) and marks it sent or dead.
 * Undelivered entries carry `dueShard`, so they alone are in the sparse due-pages index and
 * housekeeping reads only them (`claimUntil < now`: lapsed claims, dead pages due for a re-drive).
 *
 *   recordNew ──► pending (claimed until now+claimMs, indexed) ──send ok──► markSent ──► sent (+ttl, unindexed)
 *                    ▲            │ send failed / breaker open           │ 400 / retries spent
 *                    └── release, markFailed: claim released ◄── claimDue ◄── markDead: dead, due again later
 */
export class DynamoPageOutbox implements PageOutbox {
  private readonly claimMs: number;
  private readonly keepSentSeconds: number;
  private readonly redriveAfterMs: number;
  private readonly onMalformed: (error: StoredItemError) => void;
  /** The episodes that aggregate pages across queues (lambdas/app/page-episodes.ts). */
  readonly episodes: DynamoPageEpisodeStore;

  constructor(
    private readonly table: StateTable,
    options: DynamoPageOutboxOptions = {},
  ) {
    this.claimMs = options.claimMs ?? OUTBOX_CLAIM_MS;
    this.keepSentSeconds = options.keepSentSeconds ?? 7 * 24 * 3600;
    this.redriveAfterMs = options.redriveAfterMs ?? DEAD_REDRIVE_MS;
    this.onMalformed = options.onMalformed ?? (() => {});
    this.episodes = new DynamoPageEpisodeStore(table);
  }

  async recordNew(page: Page, now: number): Promise<boolean> {
    const valid = parseWith(
      PageSchema(),
      page,
      (field, detail) => new ConfigError(`page.${field}`, detail),
    ) as Page;
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: {
            ...pageEntryKey(valid),
            page: JSON.stringify(valid),
            status: 'pending',
            attempts: 0,
            createdAt: now,
            claimUntil: now + this.claimMs,
            dueShard: dueShardOf(valid),
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

  /**
   * Is any trigger of `dedupKey` (its first, or a restatement) still pending? A resolve waits while one
   * is, or PagerDuty would open an incident that nothing resolves. One Query of the key's entries.
   */
  async triggerPending(dedupKey: string): Promise<boolean> {
    const prefix = pageKey(dedupKey, 'trigger').sk;
    for await (const page of paginateQuery(
      { client: this.table.doc },
      {
        TableName: this.table.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        FilterExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pk': Partition.Page, ':prefix': prefix, ':pending': 'pending' },
        ProjectionExpression: 'sk',
        ConsistentRead: true,
      },
    )) {
      // begins_with also matches a longer key that starts with this one: only `<key>#trigger[#n]` counts.
      if ((page.Items ?? []).some((i) => i.sk === prefix || String(i.sk).startsWith(`${prefix}#`)))
        return true;
    }
    return false;
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
          Key: pageEntryKey(page),
          UpdateExpression: 'SET #status = :sent, sentAt = :now, #ttl = :ttl REMOVE claimUntil, dueShard',
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
          Key: pageEntryKey(page),
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

  /** PageOutbox: lapsed pending entries only (OutboxPager's retry); the sender's sweep uses claimDue. */
  async claimPending(now: number, limit = 25): Promise<OutboxEntry[]> {
    return this.claimDue(now, limit, { redriveDead: false });
  }

  /**
   * Claims up to `limit` entries that are due: pending ones whose claim lapsed and, with `redriveDead`,
   * pages dead for retries-exhausted whose re-drive time came (back to pending, claimed by us). Reads
   * only the due-pages index, urgent shard first, most urgent first within it (`pagePriority`), then
   * oldest first; the informational shard is read only if the urgent one left room.
   */
  async claimDue(now: number, limit = 25, options: { redriveDead: boolean }): Promise<OutboxEntry[]> {
    const claimed: OutboxEntry[] = [];
    for (const shard of DUE_SHARDS) {
      if (claimed.length >= limit) break;
      const due = (await this.queryDue(shard, now)).filter(
        (e) => e.status === 'pending' || (options.redriveDead && e.deadReason === 'retries-exhausted'),
      );
      due.sort((a, b) => pagePriority(a.page) - pagePriority(b.page) || a.createdAt - b.createdAt);
      for (const entry of due) {
        if (claimed.length >= limit) break;
        const got = await this.claim(
          entry.page,
          now,
          entry.status === 'dead' ? { dead: true } : { lapsedBy: now },
        );
        if (got) claimed.push(got);
      }
    }
    return claimed;
  }

  async discard(page: Page): Promise<void> {
    try {
      await this.table.doc.send(
        new DeleteCommand({
          TableName: this.table.tableName,
          Key: pageEntryKey(page),
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
    return (await this.claim(page, now, { stagedWith: stagedClaimUntil })) !== undefined;
  }

  /** Gives a claimed page back without counting an attempt (breaker open, or waiting for its trigger). */
  async release(page: Page): Promise<void> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: pageEntryKey(page),
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
   * `retries-exhausted` (re-driven later: `claimDue` takes it again at its re-drive time). Kept, counted by the DeadPages alarm.
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
          Key: pageEntryKey(page),
          // Still in the due index: a rejected page never comes due (claimUntil NEVER), a retries-exhausted
          // one at its re-drive time.
          UpdateExpression:
            'SET #status = :dead, deadReason = :reason, deadAt = :now, lastError = :error, claimUntil = :dueAgain ADD attempts :one',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':dead': 'dead',
            ':reason': reason,
            ':now': now,
            ':error': error.slice(0, 1000),
            ':dueAgain': reason === 'rejected' ? NEVER : now + this.redriveAfterMs,
            ':one': 1,
            ':pending': 'pending',
          },
        }),
      );
    } catch (e) {
      if (!isConditionFailed(e)) throw e;
    }
  }

  /** Pending entries with their claim (what the table's stream would announce), and the dead ones' count. */
  async backlog(): Promise<{
    pending: (OutboxEntry & { claimUntil: number })[];
    dead: number;
    oldestPendingAt?: number;
  }> {
    const pending: (OutboxEntry & { claimUntil: number })[] = [];
    let dead = 0;
    for (const shard of DUE_SHARDS) {
      for (const entry of await this.queryDue(shard)) {
        if (entry.status === 'dead') dead++;
        else pending.push(entry);
      }
    }
    pending.sort((a, b) => a.createdAt - b.createdAt);
    const oldest = pending[0]?.createdAt;
    return { pending, dead, ...(oldest !== undefined ? { oldestPendingAt: oldest } : {}) };
  }

  /**
   * The one claim of every path (a staged page from the stream, a lapsed pending page, a dead page due
   * for its re-drive): a conditional update that makes the entry pending and ours until now+claimMs.
   */
  private async claim(
    page: Page,
    now: number,
    expected: { stagedWith: number } | { lapsedBy: number } | { dead: true },
  ): Promise<OutboxEntry | undefined> {
    const condition =
      'stagedWith' in expected
        ? '#status = :pending AND claimUntil = :seen'
        : 'lapsedBy' in expected
          ? '#status = :pending AND claimUntil < :seen'
          : '#status = :dead AND deadReason = :retries AND claimUntil < :seen';
    try {
      const { Attributes } = await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: pageEntryKey(page),
          UpdateExpression: 'SET #status = :pending, claimUntil = :claimUntil REMOVE deadReason, deadAt',
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            // Past the value seen, so a second claimer at the same instant (a frozen or coarse clock)
            // finds it moved and backs off: one sender per page.
            ':claimUntil': Math.max(
              now + this.claimMs,
              ('stagedWith' in expected ? expected.stagedWith : now) + 1,
            ),
            ':pending': 'pending',
            ':seen': 'stagedWith' in expected ? expected.stagedWith : now,
            ...('dead' in expected ? { ':dead': 'dead', ':retries': 'retries-exhausted' } : {}),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? parseOutboxItem(Attributes) : undefined;
    } catch (error) {
      if (isConditionFailed(error)) return undefined; // someone else claimed or sent it meanwhile
      throw error;
    }
  }

  /** Undelivered entries of one shard of the due-pages index (`before`: only those due by then). */
  private async queryDue(
    shard: string,
    before?: number,
  ): Promise<(OutboxEntry & { claimUntil: number; deadReason?: string })[]> {
    const out: (OutboxEntry & { claimUntil: number; deadReason?: string })[] = [];
    for await (const page of paginateQuery(
      { client: this.table.doc },
      {
        TableName: this.table.tableName,
        IndexName: DUE_PAGES_INDEX.name,
        KeyConditionExpression:
          before === undefined ? '#shard = :shard' : '#shard = :shard AND #claimUntil < :before',
        ExpressionAttributeNames: {
          '#shard': DUE_PAGES_INDEX.partitionKey,
          ...(before === undefined ? {} : { '#claimUntil': DUE_PAGES_INDEX.sortKey }),
        },
        ExpressionAttributeValues: {
          ':shard': shard,
          ...(before === undefined ? {} : { ':before': before }),
        },
      },
    )) {
      for (const item of page.Items ?? []) {
        try {
          out.push({
            ...parseOutboxItem(item),
            claimUntil: Number(item.claimUntil ?? 0),
            ...(typeof item.deadReason === 'string' ? { deadReason: item.deadReason } : {}),
          });
        } catch (error) {
          if (!(error instanceof StoredItemError)) throw error;
          this.onMalformed(error);
        }
      }
    }
    return out;
  }
}
