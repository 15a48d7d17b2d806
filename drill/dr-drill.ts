// `cx-surge dr drill`: on two emulated orgs at the emulated rate limits, on simulated time, each switch
// mode fails over, takes callbacks in the backup org during the window, fails back, and is checked
// against its target (docs/dr.md "Drill"). Product code: operators run it before the monthly DR test.
import { planDr, runDr } from '../lambdas/app/dr-switchover';
import { drDids } from '../lambdas/core/dr-config';
import { type DrMode, type DrRunReport, DrStatus } from '../lambdas/core/dr-plan';
import { SHADOW_SOURCE_KEY } from '../lambdas/core/dr-ports';
import { DRILL_BACKUP_QUEUE, drillDrConfig, startDrStandIns } from './dr-stand-ins';
import { SimulatedClock } from './simulated-clock';

export interface DrDrillOptions {
  readonly dids?: number;
  readonly ivrs?: number;
  /** Callbacks taken in the backup org during each DR window. @default 25 */
  readonly callbacks?: number;
  /** @default 2026-11-30T09:00:00Z */
  readonly start?: number;
}

export interface DrDrillModeResult {
  readonly mode: DrMode;
  readonly failover: DrRunReport;
  readonly failback: DrRunReport;
  /** DIDs the failover verified by read-back. */
  readonly didsVerified: number;
  readonly didsTotal: number;
  readonly callbacksTaken: number;
  readonly callbacksMirrored: number;
  /** Shadow callbacks in the primary org after failing back twice (must equal callbacksTaken). */
  readonly shadowCallbacks: number;
}

export interface DrDrillCheck {
  readonly name: string;
  readonly passed: boolean;
  readonly detail: string;
}

export interface DrDrillResult {
  readonly dids: number;
  readonly ivrs: number;
  readonly modes: readonly DrDrillModeResult[];
  readonly checks: readonly DrDrillCheck[];
  readonly passed: boolean;
  /** Real seconds the drill took. */
  readonly wallSeconds: number;
}

/** Drill targets (docs/dr.md). */
export const DR_TARGETS = {
  allRtoMs: 5_000,
  nuclearRtoMs: 60_000,
  didsFloorFactor: 1.1,
  mirrorRate: 1,
} as const;

const seconds = (ms: number | undefined): string =>
  ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(1)} s`;

export async function runDrDrill(options: DrDrillOptions = {}): Promise<DrDrillResult> {
  const wallStart = performance.now();
  const dids = options.dids ?? 1000;
  const ivrs = options.ivrs ?? 20;
  const callbacks = options.callbacks ?? 25;
  const config = drillDrConfig({ dids, ivrs });
  const clock = new SimulatedClock(options.start ?? Date.parse('2026-11-30T09:00:00Z'));
  const stand = await startDrStandIns({ clock, config });
  const modes: DrDrillModeResult[] = [];
  try {
    for (const mode of ['all', 'dids', 'nuclear'] as const) {
      // Each mode starts a fresh minute, as separate drills would.
      clock.advance(120_000);
      const dryRun = await planDr(stand.deps(), { direction: 'failover', mode });
      if (dryRun.status === 'blocked') throw new Error(`drill setup: ${mode} failover is blocked`);
      const failover = await runDr(stand.deps(), { direction: 'failover', mode }, { confirmed: true });
      const didsVerified = failover.dids.filter((d) => d.verified).length;
      // Customers ask for callbacks in the backup org while it carries the traffic.
      const taken: string[] = [];
      for (let i = 0; i < callbacks; i += 1) {
        clock.advance(10_000);
        taken.push(
          stand.backup.takeCallback({
            queueId: DRILL_BACKUP_QUEUE,
            callbackNumbers: [`+1555${mode.length}${String(i).padStart(6, '0')}`],
            callbackUserName: `drill ${mode} ${i}`,
          }).conversationId,
        );
      }
      clock.advance(60_000);
      const failback = await runDr(stand.deps(), { direction: 'failback', mode }, { confirmed: true });
      // Failing back twice must mirror nothing twice.
      await runDr(stand.deps(), { direction: 'failback', mode }, { confirmed: true });
      const mirroredSources = new Set(
        stand.primary
          .callbacks()
          .map((c) => c.data[SHADOW_SOURCE_KEY])
          .filter((s): s is string => s !== undefined && taken.includes(s)),
      );
      const shadowCallbacks = stand.primary
        .callbacks()
        .filter((c) => taken.includes(c.data[SHADOW_SOURCE_KEY] ?? '')).length;
      modes.push({
        mode,
        failover,
        failback,
        didsVerified,
        didsTotal: failover.dids.length,
        callbacksTaken: taken.length,
        callbacksMirrored: mirroredSources.size,
        shadowCallbacks,
      });
    }
    const restored = checkRestored(stand, config);
    const checks = [...modes.flatMap((m) => checksFor(m)), restored];
    return {
      dids,
      ivrs: config.backupIvrs.length,
      modes,
      checks,
      passed: checks.every((c) => c.passed),
      wallSeconds: (performance.now() - wallStart) / 1000,
    };
  } finally {
    await stand.stop();
  }
}

function checksFor(m: DrDrillModeResult): DrDrillCheck[] {
  const rto = m.failover.rtoMs;
  const out: DrDrillCheck[] = [
    {
      name: `${m.mode}: failover completed and every DID verified`,
      passed: m.failover.status === 'completed' && m.didsVerified === m.didsTotal,
      detail: `${m.didsVerified}/${m.didsTotal} DIDs verified by read-back, ${m.failover.ops.writes} write(s)`,
    },
  ];
  if (m.mode === 'all') {
    out.push({
      name: `all: __ALL__ global switch RTO ≤ ${seconds(DR_TARGETS.allRtoMs)}`,
      passed: rto !== undefined && rto <= DR_TARGETS.allRtoMs,
      detail: `RTO ${seconds(rto)}`,
    });
  } else if (m.mode === 'nuclear') {
    out.push({
      name: `nuclear: ${m.didsTotal} DIDs over the backup IVRs RTO ≤ ${seconds(DR_TARGETS.nuclearRtoMs)}`,
      passed: rto !== undefined && rto <= DR_TARGETS.nuclearRtoMs,
      detail: `RTO ${seconds(rto)}, ${m.failover.ops.total} IVR PUT(s)`,
    });
  } else {
    const limit = m.failover.floorMs * DR_TARGETS.didsFloorFactor;
    out.push({
      name: `dids: ${m.didsTotal} per-DID rows within ${DR_TARGETS.didsFloorFactor}× the rate-limit floor`,
      passed: rto !== undefined && rto <= limit,
      detail: `RTO ${seconds(rto)}, floor ${seconds(m.failover.floorMs)} (${m.failover.ops.total} writes at the per-token limit), ratio ${rto === undefined ? 'n/a' : (rto / m.failover.floorMs).toFixed(3)}`,
    });
  }
  out.push(
    {
      name: `${m.mode}: failback completed`,
      passed: m.failback.status === 'completed',
      detail: `RTO ${seconds(m.failback.rtoMs)}, ${m.failback.ops.verified}/${m.failback.ops.total} operation(s) verified`,
    },
    {
      name: `${m.mode}: failback mirrors 100 % of the callbacks taken during the window, once`,
      passed:
        m.callbacksMirrored === m.callbacksTaken &&
        m.shadowCallbacks === m.callbacksTaken &&
        (m.failback.mirror?.integrityRate ?? 0) >= DR_TARGETS.mirrorRate,
      detail: `${m.callbacksMirrored}/${m.callbacksTaken} mirrored (integrity ${((m.failback.mirror?.integrityRate ?? 0) * 100).toFixed(0)} %), ${m.shadowCallbacks} shadow callback(s) after failing back twice`,
    },
  );
  return out;
}

function checkRestored(
  stand: Awaited<ReturnType<typeof startDrStandIns>>,
  config: ReturnType<typeof drillDrConfig>,
): DrDrillCheck {
  const t = config.controlTable;
  const notNormal = [t.allRowKey, ...drDids(config).map((d) => d.did)].filter(
    (key) => stand.primary.readRow(t.datatableId, key)[t.statusField] !== DrStatus.normal,
  );
  const stillRouted = config.backupIvrs.filter((i) => stand.backup.readIvr(i.id).dnis.length > 0);
  return {
    name: 'after failback: every DR_Control row NORMAL, every backup IVR routes no DID',
    passed: notNormal.length === 0 && stillRouted.length === 0,
    detail: `${notNormal.length} row(s) not NORMAL, ${stillRouted.length} backup IVR(s) still routing DIDs`,
  };
}

/** The drill as text. */
export function renderDrDrillText(result: DrDrillResult): string {
  const lines = [
    `DR drill: ${result.dids} DIDs over ${result.ivrs} backup IVRs, two emulated orgs, simulated time at the emulated rate limits`,
    '',
    'mode     failover RTO   floor      DIDs verified   failback RTO   callbacks mirrored',
  ];
  for (const m of result.modes) {
    lines.push(
      `${m.mode.padEnd(8)} ${seconds(m.failover.rtoMs).padStart(12)}   ${seconds(m.failover.floorMs).padStart(8)}   ${`${m.didsVerified}/${m.didsTotal}`.padStart(13)}   ${seconds(m.failback.rtoMs).padStart(12)}   ${`${m.callbacksMirrored}/${m.callbacksTaken}`.padStart(8)}`,
    );
  }
  lines.push('', 'checks');
  for (const c of result.checks) lines.push(`  ${c.passed ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
  const failed = result.checks.filter((c) => !c.passed).length;
  lines.push(
    '',
    `DR drill ${result.passed ? 'PASSED' : 'FAILED'}: ${result.checks.length - failed} checks passed, ${failed} failed (${result.wallSeconds.toFixed(1)} s)`,
  );
  return `${lines.join('\n')}\n`;
}

/** The drill as JSON (`--json`). */
export function drDrillJson(result: DrDrillResult): unknown {
  return {
    dids: result.dids,
    ivrs: result.ivrs,
    modes: result.modes.map((m) => ({
      mode: m.mode,
      failoverRtoMs: m.failover.rtoMs ?? null,
      floorMs: m.failover.floorMs,
      didsVerified: m.didsVerified,
      didsTotal: m.didsTotal,
      failoverWrites: m.failover.ops.writes,
      failbackRtoMs: m.failback.rtoMs ?? null,
      callbacksTaken: m.callbacksTaken,
      callbacksMirrored: m.callbacksMirrored,
      shadowCallbacks: m.shadowCallbacks,
      integrityRate: m.failback.mirror?.integrityRate ?? null,
    })),
    checks: result.checks,
    passed: result.passed,
  };
}
