// Item shapes of the state table and their parsers. Every item read is validated: a hand-edited or
// foreign item fails with a StoredItemError naming the item and the attribute, never with a TypeError
// three calls later.
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { StoredItemError } from '../../core/errors';
import { lazySchema } from '../../core/lazy-schema';
import { OverrideSchema } from '../../core/override';
import type { ManualOverride } from '../../core/persistence';
import type { Clock, Page } from '../../core/ports';
import { OVERRIDES_SORT_KEY, Partition, STALE_MARKS_SORT_KEY } from './table-definition';

/** What every store of this adapter needs: the table and a clock for `updatedAt`. */
export interface StateTable {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock: Clock;
}

export interface StateTableOptions {
  /** A DynamoDB client (point `endpoint` at dynalite for local runs). */
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly clock?: Clock;
}

export function stateTable({
  client,
  tableName,
  clock = { now: () => Date.now() },
}: StateTableOptions): StateTable {
  if (!tableName) throw new Error('stateTable: tableName must be a non-empty string');
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { doc, tableName, clock };
}

export type Key = { pk: string; sk: string };
export const queueKey = (queueId: string): Key => ({ pk: Partition.Queue, sk: queueId });
export const queueShardKey = (shardId: string): Key => ({ pk: Partition.QueueShard, sk: shardId });
export const queueHomeKey = (queueId: string): Key => ({ pk: Partition.QueueHome, sk: queueId });
export const actuatorKey = (actuatorId: string): Key => ({ pk: Partition.Actuator, sk: actuatorId });
export const overridesKey = (): Key => ({ pk: Partition.Overrides, sk: OVERRIDES_SORT_KEY });
export const staleMarksKey = (): Key => ({ pk: Partition.StaleMarks, sk: STALE_MARKS_SORT_KEY });
export const pageKey = (dedupKey: string, action: Page['action']): Key => ({
  pk: Partition.Page,
  sk: `${dedupKey}#${action}`,
});
export const overrideEntryName = (queue: string, tier: number): string => `${queue}#${tier}`;

export const isConditionFailed = (e: unknown): e is ConditionalCheckFailedException =>
  e instanceof ConditionalCheckFailedException ||
  (e as { name?: string } | null)?.name === 'ConditionalCheckFailedException';

/** Throws `fail(field, detail)` for the first issue of a failed zod parse. */
export function parseWith<T>(
  schema: z.ZodType<T>,
  value: unknown,
  fail: (field: string, detail: string) => Error,
): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    // Name the unknown key itself, so a typo points at the typo.
    throw fail([...issue.path, issue.keys[0]].map(String).join('.'), 'is not a known field');
  }
  throw fail(issue?.path.map(String).join('.') || '(item)', issue?.message ?? 'invalid');
}

function parseItem<T>(schema: z.ZodType<T>, item: Record<string, unknown>): T {
  return parseWith(
    schema,
    item,
    (field, detail) => new StoredItemError(`${item.pk}/${item.sk}`, field, detail),
  );
}

// Schemas are built on first use (lazySchema): a function builds only those of the items it reads.
const epochMs = () => z.number().int().nonnegative();
const nonEmpty = () => z.string().min(1, 'must be a non-empty string');

// ── Queue state ──

const QueueItemSchema = lazySchema(() =>
  z.object({
    sk: nonEmpty(),
    /** The core's state as a JSON string: opaque here, cheap to (un)marshal, no DynamoDB type quirks. */
    state: z.string(),
    version: z.number().int().positive(),
    updatedAt: epochMs(),
  }),
);

export function parseQueueItem(item: Record<string, unknown>) {
  const parsed = parseItem(QueueItemSchema(), item);
  let state: unknown;
  try {
    state = JSON.parse(parsed.state);
  } catch (cause) {
    throw new StoredItemError(`${item.pk}/${item.sk}`, 'state', 'is not valid JSON', { cause });
  }
  return { queueId: parsed.sk, state, version: parsed.version, updatedAt: parsed.updatedAt };
}

// ── Overrides ──

const OverridesItemSchema = lazySchema(() =>
  z.object({ entries: z.record(z.string(), OverrideSchema()).optional() }),
);

export function parseOverridesItem(item: Record<string, unknown> | undefined): ManualOverride[] {
  if (!item) return [];
  const entries = parseItem(OverridesItemSchema(), item).entries ?? {};
  return Object.values(entries).sort((a, b) => a.queue.localeCompare(b.queue) || a.tier - b.tier);
}

// ── Actuators ──

const ActuatorItemSchema = lazySchema(() => {
  const ms = epochMs();
  const id = nonEmpty();
  const EpisodeSchema = z.object({
    number: z.number().int().positive(),
    dedupKey: id,
    openedAt: ms,
    closedAt: ms.optional(),
  });
  return z.object({
    sk: id,
    demandedBy: z.set(id).optional(),
    applied: z.enum(['active', 'inactive', 'unknown']).optional(),
    fencingToken: z.number().int().nonnegative().optional(),
    leaseOwner: id.optional(),
    leaseExpiresAt: ms.optional(),
    episode: EpisodeSchema.optional(),
    stagedEpisode: EpisodeSchema.optional(),
    lastError: z.object({ message: z.string(), at: ms }).optional(),
    consecutiveFailures: z.number().int().nonnegative().optional(),
    updatedAt: ms,
    demandChangedAt: ms.optional(),
    verifiedAt: ms.optional(),
    appliedChangedAt: ms.optional(),
  });
});

export function parseActuatorItem(item: Record<string, unknown>) {
  const a = parseItem(ActuatorItemSchema(), item);
  const demandedBy = [...(a.demandedBy ?? [])].sort();
  return {
    actuatorId: a.sk,
    desired: demandedBy.length > 0 ? ('active' as const) : ('inactive' as const),
    demandedBy,
    applied: a.applied ?? 'unknown',
    fencingToken: a.fencingToken ?? 0,
    ...(a.leaseOwner !== undefined && a.leaseExpiresAt !== undefined
      ? { lease: { owner: a.leaseOwner, expiresAt: a.leaseExpiresAt } }
      : {}),
    ...(a.episode ? { episode: a.episode } : {}),
    ...(a.stagedEpisode ? { stagedEpisode: a.stagedEpisode } : {}),
    ...(a.lastError ? { lastError: a.lastError } : {}),
    consecutiveFailures: a.consecutiveFailures ?? 0,
    updatedAt: a.updatedAt,
    ...(a.demandChangedAt !== undefined ? { demandChangedAt: a.demandChangedAt } : {}),
    ...(a.verifiedAt !== undefined ? { verifiedAt: a.verifiedAt } : {}),
    ...(a.appliedChangedAt !== undefined ? { appliedChangedAt: a.appliedChangedAt } : {}),
  };
}

// ── Page outbox ──

export const PageSchema = lazySchema(() =>
  z.strictObject({
    kind: z.enum([
      'actuator-episode',
      'recommendation',
      'stale-observations',
      'switch-failing',
      'break-glass-used',
      'circuit-open',
      'flapping',
      'edge-fallback',
      'operator-override',
      'crm-lookup-refused',
      'drift',
      'future-observation',
      'controller-alarm',
      'dr-switchover',
      'dr-readiness',
    ]),
    // PagerDuty caps dedup_key at 255 characters; '#' separates it from the action in the sort key.
    dedupKey: nonEmpty().max(255, 'must be at most 255 characters'),
    action: z.enum(['trigger', 'resolve']),
    severity: z.enum(['critical', 'error', 'warning', 'info']),
    summary: nonEmpty(),
    reason: z.string(),
    at: z.iso.datetime({ message: 'must be an ISO-8601 timestamp' }),
    details: z.record(z.string(), z.unknown()),
    revision: z.number().int().positive().optional(),
  }),
);

const OutboxItemSchema = lazySchema(() =>
  z.object({
    page: z.string(),
    status: z.enum(['pending', 'sent', 'dead']),
    attempts: z.number().int().nonnegative(),
    createdAt: epochMs(),
    lastError: z.string().optional(),
  }),
);

export function parseOutboxItem(item: Record<string, unknown>) {
  const o = parseItem(OutboxItemSchema(), item);
  let raw: unknown;
  try {
    raw = JSON.parse(o.page);
  } catch (cause) {
    throw new StoredItemError(`${item.pk}/${item.sk}`, 'page', 'is not valid JSON', { cause });
  }
  const page = parseWith(
    PageSchema(),
    raw,
    (field, detail) => new StoredItemError(`${item.pk}/${item.sk}`, `page.${field}`, detail),
  ) as Page;
  return {
    page,
    status: o.status,
    attempts: o.attempts,
    createdAt: o.createdAt,
    ...(o.lastError !== undefined ? { lastError: o.lastError } : {}),
  };
}

/**
 * Every item of one partition, all pages, strongly consistent. `each` maps an item to a result, or to
 * undefined to skip it; `filter` narrows server-side (FilterExpression with its names and values).
 */
export async function queryPartition<T>(
  table: StateTable,
  pk: string,
  each: (item: Record<string, unknown>) => T | undefined,
  filter?: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> },
): Promise<T[]> {
  const out: T[] = [];
  const pages = paginateQuery(
    { client: table.doc },
    {
      TableName: table.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pk, ...filter?.values },
      ...(filter ? { FilterExpression: filter.expression } : {}),
      ...(filter?.names ? { ExpressionAttributeNames: filter.names } : {}),
      ConsistentRead: true,
    },
  );
  for await (const page of pages) {
    for (const item of page.Items ?? []) {
      const value = each(item);
      if (value !== undefined) out.push(value);
    }
  }
  return out;
}
