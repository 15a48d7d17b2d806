import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDrill } from '../../drill/drill';
import { replay } from '../../drill/replay';
import { parseScenario } from '../../drill/scenario';
import { parseConfig } from '../../lambdas/core/config';

const scenario = (name: string) => {
  const file = `drill/scenarios/${name}.csv`;
  return parseScenario(readFileSync(file, 'utf8'), file);
};

describe('cx-surge drill on the built-in scenarios', () => {
  it.each(['flash-sale', 'plateau', 'outage', 'multi-queue'])(
    'runs %s through the real handlers with every check passing and the same transitions as replay',
    async (name) => {
      const lines = scenario(name);
      const config = parseConfig({});

      const result = await runDrill({ lines, config });

      expect(result.checks.filter((c) => c.status === 'fail')).toEqual([]);
      expect(result.transitions).toEqual(replay(lines, config).transitions);
      expect(result.deadLetters).toEqual([]);
    },
  );

  it('proves every tier of the flash sale: tiers 1 and 2 switched at the emulator and restored, tier 3 recommended', async () => {
    const result = await runDrill({ lines: scenario('flash-sale'), config: parseConfig({}) });

    const passed = result.checks.filter((c) => c.status === 'pass').map((c) => c.name);
    expect(passed).toEqual(
      expect.arrayContaining([
        'tier 1 activate on sales',
        'tier 1 restore on sales',
        'tier 2 activate on sales',
        'tier 2 restore on sales',
        'tier 3 activate on sales',
        'tier 3 recommendation paged for sales',
        'settled',
        'paging',
      ]),
    );
    const rowWrites = result.switched
      .filter((m) => m.method === 'PUT' && m.status === 200)
      .map((m) => m.path);
    expect(rowWrites).toEqual([
      '/api/v2/flows/datatables/surge-control/rows/tier1',
      '/api/v2/flows/datatables/surge-control/rows/tier2',
      '/api/v2/flows/datatables/surge-control/rows/tier2',
      '/api/v2/flows/datatables/surge-control/rows/tier1',
    ]);
  });

  it('switches a configured emergency group and flow, seeded in the emulator as the config names them', async () => {
    const config = parseConfig({
      actuators: [
        {
          id: 'surge-flow',
          tier: 2,
          type: 'flow-publish',
          queues: ['*'],
          flowId: 'inbound-main',
          surgeVersion: '7',
          normalVersion: '6',
        },
        { id: 'emergency', tier: 1, type: 'emergency-group', queues: ['sales'], groupId: 'eg-1' },
        { id: 'ops-heads-up', tier: 1, type: 'notify-only', queues: ['*'] },
      ],
    });

    const result = await runDrill({ lines: scenario('flash-sale'), config });

    expect(result.checks.filter((c) => c.status === 'fail')).toEqual([]);
    const actuated = result.actuations.map((a) => `${a.actuatorId} ${a.action} ${a.result}`);
    expect(actuated).toEqual([
      'emergency activate applied',
      'ops-heads-up activate applied',
      'surge-flow activate applied',
      'surge-flow restore applied',
      'emergency restore applied',
      'ops-heads-up restore applied',
    ]);
  });

  it('reports unknown agent counts exactly as replay does (an empty agentsAvailable never satisfies tier 2)', async () => {
    const text = [
      'observedAt,queueId,waiting,agentsAvailable',
      ...Array.from({ length: 6 }, (_, i) => `2026-11-27T09:0${i}:00Z,q1,300,`),
      ...Array.from({ length: 3 }, (_, i) => `2026-11-27T09:1${i}:00Z,q1,300,0`),
    ].join('\n');
    const lines = parseScenario(text, 'inline.csv');
    const config = parseConfig({ tiers: { tier1: { mode: 'off' }, tier3: { mode: 'off' } } });

    const result = await runDrill({ lines, config });

    expect(result.transitions).toEqual(replay(lines, config).transitions);
    expect(result.transitions.map((t) => `${t.at} tier ${t.tier} ${t.action}`)).toEqual([
      '2026-11-27T09:12:00Z tier 2 activate',
    ]);
  });
});
