import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runDrill } from '../../drill/drill';
import { loadFaultsFile } from '../../drill/faults';
import { parseScenario } from '../../drill/scenario';
import { parseConfig } from '../../lambdas/core/config';

// The built-in fault drill: Genesys answers 5xx for 15 minutes across the flash sale's activations.

describe('surge drill --faults flash-sale.faults.json', () => {
  it('opens the genesys breaker on the 5th failure, pages once, probes only, closes on recovery, loses nothing', async () => {
    const file = 'drill/scenarios/flash-sale.csv';
    const lines = parseScenario(readFileSync(file, 'utf8'), file);
    const faults = await loadFaultsFile('drill/scenarios/flash-sale-genesys-5xx.faults.json');

    const result = await runDrill({ lines, config: parseConfig({}), faults });

    expect(result.checks.filter((c) => c.status === 'fail')).toEqual([]);
    const names = result.checks.filter((c) => c.status === 'pass').map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'breaker genesys opens after the 5th failure and pages once',
        'while open only probes reach Genesys',
        'breaker genesys closes within two ticks of recovery',
        'levers switch on the first tick after the breaker closes',
        'nothing lost',
        'replay agrees',
      ]),
    );
    // Opened inside the 09:40 tick: the simulated clock has moved by the jittered retry waits by then.
    expect(result.breakers[0]).toEqual({
      at: expect.stringMatching(/^2026-11-27T09:40:/),
      breaker: 'genesys',
      from: 'closed',
      to: 'open',
    });
    expect(result.breakers.at(-1)).toMatchObject({ at: '2026-11-27T09:51:00Z', to: 'closed' });
    expect(result.unread).toHaveLength(15);
    const circuitPages = result.pages.filter((p) => p.kind === 'circuit-open').map((p) => p.action);
    expect(circuitPages).toEqual(['trigger', 'resolve']);
  }, 180_000);
});
