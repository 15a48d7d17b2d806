import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import { parseOutboxItem } from '../adapters/dynamodb/items';
import { Partition } from '../adapters/dynamodb/table-definition';
import { MetricName } from '../adapters/telemetry-names';
import type { PageSender, SendReport } from '../app/send-pages';
import type { Telemetry } from '../app/telemetry';
import { StoredItemError } from '../core/errors';
import { lazySchema } from '../core/lazy-schema';
import type { Clock, Page } from '../core/ports';
import { Reason } from '../core/reasons';
import { CLOUDWATCH_ALARM_EVENT } from './events';

// send-pages: the one place pages leave the controller. Three triggers (lib/page-delivery.ts):
//   DynamoDB stream INSERT of a PAGE item → deliver it now;
//   schedule (1 min)                       → sweep what is still pending or due for re-drive;
//   CloudWatch alarm state change          → the controller's own alarms as PagerDuty incidents.

export interface SendPagesDeps {
  readonly sender: PageSender;
  /** Stages a page (alarm pages are staged before delivery like any other). */
  readonly stage: (page: Page) => Promise<boolean>;
  /** Pending entries with their claims, and the dead count (metrics). */
  readonly backlog: () => Promise<{ dead: number; oldestPendingAt?: number }>;
  readonly clock: Clock;
}

/** The three triggers' event schemas, built on the first event (lazySchema), not at cold start. */
const triggerSchemas = lazySchema(() => ({
  StreamEventSchema: z.object({
    Records: z.array(
      z.object({
        eventName: z.string().optional(),
        dynamodb: z.object({ NewImage: z.record(z.string(), z.unknown()).optional() }).optional(),
      }),
    ),
  }),
  AlarmSchema: z.object({
    source: z.literal(CLOUDWATCH_ALARM_EVENT.source),
    'detail-type': z.literal(CLOUDWATCH_ALARM_EVENT.detailType),
    detail: z.object({
      alarmName: z.string().min(1),
      state: z.object({ value: z.string(), timestamp: z.string(), reason: z.string().optional() }),
      previousState: z.object({ value: z.string(), timestamp: z.string() }).optional(),
    }),
  }),
}));
type AlarmEvent = z.infer<ReturnType<typeof triggerSchemas>['AlarmSchema']>;

/** A CloudWatch alarm of the controller as a page: ALARM triggers, OK resolves the same incident. */
export function alarmPage(detail: AlarmEvent['detail']): Page | undefined {
  const alarm = detail.state.value === 'ALARM';
  const since = alarm
    ? detail.state.timestamp
    : detail.previousState?.value === 'ALARM'
      ? detail.previousState.timestamp
      : undefined;
  if (since === undefined || (detail.state.value !== 'ALARM' && detail.state.value !== 'OK'))
    return undefined;
  return {
    kind: 'controller-alarm',
    dedupKey: `alarm:${detail.alarmName}:${since}`.slice(0, 255),
    action: alarm ? 'trigger' : 'resolve',
    severity: alarm ? 'critical' : 'info',
    summary: alarm
      ? `Controller alarm ${detail.alarmName} in ALARM: ${detail.state.reason ?? 'see CloudWatch'}`.slice(
          0,
          1000,
        )
      : `Controller alarm ${detail.alarmName} back to OK`,
    reason: Reason.CONTROLLER_ALARM,
    at: new Date(Date.parse(detail.state.timestamp) || Date.now()).toISOString(),
    details: { alarmName: detail.alarmName, state: detail.state.value, since },
  };
}

export function createSendPagesHandler(getDeps: () => SendPagesDeps, telemetry: Telemetry) {
  return async (event: unknown): Promise<SendReport> => {
    try {
      const deps = getDeps();
      let report: SendReport;
      const { StreamEventSchema, AlarmSchema } = triggerSchemas();
      const stream = StreamEventSchema.safeParse(event);
      const alarm = AlarmSchema.safeParse(event);
      if (stream.success) {
        const staged: { page: Page; claimUntil: number }[] = [];
        for (const record of stream.data.Records) {
          const image = record.dynamodb?.NewImage;
          if (record.eventName !== 'INSERT' || !image) continue;
          const item = unmarshall(image as Record<string, AttributeValue>);
          if (item.pk !== Partition.Page) continue;
          try {
            staged.push({ page: parseOutboxItem(item).page, claimUntil: Number(item.claimUntil ?? 0) });
          } catch (error) {
            if (!(error instanceof StoredItemError)) throw error;
            telemetry.error('malformed outbox item skipped', { error: error.message });
          }
        }
        report = await deps.sender.deliverStaged(staged);
      } else if (alarm.success) {
        const page = alarmPage(alarm.data.detail);
        if (page) await deps.stage(page);
        report = await deps.sender.sweep();
      } else {
        report = await deps.sender.sweep(); // the schedule: its event carries nothing we need
      }
      const backlog = await deps.backlog();
      const now = deps.clock.now();
      // Only when there is something to say: their alarms treat no data as OK (lib/page-delivery.ts),
      // and a metric emitted every minute at 0 is billed all month (docs/cost.md#metrics).
      if (backlog.dead > 0) telemetry.metric(MetricName.DeadPages, 'Count', backlog.dead);
      if (backlog.oldestPendingAt !== undefined) {
        telemetry.metric(
          MetricName.PageBacklogAge,
          'Count',
          Math.max(0, Math.round((now - backlog.oldestPendingAt) / 1000)),
        );
      }
      telemetry.info('pages delivered', { ...report, dead: backlog.dead });
      return report;
    } finally {
      telemetry.flush();
    }
  };
}
