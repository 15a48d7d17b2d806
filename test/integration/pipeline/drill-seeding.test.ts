import { describe, expect, it } from 'vitest';
import { runDrill } from '../../../drill/drill';
import { startGenesysEmulator } from '../../../drill/genesys-emulator';
import { parseScenario } from '../../../drill/scenario';
import { SimulatedClock } from '../../../drill/simulated-clock';
import { seedTargets } from '../../../drill/stand-ins';
import { parseConfig } from '../../../lambdas/core/config';
import { ConfigError } from '../../../lambdas/core/errors';
import { T0 } from './harness';

const surge = [
  'observedAt,queueId,waiting,agentsAvailable',
  '2026-11-27T09:00:00Z,sales,120,3',
  '2026-11-27T09:01:00Z,sales,5,3',
].join('\n');
const oneStep = {
  tiers: {
    tier1: {
      activate: { waitingAbove: 50, forObservations: 1 },
      restore: { waitingBelow: 25, forObservations: 1 },
    },
    tier2: { mode: 'off' },
    tier3: { mode: 'off' },
  },
};

describe('the drill seeds the levers the config names', () => {
  it('drills a data table other than surge-control, with a string column and a second row on the same table', async () => {
    const config = parseConfig({
      ...oneStep,
      actuators: [
        {
          id: 'ops-flag',
          tier: 1,
          type: 'datatable-row',
          queues: ['*'],
          datatableId: 'ops-flags',
          rowId: 'chat',
          field: 'Mode',
          activeValue: 'surge',
          inactiveValue: 'normal',
        },
        {
          id: 'ops-flag-2',
          tier: 1,
          type: 'datatable-row',
          queues: ['sales'],
          datatableId: 'ops-flags',
          rowId: 'chat',
          field: 'Boost',
          activeValue: 2,
          inactiveValue: 0,
        },
      ],
    });

    const result = await runDrill({ lines: parseScenario(surge, 'surge.csv'), config });

    expect(result.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(result.switched.filter((m) => m.status === 200).map((m) => m.summary)).toEqual([
      'data table ops-flags row chat: Mode: "normal" → "surge"',
      'data table ops-flags row chat: Boost: 0 → 2',
      'data table ops-flags row chat: Mode: "surge" → "normal"',
      'data table ops-flags row chat: Boost: 2 → 0',
    ]);
  });

  it.each([
    [
      'values of two types for one column',
      { datatableId: 'ops', rowId: 'r', field: 'On', activeValue: true, inactiveValue: 'no' },
      'actuators.0.inactiveValue: must be of the same type as activeValue (boolean)',
    ],
    [
      'a string column on the surge-control table’s boolean SurgeActive',
      {
        datatableId: 'surge-control',
        rowId: 'tier1',
        field: 'SurgeActive',
        activeValue: 'on',
        inactiveValue: 'off',
      },
      "actuators.0.field: the drill cannot seed it: data table surge-control: field 'SurgeActive' is a boolean, not a string",
    ],
  ])('stops with a ConfigError naming the field for %s', async (_case, target, message) => {
    const emulator = await startGenesysEmulator({ clock: new SimulatedClock(T0) });
    try {
      const config = parseConfig({
        actuators: [{ id: 'a', tier: 1, type: 'datatable-row', queues: ['*'], ...target }],
      });
      expect(() => seedTargets(emulator, config.actuators)).toThrow(ConfigError);
      expect(() => seedTargets(emulator, config.actuators)).toThrow(message);
    } finally {
      await emulator.close();
    }
  });
});
