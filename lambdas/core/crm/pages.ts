import type { Page } from '../ports';
import { Reason } from '../reasons';

/**
 * The primary CRM refused `count` lookups (other 4xx: a revoked permission, a changed API) within one
 * window. One page per window, keyed by the window's start, so every container builds the same key.
 */
export function crmLookupRefusedPage(
  status: number,
  count: number,
  windowStart: number,
  windowSeconds: number,
  now: number,
): Page {
  const since = new Date(windowStart).toISOString();
  return {
    kind: 'crm-lookup-refused',
    dedupKey: `crm-lookup-refused:${since}`,
    action: 'trigger',
    severity: 'error',
    summary: `CRM screen pop: the primary CRM refused ${count} lookups (last HTTP ${status}) within ${windowSeconds} s; agents get no customer data. Check the CRM client's permissions and the search request.`,
    reason: Reason.CRM_LOOKUP_REFUSED,
    at: new Date(now).toISOString(),
    details: { lastStatus: status, count, windowStart: since, windowSeconds },
  };
}
