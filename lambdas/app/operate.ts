import type { Actuator, SurgeConfig } from '../core/config';
import { hydrateQueueState } from '../core/decide';
import { ConfigError } from '../core/errors';
import { overridePage } from '../core/operator-pages';
import {
  type BreakerView,
  buildStatus,
  knownQueueIds,
  type StatusReport,
  type StoredQueueView,
} from '../core/operator-status';
import { type Override, overrideInForce } from '../core/override';
import { type OverrideRequest, parseOverrideRequest, parseOverrideTarget } from '../core/override-request';
import type {
  ActuatorRecord,
  ActuatorStore,
  OutboxEntry,
  OverrideStore,
  PageOutbox,
  QueueStateStore,
} from '../core/persistence';
import type { Clock } from '../core/ports';
import { type ConvergeResult, convergeActuators } from './converge';
import { type ControllerDeps, DEMAND_REPAIR_GRACE_MS, errorMessage } from './deps';

// The operator's use cases (`cx-surge status | override`, `cx-surge console`): read the status, set or
// clear a manual override and make it take effect at once.
//
//   validate (nothing written on bad input) ─▶ put/remove the override ─▶ stage the operator page
//     ─▶ apply now: the poller's convergence for the affected queues (their effective tiers from stored
//        state + the overrides, demand repaired, levers reconciled): locally `convergeActuators` at once,
//        deployed one invocation of the poller, whose tick runs the same convergence ─▶
//     ─▶ re-read the actuators and report what changed
//
// The override is the truth the controller converges to; "apply now" only shortens the wait. If it fails
// (Genesys down, no permission to invoke), the override stays written and the next poller tick applies it.

export interface OperatorPorts {
  readonly config: SurgeConfig;
  readonly actuators: readonly Actuator[];
  readonly queueStates: QueueStateStore;
  readonly overrides: OverrideStore;
  readonly actuatorStore: ActuatorStore;
  /** Stages operator pages; the poller (or the converge run) delivers them. */
  readonly outbox: Pick<PageOutbox, 'recordNew'>;
  readonly listPages: () => Promise<OutboxEntry[]>;
  readonly listBreakers?: () => Promise<BreakerView[]>;
  readonly clock: Clock;
}

/** Re-decides the given queues (undefined: all) and reconciles their actuators now. */
export interface ApplyNow {
  /** How it applies, for the operator ("converged locally against …", "invoked the poller …"). */
  readonly how: string;
  apply(queueIds: readonly string[] | undefined): Promise<string>;
}

export interface ActuatorChange {
  readonly actuatorId: string;
  readonly desired: readonly [string, string];
  readonly applied: readonly [string, string];
}

export interface OverrideOutcome {
  readonly action: 'set' | 'clear';
  readonly override: Override;
  /** The override for the same queue and tier that this one replaced. */
  readonly replaced?: Override;
  /** Expired overrides removed on the way (their pages resolved). */
  readonly pruned: readonly Override[];
  /** What "apply now" reported, or why it failed (the override is written either way). */
  readonly applied: { readonly ok: boolean; readonly detail: string };
  /** Actuators whose desired or applied state changed while applying. */
  readonly changes: readonly ActuatorChange[];
}

export async function readStatus(ports: OperatorPorts): Promise<StatusReport> {
  const [stored, overrides, actuatorRecords, pages, breakers] = await Promise.all([
    ports.queueStates.list(),
    ports.overrides.list(),
    ports.actuatorStore.list(),
    ports.listPages(),
    ports.listBreakers?.(),
  ]);
  const queues: StoredQueueView[] = stored.map((s) => {
    try {
      return { queueId: s.queueId, state: hydrateQueueState(s.state) };
    } catch (e) {
      return { queueId: s.queueId, unreadable: errorMessage(e) };
    }
  });
  return buildStatus({
    config: ports.config,
    actuators: ports.actuators,
    queues,
    overrides,
    actuatorRecords,
    pages,
    ...(breakers ? { breakers } : {}),
    now: ports.clock.now(),
  });
}

async function knownQueues(ports: OperatorPorts, overrides: readonly Override[]): Promise<string[]> {
  const stored = await ports.queueStates.list();
  return knownQueueIds(
    ports.config,
    stored.map((s) => s.queueId),
    overrides,
  );
}

function changesBetween(
  before: readonly ActuatorRecord[],
  after: readonly ActuatorRecord[],
): ActuatorChange[] {
  const was = new Map(before.map((r) => [r.actuatorId, r]));
  const out: ActuatorChange[] = [];
  for (const r of after) {
    const b = was.get(r.actuatorId);
    const desired: [string, string] = [b?.desired ?? 'inactive', r.desired];
    const applied: [string, string] = [b?.applied ?? 'never switched', r.applied];
    if (desired[0] !== desired[1] || applied[0] !== applied[1])
      out.push({ actuatorId: r.actuatorId, desired, applied });
  }
  return out;
}

async function applyAndReport(
  ports: OperatorPorts,
  applyNow: ApplyNow,
  queueIds: readonly string[] | undefined,
): Promise<Pick<OverrideOutcome, 'applied' | 'changes'>> {
  const before = await ports.actuatorStore.list();
  let applied: OverrideOutcome['applied'];
  try {
    applied = { ok: true, detail: await applyNow.apply(queueIds) };
  } catch (e) {
    applied = {
      ok: false,
      detail: `${applyNow.how} failed (${errorMessage(e)}); the override is written and the poller's next tick applies it`,
    };
  }
  return { applied, changes: changesBetween(before, await ports.actuatorStore.list()) };
}

/** Removes overrides that have expired, resolving their pages (housekeeping on the next operator action). */
async function pruneExpired(ports: OperatorPorts, overrides: readonly Override[], by: string, now: number) {
  const expired = overrides.filter((o) => !overrideInForce(o, now));
  for (const o of expired) {
    if (await ports.overrides.remove(o.queue, o.tier))
      await ports.outbox.recordNew(overridePage(o, 'resolve', by, now), now);
  }
  return expired;
}

export async function setOverride(
  ports: OperatorPorts,
  applyNow: ApplyNow,
  request: OverrideRequest,
  by: string,
): Promise<OverrideOutcome> {
  const now = ports.clock.now();
  const override = parseOverrideRequest(request, by, now);
  const existing = await ports.overrides.list();
  if (override.queue !== '*') {
    const known = await knownQueues(ports, existing);
    if (!known.includes(override.queue)) {
      throw new ConfigError(
        '--queue',
        `unknown queue '${override.queue}' (known: ${known.length > 0 ? known.join(', ') : 'none yet'}; '*' for every queue)`,
      );
    }
  }
  const replaced = existing.find((o) => o.queue === override.queue && o.tier === override.tier);
  const pruned = await pruneExpired(
    ports,
    existing.filter((o) => o !== replaced),
    by,
    now,
  );
  await ports.overrides.put(override);
  if (replaced) await ports.outbox.recordNew(overridePage(replaced, 'resolve', by, now), now);
  await ports.outbox.recordNew(overridePage(override, 'trigger', by, now), now);
  const queueIds = override.queue === '*' ? undefined : [override.queue];
  return {
    action: 'set',
    override,
    ...(replaced ? { replaced } : {}),
    pruned,
    ...(await applyAndReport(ports, applyNow, queueIds)),
  };
}

export async function clearOverride(
  ports: OperatorPorts,
  applyNow: ApplyNow,
  request: Pick<OverrideRequest, 'queue' | 'tier'>,
  by: string,
): Promise<OverrideOutcome> {
  const now = ports.clock.now();
  const { queue, tier } = parseOverrideTarget(request);
  const existing = await ports.overrides.list();
  const override = existing.find((o) => o.queue === queue && o.tier === tier);
  if (!override) {
    throw new ConfigError(
      '--queue',
      `no override for queue '${queue}' tier ${tier} (cx-surge override list shows them)`,
    );
  }
  const pruned = await pruneExpired(
    ports,
    existing.filter((o) => o !== override),
    by,
    now,
  );
  if (await ports.overrides.remove(queue, tier)) {
    await ports.outbox.recordNew(overridePage(override, 'resolve', by, now), now);
  }
  return {
    action: 'clear',
    override,
    pruned,
    ...(await applyAndReport(ports, applyNow, queue === '*' ? undefined : [queue])),
  };
}

/**
 * "Apply now" on the controller's own deps (the CLI against local stand-ins, `drill --serve`, tests): the
 * poller's convergence (lambdas/app/converge.ts) for the affected queues, run at once: their effective
 * tiers from stored state + the overrides in force, demand repaired, levers reconciled and read back.
 * One mechanism with the deployed path, which invokes the poller (whose tick runs the same convergence).
 * Pages it stages stay in the outbox for the poller to deliver (the CLI holds no pager credentials).
 */
export function convergeNow(deps: ControllerDeps, where: string): ApplyNow {
  return {
    how: `converging against ${where}`,
    apply: async (queueIds) => {
      const result = await convergeActuators(deps, {
        ...(queueIds ? { queueIds } : {}),
        deliverPages: false,
      });
      return describeConvergence(result, queueIds, where);
    },
  };
}

/** One line: what the convergence did, including what it left for the poller's next tick. */
export function describeConvergence(
  result: ConvergeResult,
  queueIds: readonly string[] | undefined,
  where: string,
): string {
  const switched = result.reconciled.filter((r) => r.result === 'switched' || r.result === 'converged');
  const failed = result.reconciled.filter((r) => r.result === 'failed');
  const parts = [
    `converged ${queueIds ? queueIds.join(', ') : 'every queue'} at ${where}: ${result.repaired.length} demand change(s), ${switched.length} lever(s) switched`,
  ];
  if (failed.length > 0) parts.push(`${failed.length} failed (retried every tick)`);
  if (result.postponed.length > 0)
    parts.push(
      `${result.postponed.length} demand change(s) wait for the poller's next tick (the lever's demand changed in the last ${DEMAND_REPAIR_GRACE_MS / 1000} s: an evaluation may be in flight)`,
    );
  return parts.join('; ');
}
