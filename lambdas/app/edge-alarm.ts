import { EDGE_DEMAND_ID, planEdgeActuators } from '../core/actuator-plan';
import { edgeFallbackPage } from '../core/pages';
import type { Page } from '../core/ports';
import { type ControllerDeps, invocationDeadline } from './deps';
import { type ReconcileResult, reconcileMany } from './reconcile';
import { StagedPages } from './staged-pages';

/** The edge origin alarm's state change, as the evaluate handler parsed it from EventBridge. */
export interface EdgeAlarmChange {
  readonly alarmName: string;
  readonly state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';
  /** When the alarm entered `state` (ISO-8601). */
  readonly since: string;
  readonly previous?: { readonly state: string; readonly since: string };
}

export interface EdgeAlarmResult {
  readonly tier4: 'active' | 'inactive' | 'held';
  readonly actuations: ReconcileResult[];
  readonly pages: readonly Page[];
}

/**
 * Tier 4 (static self-service fallback). CloudFront fails over to the static page by itself; the
 * controller records the episode (Tier 4 actuators follow the alarm), and pages trigger on ALARM /
 * resolve on OK with the same key (the ALARM state's timestamp). INSUFFICIENT_DATA holds: missing
 * data never restores a tier.
 */
export async function handleEdgeAlarm(
  deps: ControllerDeps,
  change: EdgeAlarmChange,
): Promise<EdgeAlarmResult> {
  if (change.state === 'INSUFFICIENT_DATA') return { tier4: 'held', actuations: [], pages: [] };
  const now = deps.clock.now();
  const deadline = invocationDeadline(deps.clock);
  const staged = new StagedPages(deps.pager, deps.clock, deps.log);
  // The page is staged with the decision, before any switch: no later error can lose it.
  if (change.state === 'ALARM')
    await staged.stage(edgeFallbackPage(change.alarmName, change.since, 'ALARM', now));
  else if (change.previous?.state === 'ALARM') {
    await staged.stage(edgeFallbackPage(change.alarmName, change.previous.since, 'OK', now));
  }
  const work: { actuatorId: string }[] = [];
  for (const demand of planEdgeActuators(deps.actuators, change.state)) {
    const record = await deps.actuatorStore.setDemand(
      demand.actuatorId,
      EDGE_DEMAND_ID,
      demand.demanding,
      now,
    );
    if (record.desired !== record.applied) work.push({ actuatorId: demand.actuatorId });
  }
  const actuations = work.length > 0 ? await reconcileMany(deps, work, staged, deadline) : [];
  await staged.deliver(deadline);
  return { tier4: change.state === 'ALARM' ? 'active' : 'inactive', actuations, pages: staged.pages };
}
