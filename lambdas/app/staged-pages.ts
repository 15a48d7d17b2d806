import type { Actuator, SurgeConfig } from '../core/config';
import { actuatorCovers } from '../core/config';
import { type AggregateKind, aggregateOf, episodeId, type PageEpisodeStore } from '../core/page-episodes';
import { pagePriority, type QueueFacts } from '../core/pages';
import type { Clock, Page } from '../core/ports';
import type { QueueState } from '../core/state';
import { type AppLogger, errorMessage, type RetryingPager } from './deps';
import { PageEpisodes } from './page-episodes';

/**
 * The pages one invocation staged. Staging is a durable outbox write made together with the decision
 * that causes the page and before any switch, so no error after a switch can lose it (the poller's
 * outbox retry delivers whatever is left). Delivery happens once the switching is done, by priority,
 * and stops at the invocation's deadline: a slow page publish never delays a switch.
 *
 * Pages that would multiply by queue (recommendations, stale data) are not staged per queue: their
 * queues join one episode per kind and tier (./page-episodes.ts) when this invocation delivers, and the
 * poll tick keeps those episodes in line with the queue states (`syncEpisodes`). The numbers pages state
 * come from the facts callers note: the observation evaluated, or the last stored values.
 */
export class StagedPages {
  private readonly staged: Page[] = [];
  private readonly facts = new Map<string, QueueFacts>();
  private readonly joins = new Map<string, { kind: AggregateKind; tier?: number; queues: Set<string> }>();
  private readonly episodes: PageEpisodes | undefined;

  constructor(
    private readonly pager: RetryingPager,
    private readonly clock: Clock,
    private readonly log: AppLogger,
  ) {
    const store: PageEpisodeStore | undefined = pager.episodes;
    this.episodes = store ? new PageEpisodes(store, (page) => this.stageOne(page), clock, log) : undefined;
  }

  /**
   * Notes what queues look like for the pages of this invocation. `replace: false` keeps facts already
   * noted (a fresher observation beats a stored state).
   */
  noteFacts(facts: QueueFacts | readonly QueueFacts[], options: { replace?: boolean } = {}): void {
    for (const f of Array.isArray(facts) ? facts : [facts as QueueFacts]) {
      if (options.replace === false && this.facts.has(f.queueId)) continue;
      this.facts.set(f.queueId, f);
    }
  }

  /** The noted facts of these queues, in their order (queues with none noted are left out). */
  factsOf(queueIds: readonly string[]): QueueFacts[] {
    return queueIds.flatMap((q) => {
      const f = this.facts.get(q);
      return f ? [f] : [];
    });
  }

  /** The noted facts of every queue `actuator` covers: what released it, on a resolve. */
  factsCovering(actuator: Pick<Actuator, 'queues'>): QueueFacts[] {
    return [...this.facts.values()].filter((f) => actuatorCovers(actuator, f.queueId));
  }

  /** Records `page` in the outbox (once per dedup key and action); this invocation then delivers it. */
  async stage(page: Page): Promise<void> {
    const aggregate = this.episodes ? aggregateOf(page) : undefined;
    if (aggregate) {
      // A queue's trigger joins its episode at delivery; its resolve is the tick's: the episode resolves
      // when the queue states say its last queue left (`syncEpisodes`).
      if (page.action === 'trigger') {
        const id = episodeId(aggregate.kind, aggregate.tier);
        const join = this.joins.get(id) ?? {
          kind: aggregate.kind,
          ...(aggregate.tier !== undefined ? { tier: aggregate.tier } : {}),
          queues: new Set<string>(),
        };
        join.queues.add(aggregate.queueId);
        this.joins.set(id, join);
      }
      return;
    }
    await this.stageOne(page);
  }

  private async stageOne(page: Page): Promise<void> {
    if (await this.pager.stage(page)) this.staged.push(page);
  }

  /**
   * The poll tick: brings every page episode in line with the listed queue states (`unreadable`: queues
   * whose state could not be read) and stages what they owe. No-op without an episode store.
   */
  async syncEpisodes(
    states: readonly QueueState[],
    unreadable: readonly string[],
    config: SurgeConfig,
  ): Promise<void> {
    if (!this.episodes) return;
    await this.episodes.sync(states, unreadable, config, (q) => this.factsOrUnknown(q));
  }

  /**
   * Withdraws staged pages that `keep` does not repeat (same dedup key and action): the pages of a
   * decision that lost its optimistic write to a newer observation. Pages already delivered stay.
   * Queued episode joins that `keep` does not repeat are withdrawn too (they were not written yet).
   */
  async discardExcept(keep: readonly Page[]): Promise<void> {
    const keptJoins = new Set(
      keep.flatMap((p) => {
        const a = p.action === 'trigger' ? aggregateOf(p) : undefined;
        return a ? [`${episodeId(a.kind, a.tier)}|${a.queueId}`] : [];
      }),
    );
    for (const [id, join] of this.joins) {
      for (const q of join.queues) if (!keptJoins.has(`${id}|${q}`)) join.queues.delete(q);
      if (join.queues.size === 0) this.joins.delete(id);
    }
    const kept = new Set(keep.map((p) => `${p.dedupKey}#${p.action}`));
    for (let i = this.staged.length - 1; i >= 0; i--) {
      const page = this.staged[i] as Page;
      if (kept.has(`${page.dedupKey}#${page.action}`)) continue;
      await this.pager.discard(page);
      this.staged.splice(i, 1);
    }
  }

  /**
   * Moves `other`'s queued episode joins (and the facts of their queues) into this batch, so that a
   * chunk's queues join each episode in one conditional write instead of one write per queue: 100 queues
   * crossing a recommend threshold in one chunk are one write, and 50 chunks racing on the episode item
   * retry 50 writes, not 5,000. Call it after `other`'s decisions are final (after discardExcept).
   */
  adoptJoins(other: StagedPages): void {
    for (const [id, join] of other.joins) {
      const mine = this.joins.get(id) ?? { ...join, queues: new Set<string>() };
      for (const q of join.queues) {
        mine.queues.add(q);
        const f = other.facts.get(q);
        if (f && !this.facts.has(q)) this.facts.set(q, f);
      }
      this.joins.set(id, mine);
    }
    other.joins.clear();
  }

  /** Pages this invocation staged, in staging order. */
  get pages(): readonly Page[] {
    return this.staged;
  }

  /**
   * Joins the queued episode joins (one conditional write per episode), then delivers what was staged,
   * most urgent first (triggers and critical pages before stale or recommendation pages), until
   * `deadline`. What is not delivered stays pending in the outbox.
   */
  async deliver(deadline: number): Promise<{ sent: number; left: number }> {
    await this.joinEpisodes();
    const order = [...this.staged].sort((a, b) => pagePriority(a) - pagePriority(b));
    let sent = 0;
    for (const page of order) {
      if (this.clock.now() >= deadline) break;
      try {
        await this.pager.sendStaged(page);
        sent++;
      } catch (e) {
        // The page stays pending in the outbox; the poller's retry delivers it.
        this.log.warn('could not deliver a staged page; left pending for the outbox retry', {
          dedupKey: page.dedupKey,
          action: page.action,
          error: errorMessage(e),
        });
      }
    }
    return { sent, left: order.length - sent };
  }

  private async joinEpisodes(): Promise<void> {
    if (!this.episodes) return;
    const joins = [...this.joins.values()];
    this.joins.clear();
    for (const join of joins) {
      try {
        await this.episodes.join(join.kind, join.tier, [...join.queues], (q) => this.factsOrUnknown(q));
      } catch (e) {
        // The tick's sync adds these queues from their stored states.
        this.log.warn('could not join a page episode; the next tick does', {
          episode: episodeId(join.kind, join.tier),
          error: errorMessage(e),
        });
      }
    }
  }

  private factsOrUnknown(queueId: string): QueueFacts {
    return this.facts.get(queueId) ?? { queueId, waiting: null, agentsAvailable: null };
  }
}
