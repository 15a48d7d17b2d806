// DR switchover use cases (docs/dr.md): plan (dry run), guarded failover / failback, resume, status,
// readiness. The same code runs in the CLI, the dr-switch Lambda and the drill.
//
//   start ─▶ facts (lease, state, both orgs, in parallel) ─▶ assertions ──any fails──▶ blocked (nothing written)
//                                                              │ all hold (and --yes)
//                                                              ▼
//   lease (fenced) ─▶ store plan ─▶ page start ─▶ ops in batches: renew lease → write (paced) → read back
//                                                   → record verified ─▶ [failback: mirror callbacks]
//                                                 ─▶ DR state ─▶ record RTO ─▶ page end ─▶ release lease
//
// A crash leaves the run `running` in the store; `resume` re-reads the targets, marks what is already in
// place as verified without writing, and does the rest. Verified ops are never touched again.
import { type DrConfig, drDids } from '../core/dr-config';
import {
  type AssertionResult,
  blocking,
  type ControlRow,
  checkAssertions,
  DrCheck,
  type DrFacts,
  type DrOp,
  type DrOpRecord,
  DrPlanError,
  type DrRequest,
  type DrRunReport,
  type DrStateRecord,
  drReadinessPage,
  drRunEndedPage,
  drRunStartedPage,
  ivrDnisAfter,
  ivrInPlace,
  type MirrorSummary,
  needsPrimary,
  planFailover,
  rateLimitFloorMs,
  requestDids,
  reversePlan,
  rowInPlace,
  summarizeOps,
} from '../core/dr-plan';
import {
  DrConflictError,
  type DrLease,
  type DrOrg,
  type DrRunHeader,
  type DrRunStore,
} from '../core/dr-ports';
import { LeaseHeldError } from '../core/errors';
import type { Clock, Pager } from '../core/ports';

export interface DrDeps {
  readonly config: DrConfig;
  /** The primary org (normal credentials, break-glass fallback). */
  readonly primary: DrOrg;
  /** The backup org, logged in with its break-glass client only. */
  readonly backup: DrOrg;
  readonly store: DrRunStore;
  /** Stages pages in the outbox (the poller's sender delivers them) or sends through it. */
  readonly pager: Pager;
  readonly clock: Clock;
  /** Waiting between retry passes (simulated in drills). */
  readonly sleep: (ms: number) => Promise<void>;
  /** Who runs it (caller identity, Lambda request id). */
  readonly owner: string;
  readonly newRunId?: () => string;
  /** Called after each recorded batch (tests use it to crash a run mid-way). */
  readonly onBatch?: (runId: string, verified: number, total: number) => void | Promise<void>;
  /** Row writes per batch before a read-back. @default 200 */
  readonly rowBatch?: number;
  /** Retry passes over ops that failed retryably (429 storms, 5xx). @default 10 */
  readonly maxPasses?: number;
}

/** A real run was refused before any write: the report says which assertions failed. */
export class DrBlockedError extends Error {
  constructor(readonly report: DrRunReport) {
    super(
      `DR ${report.direction} blocked: ${blocking(report.assertions)
        .map((a) => `${a.code}: ${a.message}`)
        .join(' | ')}`,
    );
    this.name = 'DrBlockedError';
  }
}

/** A real run without the operator's confirmation. */
export class DrConfirmationError extends Error {
  constructor(what: string) {
    super(`${what} changes routing for real: re-run with --yes (or --dry-run to only plan and check)`);
    this.name = 'DrConfirmationError';
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const isRetryable = (e: unknown): boolean =>
  e instanceof DrConflictError || (e as { retryable?: unknown } | null)?.retryable === true;
const retryWaitMs = (e: unknown): number | undefined => {
  const w = (e as { waitMs?: unknown } | null)?.waitMs;
  return typeof w === 'number' ? w : undefined;
};

function defaultRunId(now: number): string {
  const stamp = iso(now).replace(/[-:]/g, '').replace(/\.\d+/, '');
  return `dr-${stamp}-${Math.random().toString(36).slice(2, 8)}`;
}

// ── Facts ─────────────────────────────────────────────────────────────────────────────────

async function readBackup(deps: DrDeps): Promise<DrFacts['backup']> {
  try {
    const ivrs = await deps.backup.listIvrs();
    const flowIds = [...new Set(deps.config.backupIvrs.map((i) => i.emergencyFlowId))];
    const flows = new Map();
    for (const id of flowIds) flows.set(id, await deps.backup.getFlow(id));
    return { reachable: true, usedBreakGlass: deps.backup.usingBreakGlass, ivrs, flows };
  } catch (e) {
    return { reachable: false, error: message(e) };
  }
}

async function readPrimary(deps: DrDeps): Promise<NonNullable<DrFacts['primary']>> {
  try {
    return {
      reachable: true,
      rows: await deps.primary.listControlRows(deps.config.controlTable.datatableId),
    };
  } catch (e) {
    return { reachable: false, error: message(e) };
  }
}

/** Reads everything the assertions need; both orgs in parallel (separate tokens, separate budgets). */
export async function gatherFacts(deps: DrDeps, request: DrRequest | 'readiness'): Promise<DrFacts> {
  const now = deps.clock.now();
  const primaryNeeded = request === 'readiness' || needsPrimary(request);
  const [lease, incomplete, state, primary, backup] = await Promise.all([
    deps.store.readLease(now),
    deps.store.findIncompleteRun(),
    deps.store.readState(),
    primaryNeeded ? readPrimary(deps) : Promise.resolve(undefined),
    readBackup(deps),
  ]);
  return {
    lease,
    state,
    backup,
    ...(primary ? { primary } : {}),
    ...(incomplete
      ? { incompleteRun: { runId: incomplete.runId, direction: incomplete.direction, mode: incomplete.mode } }
      : {}),
  };
}

async function planFor(
  deps: DrDeps,
  request: DrRequest,
  facts: DrFacts,
): Promise<{ ops: DrOp[]; reverses?: string }> {
  if (request.direction === 'failover') return { ops: planFailover(deps.config, request, facts) };
  const runId = facts.state.failoverRunId;
  const failover = runId ? await deps.store.getRun(runId) : undefined;
  if (!runId || !failover)
    throw new DrPlanError(`the failover run ${runId ?? '(none)'} to reverse is not stored`);
  return { ops: reversePlan(failover.ops.map((r) => r.op)), reverses: runId };
}

function baseReport(
  deps: DrDeps,
  runId: string,
  request: DrRequest,
  startedAt: number,
  assertions: readonly AssertionResult[],
  ops: readonly DrOp[],
  dryRun: boolean,
): DrRunReport {
  const summary = summarizeOps(
    ops.map((op) => ({ op, status: 'pending', writes: 0, attempts: 0 })),
    startedAt,
  );
  return {
    runId,
    direction: request.direction,
    mode: request.mode,
    dryRun,
    status: blocking(assertions).length ? 'blocked' : 'planned',
    startedAt: iso(startedAt),
    assertions,
    ops: { total: ops.length, verified: 0, writes: 0 },
    floorMs: rateLimitFloorMs(ops, deps.config.rateLimits),
    dids: summary.dids,
  };
}

/** `cx-surge dr plan` / `--dry-run`: facts, assertions and the plan. Writes nothing anywhere. */
export async function planDr(deps: DrDeps, request: DrRequest): Promise<DrRunReport> {
  requestDids(deps.config, request);
  const startedAt = deps.clock.now();
  const facts = await gatherFacts(deps, request);
  const assertions = checkAssertions(deps.config, request, facts);
  let ops: DrOp[] = [];
  if (!blocking(assertions).length) ops = (await planFor(deps, request, facts)).ops;
  return baseReport(deps, 'dry-run', request, startedAt, assertions, ops, true);
}

/** `cx-surge dr failover|failback --yes`: the guarded run. Throws DrBlockedError before any write if an assertion fails. */
export async function runDr(
  deps: DrDeps,
  request: DrRequest,
  options: { confirmed: boolean },
): Promise<DrRunReport> {
  requestDids(deps.config, request);
  if (!options.confirmed) throw new DrConfirmationError(`cx-surge dr ${request.direction}`);
  const startedAt = deps.clock.now();
  const runId = (deps.newRunId ?? (() => defaultRunId(startedAt)))();
  const facts = await gatherFacts(deps, request);
  const assertions = checkAssertions(deps.config, request, facts);
  if (blocking(assertions).length) {
    throw new DrBlockedError(baseReport(deps, runId, request, startedAt, assertions, [], false));
  }
  // The lease is the last assertion, taken for real: of two runs that both saw it free, one wins here.
  let lease: DrLease;
  try {
    lease = await deps.store.acquireLease(
      runId,
      deps.owner,
      deps.clock.now(),
      deps.config.leaseSeconds * 1000,
    );
  } catch (e) {
    if (!(e instanceof LeaseHeldError)) throw e;
    const lost = assertions.map((a) =>
      a.code === DrCheck.LEASE_FREE ? { ...a, ok: false, message: e.message } : a,
    );
    throw new DrBlockedError(baseReport(deps, runId, request, startedAt, lost, [], false));
  }
  try {
    // Re-check under the lease: another run may have finished between our read and our acquisition.
    const incomplete = await deps.store.findIncompleteRun();
    if (incomplete) {
      const lost = [
        ...assertions.filter((a) => a.code !== DrCheck.NO_INCOMPLETE_RUN),
        {
          code: DrCheck.NO_INCOMPLETE_RUN,
          ok: false,
          message: `run ${incomplete.runId} did not finish: resume it with \`cx-surge dr resume --run ${incomplete.runId} --yes\``,
        },
      ];
      throw new DrBlockedError(baseReport(deps, runId, request, startedAt, lost, [], false));
    }
    const { ops, reverses } = await planFor(deps, request, facts);
    const header: DrRunHeader = {
      runId,
      direction: request.direction,
      mode: request.mode,
      status: 'running',
      startedAt,
      owner: deps.owner,
      floorMs: rateLimitFloorMs(ops, deps.config.rateLimits),
      ...(reverses ? { reverses } : {}),
    };
    await deps.store.createRun(header, ops, lease);
    await deps.pager.send(drRunStartedPage(runId, request, ops.length, deps.clock.now()));
    return await execute(deps, header, assertions, lease);
  } finally {
    await deps.store.releaseLease(lease).catch(() => {});
  }
}

/** `cx-surge dr resume --run ID --yes`: finishes a run a crash (or a failure) left incomplete. */
export async function resumeDr(
  deps: DrDeps,
  runId: string | undefined,
  options: { confirmed: boolean },
): Promise<DrRunReport> {
  if (!options.confirmed) throw new DrConfirmationError('cx-surge dr resume');
  const target = runId ?? (await deps.store.findIncompleteRun())?.runId;
  if (!target) throw new DrPlanError('no incomplete DR run to resume');
  const run = await deps.store.getRun(target);
  if (!run) throw new DrPlanError(`DR run ${target} is not stored`);
  if (run.header.status === 'completed') throw new DrPlanError(`DR run ${target} already completed`);
  const lease = await deps.store.acquireLease(
    target,
    deps.owner,
    deps.clock.now(),
    deps.config.leaseSeconds * 1000,
  );
  try {
    return await execute(deps, run.header, [], lease);
  } finally {
    await deps.store.releaseLease(lease).catch(() => {});
  }
}

// ── Execution ─────────────────────────────────────────────────────────────────────────────

interface Progress {
  readonly records: Map<string, DrOpRecord>;
  lease: DrLease;
  renewedAt: number;
}

async function execute(
  deps: DrDeps,
  header: DrRunHeader,
  assertions: readonly AssertionResult[],
  startLease: DrLease,
): Promise<DrRunReport> {
  const stored = await deps.store.getRun(header.runId);
  if (!stored) throw new DrPlanError(`DR run ${header.runId} is not stored`);
  const progress: Progress = {
    records: new Map(stored.ops.map((r) => [r.op.opId, r])),
    lease: startLease,
    renewedAt: deps.clock.now(),
  };
  let error: string | undefined;
  let mirror: MirrorSummary | undefined;
  try {
    await executeOps(deps, header, progress);
    const pending = [...progress.records.values()].filter((r) => r.status !== 'verified');
    if (pending.length) {
      error = `${pending.length} operation(s) still unverified: ${pending[0]?.op.opId}: ${pending[0]?.lastError ?? 'not verified'}`;
    } else if (header.direction === 'failback') {
      mirror = await mirrorCallbacks(deps, header, progress);
    }
  } catch (e) {
    error = message(e);
  }
  const records = [...progress.records.values()];
  const summary = summarizeOps(records, header.startedAt);
  const finishedAt = deps.clock.now();
  const completed = error === undefined;
  const report: DrRunReport = {
    runId: header.runId,
    direction: header.direction,
    mode: header.mode,
    dryRun: false,
    status: completed ? 'completed' : 'failed',
    startedAt: iso(header.startedAt),
    finishedAt: iso(finishedAt),
    assertions,
    ops: { total: records.length, verified: summary.verified, writes: summary.writes },
    floorMs: header.floorMs,
    dids: summary.dids,
    ...(summary.rtoMs !== undefined ? { rtoMs: summary.rtoMs } : {}),
    ...(mirror ? { mirror } : {}),
    ...(error ? { error } : {}),
  };
  if (completed) {
    const state = await deps.store.readState();
    const next: DrStateRecord =
      header.direction === 'failover'
        ? {
            state: 'FAILED_OVER',
            mode: header.mode,
            failoverRunId: header.runId,
            windowStart: header.startedAt,
          }
        : { ...state, state: 'NORMAL', mode: header.mode, failbackRunId: header.runId };
    await deps.store.writeState(next, progress.lease);
  }
  await deps.store.updateRun(
    header.runId,
    {
      status: completed ? 'completed' : 'running',
      finishedAt,
      ...(summary.rtoMs !== undefined ? { rtoMs: summary.rtoMs } : {}),
      ...(mirror ? { mirror } : {}),
      ...(error ? { error } : {}),
    },
    progress.lease,
  );
  await deps.pager.send(drRunEndedPage(report, finishedAt));
  return report;
}

/** Extends the lease once a quarter of it has passed (so a write never goes out on a lapsed lease). */
async function renew(deps: DrDeps, progress: Progress): Promise<void> {
  const now = deps.clock.now();
  const leaseMs = deps.config.leaseSeconds * 1000;
  if (now - progress.renewedAt < leaseMs / 4) return;
  progress.lease = await deps.store.renewLease(progress.lease, now, leaseMs);
  progress.renewedAt = now;
}

async function record(
  deps: DrDeps,
  header: DrRunHeader,
  progress: Progress,
  changed: DrOpRecord[],
): Promise<void> {
  for (const r of changed) progress.records.set(r.op.opId, r);
  if (changed.length) await deps.store.recordOps(header.runId, changed, progress.lease);
  const all = [...progress.records.values()];
  await deps.onBatch?.(header.runId, all.filter((r) => r.status === 'verified').length, all.length);
}

/** Passes over the unverified ops until all are verified, a non-retryable error, or the passes run out. */
async function executeOps(deps: DrDeps, header: DrRunHeader, progress: Progress): Promise<void> {
  const maxPasses = deps.maxPasses ?? 10;
  for (let pass = 0; pass < maxPasses; pass += 1) {
    const pending = () => [...progress.records.values()].filter((r) => r.status !== 'verified');
    if (!pending().length) return;
    let wait: number | undefined;
    const onRetryable = (e: unknown): void => {
      if (!isRetryable(e)) throw e;
      wait = Math.max(wait ?? 0, retryWaitMs(e) ?? Math.min(60_000, 2000 * 2 ** pass));
    };
    const rows = pending().filter((r) => r.op.kind === 'row');
    const ivrs = pending().filter((r) => r.op.kind === 'ivr');
    if (rows.length) await executeRows(deps, header, progress, rows, onRetryable);
    if (ivrs.length) await executeIvrs(deps, header, progress, ivrs, onRetryable);
    if (pending().length && wait !== undefined) {
      await deps.sleep(wait);
      await renew(deps, progress);
    }
  }
}

const failed = (r: DrOpRecord, e: unknown, writes = 0): DrOpRecord => ({
  ...r,
  writes: r.writes + writes,
  attempts: r.attempts + 1,
  lastError: message(e),
});

async function executeRows(
  deps: DrDeps,
  header: DrRunHeader,
  progress: Progress,
  pending: DrOpRecord[],
  onRetryable: (e: unknown) => void,
): Promise<void> {
  const tableId = deps.config.controlTable.datatableId;
  // One row: GET it. Many: list the table (3 calls for 1,000 rows) instead of a GET per row.
  const readRows = async (keys: string[]): Promise<Map<string, ControlRow>> => {
    if (keys.length > 3) return deps.primary.listControlRows(tableId);
    const out = new Map<string, ControlRow>();
    for (const key of keys) out.set(key, await deps.primary.readControlRow(tableId, key));
    return out;
  };
  const keyOf = (r: DrOpRecord): string => (r.op.kind === 'row' ? r.op.key : '');
  const setOf = (r: DrOpRecord): ControlRow => (r.op.kind === 'row' ? r.op.set : {});
  let current: Map<string, ControlRow>;
  try {
    current = await readRows(pending.map(keyOf));
  } catch (e) {
    onRetryable(e);
    return;
  }
  // Already in place (done before a crash, or never needed): verified by this read, no write.
  const now = deps.clock.now();
  const inPlace = pending
    .filter((r) => rowInPlace(current.get(keyOf(r)), setOf(r)))
    .map((r): DrOpRecord => ({ ...r, status: 'verified', verifiedAt: now, attempts: r.attempts + 1 }));
  await record(deps, header, progress, inPlace);
  const toWrite = pending.filter((r) => !rowInPlace(current.get(keyOf(r)), setOf(r)));
  const batchSize = deps.rowBatch ?? 200;
  for (let i = 0; i < toWrite.length; i += batchSize) {
    await renew(deps, progress);
    const batch = toWrite.slice(i, i + batchSize);
    const written: DrOpRecord[] = [];
    const failures: DrOpRecord[] = [];
    for (const r of batch) {
      try {
        await renew(deps, progress);
        await deps.primary.putControlRow(tableId, keyOf(r), { ...current.get(keyOf(r)), ...setOf(r) });
        written.push(r);
      } catch (e) {
        onRetryable(e);
        failures.push(failed(r, e));
      }
    }
    let after: Map<string, ControlRow> | undefined;
    try {
      after = written.length ? await readRows(written.map(keyOf)) : undefined;
    } catch (e) {
      onRetryable(e);
    }
    const at = deps.clock.now();
    const checked = written.map((r): DrOpRecord => {
      const ok = after !== undefined && rowInPlace(after.get(keyOf(r)), setOf(r));
      return ok
        ? { ...r, status: 'verified', verifiedAt: at, writes: r.writes + 1, attempts: r.attempts + 1 }
        : failed(r, new Error(after ? 'read-back does not show the written values' : 'read-back failed'), 1);
    });
    await record(deps, header, progress, [...checked, ...failures]);
  }
}

async function executeIvrs(
  deps: DrDeps,
  header: DrRunHeader,
  progress: Progress,
  pending: DrOpRecord[],
  onRetryable: (e: unknown) => void,
): Promise<void> {
  // One listing gives every IVR whole, with its version: the PUT's GET. 409 → GET that IVR again.
  let listed: Map<string, { version: number; dnis: readonly string[] }>;
  try {
    listed = await deps.backup.listIvrs();
  } catch (e) {
    onRetryable(e);
    return;
  }
  const done: DrOpRecord[] = [];
  const written: DrOpRecord[] = [];
  for (const r of pending) {
    const op = r.op;
    if (op.kind !== 'ivr') continue;
    const ivr = listed.get(op.ivrId);
    if (ivr && ivrInPlace(ivr.dnis, op)) {
      done.push({ ...r, status: 'verified', verifiedAt: deps.clock.now(), attempts: r.attempts + 1 });
      continue;
    }
    await renew(deps, progress);
    let conflicts = 0;
    for (;;) {
      try {
        const fresh = await deps.backup.getIvr(op.ivrId);
        if (ivrInPlace(fresh.dnis, op)) {
          done.push({ ...r, status: 'verified', verifiedAt: deps.clock.now(), attempts: r.attempts + 1 });
          break;
        }
        await deps.backup.putIvr(op.ivrId, {
          ...fresh.body,
          dnis: ivrDnisAfter(fresh.dnis, op),
          version: fresh.version,
        });
        written.push(r);
        break;
      } catch (e) {
        if (e instanceof DrConflictError && ++conflicts <= 3) continue;
        onRetryable(e);
        done.push(failed(r, e));
        break;
      }
    }
  }
  await record(deps, header, progress, done);
  if (!written.length) return;
  let after: Map<string, { dnis: readonly string[] }> | undefined;
  try {
    after = await deps.backup.listIvrs();
  } catch (e) {
    onRetryable(e);
  }
  const at = deps.clock.now();
  await record(
    deps,
    header,
    progress,
    written.map((r): DrOpRecord => {
      const op = r.op as Extract<DrOp, { kind: 'ivr' }>;
      const ivr = after?.get(op.ivrId);
      return ivr && ivrInPlace(ivr.dnis, op)
        ? { ...r, status: 'verified', verifiedAt: at, writes: r.writes + 1, attempts: r.attempts + 1 }
        : failed(r, new Error('read-back does not show the DIDs routed'), 1);
    }),
  );
}

// ── Failback: mirror the callbacks taken in the backup org ───────────────────────────────

/**
 * Every callback created in the backup org during the DR window gets one shadow callback in the
 * primary org, its `data` naming the source conversation. The ledger (state table) makes it
 * idempotent by source id across runs; an entry left `posting` by a crash is settled by reading the
 * primary org's recent callbacks' attributes before anything is created again.
 */
async function mirrorCallbacks(
  deps: DrDeps,
  header: DrRunHeader,
  progress: Progress,
): Promise<MirrorSummary> {
  const state = await deps.store.readState();
  const windowStart = state.windowStart ?? header.startedAt;
  const windowEnd = deps.clock.now() + 1;
  const found = await deps.backup.findCallbacks(windowStart, windowEnd);
  const ledger = await deps.store.getMirrors(found.map((c) => c.conversationId));
  const inDoubt = [...ledger.values()].filter((m) => m.status === 'posting');
  if (inDoubt.length) {
    const since = Math.min(...inDoubt.map((m) => m.at)) - 60_000;
    const doubtful = new Set(inDoubt.map((m) => m.sourceConversationId));
    const known = new Set([...ledger.values()].map((m) => m.primaryConversationId).filter(Boolean));
    for (const candidate of await deps.primary.findCallbacks(since, deps.clock.now() + 1)) {
      if (known.has(candidate.conversationId)) continue;
      const source = await deps.primary.shadowSourceOf(candidate.conversationId);
      if (source && doubtful.has(source)) {
        const entry = {
          sourceConversationId: source,
          status: 'verified' as const,
          primaryConversationId: candidate.conversationId,
          at: deps.clock.now(),
          runId: header.runId,
        };
        await deps.store.putMirror(entry, progress.lease);
        ledger.set(source, entry);
      }
    }
  }
  const map = deps.config.callbacks.queueMap;
  let createdNow = 0;
  for (const callback of found) {
    if (ledger.get(callback.conversationId)?.status === 'verified') continue;
    await renew(deps, progress);
    await deps.store.putMirror(
      {
        sourceConversationId: callback.conversationId,
        status: 'posting',
        at: deps.clock.now(),
        runId: header.runId,
      },
      progress.lease,
    );
    const queueId =
      (callback.queueId && map[callback.queueId]) ?? deps.config.callbacks.defaultPrimaryQueueId;
    const id = await deps.primary.createShadowCallback({
      sourceConversationId: callback.conversationId,
      callbackNumbers: callback.callbackNumbers,
      ...(queueId ? { queueId } : {}),
      ...(callback.callbackUserName ? { callbackUserName: callback.callbackUserName } : {}),
      ...(callback.callbackScheduledTime ? { callbackScheduledTime: callback.callbackScheduledTime } : {}),
    });
    createdNow += 1;
    // Read back: the shadow must carry its source id, or it is not a mirror we can recognise later.
    if ((await deps.primary.shadowSourceOf(id)) !== callback.conversationId) {
      throw new Error(`shadow callback ${id} does not carry source ${callback.conversationId} on read-back`);
    }
    const entry = {
      sourceConversationId: callback.conversationId,
      status: 'verified' as const,
      primaryConversationId: id,
      at: deps.clock.now(),
      runId: header.runId,
    };
    await deps.store.putMirror(entry, progress.lease);
    ledger.set(callback.conversationId, entry);
  }
  const mirrored = found.filter((c) => ledger.get(c.conversationId)?.status === 'verified').length;
  return {
    found: found.length,
    mirrored,
    createdNow,
    integrityRate: found.length ? mirrored / found.length : 1,
    windowStart: iso(windowStart),
    windowEnd: iso(windowEnd),
  };
}

// ── Status and readiness ──────────────────────────────────────────────────────────────────

export interface DrStatusReport {
  readonly state: DrStateRecord;
  readonly lease: Awaited<ReturnType<DrRunStore['readLease']>>;
  readonly runs: readonly DrRunHeader[];
  readonly readiness: Awaited<ReturnType<DrRunStore['readReadiness']>>;
  readonly dids: number;
}

export async function drStatus(deps: Pick<DrDeps, 'store' | 'clock' | 'config'>): Promise<DrStatusReport> {
  const [state, lease, runs, readiness] = await Promise.all([
    deps.store.readState(),
    deps.store.readLease(deps.clock.now()),
    deps.store.listRuns(),
    deps.store.readReadiness(),
  ]);
  return { state, lease, runs, readiness, dids: drDids(deps.config).length };
}

export interface ReadinessReport {
  readonly at: string;
  readonly ok: boolean;
  readonly assertions: readonly AssertionResult[];
  /** Pages sent by this run (trigger: newly broken or still broken; resolve: fixed). */
  readonly paged: readonly { readonly check: string; readonly action: 'trigger' | 'resolve' }[];
}

/** The daily dry-run: every assertion of every mode against both orgs; a page per broken precondition. */
export async function drReadiness(deps: DrDeps): Promise<ReadinessReport> {
  const now = deps.clock.now();
  const facts = await gatherFacts(deps, 'readiness');
  const assertions = checkAssertions(deps.config, 'readiness', facts);
  const previous = await deps.store.readReadiness();
  const open: Record<string, number> = { ...previous.openEpisodes };
  const paged: { check: string; action: 'trigger' | 'resolve' }[] = [];
  for (const a of assertions) {
    if (!a.ok) {
      open[a.code] ??= now;
      // Same dedup key while the episode lasts: the outbox sends it once however many days it fails.
      await deps.pager.send(drReadinessPage(a, open[a.code] as number, 'trigger', now));
      paged.push({ check: a.code, action: 'trigger' });
    } else if (open[a.code] !== undefined) {
      await deps.pager.send(drReadinessPage(a, open[a.code] as number, 'resolve', now));
      delete open[a.code];
      paged.push({ check: a.code, action: 'resolve' });
    }
  }
  const ok = blocking(assertions).length === 0;
  await deps.store.writeReadiness({ openEpisodes: open, lastRunAt: now, lastOk: ok });
  return { at: iso(now), ok, assertions, paged };
}
