import { type Actuator, actuatorCovers, type SurgeConfig, type TierKey, tierKey } from './config';
import type { ActuatorState } from './ports';

// The actuator plan (docs/semantics.md): an actuator is wanted active iff its tier is effectively active
// for at least one of the queues it covers. Each queue's evaluation only knows its own queue, so the
// plan is split in two pure halves:
//   planActuators  — which actuators THIS queue demands after its decision (demanding true/false);
//   desiredState   — an actuator's wanted state from the set of demanders recorded so far.
// The app layer keeps the demander set per actuator (an atomic add/remove), which makes the result
// independent of the order in which queues are evaluated.

/** The demander id of Tier 4 actuators: they follow the edge origin alarm, not queue depth. */
export const EDGE_DEMAND_ID = 'edge';

export interface ActuatorDemand {
  readonly actuatorId: string;
  readonly tier: 1 | 2 | 3 | 4;
  /** Does this queue (or the edge alarm) want the actuator on? */
  readonly demanding: boolean;
}

/** The demands one queue places after its decision: every tier 1–3 actuator covering it, on or off. */
export function planActuators(
  actuators: readonly Actuator[],
  queueId: string,
  effective: Readonly<Record<TierKey, boolean>>,
): ActuatorDemand[] {
  const demands: ActuatorDemand[] = [];
  for (const a of actuators) {
    if (a.tier === 4 || !actuatorCovers(a, queueId)) continue;
    demands.push({ actuatorId: a.id, tier: a.tier, demanding: effective[tierKey(a.tier)] });
  }
  return demands;
}

/** The demands of the edge origin alarm: every Tier 4 actuator, on while the alarm is in ALARM. */
export function planEdgeActuators(actuators: readonly Actuator[], alarm: 'ALARM' | 'OK'): ActuatorDemand[] {
  return actuators
    .filter((a) => a.tier === 4)
    .map((a) => ({ actuatorId: a.id, tier: 4 as const, demanding: alarm === 'ALARM' }));
}

/** An actuator's wanted state from its demanders (queue ids and/or EDGE_DEMAND_ID). */
export const desiredState = (demandedBy: readonly string[]): ActuatorState =>
  demandedBy.length > 0 ? 'active' : 'inactive';

/** The demander set after one demand: sorted, without duplicates; the input is not modified. */
export function withDemand(demandedBy: readonly string[], demander: string, demanding: boolean): string[] {
  const has = demandedBy.includes(demander);
  if (demanding === has) return [...demandedBy];
  const next = demanding ? [...demandedBy, demander] : demandedBy.filter((d) => d !== demander);
  return next.sort();
}

/**
 * Wanted state of every tier 1–3 actuator computed at once from all queues' effective tiers (what the
 * incremental demander sets must always agree with; also handy for a full reconcile).
 */
export function desiredStates(
  actuators: readonly Actuator[],
  effectiveByQueue: ReadonlyMap<string, Readonly<Record<TierKey, boolean>>>,
): Map<string, ActuatorState> {
  const out = new Map<string, ActuatorState>();
  for (const a of actuators) {
    if (a.tier === 4) continue;
    let active = false;
    for (const [queueId, effective] of effectiveByQueue) {
      if (effective[tierKey(a.tier)] && actuatorCovers(a, queueId)) {
        active = true;
        break;
      }
    }
    out.set(a.id, active ? 'active' : 'inactive');
  }
  return out;
}

/**
 * The actuators the drill switches (and replay plans) when the config names none: one row of the
 * emulator's surge-control data table per tier, covering every queue, so `{}` drills too.
 */
export function defaultActuators(datatableId = 'surge-control'): Actuator[] {
  return ([1, 2, 3] as const).map((tier) => ({
    id: `tier${tier}-datatable`,
    tier,
    type: 'datatable-row' as const,
    queues: ['*'],
    datatableId,
    rowId: `tier${tier}`,
    field: 'SurgeActive',
    activeValue: true,
    inactiveValue: false,
  }));
}

/** The config's actuators, or `defaultActuators()` when it names none (replay and drill only). */
export const actuatorsForDrill = (
  config: Pick<SurgeConfig, 'actuators'>,
  datatableId?: string,
): readonly Actuator[] => (config.actuators.length > 0 ? config.actuators : defaultActuators(datatableId));
