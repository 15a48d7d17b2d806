// `cx-surge crm drill`: agents through the real handler on the stand-ins over simulated time, and the
// promises it checks. The built-in primary outage must open the guard, silence the replica while it is
// open, and let the prober close it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { run } from '../../../bin/cli/crm';
import { crmDrillChecks } from '../../../drill/crm/drill';

describe('crm drill', () => {
  it('fails the replica check when the guard never opens, and the token check on a stale token', () => {
    const done = [{ at: 0, source: 'secondary' as const, path: 'fallback' as const, ms: 90 }];
    const noGuard = crmDrillChecks({
      done,
      budgetMs: 3000,
      secondarySearchTimes: [10],
      staleTokens: 0,
      primaryOutage: true,
    });
    expect(noGuard.find((c) => c.name.startsWith('secondary load'))?.passed).toBe(false);
    const stale = crmDrillChecks({
      done,
      budgetMs: 3000,
      secondarySearchTimes: [],
      staleTokens: 1,
      primaryOutage: false,
    });
    expect(stale.find((c) => c.name === 'no stale token sent')?.passed).toBe(false);
    const late = crmDrillChecks({
      done: [{ ...done[0], ms: 3001 } as never],
      budgetMs: 3000,
      secondarySearchTimes: [],
      staleTokens: 0,
      primaryOutage: false,
    });
    expect(late.find((c) => c.name.startsWith('no answer later'))?.passed).toBe(false);
  });

  it('rejects a bad faults file with one line naming the entry and field (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-drill-'));
    const file = join(dir, 'bad.faults.json');
    writeFileSync(
      file,
      JSON.stringify([
        { target: 'crm-primary', from: '2026-11-27T09:02:00Z', until: '2026-11-27T09:01:00Z', fault: '5xx' },
      ]),
    );
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);

    const code = await run(['drill', '--faults', file]);

    expect(code).toBe(2);
    expect(String(stderr.mock.calls[0]?.[0])).toMatch(
      /bad\.faults\.json: entry 0: until: .* must be after from/,
    );
    stderr.mockRestore();
  });
});
