import { ConfigError } from './errors';
import type { Override } from './override';
import { isoInstant, parseIsoUtc } from './time';

// What an operator types (`cx-surge override set …`, or a click in `cx-surge console`) → a valid
// Override, or one ConfigError naming the flag. Pure: the clock and the caller's identity are passed in.
// Nothing is written unless this succeeds, so bad input changes nothing.

export interface OverrideRequest {
  readonly queue?: string;
  readonly tier?: string | number;
  readonly state?: string;
  /** A duration: `30m`, `2h`, `90s`, `1h30m`. Mutually exclusive with `until`. */
  readonly for?: string;
  /** ISO-8601 UTC, in the future. */
  readonly until?: string;
  readonly reason?: string;
}

/** The longest override one request may set: a forgotten override should not hold a tier for months. */
export const MAX_OVERRIDE_SECONDS = 7 * 24 * 3600;
const MAX_REASON_CHARS = 500;

/** `30m`, `2h`, `1h30m`, `90s`, `1d` → seconds; undefined if it is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const match = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!match || text.trim() === '') return undefined;
  const [, d, h, m, s] = match;
  const seconds = Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0);
  return seconds > 0 ? seconds : undefined;
}

const bad = (flag: string, detail: string) => new ConfigError(flag, detail);

/** The queue the request names: a queue id or '*'. Shared by set and clear. */
export function parseOverrideTarget(request: Pick<OverrideRequest, 'queue' | 'tier'>): {
  queue: string;
  tier: 1 | 2 | 3;
} {
  const queue = request.queue?.trim();
  if (!queue) throw bad('--queue', "is required: a queue id, or '*' for every queue");
  const tierText = String(request.tier ?? '').trim();
  if (tierText === '') throw bad('--tier', 'is required: 1, 2 or 3');
  if (tierText === '4')
    throw bad('--tier', '4 follows the edge origin alarm (infrastructure) and cannot be overridden here');
  if (tierText !== '1' && tierText !== '2' && tierText !== '3')
    throw bad('--tier', `must be 1, 2 or 3, got '${tierText}'`);
  return { queue, tier: Number(tierText) as 1 | 2 | 3 };
}

/** Validates a `set` request and builds the override. Throws ConfigError (the CLI exits 2). */
export function parseOverrideRequest(request: OverrideRequest, by: string, nowMs: number): Override {
  // Whole seconds: what an operator reads and types back (`--until`), and what the page shows.
  const now = Math.floor(nowMs / 1000) * 1000;
  const { queue, tier } = parseOverrideTarget(request);
  const state = request.state?.trim();
  if (state !== 'active' && state !== 'inactive')
    throw bad('--state', `must be active or inactive, got '${state ?? ''}'`);
  const reason = request.reason?.trim() ?? '';
  if (reason === '') throw bad('--reason', 'is required: say why (it is paged and shown in status)');
  if (reason.length > MAX_REASON_CHARS)
    throw bad('--reason', `must be at most ${MAX_REASON_CHARS} characters`);
  if (request.for !== undefined && request.until !== undefined)
    throw bad('--for', 'and --until conflict: give one of them (or neither, to hold until cleared)');

  let untilMs: number | undefined;
  if (request.for !== undefined) {
    const seconds = parseDuration(request.for);
    if (seconds === undefined)
      throw bad('--for', `must be a duration like 30m, 2h or 1h30m, got '${request.for}'`);
    untilMs = now + seconds * 1000;
  } else if (request.until !== undefined) {
    const text = request.until.trim();
    untilMs = parseIsoUtc(text);
    if (!Number.isFinite(untilMs))
      throw bad('--until', `must be an ISO-8601 UTC time like 2026-11-27T18:00:00Z, got '${request.until}'`);
    if (untilMs <= now) throw bad('--until', `${text} is in the past (now ${isoInstant(now)})`);
  }
  if (untilMs !== undefined && untilMs - now > MAX_OVERRIDE_SECONDS * 1000)
    throw bad(request.for !== undefined ? '--for' : '--until', 'must be at most 7 days from now');
  return {
    queue,
    tier,
    state,
    ...(untilMs !== undefined ? { until: isoInstant(untilMs) } : {}),
    reason,
    by,
    setAt: isoInstant(now),
  };
}
