import type { SurgeConfig } from '../core/config';
import { StateConflictError } from '../core/errors';
import {
  type AggregateKind,
  aggregateTruth,
  duePages,
  episodeId,
  holdMsOf,
  joinEpisode,
  type PageEpisode,
  type PageEpisodeStore,
  refreshAfterMsOf,
  syncEpisode,
} from '../core/page-episodes';
import type { QueueFacts } from '../core/pages';
import type { Clock, Page } from '../core/ports';
import type { QueueState } from '../core/state';
import { type AppLogger, errorMessage } from './deps';

// One page per episode and tier across queues (docs/resilience.md, "One page per episode"). The pure
// rules are in lambdas/core/page-episodes.ts; this runs them against the episode store: read, decide,
// conditional write (a lost race re-reads and re-decides), then stage what became due and mark it.

/** Every aggregate the tick keeps in line with the queue states. */
const ALL_AGGREGATES: readonly { kind: AggregateKind; tier?: number }[] = [
  { kind: 'stale-observations' },
  { kind: 'future-observation' },
  ...([1, 2, 3] as const).flatMap((tier) => [
    { kind: 'recommendation' as const, tier },
    { kind: 'flapping' as const, tier },
  ]),
];

const ATTEMPTS = 5;

export class PageEpisodes {
  constructor(
    private readonly store: PageEpisodeStore,
    private readonly stage: (page: Page) => Promise<unknown>,
    private readonly clock: Clock,
    private readonly log: AppLogger,
  ) {}

  /**
   * Queues whose decision asked for the (kind, tier) page join its episode; the first join opens it and
   * stages its trigger. Nothing else is paged here: updates and the resolve are the tick's (`sync`).
   * Returns the pages staged.
   */
  async join(
    kind: AggregateKind,
    tier: number | undefined,
    queueIds: readonly string[],
    factsOf: (queueId: string) => QueueFacts,
  ): Promise<Page[]> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const { episode, version } = await this.store.get(kind, tier);
      const next = joinEpisode(episode, queueIds, this.clock.now(), refreshAfterMsOf(kind));
      if (!next) return [];
      try {
        await this.store.save(next, version);
      } catch (e) {
        if (e instanceof StateConflictError) continue;
        throw e;
      }
      return this.settle(next, factsOf, false);
    }
    // Many writers at once: the tick's sync adds these queues from their stored states.
    this.log.warn('page episode kept changing; the next tick adds the queues', {
      episode: episodeId(kind, tier),
      queues: queueIds.length,
    });
    return [];
  }

  /**
   * The tick: every aggregate's members made equal to what the queue states say (`states`: every listed
   * state; `unreadable`: queues whose state could not be read, never dropped), then whatever each
   * episode owes is staged: a missing trigger or resolve (after a crash), one update when its queues
   * changed. Returns the pages staged.
   */
  async sync(
    states: readonly QueueState[],
    unreadable: readonly string[],
    config: SurgeConfig,
    factsOf: (queueId: string) => QueueFacts,
  ): Promise<Page[]> {
    const now = this.clock.now();
    const truth = aggregateTruth(states, config, now);
    const unknown = new Set(unreadable);
    const staged: Page[] = [];
    for (const { kind, tier } of ALL_AGGREGATES) {
      try {
        staged.push(
          ...(await this.syncOne(
            kind,
            tier,
            truth.get(episodeId(kind, tier)) ?? new Set(),
            unknown,
            holdMsOf(kind, config),
            factsOf,
          )),
        );
      } catch (e) {
        // One episode's storage trouble never stops the others; the next tick tries again.
        this.log.error('could not bring a page episode in line; the next tick retries', {
          episode: episodeId(kind, tier),
          error: errorMessage(e),
        });
      }
    }
    return staged;
  }

  private async syncOne(
    kind: AggregateKind,
    tier: number | undefined,
    truth: ReadonlySet<string>,
    unknown: ReadonlySet<string>,
    holdMs: number,
    factsOf: (queueId: string) => QueueFacts,
  ): Promise<Page[]> {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const { episode, version } = await this.store.get(kind, tier);
      const next = syncEpisode(episode, truth, unknown, this.clock.now(), holdMs);
      if (next) {
        try {
          await this.store.save(next, version);
        } catch (e) {
          if (e instanceof StateConflictError) continue;
          throw e;
        }
      }
      return this.settle(next ?? episode, factsOf, true);
    }
    return [];
  }

  /** Stages what `episode` owes (after the write that made it due), then marks each page staged. */
  private async settle(
    episode: PageEpisode,
    factsOf: (queueId: string) => QueueFacts,
    updates: boolean,
  ): Promise<Page[]> {
    const now = this.clock.now();
    const staged: Page[] = [];
    for (const due of duePages(episode, factsOf, now, { updates })) {
      await this.stage(due.page);
      await this.store.mark(episode, due.mark, now);
      staged.push(due.page);
    }
    return staged;
  }
}
