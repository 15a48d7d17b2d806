// The drill's verdict on Tier 4: for every origin fault long enough to trip the alarm, the alarm went to
// ALARM inside the fault, evaluate recorded Tier 4 and paged it, and when the origin came back the alarm
// went OK, Tier 4 was restored and the page resolved with the same dedup key.

import { isoInstant } from '../../lambdas/core/time';
import type { DrillCheck } from '../checks';
import type { FaultChange } from '../faults';
import type { ReportPage } from '../report';
import type { AlarmStateChange } from './origin-alarm';

/** A Tier 4 transition: what evaluate recorded when the origin alarm's state change reached it. */
export interface Tier4Transition {
  readonly at: string;
  readonly tier: 4;
  readonly action: 'activate' | 'restore';
  readonly mode: 'infra';
  readonly alarmName: string;
  /** The alarm state that evaluate received. */
  readonly alarmState: 'ALARM' | 'OK';
}

const hhmm = (iso: string) => iso.slice(11, 16);

export function tier4Check(input: {
  readonly faults: readonly FaultChange[];
  readonly alarmChanges: readonly AlarmStateChange[];
  readonly tier4: readonly Tier4Transition[];
  readonly pages: readonly ReportPage[];
  readonly datapointsToAlarm: number;
}): DrillCheck {
  const name = 'tier 4 static fallback recorded';
  const starts = input.faults.filter((c) => c.target === 'origin' && c.fault !== null);
  if (starts.length === 0) return { name, status: 'not-exercised', detail: 'no origin fault in this drill' };
  const problems: string[] = [];
  const stories: string[] = [];
  const edgePages = input.pages.filter((p) => p.kind === 'edge-fallback');
  for (const a of input.tier4.filter((t) => t.action === 'activate')) {
    const trigger = edgePages.find((p) => p.action === 'trigger' && Date.parse(p.at) === Date.parse(a.at));
    const restore = input.tier4.find((t) => t.action === 'restore' && Date.parse(t.at) > Date.parse(a.at));
    const resolve =
      trigger && edgePages.find((p) => p.action === 'resolve' && p.dedupKey === trigger.dedupKey);
    if (!trigger) problems.push(`Tier 4 recorded at ${hhmm(a.at)} without an edge-fallback trigger page`);
    if (!restore) problems.push(`Tier 4 recorded at ${hhmm(a.at)} never restored`);
    else if (!resolve)
      problems.push(`Tier 4 restored at ${hhmm(restore.at)} without a resolve page on the trigger's key`);
    if (trigger && restore && resolve)
      stories.push(`recorded and paged at ${hhmm(a.at)}, restored and resolved at ${hhmm(restore.at)}`);
  }
  const alarms = input.alarmChanges.filter((c) => c.state === 'ALARM').length;
  if (alarms !== input.tier4.filter((t) => t.action === 'activate').length) {
    problems.push(
      `${alarms} ALARM state change(s) but ${input.tier4.filter((t) => t.action === 'activate').length} Tier 4 recording(s)`,
    );
  }
  if (input.tier4.length === 0) {
    const minutes = input.datapointsToAlarm;
    problems.push(
      `the origin failed (${starts.map((s) => hhmm(s.at)).join(', ')}) but the alarm never reached evaluate; it needs ${minutes} unhealthy minutes in a row`,
    );
  }
  const ends = input.faults.filter((c) => c.target === 'origin' && c.fault === null);
  const faultStory = starts
    .map((s, i) => `origin ${s.fault} ${hhmm(s.at)}–${ends[i] ? hhmm(ends[i].at) : 'end'}`)
    .join(', ');
  return problems.length === 0
    ? {
        name,
        status: 'pass',
        detail: `${faultStory}: ${stories.join('; ')} (alarm state changes reached evaluate as CloudWatch → EventBridge events)`,
      }
    : { name, status: 'fail', detail: `${faultStory}: ${problems.join('; ')}` };
}

export const alarmAt = (c: AlarmStateChange): string => isoInstant(c.atMs);
