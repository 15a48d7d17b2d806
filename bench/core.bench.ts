// Decision core benchmark (`npm run bench core`):
//  (a) controller quality: transitions of our controller vs the naive one (the seed's Lambda: switch on
//      at ONE observation satisfying the activate predicate, off at ONE below waitingBelow), per tier,
//      on the built-in scenarios. Target: ≥ 10× fewer on plateau.
// Reports figures; asserts nothing.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replay } from '../drill/replay';
import { parseScenario, type ScenarioLine } from '../drill/scenario';
import {
  DEFAULT_CONFIG,
  type SurgeConfig,
  TIER_KEYS,
  type TierKey,
  tierConfigFor,
  tierNumber,
} from '../lambdas/core/config';
import { activatePredicate, restorePredicate } from '../lambdas/core/decide';

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
  console.log('\n(replay throughput and memory, streamed from a file: bench/replay.bench.ts)');
}
