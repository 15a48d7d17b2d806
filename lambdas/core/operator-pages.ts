import type { Override } from './override';
import type { Page } from './ports';
import { Reason } from './reasons';

/**
 * An operator set (trigger) or cleared (resolve) a manual override. Keyed by (queue, tier, setAt), so the
 * clear of that very override resolves the incident its set opened, and setting it again opens a new one.
 */
export function overridePage(o: Override, action: Page['action'], by: string, now: number): Page {
  const setAt = o.setAt ?? 'unknown';
  const where = o.queue === '*' ? 'every queue' : `queue ${o.queue}`;
  return {
    kind: 'operator-override',
    dedupKey: `override:${o.queue}:tier${o.tier}:${setAt}`.slice(0, 255),
    action,
    severity: 'warning',
    summary:
      action === 'trigger'
        ? `Override by ${o.by}: tier ${o.tier} held ${o.state} for ${where}${o.until ? ` until ${o.until}` : ' until cleared'}: ${o.reason}`
        : `Override cleared by ${by}: tier ${o.tier} for ${where} follows the controller again`,
    reason: o.state === 'active' ? Reason.OVERRIDE_ACTIVE : Reason.OVERRIDE_INACTIVE,
    at: new Date(now).toISOString(),
    details: {
      queue: o.queue,
      tier: o.tier,
      state: o.state,
      reason: o.reason,
      by: o.by,
      ...(o.until ? { until: o.until } : {}),
      setAt,
      ...(action === 'resolve' ? { clearedBy: by } : {}),
    },
  };
}
