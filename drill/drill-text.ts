import type { SurgeConfig } from '../lambdas/core/config';
import type { DrillResult } from './drill';
import { renderTimeline } from './report';

const MARK = { pass: 'PASS', fail: 'FAIL', 'not-exercised': ' -- ' } as const;

/** The drill's readable report: the replay-style timeline, what the emulator saw, and the checks. */
export function renderDrillText(result: DrillResult, config: SurgeConfig, title: string): string {
  const out = [
    renderTimeline(result, config, { title, queues: result.queues, observations: result.observations }),
  ];
  out.push('what the Genesys emulator saw switched');
  if (result.switched.length === 0) out.push('  nothing');
  for (const m of result.switched)
    out.push(`  ${m.at.slice(11, 16)}  ${m.status}  ${m.method} ${m.path}  ${m.summary}`);
  if (result.faults.length > 0) {
    out.push('', 'faults applied (simulated time)');
    for (const f of result.faults)
      out.push(
        `  ${f.at.slice(11, 16)}  ${f.target.padEnd(14)}  ${f.fault ?? 'healthy again'}  (entry ${f.entry})`,
      );
  }
  if (result.edge) {
    out.push('', 'what the edge saw');
    for (const a of result.edge.alarm) {
      const t4 = result.edge.tier4.find((t) => t.at === a.at);
      const recorded = t4
        ? `evaluate: tier 4 ${t4.action === 'activate' ? 'activated' : 'restored'}`
        : 'evaluate: nothing recorded';
      out.push(
        `  ${a.at.slice(11, 16)}  origin alarm ${a.state.padEnd(5)}  (health datapoints ${a.datapoints.join(',')})  → ${recorded}`,
      );
    }
    if (result.edge.alarm.length === 0) out.push('  origin alarm stayed OK');
    const counts = new Map<string, number>();
    for (const c of result.edge.kvsCalls) counts.set(c, (counts.get(c) ?? 0) + 1);
    out.push(
      `  KeyValueStore API calls (cloudfront-kvs adapter, SigV4A): ${
        counts.size === 0 ? 'none' : [...counts].map(([c, n]) => `${c}${n > 1 ? ` ×${n}` : ''}`).join(', ')
      }`,
    );
  }
  if (result.deadLetters.length > 0) {
    out.push('', 'dead letters (evaluate failed after EventBridge retries)');
    for (const d of result.deadLetters) out.push(`  line ${d.line}: ${d.error}`);
  }
  out.push('', 'checks');
  for (const c of result.checks) out.push(`  ${MARK[c.status]}  ${c.name}: ${c.detail}`);
  const failed = result.checks.filter((c) => c.status === 'fail').length;
  const passed = result.checks.filter((c) => c.status === 'pass').length;
  const skipped = result.checks.length - failed - passed;
  out.push(
    '',
    `drill ${result.passed ? 'PASSED' : 'FAILED'}: ${passed} checks passed, ${failed} failed, ${skipped} not exercised (${(result.wallMs / 1000).toFixed(1)} s)`,
  );
  return `${out.join('\n')}\n`;
}
