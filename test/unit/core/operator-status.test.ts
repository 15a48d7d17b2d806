import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lambdas/core/config';
import { ageText, buildStatus, type StatusInput } from '../../../lambdas/core/operator-status';
import type { Override } from '../../../lambdas/core/override';
import type { ActuatorRecord, OutboxEntry } from '../../../lambdas/core/persistence';
import { feed, isoAt, minutes, T0 } from './helpers';

const cfg = parseConfig({
  queues: [{ id: 'sales', name: 'Sales' }, { id: 'support' }],
  actuators: [
    { id: 'bot', tier: 1, type: 'notify-only', queues: ['*'] },
    { id: 'gate', tier: 2, type: 'notify-only', queues: ['sales'] },
  ],
});
// Tier 1 of sales activates at minute 9 (10 observations above 50); the last observation is minute 11.
const sales = feed(minutes([60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 60, 70], { agents: 3 }), cfg).state;
const at = (minute: number) => T0 + minute * 60_000;

const input = (over: Partial<StatusInput> = {}): StatusInput => ({
  config: cfg,
  actuators: cfg.actuators,
  queues: [{ queueId: 'sales', ...(sales ? { state: sales } : {}) }],
  overrides: [],
  actuatorRecords: [],
  pages: [],
  now: at(12),
  ...over,
});

describe('buildStatus', () => {
  it('shows the last waiting and agents, their age, and each tier with since and why', () => {
    const q = buildStatus(input()).queues[0];
    expect(q).toMatchObject({
      queueId: 'sales',
      name: 'Sales',
      waiting: 70,
      agentsAvailable: 3,
      lastObservedAt: isoAt(11 * 60),
      ageSeconds: 60,
      updated: 'last updated 1 minute ago',
      degraded: false,
    });
    expect(q?.tiers[0]).toMatchObject({
      tier: 1,
      mode: 'auto',
      auto: 'active',
      effective: true,
      since: isoAt(9 * 60),
      reason: `activated at ${isoAt(9 * 60)}: waiting > 50 for 10 observations`,
    });
    expect(q?.tiers[2]).toMatchObject({ tier: 3, mode: 'recommend', auto: 'inactive', effective: false });
  });

  it('marks a queue degraded once its data is older than staleAfterSeconds, saying how old', () => {
    const fresh = buildStatus(input({ now: at(11) + 179_000 })).queues[0];
    const stale = buildStatus(input({ now: at(11) + 7 * 60_000 })).queues[0];
    expect(fresh?.degraded).toBe(false);
    expect(stale).toMatchObject({ degraded: true, updated: 'last updated 7 minutes ago', ageSeconds: 420 });
  });

  it('lists configured queues never observed, without calling them degraded', () => {
    const q = buildStatus(input()).queues.find((x) => x.queueId === 'support');
    expect(q).toMatchObject({ updated: 'never observed', degraded: false });
    expect(q?.tiers.map((t) => t.effective)).toEqual([false, false, false]);
  });

  it('shows the override in force; a queue-specific override beats a wildcard one', () => {
    const overrides: Override[] = [
      { queue: '*', tier: 1, state: 'inactive', reason: 'bot outage', by: 'local:bo' },
      {
        queue: 'sales',
        tier: 1,
        state: 'active',
        reason: 'keep the bot',
        by: 'local:ana',
        until: isoAt(30 * 60),
      },
      { queue: '*', tier: 2, state: 'active', reason: 'all hands', by: 'local:bo' },
    ];
    const report = buildStatus(input({ overrides }));
    const salesTiers = report.queues.find((q) => q.queueId === 'sales')?.tiers;
    const supportTiers = report.queues.find((q) => q.queueId === 'support')?.tiers;
    expect(salesTiers?.[0]).toMatchObject({
      effective: true,
      override: overrides[1],
      reason: `override active by local:ana until ${isoAt(30 * 60)}: keep the bot`,
    });
    expect(supportTiers?.[0]).toMatchObject({ effective: false, override: overrides[0] });
    expect(salesTiers?.[1]).toMatchObject({ effective: true, override: overrides[2] });
    expect(report.overrides.map((o) => [o.queue, o.inForce, o.expiresInSeconds])).toEqual([
      ['*', true, undefined],
      ['sales', true, 18 * 60],
      ['*', true, undefined],
    ]);
  });

  it('no longer applies an expired override, and says it expired', () => {
    const overrides: Override[] = [
      { queue: 'sales', tier: 1, state: 'inactive', reason: 'test', by: 'x', until: isoAt(12 * 60) },
    ];
    const report = buildStatus(input({ overrides }));
    expect(report.queues[0]?.tiers[0]).toMatchObject({
      effective: true,
      reason: expect.stringMatching(/^activated at/),
    });
    expect(report.queues[0]?.tiers[0]).not.toHaveProperty('override');
    expect(report.overrides[0]).toMatchObject({ inForce: false, expiresInSeconds: 0 });
  });

  it('shows actuators: desired vs applied, lease, failures, drift put back; unconfigured items flagged', () => {
    const record = (r: Partial<ActuatorRecord> & { actuatorId: string }): ActuatorRecord => ({
      desired: 'inactive',
      demandedBy: [],
      applied: 'inactive',
      fencingToken: 1,
      consecutiveFailures: 0,
      updatedAt: at(11),
      ...r,
    });
    const drift: OutboxEntry = {
      page: {
        kind: 'drift' as never,
        dedupKey: 'drift:bot:1:active',
        action: 'trigger',
        severity: 'error',
        summary: 'bot was changed by hand; put back',
        reason: 'drift',
        at: isoAt(10 * 60),
        details: { actuatorId: 'bot' },
      },
      status: 'sent',
      attempts: 0,
      createdAt: at(10),
    };
    const report = buildStatus(
      input({
        actuatorRecords: [
          record({ actuatorId: 'bot', desired: 'active', demandedBy: ['sales'], applied: 'active' }),
          record({
            actuatorId: 'gate',
            desired: 'active',
            demandedBy: ['sales'],
            applied: 'unknown',
            consecutiveFailures: 2,
            lastError: { message: 'GenesysApiError: 503', at: at(11) },
            lease: { owner: 'poll-7', expiresAt: at(12) + 30_000 },
          }),
          record({ actuatorId: 'old-lever', desired: 'inactive', applied: 'inactive' }),
        ],
        pages: [drift],
      }),
    );
    expect(report.actuators).toEqual([
      expect.objectContaining({
        actuatorId: 'bot',
        sync: 'in sync',
        lastDrift: { at: isoAt(10 * 60), summary: 'bot was changed by hand; put back' },
        configured: true,
      }),
      expect.objectContaining({
        actuatorId: 'gate',
        tier: 2,
        sync: 'unknown',
        consecutiveFailures: 2,
        lastError: { message: 'GenesysApiError: 503', at: isoAt(11 * 60) },
        lease: { owner: 'poll-7', expiresAt: isoAt(12 * 60 + 30), held: true },
      }),
      expect.objectContaining({ actuatorId: 'old-lever', configured: false }),
    ]);
  });

  it('lists undelivered pages oldest first and open incidents (triggers without a resolve)', () => {
    const page = (
      dedupKey: string,
      action: 'trigger' | 'resolve',
      status: 'pending' | 'sent',
      minute: number,
    ): OutboxEntry => ({
      page: {
        kind: 'actuator-episode',
        dedupKey,
        action,
        severity: 'error',
        summary: `${dedupKey} ${action}`,
        reason: 'x',
        at: isoAt(minute * 60),
        details: {},
      },
      status,
      attempts: status === 'pending' ? 2 : 0,
      createdAt: at(minute),
    });
    const report = buildStatus(
      input({
        pages: [
          page('a', 'trigger', 'sent', 1),
          page('a', 'resolve', 'pending', 5),
          page('b', 'trigger', 'sent', 2),
          page('c', 'trigger', 'pending', 3),
        ],
      }),
    );
    expect(report.openPages.map((p) => p.dedupKey)).toEqual(['c', 'b']);
    expect(report.undeliveredPages.map((p) => `${p.dedupKey}#${p.action}`)).toEqual([
      'c#trigger',
      'a#resolve',
    ]);
  });
});

describe('ageText', () => {
  it.each([
    [0, 'just now'],
    [45_000, '45 seconds ago'],
    [60_000, '1 minute ago'],
    [7 * 60_000 + 59_000, '7 minutes ago'],
    [2 * 3600_000, '2 hours ago'],
    [3 * 86_400_000, '3 days ago'],
  ])('%i ms → %s', (ms, text) => expect(ageText(ms)).toBe(text));
});
