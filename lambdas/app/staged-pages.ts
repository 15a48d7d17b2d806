import { pagePriority } from '../core/pages';
import type { Clock, Page } from '../core/ports';
import { type AppLogger, errorMessage, type RetryingPager } from './deps';

/**
 * The pages one invocation staged. Staging is a durable outbox write made together with the decision
 * that causes the page and before any switch, so no error after a switch can lose it (the poller's
 * outbox retry delivers whatever is left). Delivery happens once the switching is done, by priority,
 * and stops at the invocation's deadline: a slow page publish never delays a switch.
 */
export class StagedPages {
  private readonly staged: Page[] = [];

  constructor(
    private readonly pager: RetryingPager,
    private readonly clock: Clock,
    private readonly log: AppLogger,
  ) {}

  /** Records `page` in the outbox (once per dedup key and action); this invocation then delivers it. */
  async stage(page: Page): Promise<void> {
    if (await this.pager.stage(page)) this.staged.push(page);
  }

  /**
   * Withdraws staged pages that `keep` does not repeat (same dedup key and action): the pages of a
   * decision that lost its optimistic write to a newer observation. Pages already delivered stay.
   */
  async discardExcept(keep: readonly Page[]): Promise<void> {
    const kept = new Set(keep.map((p) => `${p.dedupKey}#${p.action}`));
    for (let i = this.staged.length - 1; i >= 0; i--) {
      const page = this.staged[i] as Page;
      if (kept.has(`${page.dedupKey}#${page.action}`)) continue;
      await this.pager.discard(page);
      this.staged.splice(i, 1);
    }
  }

  /** Pages this invocation staged, in staging order. */
  get pages(): readonly Page[] {
    return this.staged;
  }

  /**
   * Delivers what was staged, most urgent first (triggers and critical pages before stale or
   * recommendation pages), until `deadline`. What is not delivered stays pending in the outbox.
   */
  async deliver(deadline: number): Promise<{ sent: number; left: number }> {
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
}
