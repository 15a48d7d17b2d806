// The CRM targets of a drill faults file (README "Drill faults", parsed and validated by drill/faults.ts):
//   [{ "target": "crm-primary" | "crm-secondary", "from": ISO, "until": ISO, "fault": "5xx" | "429" | "timeout" | "down" }]
// Entries for other targets (genesys, pager, origin …) belong to other drills and are left alone here.
// The stand-ins also know `401` (token revoked) and `slow` faults: tests and `cx-surge crm lookup --fault`
// use those through the stand-in's own fault plan.
import { type FaultSchedule, parseFaults } from '../faults';
import type { CrmFault } from './stand-in';

export const CRM_FAULT_TARGETS = ['crm-primary', 'crm-secondary'] as const;
export type CrmFaultTarget = (typeof CRM_FAULT_TARGETS)[number];

export interface CrmDrillFault {
  readonly target: CrmFaultTarget;
  /** Epoch ms (simulated). */
  readonly from: number;
  readonly until: number;
  readonly fault: CrmFault;
}

/** The CRM entries of a parsed faults file. */
export function crmFaultsOf(schedule: FaultSchedule): CrmDrillFault[] {
  return CRM_FAULT_TARGETS.flatMap((target) =>
    schedule
      .forTarget(target)
      .map((f) => ({ target, from: f.fromMs, until: f.untilMs, fault: { kind: f.fault } })),
  );
}

/** Parses a faults file's text (every target validated, FaultsFileError on a bad entry) and keeps the CRM ones. */
export function parseCrmFaults(text: string, source: string): CrmDrillFault[] {
  return crmFaultsOf(parseFaults(text, source));
}
