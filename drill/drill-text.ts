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
