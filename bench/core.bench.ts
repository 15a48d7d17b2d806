// Decision core benchmark (`npm run bench core`):
//  (a) controller quality: transitions of our controller vs the naive one (the seed's Lambda: switch on
//      at ONE observation satisfying the activate predicate, off at ONE below waitingBelow), per tier,
//      on the built-in scenarios. Target: ≥ 10× fewer on plateau.
//  (b) replay throughput on a generated 1,000,000-line trace (parse + decide + actuator plan).
//      Target: ≥ 500,000 observations/s.
// Reports figures; asserts nothing.
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replay } from '../drill/replay';
import { formatScenario, parseScenario, type ScenarioLine } from '../drill/scenario';
import {
  DEFAULT_CONFIG,
  type SurgeConfig,
  TIER_KEYS,
  type TierKey,
  tierConfigFor,
  tierNumber,
} from '../lambdas/core/config';
import { activatePredicate, restorePredicate } from '../lambdas/core/decide';
import type { QueueObservation } from '../lambdas/core/observation';

const SCENARIOS = join(dirname(fileURLToPath(import.meta.url)), '../drill/scenarios');

/** The seed's controller, per queue and tier, on the same accepted observations (duplicates skipped). */
function naiveTransitions(lines: readonly ScenarioLine[], config: SurgeConfig, key: TierKey): number {
  const active = new Map<string, boolean>();
  const last = new Map<string, number>();
  let n = 0;
  for (const { observation: o } of lines) {
    const at = Date.parse(o.observedAt);
    if (at <= (last.get(o.queueId) ?? Number.NEGATIVE_INFINITY)) continue;
    last.set(o.queueId, at);
    const tier = tierConfigFor(config, o.queueId, key);
    if (tier.mode === 'off') continue;
    const on = active.get(o.queueId) ?? false;
    if (on ? restorePredicate(tier, o) : activatePredicate(tier, o)) {
      active.set(o.queueId, !on);
      n++;
    }
  }
  return n;
}

function quality(): void {
  const rows: string[][] = [['scenario', 'tier', 'ours', 'naive', 'naive ÷ ours']];
  for (const name of ['plateau', 'flash-sale', 'multi-queue', 'outage']) {
    const lines = parseScenario(readFileSync(join(SCENARIOS, `${name}.csv`), 'utf8'), `${name}.csv`);
    const report = replay(lines, DEFAULT_CONFIG);
    let ours = 0;
    let naive = 0;
    for (const key of TIER_KEYS) {
      const o = report.transitions.filter((t) => t.tier === tierNumber(key)).length;
      const n = naiveTransitions(lines, DEFAULT_CONFIG, key);
      ours += o;
      naive += n;
      if (o > 0 || n > 0) rows.push([name, key, String(o), String(n), ratio(n, o)]);
    }
    rows.push([name, 'all', String(ours), String(naive), ratio(naive, ours)]);
  }
  console.log(
    '(a) transitions, default config: ours vs naive (switch on 1 observation above, off on 1 below)',
  );
  printTable(rows);
}

const ratio = (naive: number, ours: number): string =>
  ours === 0 ? (naive === 0 ? '–' : `∞ (${naive} vs 0)`) : `${(naive / ours).toFixed(1)}×`;

/** A deterministic trace: `queues` queues, one observation per queue per minute, random-walk depth with surges. */
function generateTrace(total: number, queues = 100): string {
  let seed = 42;
  const rand = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const depth = new Array<number>(queues).fill(20);
  const ids = Array.from({ length: queues }, (_, q) => `queue-${String(q).padStart(3, '0')}`);
  const start = Date.parse('2026-01-01T00:00:00Z');
  function* observations(): Generator<QueueObservation> {
    for (let i = 0; i < total; i++) {
      const q = i % queues;
      const minute = Math.floor(i / queues);
      const surge = minute % 600 > 400 && q % 3 === 0 ? 4 : 0; // a surge on a third of the queues, every 10 h
      depth[q] = Math.max(
        0,
        Math.min(900, (depth[q] as number) + Math.round((rand() - 0.5) * 20) + surge - (surge ? 0 : 1)),
      );
      yield {
        queueId: ids[q] as string,
        observedAt: new Date(start + minute * 60_000).toISOString().replace('.000Z', 'Z'),
        waiting: depth[q] as number,
        agentsAvailable: rand() < 0.05 ? null : Math.floor(rand() * 12),
      };
    }
  }
  return formatScenario(observations(), 'generated');
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** CPU milliseconds of this process so far (user + system): less distorted than wall time on a shared machine. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function throughput(): void {
  const N = 1_000_000;
  const RUNS = 3;
  const t0 = performance.now();
  const text = generateTrace(N);
  const genMs = performance.now() - t0;
  const wall = { parse: [] as number[], replay: [] as number[], total: [] as number[] };
  const cpu = { parse: [] as number[], replay: [] as number[], total: [] as number[] };
  let transitions = 0;
  let heapMb = 0;
  for (let r = 0; r < RUNS; r++) {
    const [w0, c0] = [performance.now(), cpuMs()];
    const lines = parseScenario(text, 'generated.csv');
    const [w1, c1] = [performance.now(), cpuMs()];
    const report = replay(lines, DEFAULT_CONFIG);
    const [w2, c2] = [performance.now(), cpuMs()];
    wall.parse.push(w1 - w0);
    wall.replay.push(w2 - w1);
    wall.total.push(w2 - w0);
    cpu.parse.push(c1 - c0);
    cpu.replay.push(c2 - c1);
    cpu.total.push(c2 - c0);
    transitions = report.transitions.length;
    heapMb = Math.max(heapMb, process.memoryUsage().heapUsed / 2 ** 20);
  }
  console.log(
    `\n(b) replay throughput: ${N.toLocaleString('en')} lines, 100 queues, ${(text.length / 2 ** 20).toFixed(1)} MiB CSV ` +
      `(generated in ${(genMs / 1000).toFixed(1)} s), median of ${RUNS} runs, ${transitions.toLocaleString('en')} transitions`,
  );
  const row = (stage: string, key: keyof typeof wall): string[] => {
    const w = median(wall[key]);
    const c = median(cpu[key]);
    return [stage, w.toFixed(0), rate(N, w), c.toFixed(0), rate(N, c)];
  };
  printTable([
    ['stage', 'wall ms', 'obs/s (wall)', 'cpu ms', 'obs/s (cpu)'],
    row('parse CSV', 'parse'),
    row('replay (decide + plan)', 'replay'),
    row('parse + replay', 'total'),
  ]);
  const load = loadavg()[0]?.toFixed(1);
  console.log(
    `peak heap used ${heapMb.toFixed(0)} MiB, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB; ` +
      `1-min load average ${load} on ${availableParallelism()} cores (wall figures shrink under load; cpu figures less so)`,
  );
}

const rate = (n: number, ms: number): string => Math.round((n / ms) * 1000).toLocaleString('en');

function printTable(rows: string[][]): void {
  const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) =>
    `| ${r.map((v, c) => (c === 0 ? v.padEnd(widths[c] ?? 0) : v.padStart(widths[c] ?? 0))).join(' | ')} |`;
  console.log(line(rows[0] as string[]));
  console.log(
    `|${widths.map((w, c) => (c === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
  );
  for (const r of rows.slice(1)) console.log(line(r));
}

export async function run(): Promise<void> {
  quality();
  throughput();
}
