import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/core/config';
import { deployRefusals } from '../../../lambdas/core/deploy-checks';

const dir = mkdtempSync(join(tmpdir(), 'surge-drill-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function surge(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/cx-surge.js', ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('cx-surge drill (CLI)', () => {
  it('rejects a config whose restore band is above its activate band, naming file, line and key, exit 2', async () => {
    const config = file(
      'bad.json',
      '{\n  "tiers": {\n    "tier2": {\n      "restore": { "waitingBelow": 300 }\n    }\n  }\n}\n',
    );

    const { code, stderr, stdout } = await surge('drill', '--config', config);

    expect(code).toBe(2);
    expect(stderr.trim().split('\n').at(-1)).toBe(
      `cx-surge drill: ${config}:4: tiers.tier2.restore.waitingBelow: 300 must be ≤ tiers.tier2.activate.waitingAbove (200)`,
    );
    expect(stdout).toBe('');
  });

  it('rejects a header-only scenario in one line, exit 2, before starting any stand-in', async () => {
    const scenario = file('empty.csv', 'observedAt,queueId,waiting,agentsAvailable\n');

    const { code, stderr, stdout } = await surge('drill', '--scenario', scenario);

    expect(code).toBe(2);
    expect(stderr).toBe(
      `cx-surge drill: ${scenario}:1: observations: none: the file has a header but no observation lines\n`,
    );
    expect(stdout).toBe('');
  });

  it('rejects an unknown option with exit 2', async () => {
    const { code, stderr } = await surge('drill', '--scenaro', 'x.csv');

    expect(code).toBe(2);
    expect(stderr).toContain("Unknown option '--scenaro'");
  });

  it('drills a small scenario to a passing JSON report and writes the HTML report and the outbox', async () => {
    const lines = Array.from({ length: 14 }, (_, i) => {
      const waiting = i < 3 ? 10 : i < 6 ? 80 : 5;
      return `2026-11-27T09:${String(i).padStart(2, '0')}:00Z,q1,${waiting},8`;
    });
    const scenario = file('small.csv', ['observedAt,queueId,waiting,agentsAvailable', ...lines].join('\n'));
    const config = file(
      'fast.json',
      JSON.stringify({
        tiers: { tier1: { activate: { forObservations: 2 }, restore: { forObservations: 2 } } },
      }),
    );
    const report = join(dir, 'report.html');
    const outbox = join(dir, 'outbox.jsonl');

    const { code, stdout } = await surge(
      'drill',
      '--scenario',
      scenario,
      '--config',
      config,
      '--json',
      '--report',
      report,
      '--outbox',
      outbox,
    );

    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.passed).toBe(true);
    expect(json.transitions.map((t: { at: string; action: string }) => `${t.at} ${t.action}`)).toEqual([
      '2026-11-27T09:04:00Z activate',
      '2026-11-27T09:07:00Z restore',
    ]);
    expect(readFileSync(report, 'utf8')).toContain('<svg');
    const pages = readFileSync(outbox, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(pages.map((p) => p.event.event_action)).toEqual(['trigger', 'resolve']);
  });

  it('rejects a faults file with a bad entry, naming file, entry and field, exit 2 and no drill run', async () => {
    const faults = file(
      'bad-faults.json',
      JSON.stringify([
        { target: 'origin', from: '2026-11-27T10:00:00Z', until: '2026-11-27T10:10:00Z', fault: '5xx' },
        { target: 'origin', from: '2026-11-27T11:00:00Z', until: '2026-11-27T11:10:00Z', fault: 'slow' },
      ]),
    );

    const { code, stderr, stdout } = await surge('drill', '--faults', faults);

    expect(code).toBe(2);
    expect(stderr.trim().split('\n').at(-1)).toBe(
      `cx-surge drill: ${faults}: entry 1: fault: must be one of 5xx, 429, timeout, down, got "slow"`,
    );
    expect(stdout).toBe('');
  });

  it('passes a named faults file to the drill and fails it when no stand-in applies a target', async () => {
    const faults = file(
      'crm-faults.json',
      JSON.stringify([
        {
          target: 'crm-secondary',
          from: '2026-11-27T10:00:00Z',
          until: '2026-11-27T10:10:00Z',
          fault: 'down',
        },
      ]),
    );
    const scenario = file(
      'quiet.csv',
      ['observedAt,queueId,waiting,agentsAvailable', '2026-11-27T10:00:00Z,q1,3,8'].join('\n'),
    );

    const { code, stdout } = await surge('drill', '--scenario', scenario, '--faults', faults, '--json');

    const json = JSON.parse(stdout);
    const check = json.checks.find((c: { name: string }) => c.name === 'faults');
    if (check.status === 'fail') {
      expect(code).toBe(1);
      expect(check.detail).toBe('no stand-in in this drill applies target(s) crm-secondary');
    } else {
      // Once the CRM stand-in applies its target, the same file must be applied on simulated time.
      expect(json.faults).toContainEqual(expect.objectContaining({ target: 'crm-secondary', fault: 'down' }));
    }
  });

  it('drills the built-in four-tier scenario by name, with its faults and config, listing tier 4 in --json', async () => {
    const { code, stdout } = await surge('drill', '--scenario', 'four-tiers', '--json', '--no-browser');

    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.tier4.map((t: { at: string; action: string }) => `${t.at} ${t.action}`)).toEqual([
      '2026-11-27T09:29:00Z activate',
      '2026-11-27T09:40:00Z restore',
    ]);
    expect(
      json.faults.map((f: { target: string; fault: string | null }) => `${f.target} ${f.fault}`),
    ).toEqual(['origin 5xx', 'origin null']);
    const names = json.checks.map((c: { name: string }) => c.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'tier 4 static fallback recorded',
        'visitor flag-on (http)',
        'visitor origin-down (http)',
      ]),
    );
    expect(json.edge.kvsCalls).toContain('PutKey chat-widget-throttle 200');
  });

  it('warns, one line each in the words synth uses, about what deploy would refuse, and draws no progress into a pipe', async () => {
    const lines = Array.from({ length: 6 }, (_, i) => `2026-11-27T09:0${i}:00Z,q1,10,8`);
    const scenario = file('warn.csv', ['observedAt,queueId,waiting,agentsAvailable', ...lines].join('\n'));
    const input = { intervalSeconds: 90, queues: [{ id: 'ghost' }] };
    const config = file('warn.json', JSON.stringify(input));

    const { code, stderr } = await surge('drill', '--scenario', scenario, '--config', config, '--no-browser');

    expect(code).toBe(0);
    const [refusal] = deployRefusals(parseConfig(input), undefined);
    expect(stderr.split('\n').filter(Boolean)).toEqual([
      `cx-surge drill: warning: synth would refuse this config: ${refusal?.message}`,
      "cx-surge drill: warning: config queue 'ghost' does not appear in the scenario",
    ]);
    expect(refusal?.message).toMatch(/^intervalSeconds: 90 must be a multiple of 60/);
  });
});
