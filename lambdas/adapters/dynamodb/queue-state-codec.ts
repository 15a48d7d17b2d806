// One queue's entry in its shard item (docs/state-table.md, "Queue shards"): its own version and its
// state, in a compact text form. A quiet queue with a UUID id costs ~80 bytes in the item instead of
// ~490 for the JSON item per queue, so a shard of 100 queues is ~8 KB: 8 write units and 2 read units
// (DynamoDB bills writes per 1 KB and strongly consistent reads per 4 KB of the whole item).
//
//   entry   := version36 "|" body
//   body    := "=" JSON                                  (any value the compact form cannot hold)
//            | time "|" waiting "|" agents "|" effective "|" tier "|" tier "|" tier
//   tier    := activateStreak36 "." restoreStreak36 [ "@" time ] [ ";" ms36 { "," ms36 } ]
//   time    := ms36 (the ISO string is exactly toISOString())  |  s36 "S" (the same without ".000")
//            | the ISO string verbatim (any other spelling)
//
// The compact form is used only when decoding it gives back exactly the state given (checked on every
// encode), so the codec is lossless for every value: ISO timestamps keep their spelling (page dedup
// keys are built from them). Decoding never validates the state: the caller hydrates it
// (hydrateQueueState), as it did the JSON.

import { StoredItemError } from '../../core/errors';

/** What one entry holds. */
export interface QueueEntry {
  /** The queue's own version: it moves only when this queue is saved. */
  readonly version: number;
  readonly state: unknown;
}

const B36 = /^[0-9a-z]+$/;
const FORBIDDEN_IN_VERBATIM_TIME = /[|@;,]/;

const int36 = (n: number): string => n.toString(36);

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Compact time token, or undefined if this string cannot be one. */
function encodeTime(iso: unknown): string | undefined {
  if (typeof iso !== 'string' || iso.length === 0) return undefined;
  const ms = Date.parse(iso);
  if (Number.isFinite(ms) && ms >= 0) {
    const canonical = new Date(ms).toISOString();
    if (canonical === iso) return int36(ms);
    if (ms % 1000 === 0 && canonical.replace('.000Z', 'Z') === iso) return `${int36(ms / 1000)}S`;
  }
  // Verbatim: told apart from the numeric forms by its '-'; it must not hold a separator.
  if (!iso.includes('-') || FORBIDDEN_IN_VERBATIM_TIME.test(iso)) return undefined;
  return iso;
}

function decodeTime(token: string): string {
  if (token.includes('-')) return token;
  if (token.endsWith('S')) {
    const s = token.slice(0, -1);
    if (!B36.test(s)) throw new Error(`bad time '${token}'`);
    return new Date(Number.parseInt(s, 36) * 1000).toISOString().replace('.000Z', 'Z');
  }
  if (!B36.test(token)) throw new Error(`bad time '${token}'`);
  return new Date(Number.parseInt(token, 36)).toISOString();
}

function decodeCount(token: string, what: string): number {
  if (!B36.test(token)) throw new Error(`bad ${what} '${token}'`);
  const n = Number.parseInt(token, 36);
  if (!Number.isSafeInteger(n)) throw new Error(`${what} out of range`);
  return n;
}

const TIERS = ['tier1', 'tier2', 'tier3'] as const;

function encodeTier(tier: unknown): string | undefined {
  if (typeof tier !== 'object' || tier === null) return undefined;
  const t = tier as Record<string, unknown>;
  if (!isCount(t.activateStreak) || !isCount(t.restoreStreak)) return undefined;
  let out = `${int36(t.activateStreak)}.${int36(t.restoreStreak)}`;
  if (t.status === 'active') {
    const at = encodeTime(t.activatedAt);
    if (at === undefined) return undefined;
    out += `@${at}`;
  } else if (t.status !== 'inactive') return undefined;
  const recent = t.recentTransitions;
  if (!Array.isArray(recent) || !recent.every(isCount)) return undefined;
  if (recent.length > 0) out += `;${recent.map(int36).join(',')}`;
  return out;
}

function decodeTier(token: string): Record<string, unknown> {
  const [head = '', recent] = token.split(';');
  const [streaks = '', activatedAt] = head.split('@');
  const [a = '', r = '', ...rest] = streaks.split('.');
  if (rest.length > 0) throw new Error(`bad tier '${token}'`);
  const activateStreak = decodeCount(a, 'activateStreak');
  const restoreStreak = decodeCount(r, 'restoreStreak');
  const recentTransitions =
    recent === undefined ? [] : recent.split(',').map((x) => decodeCount(x, 'transition'));
  return activatedAt === undefined
    ? { status: 'inactive', activateStreak, restoreStreak, recentTransitions }
    : {
        status: 'active',
        activateStreak,
        restoreStreak,
        recentTransitions,
        activatedAt: decodeTime(activatedAt),
      };
}

/** The compact body, or undefined when the state is not one it can hold exactly. */
function encodeCompact(queueId: string, state: unknown): string | undefined {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) return undefined;
  const s = state as Record<string, unknown>;
  if (s.schemaVersion !== 1 || s.queueId !== queueId) return undefined;
  const observed = encodeTime(s.lastObservedAt);
  if (observed === undefined) return undefined;
  let waiting = '';
  if (s.lastWaiting !== undefined) {
    if (!isCount(s.lastWaiting)) return undefined;
    waiting = int36(s.lastWaiting);
  }
  let agents = '';
  if (s.lastAgentsAvailable === null) agents = '-';
  else if (s.lastAgentsAvailable !== undefined) {
    if (!isCount(s.lastAgentsAvailable)) return undefined;
    agents = int36(s.lastAgentsAvailable);
  }
  const tiers = s.tiers as Record<string, unknown> | undefined;
  const effective = s.effective as Record<string, unknown> | undefined;
  if (typeof tiers !== 'object' || tiers === null || typeof effective !== 'object' || effective === null)
    return undefined;
  let bits = 0;
  const parts: string[] = [];
  for (const [i, key] of TIERS.entries()) {
    if (typeof effective[key] !== 'boolean') return undefined;
    if (effective[key]) bits |= 1 << i;
    const tier = encodeTier(tiers[key]);
    if (tier === undefined) return undefined;
    parts.push(tier);
  }
  return [observed, waiting, agents, String(bits), ...parts].join('|');
}

function decodeCompact(queueId: string, body: string): Record<string, unknown> {
  const fields = body.split('|');
  if (fields.length !== 7) throw new Error(`expected 7 fields, found ${fields.length}`);
  const [observed = '', waiting = '', agents = '', bits = '', ...tiers] = fields;
  if (!/^[0-7]$/.test(bits)) throw new Error(`bad effective '${bits}'`);
  const effectiveBits = Number(bits);
  const state: Record<string, unknown> = {
    schemaVersion: 1,
    queueId,
    lastObservedAt: decodeTime(observed),
  };
  if (waiting !== '') state.lastWaiting = decodeCount(waiting, 'lastWaiting');
  if (agents === '-') state.lastAgentsAvailable = null;
  else if (agents !== '') state.lastAgentsAvailable = decodeCount(agents, 'lastAgentsAvailable');
  state.tiers = Object.fromEntries(TIERS.map((key, i) => [key, decodeTier(tiers[i] ?? '')]));
  state.effective = Object.fromEntries(TIERS.map((key, i) => [key, (effectiveBits & (1 << i)) !== 0]));
  return state;
}

/** JSON with object keys sorted and undefined members dropped: equal for equal values, whatever the key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** The entry for `queueId`: compact when that form gives back exactly `state`, JSON otherwise. */
export function encodeQueueEntry(queueId: string, entry: QueueEntry): string {
  if (!Number.isSafeInteger(entry.version) || entry.version < 1)
    throw new TypeError(`version: must be a positive integer, got ${entry.version}`);
  const compact = encodeCompact(queueId, entry.state);
  if (compact !== undefined && canonical(decodeCompact(queueId, compact)) === canonical(entry.state)) {
    return `${int36(entry.version)}|${compact}`;
  }
  const json = JSON.stringify(entry.state);
  if (json === undefined) throw new TypeError('state: must be JSON-serialisable');
  return `${int36(entry.version)}|=${json}`;
}

/** The queue's version alone (the write path checks it without decoding the state). */
export function entryVersion(where: string, queueId: string, entry: unknown): number {
  if (typeof entry !== 'string') throw new StoredItemError(where, `states.${queueId}`, 'must be a string');
  const bar = entry.indexOf('|');
  const token = bar < 0 ? '' : entry.slice(0, bar);
  if (!B36.test(token))
    throw new StoredItemError(where, `states.${queueId}`, `has no version ('${entry.slice(0, 20)}')`);
  const version = Number.parseInt(token, 36);
  if (!Number.isSafeInteger(version) || version < 1)
    throw new StoredItemError(where, `states.${queueId}`, 'version must be a positive integer');
  return version;
}

/** Decodes one entry; a malformed one throws StoredItemError naming the item and the queue. */
export function decodeQueueEntry(where: string, queueId: string, entry: unknown): QueueEntry {
  const version = entryVersion(where, queueId, entry);
  const body = (entry as string).slice((entry as string).indexOf('|') + 1);
  try {
    const state = body.startsWith('=') ? JSON.parse(body.slice(1)) : decodeCompact(queueId, body);
    return { version, state };
  } catch (cause) {
    throw new StoredItemError(
      where,
      `states.${queueId}`,
      `is not a valid entry (${(cause as Error).message})`,
      {
        cause,
      },
    );
  }
}
