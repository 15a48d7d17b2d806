import { countsAsFailure } from '../core/circuit-breaker';
import { CircuitOpenError } from '../core/errors';
import type { OutboxEntry } from '../core/persistence';
import type { Clock, Page } from '../core/ports';
import type { SharedBreakers } from './breaker';
import { type AppLogger, errorMessage } from './deps';

// The asynchronous page sender (docs/resilience.md#page-delivery). Evaluate and the poller only stage
// pages in the outbox; this delivers them, off the switching path:
//
//   outbox INSERT ──stream──▶ deliverStaged ─┐
//   schedule (1 min) ───────▶ sweep ─────────┼─▶ claim ─▶ resolve waits for its triggers; a restatement
//                  (due-pages index only)    │           after its resolve is dropped
//                                             │           ─▶ `pager` breaker ─▶ PagerDuty Events v2
//                                             │                 429/5xx/timeout: retry 1 s/2 s/4 s, full jitter (≤ 3)
//                                             │           ─▶ e-mail (SNS, plain text)
//                                             └─▶ sent │ released (breaker open: stays queued)
//                                                      │ dead (400 rejected / retries exhausted → alarm,
//                                                      │       re-driven by the sweep after DEAD_REDRIVE_MS)

/** The outbox operations the sender needs (DynamoPageOutbox implements them). */
export interface SenderOutbox {
  get(dedupKey: string, action: Page['action']): Promise<OutboxEntry | undefined>;
  /** Is any trigger of the key (first or restatement) still pending? */
  triggerPending(dedupKey: string): Promise<boolean>;
  claimStaged(page: Page, stagedClaimUntil: number, now: number): Promise<boolean>;
  /** Due pages only: lapsed pending ones and, with `redriveDead`, dead ones due for their re-drive. */
  claimDue(now: number, limit: number, options: { redriveDead: boolean }): Promise<OutboxEntry[]>;
  markSent(page: Page, now: number): Promise<void>;
  release(page: Page): Promise<void>;
  markDead(page: Page, reason: 'rejected' | 'retries-exhausted', error: string, now: number): Promise<void>;
}

/** A delivery channel; throws on failure (errors with `retryable: true` are retried). */
export interface PageChannel {
  send(page: Page): Promise<unknown>;
}

export interface PageSenderOptions {
  readonly outbox: SenderOutbox;
  /** PagerDuty Events API v2 (behind the `pager` breaker). */
  readonly pagerDuty: PageChannel;
  /** E-mail subscribers (SNS topic, plain text); best effort after PagerDuty took the page. */
  readonly email?: PageChannel;
  readonly breakers: SharedBreakers;
  readonly clock: Clock;
  readonly log: AppLogger;
  /** Waits between retries (simulated in drills and tests). @default real setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform [0, 1) for the jitter. @default Math.random */
  readonly random?: () => number;
  /** Caps of the full-jitter waits before each retry. @default [1000, 2000, 4000] */
  readonly retryDelaysMs?: readonly number[];
}

/** What became of one page. */
export type SendOutcome =
  | 'sent'
  | 'queued' // breaker open, or the resolve waits for its trigger: left pending, claim released
  | 'dead' // dead-lettered (alarmed; retries-exhausted ones are re-driven later)
  | 'skipped'; // another sender has it, or it was already delivered

export interface SendReport {
  readonly sent: number;
  readonly queued: number;
  readonly dead: number;
  readonly skipped: number;
}

/** A page dead for retries-exhausted is tried again after this long (if the pager breaker lets it). */
export { DEAD_REDRIVE_MS } from '../core/pages';

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** 429, 5xx, timeouts and network errors are worth another try; a 400 (our event's fault) never is. */
const isRetryable = (e: unknown): boolean => countsAsFailure(e);

export class PageSender {
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly delays: readonly number[];

  constructor(private readonly options: PageSenderOptions) {
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.delays = options.retryDelaysMs ?? [1000, 2000, 4000];
  }

  /** Pages the table's stream announced (new outbox entries), with the claim they were staged with. */
  async deliverStaged(staged: readonly { page: Page; claimUntil: number }[]): Promise<SendReport> {
    const outcomes: SendOutcome[] = [];
    for (const { page, claimUntil } of byTriggerFirst(staged)) {
      const claimed = await this.options.outbox.claimStaged(page, claimUntil, this.options.clock.now());
      outcomes.push(claimed ? await this.deliver(page) : 'skipped');
    }
    return report(outcomes);
  }

  /**
   * The scheduled sweep: pending pages whose claim lapsed (refused while the breaker was open, a sender
   * that crashed, a resolve that waited for its trigger), then dead pages due for a re-drive.
   */
  async sweep(limit = 50): Promise<SendReport> {
    const now = this.options.clock.now();
    const outcomes: SendOutcome[] = [];
    const redriveDead = !(await this.options.breakers.isOpen('pager'));
    const entries = await this.options.outbox.claimDue(now, limit, { redriveDead });
    for (const { page } of byTriggerFirst(entries)) outcomes.push(await this.deliver(page));
    return report(outcomes);
  }

  /** Delivers one page this sender has claimed. */
  async deliver(page: Page): Promise<SendOutcome> {
    const { outbox, clock, log } = this.options;
    if (page.action === 'resolve' && (await outbox.triggerPending(page.dedupKey))) {
      // Never resolve before every trigger of the key is out, or PagerDuty would open an incident that
      // nothing resolves.
      await outbox.release(page);
      return 'queued';
    }
    if (page.action === 'trigger' && (await outbox.get(page.dedupKey, 'resolve'))?.status === 'sent') {
      // A trigger (or restatement) staged late, after its episode's resolve went out: sending it would
      // open an incident that nothing resolves. Dropped (marked sent), never delivered. While the
      // resolve is still pending it waits for this trigger instead (docs/resilience.md).
      await outbox.markSent(page, clock.now());
      return 'skipped';
    }
    try {
      await this.options.breakers.run('pager', () => this.postWithRetries(page));
    } catch (error) {
      if (error instanceof CircuitOpenError) {
        await outbox.release(page); // stays queued; the sweep tries again once the breaker lets it
        return 'queued';
      }
      const reason = isRetryable(error) ? 'retries-exhausted' : 'rejected';
      log.error('page dead-lettered', {
        dedupKey: page.dedupKey,
        action: page.action,
        reason,
        error: errorMessage(error),
      });
      await outbox.markDead(page, reason, errorMessage(error), clock.now());
      return 'dead';
    }
    if (this.options.email) {
      try {
        await this.options.email.send(page);
      } catch (error) {
        // PagerDuty has it; resending both for the e-mail's sake would page twice. Logged, not retried.
        log.warn('e-mail copy of a page failed', { dedupKey: page.dedupKey, error: errorMessage(error) });
      }
    }
    await outbox.markSent(page, clock.now());
    return 'sent';
  }

  /** One logical call for the breaker: up to 1 + delays.length HTTP attempts, full-jitter waits. */
  private async postWithRetries(page: Page): Promise<void> {
    for (let retry = 0; ; retry++) {
      try {
        await this.options.pagerDuty.send(page);
        return;
      } catch (error) {
        const cap = this.delays[retry];
        if (!isRetryable(error) || cap === undefined) throw error;
        await this.sleep(Math.floor(this.random() * cap));
      }
    }
  }
}

/** Triggers before resolves, so a trigger and its resolve in one batch go out in that order. */
function byTriggerFirst<T extends { page: Page }>(entries: readonly T[]): T[] {
  return [...entries].sort((a, b) =>
    a.page.action === b.page.action ? 0 : a.page.action === 'trigger' ? -1 : 1,
  );
}

function report(outcomes: readonly SendOutcome[]): SendReport {
  const n = (o: SendOutcome) => outcomes.filter((x) => x === o).length;
  return { sent: n('sent'), queued: n('queued'), dead: n('dead'), skipped: n('skipped') };
}
