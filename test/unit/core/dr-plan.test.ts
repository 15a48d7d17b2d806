import { describe, expect, it } from 'vitest';
import { drillDrConfig } from '../../../drill/dr-stand-ins';
import { parseDrConfig, parseDrConfigText } from '../../../lambdas/core/dr-config';
import {
  type BackupIvrFact,
  blocking,
  type ControlRow,
  checkAssertions,
  DrCheck,
  type DrFacts,
  type DrOp,
  drReadinessPage,
  drRunEndedPage,
  ivrDnisAfter,
  ivrInPlace,
  planFailover,
  rateLimitFloorMs,
  reversePlan,
  summarizeOps,
} from '../../../lambdas/core/dr-plan';
import { clientLimits, fullBucket, takeToken } from '../../../lambdas/core/token-bucket';

const config = drillDrConfig({ dids: 6, ivrs: 2 });
const [ivrA, ivrB] = config.backupIvrs;
const dids = config.backupIvrs.flatMap((i) => i.dids);

function healthy(overrides: Partial<DrFacts> = {}): DrFacts {
  const rows = new Map<string, ControlRow>([
    ['__ALL__', { key: '__ALL__', Status: 'NORMAL', Backup_Target: 'backup' }],
    ...dids.map((d): [string, ControlRow] => [d, { key: d, Status: 'NORMAL', Backup_Target: 'x' }]),
  ]);
  const ivrs = new Map<string, BackupIvrFact>(
    config.backupIvrs.map((i) => [i.id, { id: i.id, name: i.id, version: 1, dnis: [] }]),
  );
  const flows = new Map(
    config.backupIvrs.map((i) => [
      i.emergencyFlowId,
      { id: i.emergencyFlowId, exists: true, publishedVersion: '1' },
    ]),
  );
  return {
    lease: { free: true },
    state: { state: 'NORMAL' },
    primary: { reachable: true, rows },
    backup: { reachable: true, usedBreakGlass: true, ivrs, flows },
    ...overrides,
  };
}

describe('DR config', () => {
  it('rejects a DID that is not E.164, naming the key and the line', () => {
    const text = JSON.stringify(
      {
        primary: { credentialsSecret: 'a', breakGlassSecret: 'b' },
        backup: { credentialsSecret: 'c', breakGlassSecret: 'd' },
        backupIvrs: [{ id: 'i', emergencyFlowId: 'f', dids: ['+13175550100', '3175550101'] }],
      },
      null,
      2,
    );
    expect(() => parseDrConfigText(text, 'dr.json')).toThrow(
      /^dr\.json:\d+: backupIvrs\.0\.dids\.1: must be an E\.164 number/,
    );
  });

  it('rejects a DID listed under two IVRs (a DID is routed by one IVR only)', () => {
    expect(() =>
      parseDrConfig({
        primary: { credentialsSecret: 'a', breakGlassSecret: 'b' },
        backup: { credentialsSecret: 'c', breakGlassSecret: 'd' },
        backupIvrs: [
          { id: 'i1', emergencyFlowId: 'f', dids: ['+13175550100'] },
          { id: 'i2', emergencyFlowId: 'f', dids: ['+13175550100'] },
        ],
      }),
    ).toThrow(/backupIvrs\.1\.dids\.0: \+13175550100 is already listed under backup IVR i1/);
  });

  it('rejects unknown keys and defaults the rest (control table, rate limits, lease)', () => {
    expect(() => parseDrConfig({ ...config, colour: 'red' })).toThrow(/colour: is not a known key/);
    expect(config.controlTable).toEqual({
      datatableId: 'DR_Control',
      allRowKey: '__ALL__',
      statusField: 'Status',
      targetField: 'Backup_Target',
    });
    expect(config.rateLimits).toEqual({ requestsPerMinute: 300, ivrPutsPerMinute: 100, burst: 10 });
  });
});

describe('checkAssertions', () => {
  it('all hold on a healthy setup, for every mode and direction', () => {
    for (const mode of ['all', 'dids', 'nuclear'] as const) {
      expect(blocking(checkAssertions(config, { direction: 'failover', mode }, healthy()))).toEqual([]);
    }
    expect(blocking(checkAssertions(config, 'readiness', healthy()))).toEqual([]);
  });

  it('the nuclear failover does not need the primary org (it is down)', () => {
    const facts = healthy();
    const { primary: _p, ...withoutPrimary } = facts;
    const results = checkAssertions(config, { direction: 'failover', mode: 'nuclear' }, withoutPrimary);
    expect(blocking(results)).toEqual([]);
    expect(results.map((r) => r.code)).not.toContain(DrCheck.PRIMARY_REACHABLE);
  });

  it.each([
    [
      'the lease is held',
      { lease: { free: false, holder: { runId: 'r1', owner: 'bob', expiresAt: 0 } } },
      DrCheck.LEASE_FREE,
    ],
    [
      'a run is incomplete',
      { incompleteRun: { runId: 'r0', direction: 'failover', mode: 'dids' } },
      DrCheck.NO_INCOMPLETE_RUN,
    ],
    [
      'already failed over',
      { state: { state: 'FAILED_OVER', mode: 'all', failoverRunId: 'r', windowStart: 1 } },
      DrCheck.STATE,
    ],
    ['the backup org refuses', { backup: { reachable: false, error: 'HTTP 401' } }, DrCheck.BACKUP_REACHABLE],
  ] as const)('%s → %s fails', (_name, overrides, code) => {
    const results = checkAssertions(
      config,
      { direction: 'failover', mode: 'dids' },
      healthy(overrides as Partial<DrFacts>),
    );
    expect(blocking(results).map((r) => r.code)).toEqual([code]);
  });

  it('lists every missing row, unpublished flow and taken DID in one message each', () => {
    const facts = healthy();
    if (!facts.primary?.reachable || !facts.backup.reachable) throw new Error('unreachable');
    const rows = new Map(facts.primary.rows);
    rows.delete(dids[0] as string);
    rows.set(dids[1] as string, { key: dids[1] as string, Status: 'NORMAL' });
    const ivrs = new Map(facts.backup.ivrs);
    ivrs.set('other', { id: 'other', name: 'other', version: 3, dnis: [dids[2] as string] });
    const flows = new Map(facts.backup.flows);
    flows.set(ivrA?.emergencyFlowId as string, { id: ivrA?.emergencyFlowId as string, exists: true });
    flows.set(ivrB?.emergencyFlowId as string, { id: ivrB?.emergencyFlowId as string, exists: false });
    const results = checkAssertions(config, 'readiness', {
      ...facts,
      primary: { reachable: true, rows },
      backup: { ...facts.backup, ivrs, flows },
    });
    const byCode = Object.fromEntries(blocking(results).map((r) => [r.code, r.message]));
    expect(byCode[DrCheck.DID_ROWS]).toBe(
      `DID(s) without a DR_Control row: ${dids[0]}; DID row(s) without Backup_Target: ${dids[1]}`,
    );
    expect(byCode[DrCheck.FLOW_PUBLISHED]).toBe(
      `emergency flow(s) missing: ${ivrB?.emergencyFlowId}; emergency flow(s) not published: ${ivrA?.emergencyFlowId}`,
    );
    expect(byCode[DrCheck.DID_FREE_IN_BACKUP]).toMatch(`${dids[2]} in other`);
  });

  it('failback needs a failover of the same mode to reverse', () => {
    const never = checkAssertions(config, { direction: 'failback', mode: 'all' }, healthy());
    expect(blocking(never).map((r) => r.message)).toEqual([
      'no failover to reverse: this stack has never failed over',
    ]);
    const other = checkAssertions(
      config,
      { direction: 'failback', mode: 'all' },
      healthy({ state: { state: 'FAILED_OVER', mode: 'nuclear', failoverRunId: 'r', windowStart: 1 } }),
    );
    expect(blocking(other).map((r) => r.message)).toEqual([
      'the failover was mode nuclear: fail back with --mode nuclear',
    ]);
  });
});

describe('plans', () => {
  it('all: one op on the __ALL__ row covering every DID; reversed to what it was', () => {
    const [op] = planFailover(config, { direction: 'failover', mode: 'all' }, healthy());
    expect(op).toMatchObject({
      kind: 'row',
      key: '__ALL__',
      set: { Status: 'EMERGENCY' },
      from: { Status: 'NORMAL' },
    });
    expect(op?.kind === 'row' && op.dids).toEqual(dids);
    expect(reversePlan([op as DrOp])[0]).toMatchObject({
      set: { Status: 'NORMAL' },
      from: { Status: 'EMERGENCY' },
    });
  });

  it('nuclear: one op per IVR with only the DIDs not yet routed; failback removes only those', () => {
    const facts = healthy();
    if (!facts.backup.reachable) throw new Error('unreachable');
    const ivrs = new Map(facts.backup.ivrs);
    ivrs.set(ivrA?.id as string, {
      id: ivrA?.id as string,
      name: 'a',
      version: 4,
      dnis: [ivrA?.dids[0] as string, '+18005550000'],
    });
    const ops = planFailover(
      config,
      { direction: 'failover', mode: 'nuclear' },
      { ...facts, backup: { ...facts.backup, ivrs } },
    );
    expect(ops).toEqual([
      { opId: `ivr:${ivrA?.id}`, kind: 'ivr', ivrId: ivrA?.id, add: ivrA?.dids.slice(1), remove: [] },
      { opId: `ivr:${ivrB?.id}`, kind: 'ivr', ivrId: ivrB?.id, add: ivrB?.dids, remove: [] },
    ]);
    const back = reversePlan(ops)[0] as Extract<DrOp, { kind: 'ivr' }>;
    const after = ivrDnisAfter(
      [ivrA?.dids[0] as string, '+18005550000', ...(ivrA?.dids.slice(1) ?? [])],
      back,
    );
    expect(after).toEqual([ivrA?.dids[0], '+18005550000']);
    expect(ivrInPlace(after, back)).toBe(true);
  });

  it('the floor is the writes at the per-token rate (IVR PUTs at theirs)', () => {
    const rows = planFailover(config, { direction: 'failover', mode: 'dids' }, healthy());
    expect(rateLimitFloorMs(rows, config.rateLimits)).toBe(6 * 200);
    const ivrs = planFailover(config, { direction: 'failover', mode: 'nuclear' }, healthy());
    expect(rateLimitFloorMs(ivrs, config.rateLimits)).toBe(2 * 600);
  });

  it('RTO is start → last verified write; unverified DIDs are reported as such', () => {
    const ops = planFailover(config, { direction: 'failover', mode: 'dids' }, healthy());
    const records = ops.map((op, i) => ({
      op,
      status: i < 5 ? ('verified' as const) : ('pending' as const),
      writes: 1,
      attempts: 1,
      ...(i < 5 ? { verifiedAt: 1000 + i * 300 } : {}),
    }));
    const s = summarizeOps(records, 1000);
    expect(s.rtoMs).toBe(1200);
    expect(s.verified).toBe(5);
    expect(s.dids.filter((d) => !d.verified).map((d) => d.did)).toEqual([dids[5]]);
  });
});

describe('pages', () => {
  it('a completed run resolves its start page; a failed one opens a second, critical page', () => {
    const report = {
      runId: 'r1',
      direction: 'failover' as const,
      mode: 'all' as const,
      dryRun: false,
      status: 'completed' as const,
      startedAt: '',
      assertions: [],
      ops: { total: 1, verified: 1, writes: 1 },
      rtoMs: 2300,
      floorMs: 200,
      dids: [],
    };
    expect(drRunEndedPage(report, 0)).toMatchObject({ dedupKey: 'dr-run:r1', action: 'resolve' });
    expect(drRunEndedPage(report, 0).summary).toMatch(/RTO 2\.3 s/);
    expect(drRunEndedPage({ ...report, status: 'failed', error: 'x' }, 0)).toMatchObject({
      dedupKey: 'dr-run:r1:failed',
      action: 'trigger',
      severity: 'critical',
    });
  });

  it('a readiness episode keeps one dedup key from trigger to resolve', () => {
    const check = { code: DrCheck.IVR_EXISTS, ok: false, message: 'missing' };
    const open = drReadinessPage(check, 86_400_000, 'trigger', 86_400_000 * 3);
    const done = drReadinessPage({ ...check, ok: true }, 86_400_000, 'resolve', 86_400_000 * 4);
    expect(open.dedupKey).toBe(done.dedupKey);
    expect(open.dedupKey).toBe('dr-readiness:backup-ivr-exists:1970-01-02T00:00:00.000Z');
  });
});

describe('token bucket', () => {
  it('never grants more than the server limit in any 60 s window', () => {
    const limits = clientLimits(300, 10);
    let state = fullBucket(limits, 0);
    let now = 0;
    const grants: number[] = [];
    for (let i = 0; i < 1000; i += 1) {
      const t = takeToken(state, limits, now);
      now += t.waitMs;
      state = t.state;
      grants.push(now);
    }
    for (let i = 0; i < grants.length; i += 1) {
      const inWindow = grants.filter(
        (g) => g >= (grants[i] as number) && g < (grants[i] as number) + 60_000,
      ).length;
      expect(inWindow).toBeLessThanOrEqual(300);
    }
    // 1,000 calls: the burst at once, the rest at 290/min.
    expect(now).toBeGreaterThanOrEqual(((1000 - 10) * 60_000) / 290 - 1);
    expect(now).toBeLessThanOrEqual(((1000 - 10) * 60_000) / 290 + 300);
  });
});
