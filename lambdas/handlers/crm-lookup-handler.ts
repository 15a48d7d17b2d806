// crm-lookup: the Genesys Cloud Data Action's event → zod → lookup use case → the output contract
// (docs/crm.md, docs/crm-data-action.json). It always returns an answer: the Data Action never fails on us.
import * as z from 'zod';
import { CrmDimension, CrmMetricName } from '../adapters/crm/telemetry-names';
import type { ProbeResult } from '../app/breaker';
import { type CrmLookupDeps, type CrmLookupResult, crmLookup } from '../app/crm-lookup';
import type { Telemetry } from '../app/telemetry';
import type { Customer, Order } from '../core/crm/customer';
import type { LookupAnswer } from '../core/crm/lookup';
import type { LookupKey } from '../core/crm/ports';
import { lazySchema } from '../core/lazy-schema';

/** The Data Action's input, built on the first lookup (lazySchema), not at cold start. */
export const CrmLookupEventSchema = lazySchema(() => {
  /** Genesys sends unset inputs as empty strings: those count as absent. */
  const optionalText = z
    .string()
    .trim()
    .max(256, 'must be at most 256 characters')
    .optional()
    .transform((v) => (v === '' ? undefined : v));
  return z.object({ customerId: optionalText, phone: optionalText, interactionId: optionalText });
});

/** The Data Action's output contract: flat scalars, `customer` always an object, `orderHistory` a list. */
export interface CrmLookupOutput {
  readonly found: boolean;
  readonly source: LookupAnswer['source'];
  readonly readOnly: boolean;
  readonly banner: string;
  readonly dataAgeSeconds: number;
  readonly customer: Partial<Customer>;
  readonly orderHistory: readonly Order[];
  readonly errorStatus: number;
  readonly lookupMs: number;
}

export function toOutput(answer: LookupAnswer, lookupMs: number): CrmLookupOutput {
  return {
    found: answer.found,
    source: answer.source,
    readOnly: answer.readOnly,
    banner: answer.banner,
    dataAgeSeconds: answer.dataAgeSeconds,
    customer: answer.customer ?? {},
    orderHistory: answer.orderHistory,
    errorStatus: answer.errorStatus ?? 0,
    lookupMs,
  };
}

const NOTHING_TO_LOOK_UP: LookupAnswer = {
  found: false,
  customer: null,
  source: 'none',
  readOnly: true,
  banner: 'No customer id or phone number to look up: check the Data Action inputs in the flow.',
  dataAgeSeconds: 0,
  orderHistory: [],
  errorStatus: 400,
};

/** What one container runs: lookups, and the prober on the schedule's `{ "crmProbe": true }` event. */
export interface CrmLookupRuntime {
  readonly lookup: CrmLookupDeps;
  readonly probe: () => Promise<ProbeResult[]>;
}

/** The constant input of the prober's schedule rule (lib/crm-lookup.ts). */
export const CRM_PROBE_EVENT = { crmProbe: true } as const;
const isProbeEvent = (event: unknown): boolean =>
  typeof event === 'object' && event !== null && (event as { crmProbe?: unknown }).crmProbe === true;

export function createCrmLookupHandler(getRuntime: () => CrmLookupRuntime, telemetry: Telemetry) {
  async function handle(event: { crmProbe: true }): Promise<{ probes: ProbeResult[] }>;
  async function handle(event: unknown): Promise<CrmLookupOutput>;
  async function handle(event: unknown): Promise<CrmLookupOutput | { probes: ProbeResult[] }> {
    try {
      if (isProbeEvent(event)) {
        const probes = await getRuntime().probe();
        telemetry.info('crm breakers probed', { probes });
        return { probes };
      }
      const parsed = CrmLookupEventSchema().safeParse(event);
      const input = parsed.success ? parsed.data : undefined;
      const key: LookupKey | undefined = input?.customerId
        ? { customerId: input.customerId }
        : input?.phone
          ? { phone: input.phone }
          : undefined;
      if (!key) {
        const issue = parsed.success ? 'neither customerId nor phone given' : parsed.error.issues[0]?.message;
        telemetry.warn('crm lookup without a usable key', { issue });
        return toOutput(NOTHING_TO_LOOK_UP, 0);
      }
      const result = await crmLookup(getRuntime().lookup, key);
      record(telemetry, result, input?.interactionId);
      return toOutput(result.answer, result.elapsedMs);
    } finally {
      telemetry.flush();
    }
  }
  return handle;
}

function record(t: Telemetry, r: CrmLookupResult, interactionId: string | undefined): void {
  t.metric(CrmMetricName.CrmLookups, 'Count', 1, { [CrmDimension.Source]: r.answer.source });
  t.metric(CrmMetricName.CrmLookupLatency, 'Milliseconds', r.elapsedMs);
  if (r.path === 'primary' || r.path === 'fallback') {
    t.metric(CrmMetricName.CrmFallbackPath, 'Count', r.path === 'fallback' ? 1 : 0);
  }
  if (r.path === 'client-error') t.metric(CrmMetricName.CrmLookupRefused, 'Count', 1);
  t.metric(CrmMetricName.CrmGuarded, 'Count', r.path === 'guarded' ? 1 : 0);
  // The customer's data stays out of the logs: source, path and timings only.
  t.info('crm lookup answered', {
    interactionId,
    source: r.answer.source,
    found: r.answer.found,
    path: r.path,
    retries: r.retries,
    calls: r.calls,
    elapsedMs: r.elapsedMs,
  });
}
