import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../../bin/cli/replay';
import { replay } from '../../../drill/replay';
import { parseScenario } from '../../../drill/scenario';
import { parseConfig } from '../../../lambdas/core/config';

const ROOT = join(import.meta.dirname, '../../..');
const FLASH = join(ROOT, 'drill/scenarios/flash-sale.csv');
const HEADER = 'observedAt,queueId,waiting,agentsAvailable';

let dir: string;
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

/** Runs the command in-process, capturing what it prints. */
async function surgeReplay(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const code = await run(args);
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'surge-replay-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

describe('cx-surge replay', () => {
  it('prints the per-queue timeline of a scenario', async () => {
    const { code, stdout, stderr } = await surgeReplay('--scenario', FLASH);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^replay of .*flash-sale\.csv: 150 observations, 1 queue, 6 transitions/);
    expect(stdout).toContain('tier 1  activated      waiting > 50 for 10 observations');
  });

  it('prints the docs/semantics.md, file formats JSON shape with --json', async () => {
    const { code, stdout } = await surgeReplay('--scenario', FLASH, '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(Object.keys(report)).toEqual(['transitions', 'actuations', 'ignored', 'pages']);
    expect(report.transitions[0]).toEqual({
      at: '2026-11-27T09:39:00Z',
      queueId: 'sales',
      tier: 1,
      action: 'activate',
      mode: 'auto',
      reason: 'activate-threshold',
    });
    expect(report.actuations[0]).toEqual({
      at: '2026-11-27T09:39:00Z',
      actuatorId: 'tier1-datatable',
      action: 'activate',
      result: 'planned',
    });
    expect(report.pages[0]).toMatchObject({
      kind: 'actuator-episode',
      action: 'trigger',
      dedupKey: 'actuator:tier1-datatable:1',
    });
  });

  it('streams a file bigger than one read chunk to exactly the JSON of the in-memory replay', async () => {
    // ~1.6 MiB: the streamed read crosses chunk boundaries mid-line; quoting and a comment included.
    const rows: string[] = ['# generated', HEADER];
    for (let minute = 0; minute < 500; minute++) {
      const at = new Date(Date.parse('2026-11-27T00:00:00Z') + minute * 60_000).toISOString();
      for (let q = 0; q < 100; q++) {
        const waiting = (minute * 7 + q * 13) % (q % 2 === 0 ? 700 : 60);
        rows.push(
          `${at},${q % 10 === 0 ? `"q, ${q}"` : `q${q}`},${waiting},${q % 9 === 0 ? '' : (minute + q) % 12}`,
        );
      }
    }
    const text = `${rows.join('\n')}\n`;
    expect(Buffer.byteLength(text)).toBeGreaterThan(1.5 * 2 ** 20);
    const { transitions, actuations, ignored, pages } = replay(
      parseScenario(text, 'big.csv'),
      parseConfig({}),
    );
    expect(transitions.length).toBeGreaterThan(50);

    const { code, stdout } = await surgeReplay('--scenario', file('big.csv', text), '--json');

    expect(code).toBe(0);
    expect(stdout).toBe(`${JSON.stringify({ transitions, actuations, ignored, pages }, null, 2)}\n`);
  });

  it('applies --config (here: tier 1 off)', async () => {
    const config = file('off.json', JSON.stringify({ tiers: { tier1: { mode: 'off' } } }));
    const { code, stdout } = await surgeReplay('--scenario', FLASH, '--config', config, '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout).transitions.map((t: { tier: number }) => t.tier)).not.toContain(1);
  });

  it('prints help and exits 0', async () => {
    const { code, stdout } = await surgeReplay('--help');
    expect(code).toBe(0);
    expect(stdout).toContain('usage: cx-surge replay --scenario FILE.csv [--config FILE.json] [--json]');
  });

  describe('bad input: one line on stderr naming file, line and field; exit 2; nothing on stdout', () => {
    it.each([
      {
        case: 'a non-numeric waiting',
        scenario: `${HEADER}\n2026-11-27T09:00:00Z,sales,12,3\n2026-11-27T09:01:00Z,sales,abc,3\n`,
        message: (f: string) => `cx-surge replay: ${f}:3: waiting: must be a non-negative integer, got "abc"`,
      },
      {
        case: 'an unknown column',
        scenario: 'observedAt,queue,waiting,agentsAvailable\n',
        message: (f: string) =>
          `cx-surge replay: ${f}:1: header: unknown column "queue" (expected observedAt,queueId,waiting,agentsAvailable)`,
      },
      {
        case: 'a bad timestamp',
        scenario: `# c\n${HEADER}\n27/11/2026 09:00,sales,12,3\n`,
        message: (f: string) =>
          `cx-surge replay: ${f}:3: observedAt: must be an ISO-8601 UTC timestamp like 2026-11-27T09:00:00Z, got "27/11/2026 09:00"`,
      },
      {
        case: 'a header and no observations',
        scenario: `# exported\n${HEADER}\n`,
        message: (f: string) =>
          `cx-surge replay: ${f}:2: observations: none: the file has a header but no observation lines`,
      },
      {
        case: 'a quoted field never closed',
        scenario: `${HEADER}\n2026-11-27T09:00:00Z,"sales,12,3\n`,
        message: (f: string) => `cx-surge replay: ${f}:2: queueId: quoted field never closed (a lone \`"\`)`,
      },
    ])('rejects a scenario with $case', async ({ scenario, message }) => {
      const path = file('bad.csv', scenario);
      const { code, stdout, stderr } = await surgeReplay('--scenario', path);
      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toBe(`${message(path)}\n`);
    });

    it.each([
      {
        case: 'waitingBelow > waitingAbove',
        config: '{\n  "tiers": {\n    "tier2": {\n      "restore": { "waitingBelow": 300 }\n    }\n  }\n}\n',
        message: (f: string) =>
          `cx-surge replay: ${f}:4: tiers.tier2.restore.waitingBelow: 300 must be ≤ tiers.tier2.activate.waitingAbove (200)`,
      },
      {
        case: 'a misspelt key',
        config: '{\n  "intervalSecond": 60\n}\n',
        message: (f: string) => `cx-surge replay: ${f}:2: intervalSecond: unknown key`,
      },
    ])('rejects a config with $case', async ({ config, message }) => {
      const path = file('bad.json', config);
      const { code, stderr } = await surgeReplay('--scenario', FLASH, '--config', path);
      expect(code).toBe(2);
      expect(stderr).toBe(`${message(path)}\n`);
    });

    it('rejects invalid JSON, naming the line', async () => {
      const path = file('broken.json', '{\n  "intervalSeconds": 60,\n}\n');
      const { code, stderr } = await surgeReplay('--scenario', FLASH, '--config', path);
      expect(code).toBe(2);
      expect(stderr).toMatch(
        new RegExp(`^cx-surge replay: ${path.replace(/[.\\/]/g, '\\$&')}:3: invalid JSON: [^\\n]+\\n$`),
      );
    });

    it.each([
      {
        case: 'no --scenario',
        args: [],
        message: 'cx-surge replay: --scenario FILE.csv is required (cx-surge replay --help for options)',
      },
      {
        case: 'a missing file',
        args: ['--scenario', 'nope.csv'],
        message: 'cx-surge replay: cannot read nope.csv: no such file',
      },
      {
        case: 'an unknown option',
        args: ['--scenario', FLASH, '--fast'],
        message: /^cx-surge replay: Unknown option '--fast'/,
      },
    ])('rejects $case', async ({ args, message }) => {
      const { code, stderr } = await surgeReplay(...args);
      expect(code).toBe(2);
      expect(stderr.trimEnd().split('\n')).toHaveLength(1);
      if (typeof message === 'string') expect(stderr).toBe(`${message}\n`);
      else expect(stderr).toMatch(message);
    });
  });

  it('warns on stderr, one line each, about what synth would refuse and config queues the scenario never names', async () => {
    const config = file(
      'typos.json',
      JSON.stringify({
        queues: [{ id: 'salse' }],
        actuators: [
          {
            id: 'widget',
            tier: 3,
            type: 'cloudfront-kvs',
            queues: ['salse'],
            key: 'widget',
            activeValue: 'on',
            inactiveValue: 'off',
          },
        ],
      }),
    );
    const { code, stdout, stderr } = await surgeReplay('--scenario', FLASH, '--config', config);
    expect(code).toBe(0);
    expect(stdout).toContain('queue sales');
    expect(stderr.split('\n').filter(Boolean)).toEqual([
      "cx-surge replay: warning: synth would refuse this config: actuators.0.type: 'cloudfront-kvs' needs the edge KeyValueStore: deploy with -c edge=true, or pass `edge` / call bindEdge() on SurgeController",
      "cx-surge replay: warning: synth would refuse this config: actuators.0.key: 'widget' does not match the edge flag's key 'chat-widget-throttle'",
      "cx-surge replay: warning: config queue 'salse' does not appear in the scenario",
      "cx-surge replay: warning: actuator 'widget' covers queue 'salse', which does not appear in the scenario",
    ]);
  });

  it('works as `node bin/cx-surge.js replay` with the real exit code (no build step)', () => {
    const ok = spawnSync(
      process.execPath,
      ['bin/cx-surge.js', 'replay', '--scenario', 'drill/scenarios/plateau.csv'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('queue support');

    const bad = spawnSync(
      process.execPath,
      ['bin/cx-surge.js', 'replay', '--scenario', file('bad2.csv', 'a,b\n')],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/bad2\.csv:1: header: unknown column "a"/);
  });
});
