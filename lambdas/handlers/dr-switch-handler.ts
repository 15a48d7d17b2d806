// The dr-switch Lambda's contract (docs/dr.md "dr-switch Lambda"): one event names an action; the CLI's
// `--via-lambda` sends the same event, the daily schedule sends `{ "action": "readiness" }`.
import * as z from 'zod';
import {
  DrBlockedError,
  DrConfirmationError,
  type DrDeps,
  drReadiness,
  drStatus,
  planDr,
  resumeDr,
  runDr,
} from '../app/dr-switchover';
import { DR_MODES, DrPlanError } from '../core/dr-plan';
import { LeaseHeldError } from '../core/errors';
import { lazySchema } from '../core/lazy-schema';

/** The event's schema, built on the first event (lazySchema), not at cold start. */
export const DrSwitchEventSchema = lazySchema(() =>
  z.strictObject({
    action: z.enum(['plan', 'failover', 'failback', 'resume', 'status', 'readiness']),
    mode: z.enum(DR_MODES).optional(),
    /** A subset of the configured DIDs (failover/failback/plan). */
    dids: z.array(z.string()).optional(),
    direction: z.enum(['failover', 'failback']).optional(),
    dryRun: z.boolean().optional(),
    /** The operator's `--yes`. */
    confirmed: z.boolean().optional(),
    runId: z.string().min(1).optional(),
    /** Who asked (the CLI sends the caller's identity ARN). */
    requestedBy: z.string().max(512).optional(),
  }),
);
export type DrSwitchEvent = z.infer<ReturnType<typeof DrSwitchEventSchema>>;

/** What the Lambda (and the CLI) answers: a report, or why nothing was done. */
export type DrSwitchResult =
  | { readonly outcome: 'report'; readonly report: unknown }
  | { readonly outcome: 'blocked'; readonly message: string; readonly report: unknown }
  | { readonly outcome: 'refused'; readonly message: string };

/** Runs one DR action. Refusals (bad event, no --yes, blocked assertions) are answers, not Lambda errors. */
export async function handleDrEvent(deps: DrDeps, raw: unknown): Promise<DrSwitchResult> {
  const parsed = DrSwitchEventSchema().safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      outcome: 'refused',
      message: `event.${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    };
  }
  const event = parsed.data;
  const needMode = (): NonNullable<DrSwitchEvent['mode']> => {
    if (!event.mode) throw new DrPlanError(`${event.action} needs a mode (${DR_MODES.join(' | ')})`);
    return event.mode;
  };
  try {
    switch (event.action) {
      case 'status':
        return { outcome: 'report', report: await drStatus(deps) };
      case 'readiness':
        return { outcome: 'report', report: await drReadiness(deps) };
      case 'resume':
        return {
          outcome: 'report',
          report: await resumeDr(deps, event.runId, { confirmed: event.confirmed === true }),
        };
      case 'plan':
        return {
          outcome: 'report',
          report: await planDr(deps, {
            direction: event.direction ?? 'failover',
            mode: needMode(),
            ...(event.dids ? { dids: event.dids } : {}),
          }),
        };
      default: {
        const request = {
          direction: event.action,
          mode: needMode(),
          ...(event.dids ? { dids: event.dids } : {}),
        };
        if (event.dryRun) return { outcome: 'report', report: await planDr(deps, request) };
        return {
          outcome: 'report',
          report: await runDr(deps, request, { confirmed: event.confirmed === true }),
        };
      }
    }
  } catch (e) {
    if (e instanceof DrBlockedError) return { outcome: 'blocked', message: e.message, report: e.report };
    if (e instanceof DrConfirmationError || e instanceof DrPlanError || e instanceof LeaseHeldError)
      return { outcome: 'refused', message: e.message };
    throw e;
  }
}
