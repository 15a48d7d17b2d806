// Genesys adapter figures: Lambda bundle size, fresh-process load time, and what a switch costs in calls
// against the emulator (loopback, simulated time). Prints numbers; asserts nothing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { DEFAULT_EMULATOR_CLIENTS, startGenesysEmulator } from '../drill/genesys-emulator';
import { createGenesys, type SessionEvent } from '../lambdas/adapters/genesys';
import type { Actuator } from '../lambdas/core/config';
import { BUNDLE_ALIASES } from '../lib/controller-function';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUDGET_BYTES = 700 * 1024;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

function freshProcessMs(script: string, runs: number): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    samples.push(Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim()));
  }
  return median(samples);
}

async function bundle(dir: string): Promise<string> {
  const outfile = join(dir, 'genesys.cjs');
  await build({
    entryPoints: [join(root, 'lambdas/adapters/genesys/index.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    // sdk.ts only reaches for import.meta.url when `require` is missing (ESM); in this CJS bundle it never is.
    logOverride: { 'empty-import-meta': 'silent' },
    // As the Lambda ships it: winston and form-data replaced by silent stand-ins.
    alias: { ...BUNDLE_ALIASES },
    logLevel: 'warning',
  });
  return outfile;
}

async function callsPerSwitch(): Promise<void> {
  let now = Date.parse('2026-11-27T09:00:00Z');
  const clock = { now: () => now };
  const emulator = await startGenesysEmulator({ clock, publishDelayMs: 2000 });
  emulator.seedEmergencyGroup({ id: 'eg', name: 'Overflow' });
  emulator.seedFlow({ id: 'flow', name: 'Inbound', versions: ['1', '2'], publishedVersion: '1' });
  const events: SessionEvent[] = [];
  const genesys = createGenesys({
    clock,
    gateway: emulator.url,
    credentials: {
      get: async (which) =>
        which === 'primary' ? DEFAULT_EMULATOR_CLIENTS.primary : DEFAULT_EMULATOR_CLIENTS.breakGlass,
    },
    sleep: async (ms) => {
      now += ms;
    },
    onEvent: (e) => events.push(e),
  });
  const count = (type: SessionEvent['type']) => events.filter((e) => e.type === type).length;
  const measure = async (label: string, act: () => Promise<unknown>): Promise<void> => {
    events.length = 0;
    const started = performance.now();
    await act();
    const ms = performance.now() - started;
    const calls = events.filter((e) => e.type === 'call' && !e.operation.startsWith('login')).length;
    console.log(
      `  ${label.padEnd(44)} ${String(calls).padStart(3)} API calls  ${String(count('retry')).padStart(2)} retries  ${count('login')} logins  ${ms.toFixed(1).padStart(6)} ms`,
    );
  };
  const levers: Actuator[] = [
    {
      id: 'row',
      tier: 1,
      queues: ['*'],
      type: 'datatable-row',
      datatableId: 'surge-control',
      rowId: 'tier1',
      field: 'SurgeActive',
      activeValue: true,
      inactiveValue: false,
    },
    { id: 'eg', tier: 2, queues: ['*'], type: 'emergency-group', groupId: 'eg' },
    {
      id: 'flow',
      tier: 3,
      queues: ['*'],
      type: 'flow-publish',
      flowId: 'flow',
      surgeVersion: '2',
      normalVersion: '1',
    },
  ];
  try {
    console.log('calls per operation (emulator on loopback, simulated time; first line includes the login):');
    await measure('observations.read(1 queue)', () => genesys.observations.read(['q0']));
    for (const lever of levers) {
      await measure(`apply ${lever.type} → active (switches)`, () => genesys.switch.apply(lever, 'active'));
      await measure(`apply ${lever.type} → active (already)`, () => genesys.switch.apply(lever, 'active'));
    }
    const queues = Array.from({ length: 250 }, (_, i) => `q${i}`);
    for (const q of queues) emulator.setObservation(q, { waiting: 5, agentsAvailable: 1 });
    await measure('observations.read(250 queues)', () => genesys.observations.read(queues));
    emulator.faults.next(
      { method: 'GET', path: '/api/v2/flows/datatables/surge-control/rows/tier1' },
      { kind: 'status', status: 503 },
      2,
    );
    await measure('apply datatable-row → inactive, 2×503 first', () =>
      genesys.switch.apply(levers[0] as Actuator, 'inactive'),
    );
  } finally {
    await emulator.close();
  }
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'surge-genesys-bench-'));
  try {
    const outfile = await bundle(dir);
    const bytes = statSync(outfile).size;
    console.log(
      `adapter bundle (esbuild, CJS, node22, minified): ${bytes.toLocaleString('en-US')} bytes (${(bytes / 1024).toFixed(0)} KB; budget 700 KB: ${bytes <= BUDGET_BYTES ? 'within' : 'OVER'})`,
    );
    const empty = join(dir, 'empty.cjs');
    writeFileSync(empty, 'module.exports = {};\n');
    const timeRequire = (file: string, extra = '') =>
      `const t=performance.now();const m=require(${JSON.stringify(file)});${extra}console.log(performance.now()-t)`;
    const runs = 7;
    const baseline = freshProcessMs(timeRequire(empty), runs);
    const load = freshProcessMs(timeRequire(outfile), runs);
    const construct = freshProcessMs(
      timeRequire(
        outfile,
        "m.createGenesys({clock:{now:Date.now},credentials:{get:async()=>undefined},gateway:'http://127.0.0.1:9'});",
      ),
      runs,
    );
    console.log(`fresh-process require (median of ${runs}): empty module ${baseline.toFixed(1)} ms`);
    console.log(`  adapter bundle                               ${load.toFixed(1)} ms`);
    console.log(`  adapter bundle + createGenesys() (SDK client) ${construct.toFixed(1)} ms`);
    await callsPerSwitch();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
