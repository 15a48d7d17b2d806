import { describe, expect, it } from 'vitest';
import {
  alarmStateChangeEvent,
  cloudWatchTimestamp,
  drillAlarmArn,
  OriginAlarmModel,
} from '../../../drill/edge/origin-alarm';
import { ORIGIN_HEALTH_SIGNAL } from '../../../lambdas/edge/edge-config';
import { parseEvaluateEvent } from '../../../lambdas/handlers/events';

const T0 = Date.parse('2026-11-27T09:00:00Z');
const minute = (m: number) => T0 + m * 60_000;

/** Feeds one datapoint per minute; returns "mm STATE" for every change. */
function run(health: readonly boolean[]): string[] {
  const alarm = new OriginAlarmModel(T0);
  const out: string[] = [];
  health.forEach((healthy, m) => {
    const change = alarm.record(minute(m), healthy);
    if (change) out.push(`${String(m).padStart(2, '0')} ${change.state}`);
  });
  return out;
}

describe('the drill’s origin alarm (as lib/edge deploys it: 2 of 2 unhealthy minutes)', () => {
  it('uses the deployed alarm’s settings', () => {
    const alarm = new OriginAlarmModel(T0);
    expect([alarm.evaluationPeriods, alarm.datapointsToAlarm]).toEqual([
      ORIGIN_HEALTH_SIGNAL.evaluationPeriods,
      ORIGIN_HEALTH_SIGNAL.datapointsToAlarm,
    ]);
  });

  it.each([
    ['a one-minute blip never alarms', [true, false, true, true], []],
    ['two unhealthy minutes alarm on the second', [true, false, false, true], ['02 ALARM', '03 OK']],
    ['stays in ALARM while the origin fails', [false, false, false, false, true], ['01 ALARM', '04 OK']],
    ['unhealthy minutes that are not consecutive never alarm', [false, true, false, true, false], []],
  ] as const)('%s', (_name, health, changes) => {
    expect(run(health)).toEqual(changes);
  });

  it('takes one datapoint per minute however many ticks fall in it', () => {
    const alarm = new OriginAlarmModel(T0);

    expect(alarm.due(minute(0))).toBe(true);
    alarm.record(minute(0), false);

    expect(alarm.due(minute(0) + 30_000)).toBe(false);
    expect(alarm.due(minute(1))).toBe(true);
  });
});

describe('the alarm state change event', () => {
  const alarm = new OriginAlarmModel(T0);
  alarm.record(minute(5), false);
  const change = alarm.record(minute(6), false);

  it('is what evaluate parses as an edge alarm, with CloudWatch’s timestamps', () => {
    if (!change) throw new Error('expected ALARM');
    const event = alarmStateChangeEvent(change);

    expect(parseEvaluateEvent(event)).toEqual({
      kind: 'edge-alarm',
      alarm: {
        alarmName: event.detail.alarmName,
        state: 'ALARM',
        since: '2026-11-27T09:06:00.000+0000',
        previous: { state: 'OK', since: cloudWatchTimestamp(T0) },
      },
    });
    expect(event.resources).toEqual([drillAlarmArn()]);
  });

  it('names the alarm of the ARN it is given (the deployed rule matches on resources)', () => {
    if (!change) throw new Error('expected ALARM');
    const arn = 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:cx-edge-origin-5xx';

    const event = alarmStateChangeEvent(change, arn);

    expect(event).toMatchObject({
      resources: [arn],
      account: '123456789012',
      region: 'eu-west-1',
      detail: { alarmName: 'cx-edge-origin-5xx' },
    });
  });
});
