// `cx-surge drill --serve`: after the drill the stand-ins keep running, the last lines are commands that
// reach them, and those commands work: status --json, override set (the lever switches at the emulator
// at once), and Ctrl-C stops everything.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_EMULATOR_CLIENTS, SURGE_CONTROL_TABLE } from '../../../drill/genesys-emulator';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
let served: ChildProcess | undefined;

afterAll(() => {
  if (served && served.exitCode === null) served.kill('SIGKILL');
});

/** Splits a printed command line as a shell would (only '…' quoting is used). */
function argv(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/cx-surge.js', ...args],
      { cwd: ROOT, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The tier 1 row as the emulator holds it (GET through its API, as the Genesys adapter reads it back). */
async function tier1RowAtEmulator(genesysUrl: string): Promise<{ status: number; body: unknown }> {
  const { clientId, clientSecret } = DEFAULT_EMULATOR_CLIENTS.primary;
  const login = await fetch(`${genesysUrl}/oauth/token`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const token = (await login.json()) as { access_token?: string };
  if (!token.access_token) return { status: login.status, body: token };
  const row = await fetch(
    `${genesysUrl}/api/v2/flows/datatables/${SURGE_CONTROL_TABLE}/rows/tier1?showbrief=false`,
    { headers: { Authorization: `Bearer ${token.access_token}` } },
  );
  return { status: row.status, body: await row.json() };
}

describe('cx-surge drill --serve', () => {
  it('prints commands that reach the stand-ins; an override switches the lever there; Ctrl-C stops', async () => {
    served = spawn(
      process.execPath,
      ['bin/cx-surge.js', 'drill', '--scenario', 'drill/scenarios/plateau.csv', '--serve'],
      {
        cwd: ROOT,
      },
    );
    let out = '';
    served.stdout?.on('data', (c) => (out += c));
    await new Promise<void>((resolve, reject) => {
      served?.stdout?.on('data', () => out.includes('cx-surge console') && resolve());
      served?.on('exit', (code) => reject(new Error(`drill exited ${code} before serving:\n${out}`)));
    });
    const lines = out.trimEnd().split('\n');
    const commands = lines.slice(-3).map((l) => l.trim());
    expect(commands[0]).toMatch(
      /^npx cx-surge status --endpoint-url http:\/\/127\.0\.0\.1:\d+ --table \S+ --genesys-url http:\/\/127\.0\.0\.1:\d+ --json$/,
    );
    expect(commands[1]).toMatch(
      /^npx cx-surge override set .* --queue support --tier 1 --state active --for 30m --reason 'trying an override'$/,
    );
    expect(commands[2]).toMatch(/^npx cx-surge console --endpoint-url /);

    const status = await cli(argv(commands[0] ?? '').slice(2));
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout);
    expect(report.queues.map((q: { queueId: string }) => q.queueId)).toEqual(['support']);
    expect(
      report.actuators.find((a: { actuatorId: string }) => a.actuatorId === 'tier1-datatable')?.applied,
    ).not.toBe('active');

    const genesysUrl = /--genesys-url (\S+)/.exec(commands[0] ?? '')?.[1] ?? '';
    expect(await tier1RowAtEmulator(genesysUrl)).toMatchObject({ status: 200, body: { SurgeActive: false } });
    const override = await cli(argv(commands[1] ?? '').slice(2));
    // Switched at the emulator by the time the command returns (its own process start included).
    expect(await tier1RowAtEmulator(genesysUrl)).toMatchObject({ status: 200, body: { SurgeActive: true } });
    expect(override.stderr).toBe('');
    expect(override.code).toBe(0);
    // The command's own convergence switches the lever, unless the drill's 5-second poller, which
    // converges from the same override, got there first: then the command finds it already on.
    expect(override.stdout).toMatch(
      /lever tier1-datatable: desired inactive → active, applied \S+ → active|levers: no change \(already where the override says\)/,
    );

    const after = JSON.parse((await cli(argv(commands[0] ?? '').slice(2))).stdout);
    expect(
      after.actuators.find((a: { actuatorId: string }) => a.actuatorId === 'tier1-datatable'),
    ).toMatchObject({
      desired: 'active',
      applied: 'active',
      sync: 'in sync',
    });
    expect(after.queues[0].tiers[0]).toMatchObject({
      effective: true,
      override: { by: expect.stringMatching(/^local:/) },
    });

    const exited = new Promise<number | null>((resolve) => served?.on('exit', (code) => resolve(code)));
    served.kill('SIGINT');
    expect(await exited).toBe(0);
  });
});
