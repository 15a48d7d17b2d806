// The Genesys adapter as the Lambda ships it (CJS, minified, winston and form-data replaced by the
// bundle aliases) must still log in, read observations and switch a row against the emulator.
import { execFile, execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_EMULATOR_CLIENTS,
  type GenesysEmulator,
  startGenesysEmulator,
} from '../../../drill/genesys-emulator';
import { CONTROLLER_ESBUILD_OPTIONS, genesysSdkBuildCommand } from '../../../lib/controller-function';

const entry = fileURLToPath(new URL('./fixtures/bundled-genesys.ts', import.meta.url));

function runCjs(dir: string, script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { cwd: dir, timeout: 30_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout.trim()),
    );
  });
}

describe('the bundled Genesys adapter', () => {
  let dir: string;
  let emulator: GenesysEmulator;
  let inputs: string[];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'surge-genesys-bundle-'));
    const result = await build({
      ...CONTROLLER_ESBUILD_OPTIONS,
      entryPoints: [entry],
      outfile: join(dir, 'index.js'),
      metafile: true,
    });
    // The Genesys SDK file, written beside index.js by the very command the construct runs after bundling.
    execSync(`${genesysSdkBuildCommand(dir)} --metafile=${join(dir, 'genesys-sdk.meta.json')}`);
    const sdkInputs = JSON.parse(readFileSync(join(dir, 'genesys-sdk.meta.json'), 'utf8')).inputs;
    inputs = [...Object.keys(result.metafile.inputs), ...Object.keys(sdkInputs)];
    emulator = await startGenesysEmulator({ clock: { now: () => Date.now() } });
    emulator.setObservation('sales', { waiting: 240, agentsAvailable: 2 });
  });
  afterAll(async () => {
    await emulator?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries neither winston nor the MIME database', () => {
    expect(inputs.filter((f) => /node_modules\/(winston|mime-db|form-data)\//.test(f))).toEqual([]);
  });

  it('logs in, reads a queue and switches a data-table row, verified by read-back', async () => {
    const script = `
      const { createGenesys } = require('./index.js');
      const creds = ${JSON.stringify(DEFAULT_EMULATOR_CLIENTS.primary)};
      const g = createGenesys({ credentials: { get: async () => creds }, clock: { now: Date.now }, gateway: ${JSON.stringify(emulator.url)} });
      const row = { id: 'r', tier: 1, type: 'datatable-row', queues: ['*'], datatableId: 'surge-control', rowId: 'tier1', field: 'SurgeActive', activeValue: true, inactiveValue: false };
      (async () => {
        const read = await g.observations.read(['sales']);
        const outcome = await g.switch.apply(row, 'active');
        console.log(JSON.stringify({ observation: read.observations[0], outcome }));
      })().catch((e) => { console.error(e); process.exit(1); });`;

    const out = JSON.parse(await runCjs(dir, script));

    expect(out.observation).toMatchObject({ queueId: 'sales', waiting: 240, agentsAvailable: 2 });
    expect(out.outcome).toEqual({ state: 'active', changed: true, usedBreakGlass: false });
    expect(emulator.readRow('surge-control', 'tier1').SurgeActive).toBe(true);
  });
});
