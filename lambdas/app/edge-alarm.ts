import { EDGE_DEMAND_ID, planEdgeActuators } from '../core/actuator-plan';
import { edgeFallbackPage } from '../core/pages';
import type { Page } from '../core/ports';
import type { ControllerDeps } from './deps';
import { type ReconcileResult, reconcileActuator } from './reconcile';

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
  readonly pages: Page[];
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
  const actuations: ReconcileResult[] = [];
  for (const demand of planEdgeActuators(deps.actuators, change.state)) {
    const record = await deps.actuatorStore.setDemand(
      demand.actuatorId,
      EDGE_DEMAND_ID,
      demand.demanding,
      now,
    );
    if (record.desired !== record.applied) actuations.push(await reconcileActuator(deps, demand.actuatorId));
  }
  const pages: Page[] = [];
  if (change.state === 'ALARM') pages.push(edgeFallbackPage(change.alarmName, change.since, 'ALARM', now));
  else if (change.previous?.state === 'ALARM') {
    pages.push(edgeFallbackPage(change.alarmName, change.previous.since, 'OK', now));
  }
  for (const page of pages) await deps.pager.send(page);
  return { tier4: change.state === 'ALARM' ? 'active' : 'inactive', actuations, pages };
}
