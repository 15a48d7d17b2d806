import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { StateConflictError, StoredItemError } from '../../core/errors';
import { lazySchema } from '../../core/lazy-schema';
import {
  type AggregateKind,
  type DuePage,
  emptyEpisode,
  episodeId,
  type PageEpisode,
  type PageEpisodeStore,
  type StoredPageEpisode,
} from '../../core/page-episodes';
import { isConditionFailed, type StateTable } from './items';
import { Partition } from './table-definition';

const EpisodeItemSchema = lazySchema(() =>
  z.object({
    number: z.number().int().nonnegative().default(0),
    open: z.boolean().default(false),
    openedAt: z.number().optional(),
    closedAt: z.number().optional(),
    members: z.record(z.string(), z.number()).default({}),
    revision: z.number().int().nonnegative().default(0),
    pagedTrigger: z.number().int().nonnegative().default(0),
    pagedResolve: z.number().int().nonnegative().default(0),
    announced: z.number().int().nonnegative().default(0),
    announcedAt: z.number().optional(),
    version: z.number().int().optional(),
  }),
);

const episodeKey = (id: string) => ({ pk: Partition.PageEpisode, sk: id });

/**
 * Paging episodes across queues, one item per (kind, tier) in the PAGE_EPISODE partition. The episode's
 * state is written conditionally on its version (so chunked evaluations and ticks never lose each other's
 * joins); the page marks are separate monotonic attributes that no state write touches.
 */
export class DynamoPageEpisodeStore implements PageEpisodeStore {
  constructor(private readonly table: StateTable) {}

  async get(kind: AggregateKind, tier?: number): Promise<StoredPageEpisode> {
    const id = episodeId(kind, tier);
    const { Item } = await this.table.doc.send(
      new GetCommand({ TableName: this.table.tableName, Key: episodeKey(id), ConsistentRead: true }),
    );
    if (!Item) return { episode: emptyEpisode(kind, tier), version: undefined };
    const parsed = EpisodeItemSchema().safeParse(Item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new StoredItemError(
        `${Partition.PageEpisode}/${id}`,
        String(issue?.path.join('.') ?? ''),
        issue?.message ?? 'invalid',
      );
    }
    const { version, ...rest } = parsed.data;
    const episode: PageEpisode = {
      ...emptyEpisode(kind, tier),
      ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
    } as PageEpisode;
    return { episode, version: version ?? 0 };
  }

  async save(e: PageEpisode, expectedVersion: number | undefined): Promise<void> {
    const next = (expectedVersion ?? 0) + 1;
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: episodeKey(e.id),
          UpdateExpression: `SET kind = :kind, #number = :number, #open = :open, members = :members, revision = :revision, version = :next${
            e.openedAt !== undefined ? ', openedAt = :openedAt' : ''
          }${e.closedAt !== undefined ? ', closedAt = :closedAt' : ''}${e.tier !== undefined ? ', tier = :tier' : ''}${
            e.closedAt === undefined ? ' REMOVE closedAt' : ''
          }`,
          ConditionExpression:
            expectedVersion === undefined ? 'attribute_not_exists(pk)' : 'version = :expected',
          ExpressionAttributeNames: { '#number': 'number', '#open': 'open' },
          ExpressionAttributeValues: {
            ':kind': e.kind,
            ':number': e.number,
            ':open': e.open,
            ':members': e.members,
            ':revision': e.revision,
            ':next': next,
            ...(e.openedAt !== undefined ? { ':openedAt': e.openedAt } : {}),
            ...(e.closedAt !== undefined ? { ':closedAt': e.closedAt } : {}),
            ...(e.tier !== undefined ? { ':tier': e.tier } : {}),
            ...(expectedVersion === undefined ? {} : { ':expected': expectedVersion }),
          },
        }),
      );
    } catch (error) {
      if (isConditionFailed(error)) {
        throw new StateConflictError(`page episode ${e.id}: changed since it was read`, { cause: error });
      }
      throw error;
    }
  }

  async mark(e: PageEpisode, mark: DuePage['mark'], now: number): Promise<void> {
    const trigger = mark.field === 'pagedTrigger';
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.tableName,
          Key: episodeKey(e.id),
          // The trigger restates the members as of its revision: it counts as announced.
          UpdateExpression:
            mark.field === 'pagedResolve'
              ? 'SET #field = :value'
              : `SET #field = :value, announcedAt = :now${trigger ? ', announced = :revision' : ''}`,
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#field) OR #field < :value)',
          ExpressionAttributeNames: { '#field': mark.field },
          ExpressionAttributeValues: {
            ':value': mark.value,
            ...(mark.field === 'pagedResolve' ? {} : { ':now': now }),
            ...(mark.field === 'pagedTrigger' ? { ':revision': mark.revision } : {}),
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error; // already marked (as far or further) by someone else
    }
  }
}
