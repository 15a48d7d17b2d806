// The Tier 4 signal in the drill: the origin health check and the alarm lib/edge deploys, on simulated
// time, producing the EventBridge event the deployed rule delivers to evaluate (same source, detail-type,
// resources and detail as CloudWatch's "Alarm State Change" for the composite alarm).
//
//   each simulated minute: probe the origin (real HTTP) ─▶ datapoint HealthCheckStatus 0/1
//   ALARM when datapointsToAlarm of the last evaluationPeriods datapoints are 0; OK when fewer are
//
// Route 53's own 3 × 30 s failure count is folded into the minute's datapoint: the drill has one tick per
// minute, so an origin that fails at 10:00 is unhealthy in the 10:00 datapoint and ALARM at 10:01.
import { randomUUID } from 'node:crypto';
import { isoInstant } from '../../lambdas/core/time';
import { ORIGIN_HEALTH_SIGNAL } from '../../lambdas/edge/edge-config';
import { CLOUDWATCH_ALARM_EVENT } from '../../lambdas/handlers/events';

export type AlarmState = 'OK' | 'ALARM';

export const DRILL_ALARM_ACCOUNT = '000000000000';
export const DRILL_ALARM_REGION = 'us-east-1';
export const DRILL_ALARM_NAME = 'cx-surge-drill-Edge-OriginErrorAlarm';
export const drillAlarmArn = (name = DRILL_ALARM_NAME): string =>
  `arn:aws:cloudwatch:${DRILL_ALARM_REGION}:${DRILL_ALARM_ACCOUNT}:alarm:${name}`;

export interface AlarmStateChange {
  readonly state: AlarmState;
  readonly atMs: number;
  readonly previous: { readonly state: AlarmState; readonly sinceMs: number };
  /** Datapoints that decided it, oldest first (1 healthy, 0 not). */
  readonly datapoints: readonly number[];
}

/** CloudWatch spells alarm timestamps like 2026-11-27T10:07:00.000+0000. */
export const cloudWatchTimestamp = (ms: number): string => new Date(ms).toISOString().replace('Z', '+0000');

/** The origin health alarm, fed one datapoint per minute. Starts OK, as a deployed alarm before the event. */
export class OriginAlarmModel {
  private readonly datapoints: number[] = [];
  private lastMinute = Number.NEGATIVE_INFINITY;
  state: AlarmState = 'OK';
  sinceMs: number;

  constructor(
    startMs: number,
    readonly evaluationPeriods: number = ORIGIN_HEALTH_SIGNAL.evaluationPeriods,
    readonly datapointsToAlarm: number = ORIGIN_HEALTH_SIGNAL.datapointsToAlarm,
    readonly periodMs: number = ORIGIN_HEALTH_SIGNAL.periodSeconds * 1000,
  ) {
    this.sinceMs = startMs;
  }

  /** Is a datapoint due at `atMs` (the first tick of a new period)? */
  due(atMs: number): boolean {
    return Math.floor(atMs / this.periodMs) > this.lastMinute;
  }

  /** Records the period's datapoint and evaluates; returns the state change, if any. */
  record(atMs: number, healthy: boolean): AlarmStateChange | undefined {
    this.lastMinute = Math.floor(atMs / this.periodMs);
    this.datapoints.push(healthy ? 1 : 0);
    const window = this.datapoints.slice(-this.evaluationPeriods);
    const breaching = window.filter((d) => d === 0).length;
    const next: AlarmState = breaching >= this.datapointsToAlarm ? 'ALARM' : 'OK';
    if (next === this.state) return undefined;
    const change: AlarmStateChange = {
      state: next,
      atMs,
      previous: { state: this.state, sinceMs: this.sinceMs },
      datapoints: window,
    };
    this.state = next;
    this.sinceMs = atMs;
    return change;
  }
}

/**
 * The EventBridge event of a composite alarm's state change, as the default bus delivers it to the rule
 * SurgeController.bindEdge creates (source, detail-type and resources are what that rule matches).
 */
export function alarmStateChangeEvent(change: AlarmStateChange, alarmArn = drillAlarmArn()) {
  const [, , , region = DRILL_ALARM_REGION, account = DRILL_ALARM_ACCOUNT, , alarmName = DRILL_ALARM_NAME] =
    alarmArn.split(':');
  const reason = (state: AlarmState) =>
    state === 'ALARM'
      ? `arn:aws:cloudwatch:${region}:${account}:alarm:OriginHealthAlarm transitioned to ALARM`
      : 'No alarm in the rule is in ALARM';
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': CLOUDWATCH_ALARM_EVENT.detailType,
    source: CLOUDWATCH_ALARM_EVENT.source,
    account,
    time: isoInstant(change.atMs),
    region,
    resources: [alarmArn],
    detail: {
      alarmName,
      state: {
        value: change.state,
        reason: reason(change.state),
        timestamp: cloudWatchTimestamp(change.atMs),
      },
      previousState: {
        value: change.previous.state,
        reason: reason(change.previous.state),
        timestamp: cloudWatchTimestamp(change.previous.sinceMs),
      },
      configuration: {
        alarmRule: 'ALARM("OriginHealthAlarm") OR ALARM("ViewerErrorRateAlarm")',
        description: 'cx-surge Tier 4 signal (drill)',
      },
    },
  };
}
