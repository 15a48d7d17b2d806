// The CRM targets of the drill faults file (docs/semantics.md's format, docs/crm.md):
//   [{ "target": "crm-primary" | "crm-secondary", "from": ISO, "until": ISO, "fault": "5xx" | "429" | "timeout" | "down" }]
// Entries for other targets (genesys, pager, origin …) belong to other drills and are left alone here.
// The CRM stand-ins also understand "401" (tokens revoked) and "slow" (answers take `latencyMs`, 2,000 ms
// by default), for drilling the token and budget paths.
import * as z from 'zod';
import type { CrmFault } from './stand-in';

export const CRM_FAULT_TARGETS = ['crm-primary', 'crm-secondary'] as const;
export type CrmFaultTarget = (typeof CRM_FAULT_TARGETS)[number];

export interface CrmDrillFault {
  readonly target: CrmFaultTarget;
  /** Epoch ms (simulated). */
  readonly from: number;
  readonly until: number;
  readonly fault: CrmFault;
}

/** A faults file that cannot be used: one line naming the file, the entry and the field. */
export class CrmFaultsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CrmFaultsError';
  }
}

const iso = z.iso.datetime({ offset: false, message: 'must be an ISO-8601 UTC timestamp (…Z)' });
const EntrySchema = z.object({
  target: z.string().min(1, 'must name a target'),
  from: iso,
  until: iso,
  fault: z.enum(['5xx', '429', 'timeout', 'down', '401', 'slow'], {
    message: 'must be one of 5xx, 429, timeout, down (CRM stand-ins also: 401, slow)',
  }),
  latencyMs: z.number().int().positive().optional(),
});

/** Parses a faults file's JSON text and keeps the CRM entries. */
export function parseCrmFaults(text: string, source: string): CrmDrillFault[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CrmFaultsError(`${source}: invalid JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!Array.isArray(json)) throw new CrmFaultsError(`${source}: must be a JSON array of fault entries`);
  const out: CrmDrillFault[] = [];
  json.forEach((entry, i) => {
    const target = (entry as { target?: unknown } | null)?.target;
    if (typeof target === 'string' && !(CRM_FAULT_TARGETS as readonly string[]).includes(target)) return;
    const parsed = EntrySchema.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CrmFaultsError(
        `${source}: [${i}].${issue?.path.join('.') || ''}: ${issue?.message ?? 'invalid'}`,
      );
    }
    const { from, until, fault, latencyMs } = parsed.data;
    const fromMs = Date.parse(from);
    const untilMs = Date.parse(until);
    if (!(untilMs > fromMs))
      throw new CrmFaultsError(`${source}: [${i}].until: must be after from (${from})`);
    out.push({
      target: target as CrmFaultTarget,
      from: fromMs,
      until: untilMs,
      fault: { kind: fault, ...(latencyMs !== undefined ? { latencyMs } : {}) },
    });
  });
  return out;
}
