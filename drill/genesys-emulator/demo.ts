// A small org for people poking the emulator by hand (`cx-surge emulator`): one of each lever besides the
// built-in surge-control data table, so every endpoint has something to answer with.
import type { GenesysEmulator } from './emulator';

export const DEMO_ORG = {
  emergencyGroupId: 'eg-surge-overflow',
  ivrIds: ['ivr-main', 'ivr-dr'],
  flowId: 'flow-inbound-main',
} as const;

export function seedDemoOrg(emulator: GenesysEmulator): string[] {
  emulator.seedEmergencyGroup({
    id: DEMO_ORG.emergencyGroupId,
    name: 'Surge overflow',
    description: 'Routes inbound calls to the overflow message while enabled',
    emergencyCallFlows: [{ emergencyFlow: { id: 'flow-overflow-message' }, ivrs: [{ id: 'ivr-main' }] }],
  });
  emulator.seedIvr({
    id: 'ivr-main',
    name: 'Main number',
    dnis: ['+13175550100'],
    openHoursFlow: { id: DEMO_ORG.flowId },
  });
  emulator.seedIvr({ id: 'ivr-dr', name: 'Disaster recovery', dnis: [] });
  emulator.seedFlow({
    id: DEMO_ORG.flowId,
    name: 'Inbound main',
    versions: ['1', '2'],
    publishedVersion: '1',
  });
  return [
    'data table surge-control (rows tier1, tier2, tier3; field SurgeActive)',
    `emergency group ${DEMO_ORG.emergencyGroupId} (disabled)`,
    'IVRs ivr-main (dnis +13175550100) and ivr-dr',
    `flow ${DEMO_ORG.flowId} (versions 1 and 2, 1 published)`,
  ];
}
