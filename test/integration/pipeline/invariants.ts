// The first invariant, checked against the real world (the emulator's levers and the pages the
// transport delivered), not against the controller's own bookkeeping:
//   every lever is where the stored queue states and the overrides in force say, and
//   every trigger page has its resolve (except the open episode of a lever that is on, and the
//   switch-failing incident of a lever that still cannot be switched).
import { hydrateQueueState } from '../../../lambdas/core/decide';
import { overrideInForce } from '../../../lambdas/core/override';
import type { Pipeline } from './harness';

export interface InvariantReport {
  readonly levers: string[];
  readonly pages: string[];
}

/** Tier `tier` of `queueId` effectively on: the governing override if any, else the automatic state (auto mode). */
function effectiveOn(
  tier: 1 | 2 | 3,
  queueId: string,
  automatic: boolean,
  overrides: Awaited<ReturnType<Pipeline['deps']['overrides']['list']>>,
  now: number,
): boolean {
  const inForce = overrides.filter((o) => o.tier === tier && overrideInForce(o, now));
  const governing =
    inForce.filter((o) => o.queue === queueId).pop() ?? inForce.filter((o) => o.queue === '*').pop();
  return governing ? governing.state === 'active' : automatic;
}

/** What disagrees with the invariant (empty lists: it holds). */
export async function invariantViolations(p: Pipeline): Promise<InvariantReport> {
  const now = p.clock.now();
  const [stored, overrides, records] = await Promise.all([
    p.deps.queueStates.list(),
    p.deps.overrides.list(),
    p.deps.actuatorStore.list(),
  ]);
  const queues = new Map(stored.map((s) => [s.queueId, hydrateQueueState(s.state)]));
  for (const o of overrides)
    if (o.queue !== '*' && !queues.has(o.queue)) queues.set(o.queue, undefined as never);

  const levers: string[] = [];
  const wantedOn = new Set<string>();
  for (const a of p.deps.actuators) {
    if (a.type !== 'datatable-row' || a.tier === 4) continue;
    const tier = a.tier;
    const mode = p.deps.config.tiers[`tier${tier}`].mode;
    const want = [...queues].some(
      ([queueId, state]) =>
        (a.queues.includes('*') || a.queues.includes(queueId)) &&
        effectiveOn(
          tier,
          queueId,
          mode === 'auto' && state?.tiers[`tier${tier}`].status === 'active',
          overrides,
          now,
        ),
    );
    if (want) wantedOn.add(a.id);
    const on = p.emulator.readRow(a.datatableId, a.rowId)[a.field] === a.activeValue;
    if (on !== want)
      levers.push(
        `${a.id}: ${on ? 'on' : 'off'} at the emulator, queue states and overrides say ${want ? 'on' : 'off'}`,
      );
  }

  const pages: string[] = [];
  const delivered = p.transport.delivered;
  const openKeys = new Set(
    records
      .filter((r) => wantedOn.has(r.actuatorId) && r.episode && r.episode.closedAt === undefined)
      .map((r) => r.episode?.dedupKey),
  );
  for (const kind of ['actuator-episode', 'drift'] as const) {
    const mine = delivered.filter((d) => d.kind === kind);
    for (const t of mine.filter((d) => d.action === 'trigger')) {
      const resolved = mine.some((d) => d.action === 'resolve' && d.dedupKey === t.dedupKey);
      if (!resolved && !openKeys.has(t.dedupKey)) pages.push(`${kind} ${t.dedupKey}: trigger never resolved`);
    }
    for (const r of mine.filter((d) => d.action === 'resolve')) {
      const i = delivered.indexOf(r);
      if (!delivered.slice(0, i).some((d) => d.action === 'trigger' && d.dedupKey === r.dedupKey))
        pages.push(`${kind} ${r.dedupKey}: resolve without an earlier trigger`);
    }
  }
  // A lever that still cannot be switched keeps its switch-failing incident open; any other has its
  // resolve. (A resolve alone is allowed: a holder that died between recording a failure and paging it.)
  const failing = new Set(
    records
      .filter((r) => r.consecutiveFailures > 0)
      .map((r) => `switch-failing:${r.actuatorId}:${r.episode?.number ?? 0}`),
  );
  for (const t of delivered.filter((d) => d.kind === 'switch-failing' && d.action === 'trigger')) {
    const resolved = delivered.some(
      (d) => d.kind === 'switch-failing' && d.action === 'resolve' && d.dedupKey === t.dedupKey,
    );
    if (!resolved && !failing.has(t.dedupKey))
      pages.push(`switch-failing ${t.dedupKey}: trigger never resolved`);
  }
  for (const key of openKeys) {
    if (!delivered.some((d) => d.kind === 'actuator-episode' && d.action === 'trigger' && d.dedupKey === key))
      pages.push(`${key}: lever on, its trigger page never delivered`);
  }
  return { levers, pages };
}
