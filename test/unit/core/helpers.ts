// Shared builders for the core tests: observations on a minute grid and a driver that feeds them
// through decide() the way the evaluate pipeline does (state in, next state out).
import { parseConfig, type SurgeConfig, type SurgeConfigInput } from '../../../lambdas/core/config';
import { type Decision, decide, type Override } from '../../../lambdas/core/decide';
import type { QueueObservation } from '../../../lambdas/core/observation';
import type { QueueState } from '../../../lambdas/core/state';

export const T0 = Date.parse('2026-11-27T09:00:00Z');

export const isoAt = (seconds: number): string =>
  new Date(T0 + seconds * 1000).toISOString().replace('.000Z', 'Z');

/** An observation `seconds` after T0. */
export function obsAt(
  seconds: number,
  waiting: number,
  agentsAvailable: number | null = null,
  queueId = 'sales',
): QueueObservation {
  return { queueId, observedAt: isoAt(seconds), waiting, agentsAvailable };
}

/** Observations one minute apart starting at minute `from`, one per waiting value. */
export const minutes = (
  waitings: readonly number[],
  options: { from?: number; agents?: number | null; queueId?: string } = {},
): QueueObservation[] =>
  waitings.map((w, i) => obsAt(((options.from ?? 0) + i) * 60, w, options.agents ?? null, options.queueId));

export const config = (input: SurgeConfigInput = {}): SurgeConfig => parseConfig(input);

export interface Run {
  readonly decisions: Decision[];
  readonly state: QueueState | undefined;
}

/** Feeds observations in order; `now` is each observation's own time unless given. */
export function feed(
  observations: readonly QueueObservation[],
  cfg: SurgeConfig,
  options: {
    state?: QueueState;
    overrides?: readonly Override[];
    now?: (o: QueueObservation) => number;
  } = {},
): Run {
  let state = options.state;
  const decisions: Decision[] = [];
  for (const o of observations) {
    const d = decide(
      state,
      o,
      cfg,
      options.now ? options.now(o) : Date.parse(o.observedAt),
      options.overrides,
    );
    decisions.push(d);
    state = d.next;
  }
  return { decisions, state };
}

export const transitionsOf = (run: Run) => run.decisions.flatMap((d) => d.transitions);

/** Repeats `value` n times. */
export const times = (n: number, value: number): number[] => Array.from({ length: n }, () => value);
