// `cx-surge dr` in-process: bad input is one line and exit 2; a real run needs --yes; the CLI's own wiring
// (state table on dynalite, secrets from a local file, both orgs on emulators) switches and reports;
// the drill prints its figures.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../../bin/cli/dr';
import { drillDrConfig, seedDrOrgs } from '../../../drill/dr-stand-ins';
import {
  DEFAULT_EMULATOR_CLIENTS,
  type GenesysEmulator,
  startGenesysEmulator,
} from '../../../drill/genesys-emulator';
import { type LocalDynamo, startLocalDynamo } from '../../../drill/local-dynamo';

let dir: string;
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

async function surgeDr(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
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
  try {
    return { code: await run(args), stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}

const config = drillDrConfig({ dids: 8, ivrs: 2 });
let configFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'surge-dr-'));
  configFile = file('dr.json', JSON.stringify(config, null, 2));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

describe('surge dr: bad input', () => {
  it.each([
    [['failover', '--config', 'dr.json', '--mode', 'all'], /changes routing for real: add --yes/],
    [
      ['failover', '--config', 'dr.json', '--mode', 'sideways', '--yes'],
      /--mode must be one of all, dids, nuclear/,
    ],
    [['failover', '--config', 'dr.json', '--yes'], /needs --mode/],
    [['failover', '--mode', 'all', '--dry-run', '--yes'], /--dry-run and --yes contradict/],
    [['teleport'], /unknown action 'teleport'/],
    [['drill', '--dids', '0'], /--dids must be a whole number ≥ 1/],
  ])('%j → exit 2 with one line', async (args, message) => {
    const { code, stderr } = await surgeDr(...args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('names the file, line and key of a bad DR config', async () => {
    const bad = file(
      'bad.json',
      JSON.stringify({ ...config, backupIvrs: [{ ...config.backupIvrs[0], dids: ['12345'] }] }, null, 2),
    );
    const { code, stderr } = await surgeDr('plan', '--config', bad, '--mode', 'all', '--table', 't');
    expect(code).toBe(2);
    expect(stderr).toMatch(/bad\.json:\d+: backupIvrs\.0\.dids\.0: must be an E\.164 number/);
  });
});

describe('cx-surge dr against emulated orgs and a local state table', () => {
  let dynamo: LocalDynamo;
  let primary: GenesysEmulator;
  let backup: GenesysEmulator;
  let common: string[];

  beforeAll(async () => {
    const clock = { now: () => Date.now() };
    dynamo = await startLocalDynamo();
    primary = await startGenesysEmulator({ clock });
    backup = await startGenesysEmulator({ clock });
    seedDrOrgs(primary, backup, config);
    const { primary: p, breakGlass: b } = DEFAULT_EMULATOR_CLIENTS;
    const secrets = file(
      'secrets.json',
      JSON.stringify({
        [config.primary.credentialsSecret]: p,
        [config.primary.breakGlassSecret]: b,
        [config.backup.credentialsSecret]: p,
        [config.backup.breakGlassSecret]: b,
      }),
    );
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    common = [
      '--config',
      configFile,
      '--table',
      dynamo.tableName,
      '--endpoint-url',
      dynamo.endpoint,
      '--secrets-file',
      secrets,
      '--primary-gateway',
      primary.url,
      '--backup-gateway',
      backup.url,
    ];
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await Promise.all([primary.close(), backup.close()]);
    await dynamo.stop();
  });

  it('plans (nothing written), fails over with --yes, reports status, fails back', async () => {
    const plan = await surgeDr('failover', ...common, '--mode', 'all', '--dry-run');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/DR failover all \(dry run: nothing written\): PLANNED/);
    expect(plan.stdout).toMatch(/PASS {2}backup-org-reachable/);
    expect(primary.mutations()).toEqual([]);

    const failover = await surgeDr('failover', ...common, '--all', '--yes');
    expect(failover.code).toBe(0);
    expect(failover.stdout).toMatch(/DR failover all: COMPLETED — run dr-/);
    expect(failover.stdout).toMatch(/verified 1\/1 operation\(s\), 1 write\(s\); RTO \d+\.\d s/);
    expect(primary.readRow('DR_Control', '__ALL__').Status).toBe('EMERGENCY');

    const status = await surgeDr('status', ...common, '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).report.state).toMatchObject({ state: 'FAILED_OVER', mode: 'all' });

    const again = await surgeDr('failover', ...common, '--mode', 'dids', '--yes');
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/FAIL {2}dr-state: already failed over/);

    const failback = await surgeDr('failback', ...common, '--mode', 'all', '--yes');
    expect(failback.code).toBe(0);
    expect(failback.stdout).toMatch(/data integrity 100\.0 %/);
    expect(primary.readRow('DR_Control', '__ALL__').Status).toBe('NORMAL');
  });
});

describe('cx-surge dr drill', () => {
  it('fails over and back with every mode and prints RTO, floor, DIDs verified and callbacks mirrored', async () => {
    const { code, stdout } = await surgeDr(
      'drill',
      '--dids',
      '40',
      '--ivrs',
      '4',
      '--callbacks',
      '3',
      '--json',
    );
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.passed).toBe(true);
    expect(out.modes.map((m: { mode: string }) => m.mode)).toEqual(['all', 'dids', 'nuclear']);
    for (const m of out.modes) {
      expect(m.didsVerified).toBe(40);
      expect(m.callbacksMirrored).toBe(3);
      expect(m.shadowCallbacks).toBe(3);
    }
    const dids = out.modes.find((m: { mode: string }) => m.mode === 'dids');
    expect(dids.floorMs).toBe(40 * 200);
    expect(dids.failoverRtoMs / dids.floorMs).toBeLessThanOrEqual(1.1);
  });
});
