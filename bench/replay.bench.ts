// Streaming replay (`npm run bench replay`):
//  (a) throughput on a generated 1,000,000-line trace, parse included: the file is read in 1 MiB
//      chunks, parsed from its bytes and decided in place (ScenarioReplay as the parser's sink) as
//      `cx-surge replay` does. CPU time (user + system of this process)
//      and wall time, median of 3 runs. Target: ≥ 1,000,000 observations/s CPU.
//  (b) memory: peak RSS of `cx-surge replay --json` as a whole process on 2M- and 10M-line traces.
//      Target: within 1.3× of each other (memory does not grow with the file).
// Reports figures; asserts nothing.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readChunks } from '../bin/cli/io';
import { ScenarioReplay } from '../drill/replay';
import { streamObservations } from '../drill/scenario';
import { DEFAULT_CONFIG } from '../lambdas/core/config';
import { writeTrace } from './support/trace';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const rate = (n: number, ms: number): string => Math.round((n / ms) * 1000).toLocaleString('en');
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

async function throughput(dir: string): Promise<void> {
  const N = 1_000_000;
  const RUNS = 3;
  const file = join(dir, 'trace-1m.csv');
  await writeTrace(file, N);
  const wall: number[] = [];
  const cpu: number[] = [];
  const parseCpu: number[] = [];
  let transitions = 0;
  for (let r = 0; r < RUNS; r++) {
    const p0 = cpuMs();
    await streamObservations(readChunks(file), file, { observe() {} });
    parseCpu.push(cpuMs() - p0);
    const [w0, c0] = [performance.now(), cpuMs()];
    const run = new ScenarioReplay(DEFAULT_CONFIG);
    await streamObservations(readChunks(file), file, run);
    wall.push(performance.now() - w0);
    cpu.push(cpuMs() - c0);
    transitions = run.report.transitions.length;
  }
  const [w, c] = [median(wall), median(cpu)];
  console.log(
    `(a) streaming replay, ${N.toLocaleString('en')} lines (${mib(statSync(file).size)}), 100 queues, ` +
      `read + parse + decide + plan, median of ${RUNS}: ${transitions.toLocaleString('en')} transitions`,
  );
  console.log(`    cpu  ${c.toFixed(0)} ms  → ${rate(N, c)} observations/s (cpu)   [target ≥ 1,000,000]`);
  console.log(`    wall ${w.toFixed(0)} ms  → ${rate(N, w)} observations/s (wall)`);
  const p = median(parseCpu);
  console.log(`    of which read + parse alone: cpu ${p.toFixed(0)} ms → ${rate(N, p)} observations/s (cpu)`);
  console.log(`    the rest (decide in place + report): cpu ${Math.max(0, c - p).toFixed(0)} ms`);
  console.log(
    `    1-min load average ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores: wall shrinks under load, cpu much less`,
  );
}

/** Runs `cx-surge replay --json` on `file` as its own process; its peak RSS and CPU as it reported them. */
function cliUsage(file: string): Promise<{ maxRssKb: number; cpuMs: number; wallMs: number; code: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [
        '--import',
        join(root, 'bench/support/report-rss.mjs'),
        join(root, 'bin/cx-surge.js'),
        'replay',
        '--scenario',
        file,
        '--json',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /bench-usage maxrss_kb=(\d+) cpu_ms=(\d+)/.exec(stderr);
      if (!m) return reject(new Error(`no usage line from the replay process: ${stderr.slice(0, 300)}`));
      resolve({
        maxRssKb: Number(m[1]),
        cpuMs: Number(m[2]),
        wallMs: performance.now() - started,
        code: code ?? -1,
      });
    });
  });
}

async function memory(dir: string): Promise<void> {
  console.log('\n(b) peak RSS of `cx-surge replay --json > /dev/null` as a whole process (tsx included)');
  const rows: { lines: number; rss: number }[] = [];
  for (const lines of [2_000_000, 10_000_000]) {
    const file = join(dir, `trace-${lines / 1e6}m.csv`);
    await writeTrace(file, lines);
    const u = await cliUsage(file);
    rmSync(file, { force: true });
    rows.push({ lines, rss: u.maxRssKb });
    console.log(
      `    ${lines.toLocaleString('en').padStart(10)} lines  ${mib(u.maxRssKb * 1024).padStart(8)} peak RSS  ` +
        `cpu ${(u.cpuMs / 1000).toFixed(1)} s  wall ${(u.wallMs / 1000).toFixed(1)} s  exit ${u.code}`,
    );
  }
  const [small, big] = rows as unknown as [{ rss: number }, { rss: number }];
  console.log(`    10M ÷ 2M peak RSS: ${(big.rss / small.rss).toFixed(2)}×   [target ≤ 1.3×]`);
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'surge-replay-bench-'));
  try {
    await throughput(dir);
    await memory(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
