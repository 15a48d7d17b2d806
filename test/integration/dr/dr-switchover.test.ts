// The DR switchover against two emulated orgs (real SDK over loopback) and dynalite, on simulated time.
// Each test gets fresh stand-ins: a healthy DR setup of 30 DIDs over 3 backup IVRs.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DRILL_BACKUP_QUEUE,
  type DrStandIns,
  drillDrConfig,
  startDrStandIns,
} from '../../../drill/dr-stand-ins';
import { DEFAULT_EMULATOR_CLIENTS } from '../../../drill/genesys-emulator';
import { SimulatedClock } from '../../../drill/simulated-clock';
import {
  DrBlockedError,
  DrConfirmationError,
  drReadiness,
  planDr,
  resumeDr,
  runDr,
} from '../../../lambdas/app/dr-switchover';
import { drDids } from '../../../lambdas/core/dr-config';
import { DrCheck, type DrRunReport, DrStatus } from '../../../lambdas/core/dr-plan';
import { SHADOW_SOURCE_KEY } from '../../../lambdas/core/dr-ports';

let clock: SimulatedClock;
let stand: DrStandIns;
const config = drillDrConfig({ dids: 30, ivrs: 3 });
const t = config.controlTable;
const allDids = drDids(config).map((d) => d.did);
const BREAK_GLASS = DEFAULT_EMULATOR_CLIENTS.breakGlass.clientId;

beforeEach(async () => {
  clock = new SimulatedClock(Date.parse('2026-11-30T09:00:00Z'));
  stand = await startDrStandIns({ clock, config });
});
afterEach(async () => {
  await stand.stop();
});

const mutations = () => [...stand.primary.mutations(), ...stand.backup.mutations()];
const rowPuts = () =>
  stand.primary
    .mutations()
    .filter((m) => m.method === 'PUT' && m.path.includes('/rows/') && m.status === 200);
const statusOf = (key: string) => stand.primary.readRow(t.datatableId, key)[t.statusField];

async function blocked(run: Promise<unknown>): Promise<DrRunReport> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DrBlockedError);
  return (error as DrBlockedError).report;
}

describe('guarded runs: every failing assertion blocks before the first write', () => {
  const cases: {
    name: string;
    code: string;
    mode: 'all' | 'dids' | 'nuclear';
    breakIt: (s: DrStandIns) => void;
    says: RegExp;
  }[] = [
    {
      name: 'backup break-glass credentials expired',
      code: DrCheck.BACKUP_REACHABLE,
      mode: 'nuclear',
      breakIt: (s) => s.backup.revokeClient(BREAK_GLASS),
      says: /backup org not reachable with break-glass credentials/,
    },
    {
      name: 'a backup IVR missing',
      code: DrCheck.IVR_EXISTS,
      mode: 'nuclear',
      breakIt: () => {},
      says: /backup IVR config\(s\) missing in the backup org: dr-ivr-missing/,
    },
    {
      name: 'an emergency flow not published',
      code: DrCheck.FLOW_PUBLISHED,
      mode: 'all',
      breakIt: (s) => s.backup.seedFlow({ id: 'dr-emergency-02', name: 'draft', versions: ['1'] }),
      says: /emergency flow\(s\) not published: dr-emergency-02/,
    },
    {
      name: 'a DID without a DR_Control row',
      code: DrCheck.DID_ROWS,
      mode: 'dids',
      breakIt: (s) =>
        s.primary.seedDatatable({
          id: t.datatableId,
          fields: { [t.statusField]: 'string', [t.targetField]: 'string' },
          rows: allDids
            .slice(1)
            .map((did) => ({ key: did, [t.statusField]: 'NORMAL', [t.targetField]: 'x' })),
        }),
      says: new RegExp(`DID\\(s\\) without a ${t.datatableId} row: \\${allDids[0]}`),
    },
    {
      name: 'the __ALL__ row missing',
      code: DrCheck.ALL_ROW,
      mode: 'all',
      breakIt: (s) =>
        s.primary.seedDatatable({
          id: t.datatableId,
          fields: { [t.statusField]: 'string', [t.targetField]: 'string' },
          rows: allDids.map((did) => ({ key: did, [t.statusField]: 'NORMAL', [t.targetField]: 'x' })),
        }),
      says: /has no __ALL__ row/,
    },
    {
      name: 'a DID already routed by another backup IVR',
      code: DrCheck.DID_FREE_IN_BACKUP,
      mode: 'nuclear',
      breakIt: (s) => s.backup.seedIvr({ id: 'legacy-ivr', name: 'legacy', dnis: [allDids[3] as string] }),
      says: new RegExp(`\\${allDids[3]} in legacy-ivr`),
    },
    {
      name: 'the primary org unreachable (global switch)',
      code: DrCheck.PRIMARY_REACHABLE,
      mode: 'dids',
      breakIt: (s) =>
        s.primary.faults.during({ path: '/api/v2/*' }, { kind: 'status', status: 503 }, 3_600_000),
      says: /primary org not reachable.*use --mode nuclear/,
    },
  ];

  it.each(cases)(
    '$name → $code blocks $mode failover, nothing written',
    async ({ code, mode, breakIt, says }) => {
      breakIt(stand);
      const deps = stand.deps({
        ...(code === DrCheck.IVR_EXISTS
          ? {
              config: {
                ...config,
                backupIvrs: [
                  ...config.backupIvrs,
                  { id: 'dr-ivr-missing', emergencyFlowId: 'dr-emergency-01', dids: ['+19995550000'] },
                ],
              },
            }
          : {}),
      });
      const report = await blocked(runDr(deps, { direction: 'failover', mode }, { confirmed: true }));
      const failed = report.assertions.filter((a) => !a.ok);
      expect(failed.map((a) => a.code)).toContain(code);
      expect(failed.find((a) => a.code === code)?.message).toMatch(says);
      expect(mutations()).toEqual([]);
      const status = await deps.store.listRuns();
      expect(status).toEqual([]);
      expect((await deps.store.readLease(clock.now())).free).toBe(true);
      expect(stand.pages()).toEqual([]);
    },
  );

  it('a run held by another lease holder is blocked and names the holder', async () => {
    const other = stand.deps();
    await other.store.acquireLease('dr-other', 'alice', clock.now(), 60_000);
    const report = await blocked(
      runDr(stand.deps(), { direction: 'failover', mode: 'all' }, { confirmed: true }),
    );
    expect(report.assertions.find((a) => a.code === DrCheck.LEASE_FREE)?.message).toMatch(/dr-other, alice/);
    expect(mutations()).toEqual([]);
  });

  it('failing over twice is blocked (fail back first)', async () => {
    await runDr(stand.deps(), { direction: 'failover', mode: 'all' }, { confirmed: true });
    const before = mutations().length;
    const report = await blocked(
      runDr(stand.deps(), { direction: 'failover', mode: 'dids' }, { confirmed: true }),
    );
    expect(report.assertions.find((a) => a.code === DrCheck.STATE)?.message).toMatch(
      /already failed over \(all/,
    );
    expect(mutations()).toHaveLength(before);
  });

  it('a real run without --yes is refused before reading anything', async () => {
    await expect(
      runDr(stand.deps(), { direction: 'failover', mode: 'all' }, { confirmed: false }),
    ).rejects.toThrow(DrConfirmationError);
    expect(stand.primary.requests()).toEqual([]);
  });
});

describe('dry run', () => {
  it('checks every assertion and plans, and writes nothing anywhere', async () => {
    for (const mode of ['all', 'dids', 'nuclear'] as const) {
      const report = await planDr(stand.deps(), { direction: 'failover', mode });
      expect(report.status).toBe('planned');
      expect(report.assertions.every((a) => a.ok)).toBe(true);
      expect(report.ops.total).toBe(mode === 'all' ? 1 : mode === 'dids' ? 30 : 3);
      expect(report.dids).toHaveLength(30);
    }
    expect(mutations()).toEqual([]);
    const deps = stand.deps();
    expect(await deps.store.listRuns()).toEqual([]);
    expect((await deps.store.readLease(clock.now())).free).toBe(true);
    expect(await deps.store.readState()).toEqual({ state: 'NORMAL' });
    expect(stand.pages()).toEqual([]);
  });
});

describe('failover and failback', () => {
  it('nuclear: one versioned PUT per IVR (never per DID), verified, reversed exactly', async () => {
    stand.backup.seedIvr({ id: 'dr-ivr-02', name: 'DR dr-ivr-02', dnis: ['+18005550199'] });
    const report = await runDr(stand.deps(), { direction: 'failover', mode: 'nuclear' }, { confirmed: true });
    expect(report.status).toBe('completed');
    expect(report.dids.every((d) => d.verified)).toBe(true);
    const puts = stand.backup.mutations().filter((m) => m.method === 'PUT');
    expect(puts.map((m) => m.path).sort()).toEqual(
      config.backupIvrs.map((i) => `/api/v2/architect/ivrs/${i.id}`).sort(),
    );
    expect(stand.backup.readIvr('dr-ivr-02').dnis).toEqual([
      '+18005550199',
      ...(config.backupIvrs[1]?.dids ?? []),
    ]);
    expect(stand.primary.mutations()).toEqual([]); // the primary org is never touched by the nuclear option

    const back = await runDr(stand.deps(), { direction: 'failback', mode: 'nuclear' }, { confirmed: true });
    expect(back.status).toBe('completed');
    expect(stand.backup.readIvr('dr-ivr-02').dnis).toEqual(['+18005550199']); // what was there before stays
    expect(stand.backup.readIvr('dr-ivr-01').dnis).toEqual([]);
  });

  it('pages the start and the end of a run through the outbox, with the RTO', async () => {
    const report = await runDr(stand.deps(), { direction: 'failover', mode: 'all' }, { confirmed: true });
    const pages = stand.pages();
    expect(pages.map((p) => [p.kind, p.action])).toEqual([
      ['dr-switchover', 'trigger'],
      ['dr-switchover', 'resolve'],
    ]);
    expect(pages[1]?.summary).toMatch(/RTO \d+\.\d s/);
    expect(pages[1]?.details.rtoMs).toBe(report.rtoMs);
    expect(statusOf(t.allRowKey)).toBe(DrStatus.emergency);
  });

  it('a crash mid-run resumes without repeating verified operations', async () => {
    let crash = true;
    const crashing = stand.deps({
      rowBatch: 10,
      // The process dies after its second batch is recorded: the promise never settles, the lease stays.
      onBatch: (_run, verified) => (crash && verified >= 20 ? new Promise<void>(() => {}) : undefined),
    });
    void runDr(crashing, { direction: 'failover', mode: 'dids' }, { confirmed: true });
    await expect.poll(() => rowPuts().length, { timeout: 20_000 }).toBe(20);
    const runId = (await stand.deps().store.findIncompleteRun())?.runId as string;
    expect(runId).toBeDefined();

    // While its lease is live nobody else may run; a new run is told to resume the incomplete one.
    await expect(resumeDr(stand.deps(), runId, { confirmed: true })).rejects.toThrow(/holds the lease/);
    clock.advance(config.leaseSeconds * 1000 + 1);
    const blockedReport = await blocked(
      runDr(stand.deps(), { direction: 'failover', mode: 'dids' }, { confirmed: true }),
    );
    expect(blockedReport.assertions.find((a) => a.code === DrCheck.NO_INCOMPLETE_RUN)?.message).toMatch(
      new RegExp(`cx-surge dr resume --run ${runId}`),
    );

    crash = false;
    const report = await resumeDr(stand.deps(), runId, { confirmed: true });
    expect(report.status).toBe('completed');
    expect(report.ops.verified).toBe(30);
    // Every DID row was written exactly once across the crash and the resume.
    const perKey = new Map<string, number>();
    for (const m of rowPuts()) perKey.set(m.path, (perKey.get(m.path) ?? 0) + 1);
    expect(perKey.size).toBe(30);
    expect([...perKey.values()].every((n) => n === 1)).toBe(true);
    expect(allDids.every((d) => statusOf(d) === DrStatus.emergency)).toBe(true);
    // RTO counts from the original start, across the crash.
    expect(report.rtoMs).toBeGreaterThan(config.leaseSeconds * 1000);
  });

  it('two concurrent runs: one proceeds, the other is blocked by the lease and writes nothing', async () => {
    const runs = await Promise.allSettled([
      runDr(stand.deps({ owner: 'alice' }), { direction: 'failover', mode: 'dids' }, { confirmed: true }),
      runDr(stand.deps({ owner: 'bob' }), { direction: 'failover', mode: 'dids' }, { confirmed: true }),
    ]);
    const done = runs.filter((r) => r.status === 'fulfilled');
    const refused = runs.filter((r) => r.status === 'rejected');
    expect(done).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const reason = (refused[0] as PromiseRejectedResult).reason;
    expect(reason).toBeInstanceOf(DrBlockedError);
    expect(reason.message).toMatch(/lease-free|no-incomplete-run|dr-state/);
    expect(rowPuts()).toHaveLength(30); // one run's writes, not two
    expect(await stand.deps().store.listRuns()).toHaveLength(1);
  });

  it('a 429 storm is waited out: every Retry-After honoured, then the run completes', async () => {
    const stormStart = clock.now();
    stand.primary.faults.during(
      { method: 'PUT', path: '/api/v2/flows/datatables/*' },
      { kind: 'rate-limit', retryAfterSeconds: 20 },
      90_000,
    );
    const report = await runDr(stand.deps(), { direction: 'failover', mode: 'dids' }, { confirmed: true });
    expect(report.status).toBe('completed');
    expect(allDids.every((d) => statusOf(d) === DrStatus.emergency)).toBe(true);
    const puts = stand.primary.requests().filter((r) => r.method === 'PUT');
    const limited = puts.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    // After each 429 the next PUT came no sooner than its Retry-After.
    for (const r of limited) {
      const next = puts.find((p) => Date.parse(p.at) > Date.parse(r.at));
      if (next) expect(Date.parse(next.at) - Date.parse(r.at)).toBeGreaterThanOrEqual(20_000);
    }
    expect(limited.length).toBeLessThanOrEqual(5); // 90 s of storm / 20 s waits, not a hammering
    expect(Date.parse(puts.find((p) => p.status === 200)?.at ?? '')).toBeGreaterThanOrEqual(
      stormStart + 90_000,
    );
  });

  it('paces itself under the per-token limit: 1 request per ~200 ms after the burst, no 429', async () => {
    const report = await runDr(stand.deps(), { direction: 'failover', mode: 'dids' }, { confirmed: true });
    expect(stand.primary.requests().filter((r) => r.status === 429)).toEqual([]);
    // 30 writes at 300/min take at least (30 − burst) × 60/290 s.
    expect(report.rtoMs).toBeGreaterThanOrEqual(((30 + 2 - config.rateLimits.burst) * 60_000) / 290 - 1000);
    expect(report.rtoMs).toBeLessThanOrEqual(report.floorMs * 1.1 + 2000);
  });
});

describe('failback mirrors the callbacks taken during the DR window', () => {
  it('creates one shadow callback per source, and failing back twice mirrors nothing twice', async () => {
    clock.advance(60_000);
    stand.backup.takeCallback({ queueId: DRILL_BACKUP_QUEUE, callbackNumbers: ['+15550000001'] }); // before DR: not mirrored
    clock.advance(60_000);
    await runDr(stand.deps(), { direction: 'failover', mode: 'all' }, { confirmed: true });
    const taken = [1, 2, 3, 4].map((i) => {
      clock.advance(30_000);
      return stand.backup.takeCallback({
        queueId: DRILL_BACKUP_QUEUE,
        callbackNumbers: [`+1555000010${i}`],
        callbackUserName: `caller ${i}`,
      }).conversationId;
    });
    const first = await runDr(stand.deps(), { direction: 'failback', mode: 'all' }, { confirmed: true });
    expect(first.mirror).toMatchObject({ found: 4, mirrored: 4, createdNow: 4, integrityRate: 1 });
    const second = await runDr(stand.deps(), { direction: 'failback', mode: 'all' }, { confirmed: true });
    expect(second.mirror).toMatchObject({ found: 4, mirrored: 4, createdNow: 0, integrityRate: 1 });
    expect(second.ops.writes).toBe(0);

    const shadows = stand.primary.callbacks();
    expect(shadows.map((c) => c.data[SHADOW_SOURCE_KEY]).sort()).toEqual([...taken].sort());
    expect(shadows.every((c) => c.queueId === 'primary-callbacks')).toBe(true);
    expect(shadows.find((c) => c.data[SHADOW_SOURCE_KEY] === taken[1])?.callbackUserName).toBe('caller 2');
    expect(statusOf(t.allRowKey)).toBe(DrStatus.normal);
  });

  it('a crash after creating a shadow callback is settled by reading it back, not by creating it again', async () => {
    await runDr(stand.deps(), { direction: 'failover', mode: 'all' }, { confirmed: true });
    clock.advance(30_000);
    const source = stand.backup.takeCallback({ callbackNumbers: ['+15550000200'] }).conversationId;
    // What a crash between the create and its ledger entry leaves: a shadow exists, the ledger says posting.
    const deps = stand.deps();
    const lease = await deps.store.acquireLease('dr-crashed', 'crashed', clock.now(), 1000);
    await deps.store.putMirror(
      { sourceConversationId: source, status: 'posting', at: clock.now(), runId: 'dr-crashed' },
      lease,
    );
    await deps.store.releaseLease(lease);
    stand.primary.takeCallback({ callbackNumbers: ['+15550000200'], data: { [SHADOW_SOURCE_KEY]: source } });
    clock.advance(1000);
    const report = await runDr(stand.deps(), { direction: 'failback', mode: 'all' }, { confirmed: true });
    expect(report.mirror).toMatchObject({ found: 1, mirrored: 1, createdNow: 0 });
    expect(stand.primary.callbacks()).toHaveLength(1);
  });
});

describe('the shared genesys-backup breaker', () => {
  it('opens after repeated backup failures; then assertions fail fast without calling the backup org', async () => {
    stand.backup.faults.during({ path: '/api/v2/*' }, { kind: 'status', status: 503 }, 3_600_000);
    for (let i = 0; i < 5; i += 1) {
      const r = await planDr(stand.deps(), { direction: 'failover', mode: 'nuclear' });
      expect(r.assertions.find((a) => a.code === DrCheck.BACKUP_REACHABLE)?.message).toMatch(/HTTP 503/);
    }
    const before = stand.backup.requests().length;
    const report = await planDr(stand.deps(), { direction: 'failover', mode: 'nuclear' });
    expect(report.status).toBe('blocked');
    expect(report.assertions.find((a) => a.code === DrCheck.BACKUP_REACHABLE)?.message).toMatch(
      /circuit genesys-backup is open/,
    );
    expect(stand.backup.requests()).toHaveLength(before);
  });
});

describe('readiness', () => {
  const broken: { name: string; code: string; breakIt: (s: DrStandIns) => void }[] = [
    {
      name: 'expired backup credentials',
      code: DrCheck.BACKUP_REACHABLE,
      breakIt: (s) => s.backup.revokeClient(BREAK_GLASS),
    },
    {
      name: 'unpublished emergency flow',
      code: DrCheck.FLOW_PUBLISHED,
      breakIt: (s) => s.backup.seedFlow({ id: 'dr-emergency-03', name: 'draft', versions: ['1'] }),
    },
    {
      name: 'DID without a row',
      code: DrCheck.DID_ROWS,
      breakIt: (s) =>
        s.primary.seedDatatable({
          id: t.datatableId,
          fields: { [t.statusField]: 'string', [t.targetField]: 'string' },
          rows: [{ key: t.allRowKey, [t.statusField]: 'NORMAL', [t.targetField]: 'x' }],
        }),
    },
    {
      name: 'DID routed by another backup IVR',
      code: DrCheck.DID_FREE_IN_BACKUP,
      breakIt: (s) => s.backup.seedIvr({ id: 'zz-other', name: 'other', dnis: [allDids[0] as string] }),
    },
  ];

  it('a healthy setup is ready and pages nothing', async () => {
    const report = await drReadiness(stand.deps());
    expect(report.ok).toBe(true);
    expect(stand.pages()).toEqual([]);
    expect(mutations()).toEqual([]);
  });

  it.each(broken)(
    '$name: pages $code, once per episode however many days it lasts',
    async ({ code, breakIt }) => {
      breakIt(stand);
      const day1 = await drReadiness(stand.deps());
      expect(day1.ok).toBe(false);
      const triggers = stand.pages().filter((p) => p.kind === 'dr-readiness' && p.action === 'trigger');
      expect(triggers.map((p) => p.details.check)).toContain(code);
      expect(mutations()).toEqual([]);
      clock.advance(86_400_000);
      await drReadiness(stand.deps()); // still broken the next day: same episode, no second page
      expect(stand.pages().filter((p) => p.action === 'trigger' && p.details.check === code)).toHaveLength(1);
    },
  );

  it('a missing backup IVR pages, and the page resolves once the IVR exists', async () => {
    const withMissing = {
      ...config,
      backupIvrs: [
        ...config.backupIvrs,
        { id: 'dr-ivr-09', emergencyFlowId: 'dr-emergency-01', dids: ['+19995550009'] },
      ],
    };
    stand.primary.seedRow(t.datatableId, {
      key: '+19995550009',
      [t.statusField]: 'NORMAL',
      [t.targetField]: 'x',
    });
    await drReadiness(stand.deps({ config: withMissing }));
    expect(stand.pages().map((p) => [p.details.check, p.action])).toEqual([[DrCheck.IVR_EXISTS, 'trigger']]);
    stand.backup.seedIvr({ id: 'dr-ivr-09', name: 'fixed' });
    const fixed = await drReadiness(stand.deps({ config: withMissing }));
    expect(fixed.ok).toBe(true);
    expect(stand.pages().map((p) => [p.details.check, p.action])).toEqual([
      [DrCheck.IVR_EXISTS, 'trigger'],
      [DrCheck.IVR_EXISTS, 'resolve'],
    ]);
    expect(stand.pages()[0]?.dedupKey).toBe(stand.pages()[1]?.dedupKey);
  });
});
