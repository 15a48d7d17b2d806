import type { PageOutbox } from '../../core/persistence';
import type { Clock, Page, Pager } from '../../core/ports';

export type PageDeliveryOutcome =
  | 'sent' // recorded and delivered now
  | 'duplicate' // (dedupKey, action) was already recorded: another trigger owns it
  | 'deferred'; // recorded, not delivered yet (transport failed, or its trigger is not out yet): retried later

export interface PageDelivery {
  readonly outcome: PageDeliveryOutcome;
  /** Why it was deferred (transport error message). */
  readonly error?: string;
}

const message = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/**
 * A Pager that goes through the outbox: N duplicate sends of one page deliver it once, and a transport
 * failure never surfaces to the caller (switching must not wait on paging); the page stays pending and
 * `retryPending` (the poller's tick) delivers it later. A resolve is never delivered before its trigger,
 * or PagerDuty would open an incident that nothing resolves.
 */
export class OutboxPager implements Pager {
  constructor(
    private readonly outbox: PageOutbox,
    private readonly transport: Pager,
    private readonly clock: Clock,
  ) {}

  /** Pager port: records and delivers; throws only if the outbox itself cannot be written. */
  async send(page: Page): Promise<void> {
    await this.deliver(page);
  }

  async deliver(page: Page): Promise<PageDelivery> {
    const now = this.clock.now();
    if (!(await this.outbox.recordNew(page, now))) return { outcome: 'duplicate' };
    if (page.action === 'resolve' && (await this.triggerStillPending(page))) {
      return this.defer(page, 'waiting for its trigger to be delivered first', now);
    }
    return this.transmit(page);
  }

  /**
   * Records `page` as pending without sending it, for pages that must survive a crash of the caller
   * before its next write (the actuator episode page is staged before `applied` is recorded). Returns
   * false if it was already recorded. Send it with `sendStaged`, or `retryPending` will.
   */
  async stage(page: Page): Promise<boolean> {
    return this.outbox.recordNew(page, this.clock.now());
  }

  /** Delivers a page this caller staged (a resolve still waits for its trigger). */
  async sendStaged(page: Page): Promise<PageDelivery> {
    if (page.action === 'resolve' && (await this.triggerStillPending(page))) {
      return this.defer(page, 'waiting for its trigger to be delivered first', this.clock.now());
    }
    return this.transmit(page);
  }

  /** Withdraws a staged page never delivered (its decision lost a race). */
  async discard(page: Page): Promise<void> {
    await this.outbox.discard(page);
  }

  /**
   * Delivers pending pages whose claim lapsed, most urgent first (the outbox's order), until
   * `deadline`; the claims of pages not reached lapse and the next retry takes them.
   */
  async retryPending(
    limit?: number,
    deadline = Number.POSITIVE_INFINITY,
  ): Promise<{ sent: number; deferred: number }> {
    const now = this.clock.now();
    const entries = await this.outbox.claimPending(now, limit);
    const undeliveredTriggers = new Set<string>();
    let sent = 0;
    let deferred = 0;
    for (const { page } of entries) {
      if (this.clock.now() >= deadline) {
        // Out of time: this claim lapses (claimMs) and a later retry delivers it.
        deferred++;
        continue;
      }
      const blocked =
        page.action === 'resolve' &&
        (undeliveredTriggers.has(page.dedupKey) || (await this.triggerStillPending(page)));
      const result = blocked
        ? await this.defer(page, 'waiting for its trigger to be delivered first', now)
        : await this.transmit(page);
      if (result.outcome === 'sent') sent++;
      else {
        deferred++;
        if (page.action === 'trigger') undeliveredTriggers.add(page.dedupKey);
      }
    }
    return { sent, deferred };
  }

  private async triggerStillPending(page: Page): Promise<boolean> {
    const trigger = await this.outbox.get(page.dedupKey, 'trigger');
    return trigger?.status === 'pending';
  }

  private async transmit(page: Page): Promise<PageDelivery> {
    try {
      await this.transport.send(page);
    } catch (error) {
      return this.defer(page, message(error), this.clock.now());
    }
    await this.outbox.markSent(page, this.clock.now());
    return { outcome: 'sent' };
  }

  private async defer(page: Page, error: string, now: number): Promise<PageDelivery> {
    await this.outbox.markFailed(page, error, now);
    return { outcome: 'deferred', error };
  }
}
