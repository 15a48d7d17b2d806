// DR switchover, the pure part (docs/dr.md): which assertions hold, the plan of idempotent operations,
// its reversal, the rate-limit floor, the per-DID report with RTO, and the pages. Facts about both
// orgs come in (gathered by lambdas/app/dr-switchover.ts), decisions go out. No I/O, no clock reads.
import { type DrConfig, drDids } from './dr-config';
import type { Page } from './ports';

/** `all`: the `__ALL__` row; `dids`: one DR_Control row per DID; `nuclear`: DIDs into the backup org's IVRs. */
export const DR_MODES = ['all', 'dids', 'nuclear'] as const;
export type DrMode = (typeof DR_MODES)[number];
export type DrDirection = 'failover' | 'failback';

export const DrStatus = { normal: 'NORMAL', emergency: 'EMERGENCY' } as const;

/** The assertion catalogue: every check of a guarded run, by stable code (in reports and pages). */
export const DrCheck = {
  /** No other DR run holds the fenced lease. */
  LEASE_FREE: 'lease-free',
  /** No run of this stack was left incomplete (resume it first). */
  NO_INCOMPLETE_RUN: 'no-incomplete-run',
  /** The backup org accepts the break-glass OAuth client and answers. */
  BACKUP_REACHABLE: 'backup-org-reachable',
  /** The primary org answers (global switch modes and failback). */
  PRIMARY_REACHABLE: 'primary-org-reachable',
  /** Every configured backup IVR exists in the backup org. */
  IVR_EXISTS: 'backup-ivr-exists',
  /** Every emergency flow exists and has a published version. */
  FLOW_PUBLISHED: 'emergency-flow-published',
  /** The `__ALL__` row exists in DR_Control. */
  ALL_ROW: 'all-row-exists',
  /** Every DID has a DR_Control row with a backup target. */
  DID_ROWS: 'did-rows-exist',
  /** No DID is already routed by another IVR of the backup org (Genesys refuses the PUT). */
  DID_FREE_IN_BACKUP: 'did-free-in-backup',
  /** Failover: not already failed over. Failback: a failover to reverse exists. */
  STATE: 'dr-state',
} as const;
export type DrCheckCode = (typeof DrCheck)[keyof typeof DrCheck];

export interface AssertionResult {
  readonly code: DrCheckCode;
  readonly ok: boolean;
  /** One line: what holds, or what is wrong and what to do. */
  readonly message: string;
}

export type RowValue = string | number | boolean;
export type ControlRow = Readonly<Record<string, RowValue>>;

export interface BackupIvrFact {
  readonly id: string;
  readonly name: string;
  readonly version: number;
  readonly dnis: readonly string[];
}

export interface FlowFact {
  readonly id: string;
  readonly exists: boolean;
  readonly publishedVersion?: string;
}

export type OrgFacts<T> =
  | ({ readonly reachable: true } & T)
  | { readonly reachable: false; readonly error: string };

export interface DrStateRecord {
  readonly state: 'NORMAL' | 'FAILED_OVER';
  readonly mode?: DrMode;
  readonly failoverRunId?: string;
  /** Epoch ms the failover began: start of the DR window (callbacks taken since are mirrored). */
  readonly windowStart?: number;
  readonly failbackRunId?: string;
}

export interface LeaseFact {
  readonly free: boolean;
  readonly holder?: { readonly runId: string; readonly owner: string; readonly expiresAt: number };
}

/** Everything the assertions look at, gathered before the first write. */
export interface DrFacts {
  readonly lease: LeaseFact;
  readonly incompleteRun?: { readonly runId: string; readonly direction: DrDirection; readonly mode: DrMode };
  readonly state: DrStateRecord;
  /** Absent when the mode does not need the primary org (nuclear failover) and it was not read. */
  readonly primary?: OrgFacts<{ readonly rows: ReadonlyMap<string, ControlRow> }>;
  readonly backup: OrgFacts<{
    readonly usedBreakGlass: boolean;
    readonly ivrs: ReadonlyMap<string, BackupIvrFact>;
    readonly flows: ReadonlyMap<string, FlowFact>;
  }>;
}

export interface DrRequest {
  readonly direction: DrDirection;
  readonly mode: DrMode;
  /** A subset of the configured DIDs (default: all). */
  readonly dids?: readonly string[];
}

/** One idempotent operation of a stored plan. */
export type DrOp =
  | {
      readonly opId: string;
      readonly kind: 'row';
      /** DR_Control row key: a DID or the `__ALL__` key. */
      readonly key: string;
      /** DIDs this op moves (all configured DIDs for `__ALL__`). */
      readonly dids: readonly string[];
      /** Fields to set (PUT keeps the row's other fields). */
      readonly set: ControlRow;
      /** Their values before the run (what failback restores). */
      readonly from: ControlRow;
    }
  | {
      readonly opId: string;
      readonly kind: 'ivr';
      readonly ivrId: string;
      /** DIDs to add to the IVR's dnis / remove from it. */
      readonly add: readonly string[];
      readonly remove: readonly string[];
    };

export type DrOpStatus = 'pending' | 'verified';

/** An op with its progress, as stored. Times are epoch ms. */
export interface DrOpRecord {
  readonly op: DrOp;
  readonly status: DrOpStatus;
  /** Mutating calls made for it (0: found already in place). */
  readonly writes: number;
  readonly attempts: number;
  readonly verifiedAt?: number;
  readonly lastError?: string;
}

export class DrPlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DrPlanError';
  }
}

/** The DIDs a request covers, checked against the config. */
export function requestDids(config: DrConfig, request: DrRequest): string[] {
  const configured = drDids(config).map((d) => d.did);
  if (!request.dids || request.dids.length === 0) return configured;
  const known = new Set(configured);
  const unknown = request.dids.filter((d) => !known.has(d));
  if (unknown.length)
    throw new DrPlanError(`DID ${unknown[0]} is not in the DR config (${unknown.length} unknown in all)`);
  return [...new Set(request.dids)];
}

/** Which org each request needs. */
export function needsPrimary(request: DrRequest): boolean {
  return request.direction === 'failback' || request.mode !== 'nuclear';
}

const fail = (code: DrCheckCode, message: string): AssertionResult => ({ code, ok: false, message });
const pass = (code: DrCheckCode, message: string): AssertionResult => ({ code, ok: true, message });

const listed = (items: readonly string[], max = 5): string =>
  items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;

/**
 * Every assertion of a guarded run (docs/dr.md "Assertions"). A run may write only if all hold.
 * `readiness` checks every mode's preconditions against both orgs and ignores the lease and state.
 */
export function checkAssertions(
  config: DrConfig,
  request: DrRequest | 'readiness',
  facts: DrFacts,
): AssertionResult[] {
  const readiness = request === 'readiness';
  const req: DrRequest = readiness ? { direction: 'failover', mode: 'dids' } : request;
  const dids = readiness ? drDids(config).map((d) => d.did) : requestDids(config, req);
  const out: AssertionResult[] = [];

  if (!readiness) {
    const h = facts.lease.holder;
    out.push(
      facts.lease.free
        ? pass(DrCheck.LEASE_FREE, 'no other DR run in progress')
        : fail(
            DrCheck.LEASE_FREE,
            `another DR run (${h?.runId ?? 'unknown'}, ${h?.owner ?? 'unknown owner'}) holds the lease until ${h ? new Date(h.expiresAt).toISOString() : '?'}: wait for it, or let its lease lapse if it crashed`,
          ),
    );
    const inc = facts.incompleteRun;
    out.push(
      inc
        ? fail(
            DrCheck.NO_INCOMPLETE_RUN,
            `run ${inc.runId} (${inc.direction} ${inc.mode}) did not finish: resume it with \`cx-surge dr resume --run ${inc.runId} --yes\``,
          )
        : pass(DrCheck.NO_INCOMPLETE_RUN, 'no incomplete run'),
    );
    const s = facts.state;
    if (req.direction === 'failover') {
      out.push(
        s.state === 'FAILED_OVER'
          ? fail(
              DrCheck.STATE,
              `already failed over (${s.mode}, run ${s.failoverRunId}): fail back first, or re-run that mode's failback`,
            )
          : pass(DrCheck.STATE, 'primary is in normal operation'),
      );
    } else {
      out.push(
        s.windowStart === undefined || s.mode === undefined
          ? fail(DrCheck.STATE, 'no failover to reverse: this stack has never failed over')
          : s.mode !== req.mode
            ? fail(DrCheck.STATE, `the failover was mode ${s.mode}: fail back with --mode ${s.mode}`)
            : pass(DrCheck.STATE, `reversing failover run ${s.failoverRunId} (${s.mode})`),
      );
    }
  }

  // Backup org: reachable with break-glass credentials, IVRs exist, emergency flows published.
  const b = facts.backup;
  if (!b.reachable) {
    out.push(
      fail(DrCheck.BACKUP_REACHABLE, `backup org not reachable with break-glass credentials: ${b.error}`),
    );
  } else {
    out.push(pass(DrCheck.BACKUP_REACHABLE, 'backup org answers with the break-glass client'));
    const missing = config.backupIvrs.filter((i) => !b.ivrs.has(i.id)).map((i) => i.id);
    out.push(
      missing.length
        ? fail(DrCheck.IVR_EXISTS, `backup IVR config(s) missing in the backup org: ${listed(missing)}`)
        : pass(DrCheck.IVR_EXISTS, `${config.backupIvrs.length} backup IVR(s) exist`),
    );
    const flowIds = [...new Set(config.backupIvrs.map((i) => i.emergencyFlowId))];
    const absent = flowIds.filter((f) => !b.flows.get(f)?.exists);
    const unpublished = flowIds.filter((f) => b.flows.get(f)?.exists && !b.flows.get(f)?.publishedVersion);
    out.push(
      absent.length || unpublished.length
        ? fail(
            DrCheck.FLOW_PUBLISHED,
            [
              absent.length ? `emergency flow(s) missing: ${listed(absent)}` : '',
              unpublished.length ? `emergency flow(s) not published: ${listed(unpublished)}` : '',
            ]
              .filter(Boolean)
              .join('; '),
          )
        : pass(DrCheck.FLOW_PUBLISHED, `${flowIds.length} emergency flow(s) published`),
    );
    if (readiness || (req.direction === 'failover' && req.mode === 'nuclear')) {
      const owner = new Map<string, string>();
      for (const ivr of b.ivrs.values()) for (const d of ivr.dnis) owner.set(d, ivr.id);
      const target = new Map(drDids(config).map((d) => [d.did, d.ivr.id]));
      const taken = dids.filter((d) => owner.has(d) && owner.get(d) !== target.get(d));
      out.push(
        taken.length
          ? fail(
              DrCheck.DID_FREE_IN_BACKUP,
              `DID(s) already routed by another backup IVR (Genesys would refuse the PUT): ${listed(taken.map((d) => `${d} in ${owner.get(d)}`))}`,
            )
          : pass(DrCheck.DID_FREE_IN_BACKUP, 'no DID is routed by another backup IVR'),
      );
    }
  }

  // Primary org: DR_Control rows. Not needed to fail over with the nuclear option (primary down).
  const p = facts.primary;
  if (readiness || needsPrimary(req) || p) {
    if (!p) {
      out.push(fail(DrCheck.PRIMARY_REACHABLE, 'primary org was not read'));
    } else if (!p.reachable) {
      const hint = !readiness && req.direction === 'failover' ? ' (primary down? use --mode nuclear)' : '';
      out.push(fail(DrCheck.PRIMARY_REACHABLE, `primary org not reachable: ${p.error}${hint}`));
    } else {
      out.push(pass(DrCheck.PRIMARY_REACHABLE, 'primary org answers'));
      const t = config.controlTable;
      if (readiness || req.mode === 'all') {
        out.push(
          p.rows.has(t.allRowKey)
            ? pass(DrCheck.ALL_ROW, `${t.datatableId} has the ${t.allRowKey} row`)
            : fail(DrCheck.ALL_ROW, `${t.datatableId} has no ${t.allRowKey} row: add it (Status NORMAL)`),
        );
      }
      const targetOf = new Map(drDids(config).map((d) => [d.did, d.ivr.backupTarget]));
      const noRow = dids.filter((d) => !p.rows.has(d));
      const noTarget = dids.filter((d) => {
        const row = p.rows.get(d);
        return row && !targetOf.get(d) && !String(row[t.targetField] ?? '').trim();
      });
      out.push(
        noRow.length || noTarget.length
          ? fail(
              DrCheck.DID_ROWS,
              [
                noRow.length ? `DID(s) without a ${t.datatableId} row: ${listed(noRow)}` : '',
                noTarget.length ? `DID row(s) without ${t.targetField}: ${listed(noTarget)}` : '',
              ]
                .filter(Boolean)
                .join('; '),
            )
          : pass(DrCheck.DID_ROWS, `${dids.length} DID(s) have a ${t.datatableId} row`),
      );
    }
  }
  return out;
}

export const blocking = (results: readonly AssertionResult[]): AssertionResult[] =>
  results.filter((r) => !r.ok);

const pick = (row: ControlRow | undefined, fields: readonly string[]): ControlRow =>
  Object.fromEntries(fields.filter((f) => row?.[f] !== undefined).map((f) => [f, row?.[f] as RowValue]));

/**
 * The failover plan: ops whose target state is EMERGENCY (rows) or DIDs routed (IVRs), with the values
 * found before, so the failback plan is its exact reverse. Ops already in place are still planned
 * (the executor verifies them without writing).
 */
export function planFailover(config: DrConfig, request: DrRequest, facts: DrFacts): DrOp[] {
  const dids = requestDids(config, request);
  const t = config.controlTable;
  const rows = facts.primary?.reachable ? facts.primary.rows : new Map<string, ControlRow>();
  if (request.mode === 'all') {
    return [
      {
        opId: 'row:all',
        kind: 'row',
        key: t.allRowKey,
        dids,
        set: { [t.statusField]: DrStatus.emergency },
        from: pick(rows.get(t.allRowKey), [t.statusField]),
      },
    ];
  }
  if (request.mode === 'dids') {
    const targetOf = new Map(drDids(config).map((d) => [d.did, d.ivr.backupTarget]));
    return dids.map((did) => {
      const target = targetOf.get(did);
      const set: ControlRow = {
        [t.statusField]: DrStatus.emergency,
        ...(target ? { [t.targetField]: target } : {}),
      };
      return {
        opId: `row:${did}`,
        kind: 'row' as const,
        key: did,
        dids: [did],
        set,
        from: pick(rows.get(did), Object.keys(set)),
      };
    });
  }
  // Nuclear: one op per IVR, never per DID (one GET + versioned PUT each).
  const ivrs = facts.backup.reachable ? facts.backup.ivrs : new Map<string, BackupIvrFact>();
  const wanted = new Set(dids);
  return config.backupIvrs.flatMap((ivr) => {
    const current = new Set(ivrs.get(ivr.id)?.dnis ?? []);
    const add = ivr.dids.filter((d) => wanted.has(d) && !current.has(d));
    return add.length
      ? [{ opId: `ivr:${ivr.id}`, kind: 'ivr' as const, ivrId: ivr.id, add, remove: [] }]
      : [];
  });
}

/** The failback plan: every op of the failover, reversed (rows back to their old values, added DIDs removed). */
export function reversePlan(ops: readonly DrOp[]): DrOp[] {
  return ops.map((op) =>
    op.kind === 'row'
      ? { ...op, set: restoreValues(op), from: op.set }
      : { ...op, add: op.remove, remove: op.add },
  );
}

/** A row op's failback values: the old ones; a field that had none goes back to NORMAL / stays as written. */
function restoreValues(op: Extract<DrOp, { kind: 'row' }>): ControlRow {
  const out: Record<string, RowValue> = {};
  for (const [field, value] of Object.entries(op.set)) {
    const before = op.from[field];
    out[field] = before !== undefined ? before : value === DrStatus.emergency ? DrStatus.normal : value;
  }
  return out;
}

/** True when `row` already shows every field of the op. */
export const rowInPlace = (row: ControlRow | undefined, set: ControlRow): boolean =>
  row !== undefined && Object.entries(set).every(([f, v]) => row[f] === v);

/** The IVR's dnis after the op (order kept, added DIDs appended). */
export function ivrDnisAfter(dnis: readonly string[], op: Extract<DrOp, { kind: 'ivr' }>): string[] {
  const remove = new Set(op.remove);
  const kept = dnis.filter((d) => !remove.has(d));
  const have = new Set(kept);
  return [...kept, ...op.add.filter((d) => !have.has(d))];
}

export const ivrInPlace = (dnis: readonly string[], op: Extract<DrOp, { kind: 'ivr' }>): boolean =>
  op.add.every((d) => dnis.includes(d)) && op.remove.every((d) => !dnis.includes(d));

/**
 * The rate-limit floor of a plan: how long its writes alone take at the sustained per-token rate
 * (and IVR PUTs at theirs). No run can beat it without a second OAuth token. Reads, assertions and the
 * bucket's burst are not counted, so a run's RTO / floor near 1 means it spends nothing but the writes.
 */
export function rateLimitFloorMs(ops: readonly DrOp[], limits: DrConfig['rateLimits']): number {
  const writes = ops.length;
  const ivrPuts = ops.filter((o) => o.kind === 'ivr').length;
  return Math.max((writes * 60_000) / limits.requestsPerMinute, (ivrPuts * 60_000) / limits.ivrPutsPerMinute);
}

// ── Reports ───────────────────────────────────────────────────────────────────────────────

export interface DidResult {
  readonly did: string;
  readonly opId: string;
  /** ms from the run's start until the DID's op was verified by read-back. */
  readonly verifiedAfterMs?: number;
  readonly verified: boolean;
}

export interface MirrorSummary {
  /** Callbacks found in the backup org during the DR window. */
  readonly found: number;
  /** Of those, with a verified shadow callback in the primary org (now or by an earlier run). */
  readonly mirrored: number;
  /** Shadow callbacks created by this run (the rest existed already). */
  readonly createdNow: number;
  /** mirrored / found (1 when nothing was found). */
  readonly integrityRate: number;
  readonly windowStart: string;
  readonly windowEnd: string;
}

export interface DrRunReport {
  readonly runId: string;
  readonly direction: DrDirection;
  readonly mode: DrMode;
  readonly dryRun: boolean;
  readonly status: 'blocked' | 'planned' | 'completed' | 'failed';
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly assertions: readonly AssertionResult[];
  readonly ops: { readonly total: number; readonly verified: number; readonly writes: number };
  /** Start → last verified write, ms (completed runs). */
  readonly rtoMs?: number;
  readonly floorMs: number;
  readonly dids: readonly DidResult[];
  readonly mirror?: MirrorSummary;
  readonly error?: string;
}

/** The per-DID view of a run's ops, and its RTO (start → last verified write). */
export function summarizeOps(
  records: readonly DrOpRecord[],
  startedAt: number,
): { dids: DidResult[]; rtoMs?: number; verified: number; writes: number } {
  const dids: DidResult[] = [];
  let last: number | undefined;
  let verified = 0;
  let writes = 0;
  for (const r of records) {
    writes += r.writes;
    const ok = r.status === 'verified';
    if (ok) verified += 1;
    if (ok && r.verifiedAt !== undefined) last = Math.max(last ?? r.verifiedAt, r.verifiedAt);
    const ids = r.op.kind === 'row' ? r.op.dids : [...r.op.add, ...r.op.remove];
    for (const did of ids) {
      dids.push({
        did,
        opId: r.op.opId,
        verified: ok,
        ...(ok && r.verifiedAt !== undefined ? { verifiedAfterMs: r.verifiedAt - startedAt } : {}),
      });
    }
  }
  return { dids, verified, writes, ...(last !== undefined ? { rtoMs: Math.max(0, last - startedAt) } : {}) };
}

// ── Pages (through the outbox; docs/dr.md "Pages") ────────────────────────────────────────

const iso = (ms: number): string => new Date(ms).toISOString();

/** A real run started: opens the run's episode. */
export function drRunStartedPage(runId: string, request: DrRequest, opCount: number, now: number): Page {
  return {
    kind: 'dr-switchover',
    dedupKey: `dr-run:${runId}`,
    action: 'trigger',
    severity: 'critical',
    summary: `DR ${request.direction} started (${request.mode}, ${opCount} operation(s), run ${runId})`,
    reason: `dr-${request.direction}-started`,
    at: iso(now),
    details: { runId, direction: request.direction, mode: request.mode, operations: opCount },
  };
}

/** A run ended: resolves the episode when it completed, else a second critical page says it failed. */
export function drRunEndedPage(report: DrRunReport, now: number): Page {
  const ok = report.status === 'completed';
  const rto = report.rtoMs === undefined ? 'n/a' : `${(report.rtoMs / 1000).toFixed(1)} s`;
  const mirror = report.mirror ? `, callbacks mirrored ${report.mirror.mirrored}/${report.mirror.found}` : '';
  return {
    kind: 'dr-switchover',
    dedupKey: ok ? `dr-run:${report.runId}` : `dr-run:${report.runId}:failed`,
    action: ok ? 'resolve' : 'trigger',
    severity: ok ? 'info' : 'critical',
    summary: ok
      ? `DR ${report.direction} completed (${report.mode}): ${report.ops.verified}/${report.ops.total} operation(s) verified, RTO ${rto}${mirror}`
      : `DR ${report.direction} FAILED (${report.mode}, run ${report.runId}): ${report.error ?? 'operations left unverified'}; resume with cx-surge dr resume --run ${report.runId} --yes`,
    reason: ok ? `dr-${report.direction}-completed` : `dr-${report.direction}-failed`,
    at: iso(now),
    details: {
      runId: report.runId,
      direction: report.direction,
      mode: report.mode,
      rtoMs: report.rtoMs ?? null,
      floorMs: report.floorMs,
      verified: report.ops.verified,
      total: report.ops.total,
      ...(report.mirror ? { mirror: report.mirror } : {}),
    },
  };
}

/**
 * Readiness: one episode per broken precondition, opened when it first fails (trigger) and resolved
 * when a later readiness run finds it holding again. `openedAt` keeps the key stable across days.
 */
export function drReadinessPage(
  check: AssertionResult,
  openedAt: number,
  action: 'trigger' | 'resolve',
  now: number,
): Page {
  return {
    kind: 'dr-readiness',
    dedupKey: `dr-readiness:${check.code}:${iso(openedAt)}`,
    action,
    severity: action === 'trigger' ? 'critical' : 'info',
    summary:
      action === 'trigger'
        ? `DR would fail: ${check.code}: ${check.message}`
        : `DR readiness restored: ${check.code} holds again`,
    reason: `dr-readiness-${check.code}`,
    at: iso(now),
    details: { check: check.code, message: check.message, openedAt: iso(openedAt) },
  };
}
